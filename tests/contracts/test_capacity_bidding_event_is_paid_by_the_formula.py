"""A capacity-bidding event as utilities run them, settled to the token unit by docs/settlement.md.

A consumption asset (10 kW flexible) whose baseline is metered: the mean of its own signed readings
at the same times of day over the previous ten days (1,900 and 2,100 Wh per 15 min on alternate
days: 2,000 Wh). A 75-minute reduction event (5 slots) awards 1,000 Wh per slot (4 kW). Prices:
reservation 2,000 per kW·h (8,000 per kWh at 15 min), activation 150,000 per kWh; no round penalty,
so the default rate (the activation price) applies; tolerance 10 %.
    value V = (8,000 + 150,000) × 5 kWh = 790,000; reservation 40,000; activation 750,000
    collateral = 50 % of V = 395,000
"""

from __future__ import annotations

import pytest

from domain.award import Award, AwardTree
from tests.conftest import BUYER_FUNDS
from tests.contracts.helpers import balances, goto, sign
from tests.market_helpers import SLOT, make_offer, make_request, open_round

VALUE, COLLATERAL = 790_000, 395_000


@pytest.mark.parametrize("case,measured,delivered,paid,refund,penalty", [
    # 2,000 − 800 = 1,200 Wh shed per slot, credited up to the 1,000 awarded
    ("above the award", 800, 5000, VALUE, 0, 0),
    # 920 Wh per slot = 92 % ≥ 90 %: paid as awarded
    ("within the band", 1080, 4600, VALUE, 0, 0),
    # 500 Wh per slot = 50 %: activation 150,000 × 2.5 = 375,000; penalty 150,000 × 2.5 = 375,000;
    # gross 40,000 + 375,000 = 415,000 − 375,000 → FSP 40,000; buyer 790,000 − 40,000 = 750,000 back
    ("below the award", 1500, 2500, 40_000, 750_000, 375_000),
])
def test_capacity_bidding_event_with_a_metered_baseline(world, case, measured, delivered, paid, refund, penalty):
    m, a, s = world.ledger.market, world.actors, world.ledger.settlement
    rid, cfg = open_round(world, penalty_per_kwh=0, tolerance_bps=1000, settlement_grace=3600)
    req = m.post_request(a.dso, make_request(rid, world.zone, power_w=(4000,) * 5, max_price=400_000))
    offer = make_offer(rid, cfg, world.asset, n=5, up=1000, baseline=2000, flex_slots=0)
    oid = m.submit_offer(a.fsp, offer)
    history = [sign(world, a.device, world.asset, cfg.slot_start(i) - d * 86_400, 1900 if d % 2 else 2100,
                    100 * d + i) for d in range(1, 11) for i in range(5)]
    s.submit_readings(a.outsider, history)
    assert [s.baseline_at(world.asset, cfg.slot_start(i)) for i in range(5)] == [(True, 2000, False)] * 5
    goto(world, cfg.gate_closure)
    award = Award(rid, oid, req, 0, (1000,) * 5, (1000,) * 5, offer.reservation_price, offer.activation_price)
    tree = AwardTree([award])
    world.ledger.clearing.commit(a.operator, rid, tree, total_cost=tree.total_cost(SLOT), spec_hash=b"\1" * 32)
    goto(world, world.ledger.chain.now() + cfg.challenge_window)
    world.ledger.clearing.confirm_award(a.fsp, award, tree.proof(award), offer)
    s.activate(a.dso, award, 0, 5)
    s.opt_in(a.fsp, award)
    goto(world, cfg.slot_start(5))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, cfg.slot_start(i), measured, 5000 + i)
                                   for i in range(5)])
    res = s.settle(a.outsider, award, offer)
    ev, col = res.event("Settled"), res.event("CollateralReleased")
    assert (ev["deliveredWh"], ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (delivered, paid, refund,
                                                                                          penalty)
    assert (col["returnedToFsp"], col["forfeitedToBuyer"]) == (COLLATERAL, 0)
    assert balances(world) == (paid, BUYER_FUNDS - VALUE + refund, 0)
