"""Issue 9, attack 6: stolen and self-serving challenges. The bond went to msg.sender with no
commit-reveal, so anyone could copy a pending challenge and take the bond, and a fraudulent
operator could challenge its own fraud and lose only gas. Now a challenge must be committed
(bound to its sender) in an earlier block, the round's operator cannot challenge it, and a
proven fault pays the challenger 1/4 of the bond while 3/4 go to the treasury, so fraud
challenged through a friend still costs the operator 3/4 of its bond."""

from __future__ import annotations

from dataclasses import replace

from domain.award import AwardTree
from domain.enums import Fault
from tests.contracts.clearing_setup import BOND, CHALLENGER_SHARE, commit, ready_round
from tests.helpers import reverts


def _bad(world):
    r = ready_round(world)
    bad = replace(r.award(), start_slot=3)  # starts outside the offer's window
    return r, bad, commit(world, [bad])


def test_a_challenge_without_a_prior_commitment_is_refused(world):
    r, bad, tree = _bad(world)
    cl, a = world.ledger.clearing, world.actors
    with reverts("ClearingChallengeNotCommitted"):
        cl.c.transact("challenge", bad.to_chain(), tree.proof(bad), r.offer.to_chain(), r.dso_request.to_chain(),
                      sender=a.auditor)


def test_a_copied_challenge_cannot_use_the_original_commitment(world):
    r, bad, tree = _bad(world)
    cl, a = world.ledger.clearing, world.actors
    args = (bad.to_chain(), tree.proof(bad), r.offer.to_chain(), r.dso_request.to_chain())
    cl.commit_challenge(a.auditor, "challenge", *args)  # the honest challenger commits
    # the copier sees the reveal in the mempool and sends the same call first: its own hash differs
    with reverts("ClearingChallengeNotCommitted"):
        cl.c.transact("challenge", *args, sender=a.outsider)
    # and a commitment made now lands in the same block as its reveal at best
    h = cl.c.call("challengeCommitHash", a.outsider.address, cl.c.encode("challenge", *args))
    world.ledger.chain.mine()
    with reverts("ClearingChallengeNotCommitted", commitHash=h):
        cl.c.transact("challenge", *args, sender=a.outsider)
    res = cl.c.transact("challenge", *args, sender=a.auditor)  # the original challenger is paid
    assert res.event("RoundRejected")["challenger"] == a.auditor.address


def test_a_commitment_is_only_good_in_a_later_block(world):
    r, bad, tree = _bad(world)
    cl, a = world.ledger.clearing, world.actors
    args = (bad.to_chain(), tree.proof(bad), r.offer.to_chain(), r.dso_request.to_chain())
    h = cl.c.call("challengeCommitHash", a.auditor.address, cl.c.encode("challenge", *args))
    cl.c.transact("commitChallenge", h, sender=a.auditor)
    # eth_call at the commitment's block: the reveal would be in the same block
    with reverts("ClearingChallengeTooEarly", commitHash=h):
        cl.c.call("challenge", *args, sender=a.auditor.address)


def test_the_operator_cannot_challenge_its_own_round(world):
    r, bad, tree = _bad(world)
    cl, a = world.ledger.clearing, world.actors
    with reverts("ClearingOwnRound", roundId=r.rid, account=a.operator.address):
        cl.challenge(a.operator, bad, tree.proof(bad), r.offer, r.dso_request)


def test_a_friend_of_the_operator_recovers_only_a_quarter_of_the_bond(world):
    r, bad, tree = _bad(world)
    cl, a = world.ledger.clearing, world.actors
    res = cl.challenge(a.outsider, bad, tree.proof(bad), r.offer, r.dso_request)
    assert res.event("RoundRejected")["fault"] == Fault.START_OUTSIDE_WINDOW
    split = res.event("BondSplit")
    assert split["challengerShare"] == CHALLENGER_SHARE and split["treasuryShare"] == BOND - CHALLENGER_SHARE
    assert cl.slashed_funds() == BOND - CHALLENGER_SHARE
    # the bond is paid out once: nothing left to release
    with reverts("ClearingNotFinal", roundId=r.rid):
        cl.release_bond(a.operator, r.rid)
    # the treasury share goes where ADMIN says
    with reverts("ClearingNotAdmin", account=a.operator.address):
        cl.c.transact("withdrawSlashed", a.operator.address, sender=a.operator)
    before = world.ledger.chain.get_balance(a.dso2.address)
    cl.c.transact("withdrawSlashed", a.dso2.address, sender=a.admin)
    assert world.ledger.chain.get_balance(a.dso2.address) == before + BOND - CHALLENGER_SHARE
    assert cl.slashed_funds() == 0


def test_the_honest_round_pays_the_bond_back(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    commit(world, [r.award()])
    world.ledger.chain.advance_time(r.cfg.challenge_window + 1)
    assert cl.release_bond(a.admin, r.rid).event("BondReturned")["bond"] == BOND
    assert len(AwardTree([r.award()])) == 1
