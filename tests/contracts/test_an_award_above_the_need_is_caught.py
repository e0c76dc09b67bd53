"""Issue 9, attack 3: over-award against the need. No rule compared a portion with the request: an
award of 4x the requested power was ClearingNoFault and the buyer paid 4x. Now the portions of a
request's awards are summed per slot and compared with its need (powerW * slotLen / 3600 Wh):
`challengeRequest` with the leaves proves Fault.ABOVE_NEED, over one leaf or several."""

from __future__ import annotations

from domain.award import Award
from domain.enums import Fault
from tests.contracts.clearing_setup import BOND, commit, ready_round
from tests.helpers import reverts
from tests.market_helpers import make_offer


def test_one_award_of_four_times_the_need_is_caught(world):
    r = ready_round(world, dso_power=(500,) * 4)  # 500 W = 125 Wh per 15-min slot
    cl, a = world.ledger.clearing, world.actors
    over = r.award(schedule=(500,) * 4)  # 4x the need
    tree = commit(world, [over])
    with reverts("ClearingNoFault", roundId=r.rid):  # the single-award rules still pass it
        cl.challenge(a.auditor, over, tree.proof(over), r.offer, r.dso_request)
    res = cl.challenge_request(a.auditor, tree, [over], r.dso_request)
    ev = res.event("RoundRejected")
    assert ev["fault"] == Fault.ABOVE_NEED and ev["bondSlashed"] == BOND


def test_leaves_of_another_request_cannot_be_counted_against_a_need(world):
    r = ready_round(world, dso_power=(2000,) * 4)  # 500 Wh per slot
    cl, a = world.ledger.clearing, world.actors
    a1 = r.award(schedule=(300,) * 4)
    a2 = r.award(r.tso_req, schedule=(300,) * 4, portion=(0,) * 4)
    tree = commit(world, [a1, a2])
    with reverts("ClearingNoFault", roundId=r.rid):  # 300 Wh <= 500 Wh
        cl.challenge_request(a.auditor, tree, [a1], r.dso_request)
    with reverts("ClearingNotSameRequest"):
        cl.challenge_request(a.auditor, tree, [a1, a2], r.dso_request)


def test_awards_of_several_offers_summing_above_the_need_are_caught(world):
    m, a = world.ledger.market, world.actors
    from tests.market_helpers import open_round, make_request
    rid, cfg = open_round(world)
    q = make_request(rid, world.zone, power_w=(2000,) * 4, max_price=400_000)  # 500 Wh per slot
    qid = m.post_request(a.dso, q)
    offers = [make_offer(rid, cfg, world.asset, up=400, total_min_wh=0, total_max_wh=1600) for _ in range(2)]
    ids = m.submit_offers(a.fsp, offers)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    awards = [Award(rid, oid, qid, 0, (300,) * 4, (300,) * 4, o.reservation_price, o.activation_price)
              for oid, o in zip(ids, offers)]
    tree = commit(world, awards)
    res = world.ledger.clearing.challenge_request(a.auditor, tree, awards, q)
    assert res.event("RoundRejected")["fault"] == Fault.ABOVE_NEED


def test_an_award_within_the_need_cannot_be_challenged(world):
    r = ready_round(world, dso_power=(2000,) * 4)
    honest = r.award()  # 450 Wh <= 500 Wh
    tree = commit(world, [honest])
    with reverts("ClearingNoFault", roundId=r.rid):
        world.ledger.clearing.challenge_request(world.actors.auditor, tree, [honest], r.dso_request)
