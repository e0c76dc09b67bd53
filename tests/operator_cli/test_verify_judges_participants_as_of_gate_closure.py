"""`flexledger verify` after a participant's later suspension (issue 9, "everything judged as of
gate closure"): the FSP, the DSO and the TSO of an honest committed round are suspended (and a
role revoked) after it; the auditor's recompute still matches the commitment and exits 0."""

from __future__ import annotations

from domain.roles import Role
from operations.clearing_run import commit_run, run_clearing
from tests.scenarios import populate


def test_verify_still_matches_after_the_rounds_participants_are_suspended(world, cli):
    rid, _, _ = populate(world)
    run = run_clearing(world.ledger, rid)
    assert len(run.tree) > 0
    commit_run(world.ledger, world.actors.operator, run)
    reg, a = world.ledger.registry, world.actors
    for who in (a.fsp, a.dso):
        reg.suspend_participant(a.admin, who.address, "later incident")
    reg.revoke_role(a.admin, Role.TSO, a.tso.address)
    r = cli("flexledger", "verify", rid)
    assert r.code == 0 and "matches the commitment" in r.out and r.err == ""
