"""Issue 9, attack 1: hidden awards. Only the root went on-chain, so an operator colluding with an
FSP could commit a leaf nobody else held (2.6x the offer's activation price), and lies in
totalCost/awardCount or a random root became final. Now every award is published with its proof
before the round can become final, only published leaves can be confirmed, and the count and
total cost are recomputed on-chain from the published leaves; a mismatch is slashed."""

from __future__ import annotations

from domain.award import AwardTree
from domain.enums import CommitmentStatus, Fault
from tests.contracts.clearing_setup import BOND, CHALLENGER_SHARE, SPEC, commit, past_window, ready_round
from tests.helpers import reverts


def test_a_hidden_inflated_award_can_never_be_confirmed(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    honest = r.award()
    hidden = r.award(r.tso_req, schedule=(450,) * 4, portion=(0, 0, 0, 450),
                     activation=r.offer.activation_price * 26 // 10)
    tree = AwardTree([honest, hidden])
    # the operator declares one award and the honest cost, and publishes only the honest leaf
    cl.commit(a.operator, r.rid, tree, total_cost=honest.value(900), spec_hash=SPEC, award_count=1, publish=False)
    cl.publish(a.operator, tree, [honest])
    past_window(world, r)
    assert cl.is_final(r.rid)
    with reverts("ClearingAwardNotPublished", leaf=hidden.leaf):
        cl.confirm_award(a.fsp, hidden, tree.proof(hidden), r.offer)
    cl.confirm_award(a.fsp, honest, tree.proof(honest), r.offer)  # the honest path still works


def test_a_published_inflated_award_is_caught_by_an_ordinary_fraud_proof(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    inflated = r.award(activation=r.offer.activation_price * 26 // 10)
    tree = commit(world, [inflated])
    assert cl.published_awards(r.rid) == [inflated]  # anyone reads it from the ledger
    res = cl.challenge(a.auditor, inflated, tree.proof(inflated), r.offer, r.dso_request)
    assert res.event("RoundRejected")["fault"] == Fault.PRICE_NOT_OFFERED


def test_a_round_whose_awards_are_not_published_never_becomes_final_and_is_slashed(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    hidden = r.award()
    commit(world, [hidden], publish=False)
    past_window(world, r)
    assert not cl.is_final(r.rid)
    with reverts("ClearingNotFinal", roundId=r.rid):
        cl.confirm_award(a.fsp, hidden, AwardTree([hidden]).proof(hidden), r.offer)
    res = cl.challenge_publication(a.auditor, r.rid)
    ev = res.event("RoundRejected")
    assert ev["fault"] == Fault.AWARDS_NOT_PUBLISHED and ev["bondSlashed"] == BOND
    assert res.event("BondSplit")["challengerShare"] == CHALLENGER_SHARE


def test_a_random_root_costs_the_operator_its_bond(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    cl.c.transact("commit", r.rid, world.ledger.market.round(r.rid).offer_acc,
                  world.ledger.market.round(r.rid).request_acc, b"\x13" * 32, 1, 1, SPEC, b"\0" * 32, sender=a.operator,
                  value=BOND)
    with reverts("ClearingNoFault", roundId=r.rid):  # still inside the publication period
        cl.challenge_publication(a.auditor, r.rid)
    world.ledger.chain.advance_time(r.cfg.challenge_window // 2 + 1)
    assert cl.challenge_publication(a.auditor, r.rid).event("RoundRejected")["fault"] == Fault.AWARDS_NOT_PUBLISHED
    assert cl.commitment(r.rid).status == CommitmentStatus.REJECTED


def test_a_lie_in_total_cost_is_recomputed_and_slashed(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    award = r.award()
    commit(world, [award], total_cost=award.value(900) * 2)
    assert cl.publication(r.rid).cost == award.value(900)
    past_window(world, r)
    assert not cl.is_final(r.rid)
    assert cl.challenge_publication(a.auditor, r.rid).event("RoundRejected")["fault"] == Fault.TOTAL_COST_MISMATCH


def test_a_lie_in_award_count_is_slashed(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    awards = [r.award(), r.award(r.tso_req, portion=(0,) * 4)]
    tree = commit(world, awards, award_count=1, total_cost=awards[0].value(900))
    assert cl.publication(r.rid).count == 2
    assert cl.challenge_publication(a.auditor, r.rid).event("RoundRejected")["fault"] == Fault.AWARD_COUNT_MISMATCH
    assert len(tree) == 2


def test_publication_closes_half_way_through_the_window(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    award = r.award()
    tree = commit(world, [award], publish=False)
    committed_at = cl.commitment(r.rid).committed_at
    world.ledger.chain.advance_time(r.cfg.challenge_window // 2 + 1)
    with reverts("ClearingPublicationClosed", roundId=r.rid, deadline=committed_at + r.cfg.challenge_window // 2):
        cl.publish(a.operator, tree)


def test_the_honest_round_is_published_final_and_confirmed(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    awards = [r.award(), r.award(r.tso_req, portion=(0,) * 4)]
    tree = commit(world, awards)
    published = cl.c.index.events("AwardPublished", roundId=r.rid)
    assert {ev["leaf"] for ev in published} == {aw.leaf for aw in tree.awards}
    assert all(cl.is_published(r.rid, aw) for aw in awards)
    assert not cl.is_final(r.rid)
    past_window(world, r)
    assert cl.is_final(r.rid)
    cl.confirm_award(a.fsp, awards[0], tree.proof(awards[0]), r.offer)
