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

from domain.enums import OfferStatus
from tests.contracts.helpers import goto, sign, split_award_round


@pytest.mark.parametrize("dso_first", [True, False])
def test_an_opted_out_offers_awards_are_all_forfeited_whatever_the_settlement_order(world, dso_first):
    m, a, s = world.ledger.market, world.actors, world.ledger.settlement
    x = split_award_round(world)
    cfg, offer, oid, to_dso, to_tso = x.cfg, x.offer, x.offer_id, x.to_dso, x.to_tso
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
