"""Issue 10 (attacks 5 and 9), found by the Foundry settlement invariants: an FSP withdraws its offer
after the award (a Market opt-out), and the offer's two awards are settled one after the other.
Settling the first moves the offer OptedOut → Settled; the second must still be settled as opted
out — no reservation, no delivered energy credited, the shortfall penalised — in either order.

The offer: 500 Wh UP per slot on a consumption asset, split 300 Wh to the DSO (capacity and energy)
and 200 Wh to the TSO; both activated for all 4 slots and the meter shows full delivery (500 Wh
shed per slot against the attested 1,000 Wh baseline). Penalty 200,000 per kWh:
    DSO award: shortfall 1,200 Wh → penalty 240,000; TSO award: 800 Wh → 160,000.
"""

from __future__ import annotations

import pytest

from domain.award import Award, AwardTree
from domain.enums import OfferStatus
from tests.contracts.helpers import goto, sign
from tests.market_helpers import SLOT, make_offer, make_request, open_round


@pytest.mark.parametrize("dso_first", [True, False])
def test_an_opted_out_offers_awards_are_all_forfeited_whatever_the_settlement_order(world, dso_first):
    m, a, s = world.ledger.market, world.actors, world.ledger.settlement
    rid, cfg = open_round(world, penalty_per_kwh=200_000, tolerance_bps=1000)
    dso_req = m.post_request(a.dso, make_request(rid, world.zone, power_w=(1200,) * 4, max_price=400_000))
    tso_req = m.post_request(a.tso, make_request(rid, 0, power_w=(800,) * 4, max_price=400_000))
    offer = make_offer(rid, cfg, world.asset, up=500, baseline=1000, flex_slots=0)
    oid = m.submit_offer(a.fsp, offer)
    goto(world, cfg.gate_closure)
    to_dso = Award(rid, oid, dso_req, 0, (500,) * 4, (300,) * 4, offer.reservation_price, offer.activation_price)
    to_tso = Award(rid, oid, tso_req, 0, (500,) * 4, (200,) * 4, offer.reservation_price, offer.activation_price)
    tree = AwardTree([to_dso, to_tso])
    world.ledger.clearing.commit(a.operator, rid, tree, total_cost=tree.total_cost(SLOT), spec_hash=b"\1" * 32)
    goto(world, world.ledger.chain.now() + cfg.challenge_window)
    for aw, buyer in ((to_dso, a.dso), (to_tso, a.tso)):
        world.ledger.clearing.confirm_award(a.fsp, aw, tree.proof(aw), offer)
        s.activate(buyer, aw, 0, 4)
    m.withdraw_offer(a.fsp, oid)  # the FSP opts out of the whole offer after the award
    assert m.offer_status(oid) == OfferStatus.OPTED_OUT
    s.attest_baselines(a.metering, world.asset, [cfg.slot_start(i) for i in range(4)], [1000] * 4)
    goto(world, cfg.slot_start(4))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, cfg.slot_start(i), 500, i + 1)
                                   for i in range(4)])  # the meter shows the full 500 Wh shed
    order = [(to_dso, "dso"), (to_tso, "tso")] if dso_first else [(to_tso, "tso"), (to_dso, "dso")]
    got = {}
    for aw, who in order:
        ev = s.settle(a.outsider, aw, offer).event("Settled")
        got[who] = (ev["paidToFsp"], ev["deliveredWh"], ev["penalty"])
    assert m.offer_status(oid) == OfferStatus.SETTLED
    assert got == {"dso": (0, 0, 240_000), "tso": (0, 0, 160_000)}
    assert s.reliability(a.fsp.address)["optOuts"] == 2
