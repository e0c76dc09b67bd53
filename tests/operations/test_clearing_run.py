"""Chain → engine → commitment: a cleared round is committed, verifiable, final and confirmable;
re-clearing in a fresh process reproduces the committed root."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from domain.enums import Direction, OfferStatus
from ledger.backends import RpcChain
from ledger.ledger import Ledger
from operations.clearing_run import commit_run, run_clearing
from operations.verification import verify_round_commitment
from tests.conftest import build_world, make_actors
from tests.scenarios import populate


def test_cleared_round_is_committed_verified_finalised_and_confirmed(world):
    rid, cfg, ids = populate(world)
    run = run_clearing(world.ledger, rid)
    assert len(run.tree) > 0 and run.total_cost > 0
    commit_run(world.ledger, world.actors.operator, run)
    v = verify_round_commitment(world.ledger, rid)
    assert v.ok, v.matches
    world.ledger.clearing.attest(world.actors.auditor, rid, v.recomputed_root)
    world.ledger.chain.advance_time(cfg.challenge_window)
    award = run.tree.awards[0]
    offer = run.state.offers[award.offer_id].offer
    world.ledger.clearing.confirm_award(world.actors.fsp, award, run.tree.proof(award), offer)
    assert world.ledger.market.offer_status(award.offer_id) == OfferStatus.AWARDED


def test_every_committed_award_survives_every_challenge(world):
    rid, cfg, ids = populate(world)
    run = run_clearing(world.ledger, rid)
    commit_run(world.ledger, world.actors.operator, run)
    for award in run.tree.awards:
        req = run.state.requests[award.request_id].request
        offer = run.state.offers[award.offer_id].offer
        with pytest.raises(Exception, match="ClearingNoFault"):
            world.ledger.clearing.challenge(world.actors.auditor, award, run.tree.proof(award), offer, req)


@pytest.mark.anvil
def test_re_clearing_in_a_fresh_process_reproduces_the_committed_root(anvil_node, tmp_path):
    ledger = Ledger.deploy(RpcChain(anvil_node.url))
    world = build_world(ledger, make_actors())
    rid, cfg, ids = populate(world)
    manifest = ledger.manifest.save(tmp_path / "manifest.json")
    out = subprocess.run([sys.executable, "-m", "operator_cli", "clear", str(rid), "--rpc", anvil_node.url,
                          "--manifest", str(manifest), "--dev-account", "1", "--json"],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    committed = json.loads(out.stdout)
    out = subprocess.run([sys.executable, "-m", "operator_cli", "verify", str(rid), "--rpc", anvil_node.url,
                          "--manifest", str(manifest), "--json"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    verified = json.loads(out.stdout)
    assert verified["ok"] and verified["recomputed_root"] == committed["awards_root"]
    assert ledger.clearing.commitment(rid).awards_root.hex() == committed["awards_root"][2:]
