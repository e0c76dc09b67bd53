"""ClearingHouse: commitments with a bond, one fraud proof per rule, attestations, finality, confirmation."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from domain.enums import CommitmentStatus, Direction, Fault, OfferStatus
from ledger.messages import FlexOffer
from domain.award import Award, AwardTree
from tests.contracts.clearing_setup import BOND, CHALLENGER_SHARE, SPEC, Round, commit
from tests.helpers import reverts
from tests.market_helpers import make_offer, make_request, open_round


@dataclass
class Cleared(Round):
    """clearing_setup's round (its own prices and offer) plus a second offer, withdrawn before gate closure."""
    extra_id: int  # a second offer, withdrawn before gate closure
    extra: FlexOffer


@pytest.fixture
def cleared(world) -> Cleared:
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    dso_request = make_request(rid, world.zone, power_w=(2000, 2000, 2000, 2000), max_price=400_000)
    tso_request = make_request(rid, 0, power_w=(4000,) * 8, max_price=300_000)
    dso_req = m.post_request(a.dso, dso_request)
    tso_req = m.post_request(a.tso, tso_request)
    offer = make_offer(rid, cfg, world.asset, up=500, total_min_wh=0, total_max_wh=1800)
    extra = make_offer(rid, cfg, world.asset, up=300)
    offer_id, extra_id = m.submit_offers(a.fsp, [offer, extra])
    m.withdraw_offer(a.fsp, extra_id)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    return Cleared(rid, cfg, offer_id, offer, dso_req, dso_request, tso_req, tso_request, extra_id, extra)


def good_award(c: Cleared, **changes) -> Award:
    return replace(c.award(), **changes)  # 450 Wh per slot to the DSO at the offer's prices


def assert_rejected_and_bond_paid(world, result, fault: Fault):
    chain, who = world.ledger.chain, world.actors.auditor.address
    ev = result.event("RoundRejected")
    assert ev["fault"] == fault and ev["bondSlashed"] == BOND and ev["challenger"] == who
    assert world.ledger.clearing.slashed_funds() == BOND - CHALLENGER_SHARE
    assert chain.get_balance(world.ledger.clearing.address) == BOND - CHALLENGER_SHARE


def challenge(world, c: Cleared, tree: AwardTree, award: Award, offer=None, request=None):
    offer = offer or c.offer
    request = request or (c.dso_request if award.request_id == c.dso_req else c.tso_request)
    before = world.ledger.chain.get_balance(world.actors.auditor.address)
    res = world.ledger.clearing.challenge(world.actors.auditor, award, tree.proof(award), offer, request)
    fees = sum(r.receipt["gasUsed"] * r.receipt["effectiveGasPrice"]
               for r in (res, *world.ledger.clearing.last_commit_txs))
    assert world.ledger.chain.get_balance(world.actors.auditor.address) == before - fees + CHALLENGER_SHARE
    return res


# ---- commitment -------------------------------------------------------------------------

def test_operator_commits_with_bond_and_event(world, cleared):
    tree = commit(world, [good_award(cleared)])
    ev = world.ledger.index.last("RoundCommitted", roundId=cleared.rid)
    assert ev["awardsRoot"] == tree.root and ev["bond"] == BOND and ev["attempt"] == 1 and ev["specHash"] == SPEC
    c = world.ledger.clearing.commitment(cleared.rid)
    assert c.status == CommitmentStatus.PENDING and c.award_count == 1
    assert c.offer_acc == world.ledger.market.round(cleared.rid).offer_acc


def test_commit_by_a_non_operator_is_refused(world, cleared):
    cl, a = world.ledger.clearing, world.actors
    with reverts("ClearingNotOperator", account=a.fsp.address):
        cl.commit(a.fsp, cleared.rid, AwardTree([good_award(cleared)]), total_cost=1, spec_hash=SPEC)


def test_commit_with_a_bond_below_the_minimum_is_refused(world, cleared):
    cl, a = world.ledger.clearing, world.actors
    with reverts("ClearingBondTooLow", sent=1, required=BOND):
        cl.commit(a.operator, cleared.rid, AwardTree([good_award(cleared)]), total_cost=1, spec_hash=SPEC, bond=1)


def test_commit_over_other_offers_than_the_rounds_is_refused(world, cleared):
    cl, a = world.ledger.clearing, world.actors
    with reverts("ClearingAccumulatorMismatch", which="offers"):
        cl.commit(a.operator, cleared.rid, AwardTree([good_award(cleared)]), total_cost=1, spec_hash=SPEC,
                  offer_acc=b"\1" * 32)


def test_commit_over_other_requests_than_the_rounds_is_refused(world, cleared):
    cl, a = world.ledger.clearing, world.actors
    with reverts("ClearingAccumulatorMismatch", which="requests"):
        cl.commit(a.operator, cleared.rid, AwardTree([good_award(cleared)]), total_cost=1, spec_hash=SPEC,
                  request_acc=b"\1" * 32)


def test_commit_for_an_unknown_round_is_refused(world, cleared):
    cl, a = world.ledger.clearing, world.actors
    tree = AwardTree([good_award(cleared)])
    with reverts("ClearingUnknownRound", roundId=77):
        cl.c.transact("commit", 77, b"\0" * 32, b"\0" * 32, tree.root, 1, 1, SPEC, b"\0" * 32, sender=a.operator,
                      value=BOND)


def test_a_second_commit_of_a_pending_round_is_refused(world, cleared):
    cl, a = world.ledger.clearing, world.actors
    tree = AwardTree([good_award(cleared)])
    cl.commit(a.operator, cleared.rid, tree, total_cost=1, spec_hash=SPEC)
    with reverts("ClearingAlreadyCommitted", roundId=cleared.rid):
        cl.commit(a.operator, cleared.rid, tree, total_cost=1, spec_hash=SPEC)


def test_commit_before_gate_closure_is_refused(world):
    rid, cfg = open_round(world)
    tree = AwardTree([Award(rid, 1, 1, 0, (1,), (1,), 0, 0)])
    with reverts("ClearingGateOpen", roundId=rid, gateClosure=cfg.gate_closure):
        world.ledger.clearing.commit(world.actors.operator, rid, tree, total_cost=0, spec_hash=SPEC)


def test_commit_after_the_clearing_deadline_is_refused(world):
    rid, cfg = open_round(world)
    tree = AwardTree([Award(rid, 1, 1, 0, (1,), (1,), 0, 0)])
    world.ledger.chain.advance_time(cfg.clearing_deadline - world.ledger.chain.now())
    with reverts("ClearingDeadlinePassed", roundId=rid, deadline=cfg.clearing_deadline):
        world.ledger.clearing.commit(world.actors.operator, rid, tree, total_cost=0, spec_hash=SPEC)


# ---- fraud proofs: one per rule -----------------------------------------------------------

def test_correct_award_cannot_be_challenged(world, cleared):
    tree = commit(world, [good_award(cleared)])
    with reverts("ClearingNoFault", roundId=cleared.rid):
        world.ledger.clearing.challenge(world.actors.auditor, tree.awards[0], tree.proof(tree.awards[0]),
                                        cleared.offer, cleared.dso_request)
    assert world.ledger.clearing.commitment(cleared.rid).status == CommitmentStatus.PENDING


@pytest.mark.parametrize("changes,fault", [
    (dict(start_slot=3), Fault.START_OUTSIDE_WINDOW),           # window is slots 0..2
    (dict(schedule=(501, 450, 450, 450), portion=(501, 450, 450, 450)), Fault.SLICE_OUT_OF_BOUNDS),
    (dict(schedule=(500, 500, 500, 500), portion=(500, 500, 500, 500)), Fault.TOTAL_OUT_OF_BOUNDS),  # max 1800
    (dict(schedule=(450, 450, 450), portion=(450, 450, 450)), Fault.BAD_SCHEDULE_LENGTH),
    (dict(portion=(451, 450, 450, 450)), Fault.PORTION_EXCEEDS_SCHEDULE),
    (dict(activation_price=150_001), Fault.PRICE_NOT_OFFERED),  # pay-as-bid: the offer's price only
    (dict(schedule=(450, 450, 450, 0), portion=(450, 450, 450, 0), start_slot=2), Fault.OUTSIDE_REQUEST_SLOTS),
])
def test_wrong_award_is_caught_and_bond_moves_to_challenger(world, cleared, changes, fault):
    bad = good_award(cleared, **changes)
    tree = commit(world, [bad])
    assert_rejected_and_bond_paid(world, challenge(world, cleared, tree, bad), fault)
    assert world.ledger.clearing.commitment(cleared.rid).status == CommitmentStatus.REJECTED


def test_award_for_unknown_offer_is_caught(world, cleared):
    bad = good_award(cleared, offer_id=999)
    tree = commit(world, [bad])
    assert_rejected_and_bond_paid(world, challenge(world, cleared, tree, bad), Fault.UNKNOWN_OFFER)


def test_award_for_withdrawn_offer_is_caught(world, cleared):
    bad = good_award(cleared, offer_id=cleared.extra_id, schedule=(300,) * 4, portion=(300,) * 4)
    tree = commit(world, [bad])
    assert_rejected_and_bond_paid(world, challenge(world, cleared, tree, bad, offer=cleared.extra), Fault.OFFER_NOT_LIVE)


def test_award_for_asset_not_prequalified_at_gate_closure_is_caught(world):
    # prequalification is judged as of gate closure (a revocation after it is no fault: see
    # tests/contracts/test_clearing_judges_assets_as_of_gate_closure.py)
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    req = make_request(rid, world.zone, power_w=(2000,) * 4)
    req_id = m.post_request(a.dso, req)
    offer = make_offer(rid, cfg, world.asset, up=500)
    oid = m.submit_offer(a.fsp, offer)
    world.ledger.registry.revoke_grid_prequalification(a.dso, world.asset, "feeder fault")
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    bad = Award(rid, oid, req_id, 0, (450,) * 4, (450,) * 4, offer.reservation_price, offer.activation_price)
    tree = commit(world, [bad])
    c = Cleared(rid, cfg, oid, offer, req_id, req, 0, req, 0, offer)
    assert_rejected_and_bond_paid(world, challenge(world, c, tree, bad), Fault.ASSET_NOT_PREQUALIFIED)


def challenge_in_fresh_round(world, buyer, make_req, *, up=500, down=0, schedule=(500,) * 4):
    """A fresh round with one request and one offer, an award of `schedule` committed and challenged."""
    rid, cfg = open_round(world)
    m, a = world.ledger.market, world.actors
    req = make_req(rid)
    req_id = m.post_request(buyer, req)
    offer = make_offer(rid, cfg, world.asset, up=up, down=down)
    oid = m.submit_offer(a.fsp, offer)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    bad = Award(rid, oid, req_id, 0, schedule, schedule, offer.reservation_price, offer.activation_price)
    tree = commit(world, [bad])
    res = world.ledger.clearing.challenge(a.auditor, bad, tree.proof(bad), offer, req)
    return res.event("RoundRejected")["fault"]


def test_award_to_a_request_of_another_zone_is_caught(world, cleared):
    fault = challenge_in_fresh_round(world, world.actors.dso2,
                                     lambda rid: make_request(rid, world.zone2, power_w=(2000,) * 4))
    assert fault == Fault.ZONE_MISMATCH


def test_award_above_the_request_price_cap_is_caught(world, cleared):
    # the offer's combined price is 2000 * 4 + 150000 = 158000 per kWh, above the request's cap of 100000
    fault = challenge_in_fresh_round(world, world.actors.tso,
                                     lambda rid: make_request(rid, 0, power_w=(4000,) * 4, max_price=100_000))
    assert fault == Fault.PRICE_ABOVE_CAP


def test_award_in_the_wrong_direction_is_caught(world, cleared):
    fault = challenge_in_fresh_round(
        world, world.actors.dso,
        lambda rid: make_request(rid, world.zone, direction=Direction.DOWN, power_w=(2000,) * 4),
        down=500, schedule=(400,) * 4)
    assert fault == Fault.WRONG_DIRECTION


def test_offer_sold_twice_is_caught_with_a_pair_proof(world, cleared):
    to_dso = good_award(cleared)
    to_tso = good_award(cleared, request_id=cleared.tso_req)  # same 450 Wh schedule, sold again in full
    tree = commit(world, [to_dso, to_tso])
    res = world.ledger.clearing.challenge_pair(world.actors.auditor, to_dso, tree.proof(to_dso), to_tso,
                                               tree.proof(to_tso))
    assert_rejected_and_bond_paid(world, res, Fault.OVER_CAPACITY)


def test_inconsistent_awards_of_one_offer_are_caught(world, cleared):
    a1 = good_award(cleared, portion=(200,) * 4)
    a2 = good_award(cleared, request_id=cleared.tso_req, schedule=(400,) * 4, portion=(200,) * 4)
    tree = commit(world, [a1, a2])
    res = world.ledger.clearing.challenge_pair(world.actors.auditor, a1, tree.proof(a1), a2, tree.proof(a2))
    assert res.event("RoundRejected")["fault"] == Fault.INCONSISTENT_AWARDS


def test_a_correct_split_between_dso_and_tso_cannot_be_challenged(world, cleared):
    a1 = good_award(cleared, portion=(250,) * 4)
    a2 = good_award(cleared, request_id=cleared.tso_req, portion=(200,) * 4)
    tree = commit(world, [a1, a2])
    with reverts("ClearingNoFault"):
        world.ledger.clearing.challenge_pair(world.actors.auditor, a1, tree.proof(a1), a2, tree.proof(a2))
    for award in (a1, a2):
        with reverts("ClearingNoFault"):
            world.ledger.clearing.challenge(world.actors.auditor, award, tree.proof(award), cleared.offer,
                                            cleared.dso_request if award.request_id == cleared.dso_req
                                            else cleared.tso_request)


def test_a_pair_challenge_naming_one_award_twice_is_refused(world, cleared):
    a1 = good_award(cleared, portion=(250,) * 4)
    tree = commit(world, [a1, good_award(cleared, request_id=cleared.tso_req, portion=(200,) * 4)])
    with reverts("ClearingNotAPair"):
        world.ledger.clearing.challenge_pair(world.actors.auditor, a1, tree.proof(a1), a1, tree.proof(a1))


def test_challenge_with_a_forged_proof_is_refused(world, cleared):
    good = good_award(cleared)
    tree = commit(world, [good, good_award(cleared, portion=(100,) * 4, request_id=cleared.tso_req)])
    forged = good_award(cleared, start_slot=3)
    with reverts("ClearingInvalidProof", roundId=cleared.rid):
        world.ledger.clearing.challenge(world.actors.auditor, forged, tree.proof(good), cleared.offer,
                                        cleared.dso_request)


def test_challenge_after_the_window_is_refused(world, cleared):
    good = good_award(cleared)
    tree = commit(world, [good, good_award(cleared, portion=(100,) * 4, request_id=cleared.tso_req)])
    world.ledger.chain.advance_time(cleared.cfg.challenge_window)
    with reverts("ClearingNotChallengeable", roundId=cleared.rid):
        world.ledger.clearing.challenge(world.actors.auditor, good, tree.proof(good), cleared.offer,
                                        cleared.dso_request)


def test_challenge_that_misstates_the_offer_is_refused_by_name(world, cleared):
    good = good_award(cleared)
    tree = commit(world, [good])
    cl, who = world.ledger.clearing, world.actors.auditor
    with reverts("ClearingOfferMismatch", offerId=cleared.offer_id):
        cl.challenge(who, good, tree.proof(good), cleared.extra, cleared.dso_request)
    assert cl.commitment(cleared.rid).status == CommitmentStatus.PENDING


def test_challenge_that_misstates_the_request_is_refused_by_name(world, cleared):
    good = good_award(cleared)
    tree = commit(world, [good])
    cl, who = world.ledger.clearing, world.actors.auditor
    with reverts("ClearingRequestMismatch", requestId=cleared.dso_req):
        cl.challenge(who, good, tree.proof(good), cleared.offer, cleared.tso_request)
    assert cl.commitment(cleared.rid).status == CommitmentStatus.PENDING


def test_rejected_round_can_be_cleared_again(world, cleared):
    bad = good_award(cleared, start_slot=3)
    tree = commit(world, [bad])
    challenge(world, cleared, tree, bad)
    tree2 = commit(world, [good_award(cleared)])
    c = world.ledger.clearing.commitment(cleared.rid)
    assert c.attempt == 2 and c.status == CommitmentStatus.PENDING and c.awards_root == tree2.root


# ---- auditors, finality, confirmation -----------------------------------------------------

def test_auditors_attest_or_dispute_the_root(world, cleared):
    tree = commit(world, [good_award(cleared)])
    cl, a = world.ledger.clearing, world.actors
    assert cl.attest(a.auditor, cleared.rid, tree.root).event("AuditorAttested")["awardsRoot"] == tree.root
    ev = cl.attest(a.auditor, cleared.rid, b"\7" * 32).event("AuditorDisputed")
    assert ev["committedRoot"] == tree.root and ev["recomputedRoot"] == b"\7" * 32
    with reverts("ClearingNotAuditor", account=a.fsp.address):
        cl.attest(a.fsp, cleared.rid, tree.root)


def test_fsp_confirming_before_the_window_closes_is_refused(world, cleared):
    award = good_award(cleared)
    tree = commit(world, [award])
    with reverts("ClearingNotFinal", roundId=cleared.rid):
        world.ledger.clearing.confirm_award(world.actors.fsp, award, tree.proof(award), cleared.offer)


def test_confirming_another_fsps_award_is_refused(world, cleared):
    award = good_award(cleared)
    tree = commit(world, [award])
    world.ledger.chain.advance_time(cleared.cfg.challenge_window)
    with reverts("ClearingNotAssetOwner", account=world.actors.fsp2.address):
        world.ledger.clearing.confirm_award(world.actors.fsp2, award, tree.proof(award), cleared.offer)


def test_confirming_an_award_twice_is_refused(world, cleared):
    award = good_award(cleared)
    tree = commit(world, [award])
    world.ledger.chain.advance_time(cleared.cfg.challenge_window)
    world.ledger.clearing.confirm_award(world.actors.fsp, award, tree.proof(award), cleared.offer)
    with reverts("ClearingAlreadyConfirmed"):
        world.ledger.clearing.confirm_award(world.actors.fsp, award, tree.proof(award), cleared.offer)


def test_fsp_confirms_award_after_the_window_and_the_bond_returns(world, cleared):
    award = good_award(cleared)
    tree = commit(world, [award, good_award(cleared, request_id=cleared.tso_req, portion=(0,) * 4)])
    cl, a = world.ledger.clearing, world.actors
    world.ledger.chain.advance_time(cleared.cfg.challenge_window)
    assert cl.is_final(cleared.rid)
    res = cl.confirm_award(a.fsp, award, tree.proof(award), cleared.offer)
    assert res.event("AwardConfirmed")["leaf"] == award.leaf and cl.is_confirmed(award)
    assert world.ledger.market.offer_status(cleared.offer_id) == OfferStatus.AWARDED
    second = tree.awards[1]
    cl.confirm_award(a.fsp, second, tree.proof(second), cleared.offer)  # the offer's other award
    before = world.ledger.chain.get_balance(a.operator.address)
    res = cl.release_bond(a.auditor, cleared.rid)
    assert res.event("BondReturned")["bond"] == BOND
    assert world.ledger.chain.get_balance(a.operator.address) == before + BOND
