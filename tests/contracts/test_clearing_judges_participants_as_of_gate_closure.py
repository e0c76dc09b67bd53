"""Issue 9, "everything judged as of gate closure", for participants: only assets were judged as of
gate closure. Now the Registry checkpoints roles and suspension (ParticipantHistory,
`isActiveAsAt`), a fraud proof holds an award to a seller that was not an active FSP, or a buyer
that was not an active DSO or TSO, at gate closure (Fault.ParticipantInactive), and the clearing
engine and the auditor's recompute leave such offers and requests out. A suspension or a role
revocation after gate closure changes neither."""

from __future__ import annotations

from domain.award import Award
from domain.enums import Fault
from domain.roles import Role
from operations.clearing_run import commit_run, run_clearing
from operations.verification import verify_round_commitment
from tests.contracts.clearing_setup import commit, ready_round
from tests.helpers import reverts
from tests.market_helpers import make_offer, make_request, open_round


def test_a_participant_suspended_after_an_honest_commitment_does_not_make_it_challengeable(world):
    r = ready_round(world)
    cl, a, reg = world.ledger.clearing, world.actors, world.ledger.registry
    honest = r.award()
    tree = commit(world, [honest])
    reg.suspend_participant(a.admin, a.fsp.address, "later incident")
    reg.suspend_participant(a.admin, a.dso.address, "later incident")
    with reverts("ClearingNoFault", roundId=r.rid):
        cl.challenge(a.auditor, honest, tree.proof(honest), r.offer, r.dso_request)


def test_a_role_revoked_after_an_honest_commitment_does_not_make_it_challengeable(world):
    r = ready_round(world)
    cl, a, reg = world.ledger.clearing, world.actors, world.ledger.registry
    honest = r.award()
    tree = commit(world, [honest])
    reg.revoke_role(a.admin, Role.FSP, a.fsp.address)
    reg.revoke_role(a.admin, Role.DSO, a.dso.address)
    with reverts("ClearingNoFault", roundId=r.rid):
        cl.challenge(a.auditor, honest, tree.proof(honest), r.offer, r.dso_request)


def _round_with_a_lapse_before_gate_closure(world, lapse, restore):
    """An offer and a need, `lapse` before gate closure and `restore` after it."""
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    q = make_request(rid, world.zone, power_w=(2000,) * 4)
    qid = m.post_request(a.dso, q)
    o = make_offer(rid, cfg, world.asset, up=500)
    oid = m.submit_offer(a.fsp, o)
    lapse()
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    restore()  # after gate closure: the round still saw the lapse
    return Award(rid, oid, qid, 0, (450,) * 4, (450,) * 4, o.reservation_price, o.activation_price), o, q


def test_an_award_to_a_seller_suspended_at_gate_closure_is_a_fault(world):
    reg, a = world.ledger.registry, world.actors
    bad, o, q = _round_with_a_lapse_before_gate_closure(
        world, lambda: reg.suspend_participant(a.admin, a.fsp.address, "fraud inquiry"),
        lambda: reg.reinstate_participant(a.admin, a.fsp.address))
    tree = commit(world, [bad])
    res = world.ledger.clearing.challenge(a.auditor, bad, tree.proof(bad), o, q)
    assert res.event("RoundRejected")["fault"] == Fault.PARTICIPANT_INACTIVE


def test_an_award_to_a_buyer_suspended_at_gate_closure_is_a_fault(world):
    reg, a = world.ledger.registry, world.actors
    bad, o, q = _round_with_a_lapse_before_gate_closure(
        world, lambda: reg.suspend_participant(a.admin, a.dso.address, "unpaid invoices"),
        lambda: reg.reinstate_participant(a.admin, a.dso.address))
    tree = commit(world, [bad])
    res = world.ledger.clearing.challenge(a.auditor, bad, tree.proof(bad), o, q)
    assert res.event("RoundRejected")["fault"] == Fault.PARTICIPANT_INACTIVE


def test_an_award_to_a_buyer_whose_role_was_revoked_before_gate_closure_is_a_fault(world):
    reg, a = world.ledger.registry, world.actors
    bad, o, q = _round_with_a_lapse_before_gate_closure(
        world, lambda: reg.revoke_role(a.admin, Role.DSO, a.dso.address),
        lambda: reg.grant_role(a.admin, Role.DSO, a.dso.address))
    tree = commit(world, [bad])
    res = world.ledger.clearing.challenge(a.auditor, bad, tree.proof(bad), o, q)
    assert res.event("RoundRejected")["fault"] == Fault.PARTICIPANT_INACTIVE


def test_the_auditor_recompute_still_matches_an_honest_round_after_a_later_suspension(world):
    r = ready_round(world)
    a, reg = world.actors, world.ledger.registry
    run = run_clearing(world.ledger, r.rid)
    assert any(aw.request_id == r.dso_req for aw in run.tree.awards)
    commit_run(world.ledger, a.operator, run)
    reg.suspend_participant(a.admin, a.fsp.address, "later incident")
    reg.suspend_participant(a.admin, a.dso.address, "later incident")
    reg.revoke_role(a.admin, Role.TSO, a.tso.address)
    assert verify_round_commitment(world.ledger, r.rid).ok


def test_the_clearing_leaves_out_participants_lapsed_at_gate_closure(world):
    reg, a = world.ledger.registry, world.actors
    bad, _, _ = _round_with_a_lapse_before_gate_closure(
        world, lambda: reg.suspend_participant(a.admin, a.fsp.address, "fraud inquiry"),
        lambda: reg.reinstate_participant(a.admin, a.fsp.address))
    run = run_clearing(world.ledger, bad.round_id)
    assert len(run.tree) == 0 and run.skipped_offers == {bad.offer_id: "owner not an active FSP at gate closure"}


def test_participant_standing_is_read_as_of_a_timestamp(world):
    reg, a, chain = world.ledger.registry, world.actors, world.ledger.chain
    before = chain.now()
    chain.advance_time(10)
    reg.suspend_participant(a.admin, a.fsp.address, "inquiry")
    reg.revoke_role(a.admin, Role.TSO, a.tso.address)
    assert reg.is_active_as_at(Role.FSP, a.fsp.address, before) is True
    assert reg.is_active_as_at(Role.FSP, a.fsp.address, chain.now()) is False
    assert reg.is_active_as_at(Role.TSO, a.tso.address, before) is True
    assert reg.is_active_as_at(Role.TSO, a.tso.address, chain.now()) is False
    assert reg.is_active_as_at(Role.FSP, a.fsp.address, 1) is False  # before it was registered
    assert reg.is_active_as_at(Role.DSO, a.fsp.address, chain.now()) is False  # a role it never held
