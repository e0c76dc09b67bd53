"""Issue 9, attack 5 (engine side): one 10 kW asset offered three times in a round. The honest
clearing awarded all three (7,500 Wh per 15-min slot from a 10 kW asset, three reservations
paid). Now the engine has a row per asset, slot and direction (operations passes each asset's
power at gate closure), so the honest result stays within the asset's power, and a challenge
with the three offers' leaves finds no fault."""

from __future__ import annotations

from operations.clearing_run import commit_run, run_clearing
from tests.helpers import reverts
from tests.market_helpers import make_offer, make_request, open_round


def test_three_offers_of_one_asset_are_cleared_within_its_power(world):
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    tso_q = make_request(rid, 0, power_w=(40_000,) * 4, max_price=400_000)  # needs 10,000 Wh per slot
    m.post_request(a.tso, tso_q)
    offers = [make_offer(rid, cfg, world.asset, n=4, up=2500, total_min_wh=0, total_max_wh=10_000, flex_slots=0)
              for _ in range(3)]
    ids = m.submit_offers(a.fsp, offers)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    run = run_clearing(world.ledger, rid)
    per_slot: dict[int, int] = {}
    for aw in run.tree.awards:
        for k, e in enumerate(aw.schedule):
            per_slot[aw.start_slot + k] = per_slot.get(aw.start_slot + k, 0) + abs(e)
    assert per_slot and max(per_slot.values()) <= 10_000 * 900 // 3600  # 2,500 Wh
    assert sum(per_slot.values()) == 4 * 2500  # the asset's full power is still sold, once
    commit_run(world.ledger, a.operator, run)
    leaves = {aw.offer_id: aw for aw in run.tree.awards}
    with reverts("ClearingNoFault", roundId=rid):
        world.ledger.clearing.challenge_asset(a.auditor, run.tree, list(leaves.values()),
                                              {oid: o for oid, o in zip(ids, offers)})
