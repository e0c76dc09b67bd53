"""Node mode: one participant's node on a shared ledger (`flexledger node run` / `node reindex`).

    run_node(identity, rpc=URL, manifest=FILE)          attach to a JSON-RPC ledger
    run_node(identity, local=True, state=FILE)          start the pinned anvil on loopback with a state
                                                        file; deploy (the identity as admin) if the
                                                        manifest next to it has no deployment yet

Either way the node keeps its SQLite index (default next to the manifest, one per identity), follows
the chain in a background thread and serves the gateway with uvicorn on loopback.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from ledger.anvil import Anvil
from ledger.backends import connect
from ledger.deploy import Manifest, deploy
from ledger.ledger import Ledger
from ledger.signer import Signer

from gateway.app import create_app
from gateway.context import NodeContext
from gateway.index import Indexer, IndexStore

log = logging.getLogger("gateway.node")


@dataclass
class NodePlan:
    rpc: str
    manifest: Path
    index: Path
    anvil: Anvil | None = None


def default_index(manifest: Path, identity: Signer) -> Path:
    return manifest.parent / f"index-{identity.address[2:10].lower()}.sqlite"


def prepare(identity: Signer, *, rpc: str | None = None, manifest: Path | None = None, local: bool = False,
            state: Path | None = None, rpc_port: int | None = None, index: Path | None = None) -> NodePlan:
    """Reach the ledger (starting anvil and deploying when `local`) and decide where the index lives."""
    anvil = None
    if local:
        state = Path(state or "var/node/state.json")
        anvil = Anvil.start(state, port=rpc_port, log_file=state.parent / "anvil.log")
        rpc = anvil.url
        manifest = Path(manifest or state.parent / "manifest.json")
        if not manifest.exists():
            deploy(connect(rpc), identity).save(manifest)
            log.info("deployed the contracts to %s; manifest %s", rpc, manifest)
    if rpc is None or manifest is None:
        raise ValueError("give --rpc URL and --manifest FILE, or --local")
    return NodePlan(rpc, Path(manifest), Path(index or default_index(Path(manifest), identity)), anvil)


def run_node(identity: Signer, plan: NodePlan, *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the gateway for `identity` until interrupted (then stop the local anvil, if any).

    uvicorn re-raises the SIGTERM it caught once it has shut down; with Python's default handler that
    would end the process before the `finally` below and leave the local anvil running, so SIGTERM
    becomes a SystemExit here (SIGINT already raises KeyboardInterrupt)."""
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if threading.current_thread() is \
        threading.main_thread() else None
    try:
        ledger = Ledger(connect(plan.rpc), Manifest.load(plan.manifest))
        ledger.manifest.verify(ledger.chain)
        ctx = NodeContext(ledger, plan.index, identity=identity, domain=f"{host}:{port}", uri=f"http://{host}:{port}")
        uvicorn.run(create_app(ctx), host=host, port=port, log_level="warning")
    finally:
        if plan.anvil is not None:
            plan.anvil.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(0)


def reindex(rpc: str, manifest: Path, index: Path) -> dict:
    """Rebuild a node's index from the deployment block; returns what it holds."""
    ledger = Ledger(connect(rpc), Manifest.load(manifest))
    ledger.manifest.verify(ledger.chain)
    indexer = Indexer(ledger.chain, ledger.manifest, IndexStore(index))
    events = indexer.reindex()
    return {"index": str(index), "events": events, "last_block": indexer.last_block}
