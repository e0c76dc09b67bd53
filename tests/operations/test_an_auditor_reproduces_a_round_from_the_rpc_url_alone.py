"""An auditor with only an RPC URL and the manifest reproduces a round cleared under DSO zone
limits byte for byte in a fresh process, traces every settlement with `flexledger audit round`,
and a third party re-checks the evidence bundle (`flexledger audit check`) and, independently,
its proofs and signatures with OpenZeppelin's merkle-tree and ethers under Node."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from eth_utils import keccak

from ledger.backends import RpcChain
from ledger.ledger import Ledger
from operations.audit_evidence import gather
from tests.conftest import build_world, make_actors
from tests.operations.audit_setup import settled_round

ROOT = Path(__file__).resolve().parents[2]
VERIFY = ROOT / "contracts" / "tools" / "verify_bundle.mjs"


def _node(bundle: dict, tmp_path: Path, name: str) -> tuple[int, dict]:
    path = tmp_path / name
    path.write_text(json.dumps(bundle))
    out = subprocess.run(["node", str(VERIFY), str(path)], cwd=ROOT / "contracts", capture_output=True, text=True,
                         timeout=60)
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1])


def test_node_checks_the_bundles_proofs_and_signatures_independently(world, tmp_path):
    s = settled_round(world)
    bundle = gather(world.ledger, s.rid, recompute=False)
    code, res = _node(bundle, tmp_path, "bundle.json")
    assert code == 0 and res["proofs_ok"] == len(bundle["awards"]) and res["signatures_ok"] == 4, res
    forged = copy.deepcopy(bundle)
    p = forged["awards"][0]["proof"]
    forged["awards"][0]["award"]["activationPrice"] += 1  # a leaf the root does not hold
    r = forged["awards"][0]["readings"][1]
    r["energy_wh"] += 1  # a reading the device did not sign
    code, res = _node(forged, tmp_path, "forged.json")
    assert code == 1 and res["proofs_bad"] == [forged["awards"][0]["leaf"]] and len(res["signatures_bad"]) == 1, (p, res)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "operator_cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.anvil
def test_a_round_cleared_with_zone_limits_is_reproduced_and_traced_from_the_rpc_url_alone(anvil_node, tmp_path):
    ledger = Ledger.deploy(RpcChain(anvil_node.url))
    world = build_world(ledger, make_actors())
    s = settled_round(world, zone_up=400)
    assert s.run.grid.zone_limits and max(s.run.tree.awards[0].portion) <= 400
    manifest = ledger.manifest.save(tmp_path / "manifest.json")
    # byte for byte: the canonical result's bytes from a fresh process that has the URL and the manifest only
    out = subprocess.run([sys.executable, "-m", "operations.audit_recompute", "--rpc", anvil_node.url,
                          "--manifest", str(manifest), "--round", str(s.rid)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    fresh = json.loads(out.stdout.strip().splitlines()[-1])
    assert fresh["result_keccak"] == "0x" + keccak(s.run.result.to_json_bytes()).hex()
    assert fresh["awards_root"] == "0x" + ledger.clearing.commitment(s.rid).awards_root.hex()
    # the trace: every link green, a Markdown report and a bundle
    r = _cli("audit", "round", str(s.rid), "--rpc", anvil_node.url, "--manifest", str(manifest),
             "--report", str(tmp_path / "audit.md"), "--bundle", str(tmp_path / "bundle.json"), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    assert report["ok"] and report["traces"] and all(c["ok"] for t in report["traces"] for c in t["checks"])
    assert "every link holds" in (tmp_path / "audit.md").read_text()
    # a third party: the bundle and the RPC URL
    r = _cli("audit", "check", str(tmp_path / "bundle.json"), "--rpc", anvil_node.url, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    bundle = json.loads((tmp_path / "bundle.json").read_text())
    bundle["awards"][0]["offer"]["args"]["version"] += 1  # a forged offer version in the bundle
    (tmp_path / "forged.json").write_text(json.dumps(bundle))
    r = _cli("audit", "check", str(tmp_path / "forged.json"), "--rpc", anvil_node.url)
    assert r.returncode == 1 and "broken link offer" in r.stderr, r.stdout + r.stderr
