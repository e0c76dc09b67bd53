"""Four nodes as separate processes on one anvil: a TSO, a DSO, an FSP and an auditor.

The FSP submits offers through its node; the DSO and TSO see them in their indexes and on their
streams; the operator clears and commits; the auditor's node reports the commitment verified. The
DSO's node is killed with SIGKILL mid-round and restarted: its index ends equal to a reindex.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from gateway.index import Indexer, IndexStore
from ledger.anvil import free_port
from ledger.backends import RpcChain
from ledger.deploy import deploy
from ledger.keys import create_keystore
from ledger.ledger import Ledger
from operations.clearing_run import commit_run, run_clearing
from tests.conftest import build_world, make_actors
from tests.gateway.scenario import sign_in
from tests.market_helpers import make_offer, make_request, open_round

pytestmark = [pytest.mark.anvil, pytest.mark.slow]
FLEXLEDGER = str(Path(sys.executable).parent / "flexledger")
ROOT = Path(__file__).resolve().parents[2]


class NodeProcess:
    def __init__(self, name: str, account, rpc: str, manifest: Path, tmp: Path):
        self.name, self.account, self.rpc, self.manifest = name, account, rpc, manifest
        self.keystore = tmp / f"{name}.json"
        create_keystore(self.keystore, "pw", private_key=account.key, kdf="pbkdf2", iterations=2)
        self.password = tmp / "password"
        self.password.write_text("pw\n")
        self.index = tmp / f"{name}.sqlite"
        self.log = tmp / f"{name}.log"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self) -> "NodeProcess":
        self.proc = subprocess.Popen(
            [FLEXLEDGER, "node", "run", "--identity", str(self.keystore), "--password-file", str(self.password),
             "--rpc", self.rpc, "--manifest", str(self.manifest), "--index", str(self.index), "--port", str(self.port)],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"{self.name} node exited: {self.log.read_text()[-2000:]}"
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{self.name} node did not start"
            time.sleep(0.1)
        self.token = None
        return self

    def client(self) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=60)
        self.token = self.token or sign_in(c, self.account)
        c.headers["Authorization"] = f"Bearer {self.token}"
        return c

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def wait_for(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def collect_stream(node: NodeProcess, into: list, stop: threading.Event) -> None:
    """Read the node's SSE stream into `into` (ids and names) until `stop`."""
    try:
        c = node.client()
        with c.stream("GET", "/stream", params={"since": 0}, timeout=None) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    into.append(json.loads(line[6:]))
                if stop.is_set():
                    return
    except Exception as exc:  # shown by the assertion that waits for the stream
        into.append({"name": "error", "error": repr(exc), "seq": -1})


def test_four_nodes_share_one_ledger_and_a_killed_node_recovers(anvil_node, tmp_path):
    chain = RpcChain(anvil_node.url)
    actors = make_actors()
    manifest = deploy(chain, actors.admin)
    world = build_world(Ledger(chain, manifest), actors)
    mpath = manifest.save(tmp_path / "manifest.json")
    nodes = {name: NodeProcess(name, acct, anvil_node.url, mpath, tmp_path)
             for name, acct in (("tso", actors.tso), ("dso", actors.dso), ("fsp", actors.fsp),
                                ("auditor", actors.auditor))}
    streams: dict[str, list] = {"dso": [], "tso": []}
    stop = threading.Event()
    try:
        for n in nodes.values():
            n.start()
        for name in streams:
            threading.Thread(target=collect_stream, args=(nodes[name], streams[name], stop), daemon=True).start()
        rid, cfg = open_round(world)
        world.ledger.market.post_request(actors.dso, make_request(rid, world.zone, first_slot=1, power_w=(2000, 2000)))
        wait_for(lambda: nodes["fsp"].client().get(f"/rounds/{rid}").status_code == 200, "the round on the FSP node")

        fsp = nodes["fsp"].client()
        ids = []
        for i in range(3):
            r = fsp.post("/flexoffers", json={"offer": make_offer(rid, cfg, world.asset, up=600,
                                                                  activation_price=100_000 + 20_000 * i
                                                                  ).model_dump(mode="json")})
            assert r.status_code == 201, r.text
            ids += r.json()["offer_ids"]
        for name in ("dso", "tso", "auditor"):
            c = nodes[name].client()
            wait_for(lambda: [o["offer_id"] for o in c.get("/flexoffers", params={"round": rid}).json()["items"]]
                     == ids, f"the offers on the {name} node")
        for name in ("dso", "tso"):
            wait_for(lambda: {e["offer_id"] for e in streams[name] if e["name"] == "OfferSubmitted"} >= set(ids),
                     f"the offers on the {name} stream: {streams[name][-3:]}")
            seqs = [e["seq"] for e in streams[name]]
            assert seqs == sorted(set(seqs))  # in order, no repeats

        nodes["dso"].kill()  # mid-round: the offers are in, the clearing is not
        world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
        world.ledger.sync()
        commit_run(world.ledger, actors.operator, run_clearing(world.ledger, rid))

        auditor = nodes["auditor"].client()
        wait_for(lambda: auditor.get(f"/rounds/{rid}").json()["commitments"], "the commitment on the auditor node")
        v = auditor.get(f"/rounds/{rid}/verification").json()
        assert v["ok"] and all(v["checks"].values()), v
        for name in ("tso", "fsp"):
            c = nodes[name].client()
            wait_for(lambda: c.get(f"/rounds/{rid}/awards").json(), f"the awards on the {name} node")

        nodes["dso"].start()
        head = chain.block_number()
        dso = nodes["dso"].client()
        wait_for(lambda: dso.get("/health").json()["indexed_block"] >= head, "the restarted DSO node to catch up")
        assert dso.get(f"/rounds/{rid}/awards").json()
        nodes["dso"].stop()
        fresh = Indexer(chain, manifest, IndexStore(tmp_path / "fresh.sqlite"))
        fresh.sync(to_block=IndexStore(nodes["dso"].index).last_block)
        assert IndexStore(nodes["dso"].index).fingerprint() == fresh.store.fingerprint()
    finally:
        stop.set()
        for n in nodes.values():
            n.stop()
