"""Issue 9, attack 7: an honest operator robbed. Prequalification was judged on the registry as it
is now: a DSO revoked an asset's prequalification after an honest commitment, challenged, took the
bond and prequalified the asset again. Now fraud proofs (and the off-chain recompute) read the
asset as it stood at gate closure (Registry.assetCoreAt, AssetHistory checkpoints)."""

from __future__ import annotations

from domain.enums import Fault
from operations.verification import verify_round_commitment
from tests.contracts.clearing_setup import commit, ready_round
from tests.helpers import reverts


def test_a_revocation_after_gate_closure_does_not_make_an_honest_award_a_fault(world):
    r = ready_round(world)
    cl, a, reg = world.ledger.clearing, world.actors, world.ledger.registry
    honest = r.award()
    tree = commit(world, [honest])
    reg.revoke_grid_prequalification(a.dso, world.asset, "pretext")
    with reverts("ClearingNoFault", roundId=r.rid):
        cl.challenge(a.dso, honest, tree.proof(honest), r.offer, r.dso_request)
    reg.suspend_asset(a.dso, world.asset, "pretext")
    with reverts("ClearingNoFault", roundId=r.rid):
        cl.challenge(a.dso, honest, tree.proof(honest), r.offer, r.dso_request)


def test_a_revocation_before_gate_closure_is_still_a_fault(world):
    m, a, reg = world.ledger.market, world.actors, world.ledger.registry
    from tests.market_helpers import make_offer, make_request, open_round
    from domain.award import Award
    rid, cfg = open_round(world)
    q = make_request(rid, world.zone, power_w=(2000,) * 4)
    qid = m.post_request(a.dso, q)
    o = make_offer(rid, cfg, world.asset, up=500)
    oid = m.submit_offer(a.fsp, o)
    reg.suspend_asset(a.dso, world.asset, "meter tampering")
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    reg.reinstate_asset(a.dso, world.asset)  # reinstated after gate closure: the round still saw it suspended
    bad = Award(rid, oid, qid, 0, (450,) * 4, (450,) * 4, o.reservation_price, o.activation_price)
    tree = commit(world, [bad])
    res = world.ledger.clearing.challenge(a.auditor, bad, tree.proof(bad), o, q)
    assert res.event("RoundRejected")["fault"] == Fault.ASSET_NOT_PREQUALIFIED


def test_asset_standing_is_read_as_of_a_timestamp(world):
    reg, a = world.ledger.registry, world.actors
    before = world.ledger.chain.now()
    world.ledger.chain.advance_time(10)
    reg.revoke_grid_prequalification(a.dso, world.asset, "feeder fault")
    assert reg.c.call("assetCoreAt", world.asset, before)["gridPrequalified"] is True
    assert reg.c.call("assetCoreAt", world.asset, world.ledger.chain.now())["gridPrequalified"] is False
    assert reg.c.call("assetCoreAt", world.asset, 1)["gridPrequalified"] is False  # before it was registered


def test_the_auditor_recompute_still_matches_an_honest_round_after_a_later_suspension(world):
    from operations.clearing_run import commit_run, run_clearing
    r = ready_round(world)
    a = world.actors
    run = run_clearing(world.ledger, r.rid)
    assert len(run.tree) > 0
    commit_run(world.ledger, a.operator, run)
    world.ledger.registry.suspend_asset(a.dso, world.asset, "later incident")
    assert verify_round_commitment(world.ledger, r.rid).ok
