"""`flexledger` (deploy, round show) and `flexwallet` (the FSP's offers) against a real anvil node, as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ledger.backends import RpcChain
from ledger.ledger import Ledger
from tests.conftest import build_world, make_actors
from tests.market_helpers import make_offer, open_round


def run(module: str, *args):
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120)


def flexledger(*args):
    return run("operator_cli", *args)


def flexwallet(*args):
    return run("wallet_cli", *args)


@pytest.mark.anvil
def test_cli_deploys_submits_an_offer_and_shows_the_round(anvil_node, tmp_path):
    manifest = tmp_path / "manifest.json"
    out = flexledger("deploy", "--rpc", anvil_node.url, "--out", str(manifest), "--dev-account", "0", "--json")
    assert out.returncode == 0, out.stderr
    assert set(json.loads(out.stdout)["contracts"]) >= {"Registry", "Market"}
    ledger = Ledger.attach(RpcChain(anvil_node.url), manifest)
    world = build_world(ledger, make_actors())
    rid, cfg = open_round(world)
    offer_file = tmp_path / "offer.json"
    offer_file.write_text(make_offer(rid, cfg, world.asset).model_dump_json())
    fsp_index = "5"  # make_actors: dev_account(5) is the FSP
    out = flexwallet("offer", "submit", str(offer_file), "--rpc", anvil_node.url, "--manifest", str(manifest),
              "--dev-account", fsp_index, "--json")
    assert out.returncode == 0, out.stderr
    offer_id = json.loads(out.stdout)["offer_id"]
    bad = tmp_path / "bad.json"
    bad.write_text(make_offer(rid, cfg, world.asset, up=9_999).model_dump_json())
    out = flexwallet("offer", "submit", str(bad), "--rpc", anvil_node.url, "--manifest", str(manifest),
              "--dev-account", fsp_index)
    assert out.returncode == 1 and "exceeds the asset's UP limit" in out.stderr and "Traceback" not in out.stderr
    out = flexledger("round", "show", str(rid), "--rpc", anvil_node.url, "--manifest", str(manifest), "--json")
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert [o["id"] for o in shown["offers"]] == [offer_id] and shown["offers"][0]["status"] == "OFFERED"
    out = flexwallet("offer", "show", str(offer_id), "--aau", "--rpc", anvil_node.url, "--manifest", str(manifest))
    assert json.loads(out.stdout)["flexOffer"][0]["flexLedger"]["assetId"] == world.asset
    out = flexwallet("offer", "withdraw", str(offer_id), "--rpc", anvil_node.url, "--manifest", str(manifest),
              "--dev-account", fsp_index)
    assert out.returncode == 0 and "WITHDRAWN" in out.stdout


def test_cli_without_manifest_names_the_problem(tmp_path):
    out = flexledger("round", "show", "1", "--rpc", "http://127.0.0.1:9", "--manifest", str(tmp_path / "none.json"))
    assert out.returncode != 0 and "no deployment manifest" in (out.stdout + out.stderr)
