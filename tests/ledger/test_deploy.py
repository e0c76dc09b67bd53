"""Deployment manifests: saved, reloaded (also in a new process against anvil), verified."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from domain.roles import Role
from ledger.accounts import dev_account
from ledger.backends import EmbeddedChain, RpcChain
from ledger.deploy import Manifest, deploy
from ledger.errors import ManifestError
from ledger.ledger import Ledger


def test_manifest_round_trips_through_json_and_verifies(tmp_path):
    chain = EmbeddedChain()
    manifest = deploy(chain, dev_account(0))
    path = manifest.save(tmp_path / "m.json")
    loaded = Manifest.load(path, chain)
    assert loaded == manifest
    assert loaded.chain_id == chain.chain_id and loaded.deploy_block >= 1
    assert set(loaded.contracts) >= {"Registry"}


def test_manifest_pointing_at_other_code_is_refused(tmp_path):
    chain = EmbeddedChain()
    manifest = deploy(chain, dev_account(0))
    probe = deploy(chain, dev_account(0), plan=[("PrimitivesProbe", lambda a, d: ("X", "1"))])
    manifest.contracts["Registry"].address = probe.address("PrimitivesProbe")
    manifest.contracts["Registry"].code_hash = probe.contracts["PrimitivesProbe"].code_hash
    with pytest.raises(ManifestError, match="not the committed artifact"):
        manifest.verify(chain)


def test_manifest_for_another_chain_is_refused():
    chain = EmbeddedChain()
    manifest = deploy(chain, dev_account(0))
    wrong_chain = Manifest.from_json(manifest.to_json().replace(str(manifest.chain_id), "1", 1))
    with pytest.raises(ManifestError, match="manifest is for chain 1"):
        wrong_chain.verify(chain)


def test_manifest_with_a_wrong_code_hash_is_refused():
    chain = EmbeddedChain()
    manifest = deploy(chain, dev_account(0))
    manifest.contracts["Registry"].code_hash = "0x" + "00" * 32
    with pytest.raises(ManifestError, match="code hash"):
        manifest.verify(chain)


def test_manifest_missing_fields_is_refused_as_malformed():
    with pytest.raises(ManifestError, match="malformed"):
        Manifest.from_json('{"version": 1, "chain_id": 5}')


def test_manifest_of_an_unknown_version_is_refused():
    with pytest.raises(ManifestError, match="version"):
        Manifest.from_json(json.dumps({"version": 9}))


RELOAD_SCRIPT = """
import sys
from domain.roles import Role
from ledger.ledger import Ledger
ledger = Ledger.attach(sys.argv[1], sys.argv[2])
print(ledger.registry.has_role(Role.DSO, sys.argv[3]), len(ledger.index.events("ParticipantRegistered")))
"""


@pytest.mark.anvil
def test_saved_manifest_reloads_in_a_new_process_against_anvil(anvil_node, tmp_path):
    chain = RpcChain(anvil_node.url)
    ledger = Ledger.deploy(chain)
    dso = dev_account(1)
    ledger.registry.register_participant(dev_account(0), dso.address, Role.DSO, "DSO North", "10X-DSO-N")
    path = ledger.manifest.save(tmp_path / "manifest.json")
    out = subprocess.run([sys.executable, "-c", RELOAD_SCRIPT, anvil_node.url, str(path), dso.address],
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["True", "2"]  # the admin (constructor) and the DSO
