"""`flexledger node run --local --state FILE`: starts the pinned anvil on loopback, deploys when the
manifest next to the state file is missing, serves /health; stopped and started again from the state
file it redeploys nothing, loses no event and repeats none, and its index equals a reindex."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from domain.roles import Role
from gateway.index import Indexer, IndexStore
from ledger.accounts import dev_account
from ledger.anvil import Anvil, free_port
from ledger.backends import RpcChain
from ledger.deploy import Manifest
from ledger.keys import create_keystore
from ledger.ledger import Ledger
from tests.gateway.scenario import sign_in

FLEXLEDGER = str(Path(sys.executable).parent / "flexledger")
ROOT = Path(__file__).resolve().parents[2]


class LocalNode:
    def __init__(self, tmp: Path):
        self.admin = dev_account(0)
        self.keystore, self.password = tmp / "admin.json", tmp / "password"
        create_keystore(self.keystore, "pw", private_key=self.admin.key, kdf="pbkdf2", iterations=2)
        self.password.write_text("pw\n")
        self.state = tmp / "node" / "state.json"
        self.log = tmp / "node.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> tuple[str, str]:
        """Start the node; (its API URL, the anvil JSON-RPC URL it printed)."""
        port = free_port()
        self.log.write_text("")
        self.proc = subprocess.Popen(
            [FLEXLEDGER, "node", "run", "--identity", str(self.keystore), "--password-file", str(self.password),
             "--local", "--state", str(self.state), "--port", str(port)],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400"}, cwd=ROOT)
        url = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 240  # deploying on anvil under load
        while True:
            assert self.proc.poll() is None, f"node exited: {self.log.read_text()[-3000:]}"
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"node did not start: {self.log.read_text()[-3000:]}"
            time.sleep(0.2)
        rpc = re.search(r" on (http://127\.0\.0\.1:\d+): gateway", self.log.read_text())
        assert rpc, self.log.read_text()
        return url, rpc.group(1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
                raise AssertionError("the node did not stop on SIGTERM")


def events(client: httpx.Client) -> list[tuple]:
    out, cursor = [], None
    while True:
        page = client.get("/events", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        out += [(e["seq"], e["block"], e["log_index"], e["name"]) for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def wait_for(predicate, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.anvil
def test_a_local_node_deploys_once_serves_and_restarts_from_its_state_file_losing_nothing(tmp_path):
    node = LocalNode(tmp_path)
    fsp = dev_account(5)
    manifest = node.state.parent / "manifest.json"
    try:
        url, rpc = node.start()
        assert manifest.exists(), "the node deployed and wrote the manifest next to the state file"
        health = httpx.get(url + "/health").json()
        deployed = Manifest.load(manifest)
        assert health["status"] == "ok" and health["chain_id"] == deployed.chain_id
        assert health["node_identity"] == node.admin.address and deployed.admin == node.admin.address
        assert rpc.startswith("http://127.0.0.1:")

        ledger = Ledger(RpcChain(rpc), deployed)
        ledger.registry.register_participant(node.admin, fsp.address, Role.FSP, "Aggregator L", "10X-LOCAL")
        client = httpx.Client(base_url=url, timeout=60)
        client.headers["Authorization"] = f"Bearer {sign_in(client, fsp)}"
        wait_for(lambda: client.get(f"/participants/{fsp.address}").status_code == 200, "the participant indexed")
        before = events(client)
        assert any(e[3] == "ParticipantRegistered" for e in before)
        manifest_text = manifest.read_text()
    finally:
        node.stop()
    assert node.state.exists() and node.state.stat().st_size > 0, "anvil wrote its state on stop"
    with pytest.raises(httpx.HTTPError):
        httpx.post(rpc, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}, timeout=2)

    try:
        url, rpc = node.start()
        assert manifest.read_text() == manifest_text, "no second deployment"
        ledger = Ledger(RpcChain(rpc), Manifest.load(manifest))
        ledger.manifest.verify(ledger.chain)  # the same contracts, restored from the state file
        assert ledger.registry.participant(fsp.address)["registered"]
        client = httpx.Client(base_url=url, timeout=60)
        client.headers["Authorization"] = f"Bearer {sign_in(client, fsp)}"
        assert client.get(f"/participants/{fsp.address}").json()["role"] == "FSP"
        after = events(client)
        assert after == before, "every event kept, none repeated, ids unchanged"
        index = next(node.state.parent.glob("index-*.sqlite"))
    finally:
        node.stop()
    anvil = Anvil.start(node.state)  # the node stopped its anvil: the chain again from the state file
    try:
        fresh = Indexer(RpcChain(anvil.url), Manifest.load(manifest), IndexStore(tmp_path / "fresh.sqlite"))
        fresh.reindex()
        assert IndexStore(index).fingerprint() == fresh.store.fingerprint()
    finally:
        anvil.stop()
