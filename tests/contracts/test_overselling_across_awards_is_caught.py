"""Issue 9, attacks 4 and 5: overselling that no single or pair check sees.
4. One 500 Wh offer awarded 250 Wh to each of three requests passed every single and pair check.
   Now `challengeOffer` takes all of an offer's leaves and proves Fault.OVER_CAPACITY.
5. One 10 kW asset offered three times in a round and awarded 2,500 Wh per 15-min slot by each
   offer (7,500 Wh from a 10 kW asset). Now `challengeAsset` takes one leaf per offer of the asset
   and proves Fault.ASSET_OVER_COMMITTED against its power at gate closure."""

from __future__ import annotations

from domain.award import Award
from domain.enums import Fault
from tests.contracts.clearing_setup import commit
from tests.helpers import reverts
from tests.market_helpers import make_offer, make_request, open_round


def _three_requests(world):
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    reqs = [make_request(rid, world.zone, power_w=(2000,) * 4, max_price=400_000) for _ in range(3)]
    ids = [m.post_request(a.dso, q) for q in reqs]
    return rid, cfg, reqs, ids


def test_one_offer_sold_three_times_over_is_caught(world):
    m, a, cl = world.ledger.market, world.actors, world.ledger.clearing
    rid, cfg, reqs, ids = _three_requests(world)
    o = make_offer(rid, cfg, world.asset, n=1, up=500, total_min_wh=0, total_max_wh=500)
    oid = m.submit_offer(a.fsp, o)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    awards = [Award(rid, oid, q, 0, (500,), (250,), o.reservation_price, o.activation_price) for q in ids]
    tree = commit(world, awards)
    with reverts("ClearingNoFault", roundId=rid):  # any two of them fit
        cl.challenge_pair(a.auditor, awards[0], tree.proof(awards[0]), awards[1], tree.proof(awards[1]))
    with reverts("ClearingNoFault", roundId=rid):
        cl.challenge_offer(a.auditor, tree, awards[:2])
    res = cl.challenge_offer(a.auditor, tree, awards)
    assert res.event("RoundRejected")["fault"] == Fault.OVER_CAPACITY


def test_the_same_leaf_twice_does_not_count_double(world):
    m, a, cl = world.ledger.market, world.actors, world.ledger.clearing
    rid, cfg, reqs, ids = _three_requests(world)
    o = make_offer(rid, cfg, world.asset, n=1, up=500, total_min_wh=0, total_max_wh=500)
    oid = m.submit_offer(a.fsp, o)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    aw = Award(rid, oid, ids[0], 0, (500,), (300,), o.reservation_price, o.activation_price)
    tree = commit(world, [aw])
    with reverts("ClearingLeavesNotDistinct", index=1):
        cl._challenge(a.auditor, "challengeOffer", [aw.to_chain()] * 2, [tree.proof(aw)] * 2)


def test_one_asset_sold_three_times_in_a_slot_is_caught(world):
    m, a, cl = world.ledger.market, world.actors, world.ledger.clearing
    rid, cfg, reqs, ids = _three_requests(world)
    tso_q = make_request(rid, 0, power_w=(40_000,) * 4, max_price=400_000)  # 10,000 Wh per slot
    tso = m.post_request(a.tso, tso_q)
    # the asset: 10 kW up = 2,500 Wh per 15-min slot; each offer alone is within it
    offers = [make_offer(rid, cfg, world.asset, n=4, up=2500, total_min_wh=0, total_max_wh=10_000) for _ in range(3)]
    oids = m.submit_offers(a.fsp, offers)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    awards = [Award(rid, oid, tso, 0, (2500,) * 4, (2500,) * 4, o.reservation_price, o.activation_price)
              for oid, o in zip(oids, offers)]
    tree = commit(world, awards)
    by_id = dict(zip(oids, offers))
    with reverts("ClearingNoFault", roundId=rid):  # one offer alone is within the asset's power
        cl.challenge_asset(a.auditor, tree, awards[:1], by_id)
    res = cl.challenge_asset(a.auditor, tree, awards, by_id)
    assert res.event("RoundRejected")["fault"] == Fault.ASSET_OVER_COMMITTED
