"""`flexledger node ...`: a local anvil, and the node service (the gateway) for one participant.

    flexledger node start        run a local anvil node with a state file
    flexledger node run          serve the node gateway (index, REST API, live stream) for one identity
    flexledger node reindex      rebuild a node's index from the chain

The operator's CLI starts the node service: operator_cli → gateway is the one documented edge
between front ends (docs/architecture.md, checked by tests/test_layering.py); the gateway never
imports a CLI.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli_common.context import signer
from cli_common.errors import BadInput, CliApp
from cli_common.options import DEFAULT_MANIFEST, DEFAULT_RPC, Dev, Json, ManifestOpt, PasswordFile, Rpc
from cli_common.output import console, emit
from gateway.node import prepare, reindex, run_node
from ledger.anvil import Anvil

node_app = CliApp(help="Local JSON-RPC node (anvil) and the node gateway.")


@node_app.command("start")
def node_start(state: Annotated[Path, typer.Option(help="state file kept across restarts")] = Path("var/anvil/state.json"),
               port: Annotated[int, typer.Option(help="loopback port (0 = any free)")] = 8545) -> None:
    """Run anvil on 127.0.0.1 until interrupted; its state is saved to STATE."""
    node = Anvil.start(state, port=port or None, log_file=state.parent / "anvil.log")
    console.print(f"anvil pid {node.pid} at {node.url} (state {state}); Ctrl-C stops it")
    try:
        while node.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()


@node_app.command("run")
def node_run(identity: Annotated[Optional[Path], typer.Option("--identity", help="the participant's keystore (password: "
                                                            "--password-file or FLEXLEDGER_PASSWORD)")] = None,
             rpc: Annotated[Optional[str], typer.Option("--rpc", help="JSON-RPC URL of the ledger")] = None,
             manifest: Annotated[Optional[Path], typer.Option("--manifest", help="deployment manifest")] = None,
             local: Annotated[bool, typer.Option("--local", help="start anvil on loopback with --state")] = False,
             state: Annotated[Path, typer.Option(help="anvil state file (--local)")] = Path("var/node/state.json"),
             index: Annotated[Optional[Path], typer.Option(help="SQLite index (default next to the manifest)")] = None,
             port: Annotated[int, typer.Option(help="gateway port on 127.0.0.1")] = 8080,
             password_file: PasswordFile = None, dev_account: Dev = None) -> None:
    """Serve the node gateway (REST API, live stream) for one participant identity."""
    if not local and (rpc is None or manifest is None):
        raise BadInput("give --rpc URL and --manifest FILE, or --local [--state FILE]")
    if manifest is not None and not local and not manifest.exists():
        raise BadInput(f"no deployment manifest at {manifest}: run `flexledger deploy` first")
    me = signer(dev_account, identity, password_file)
    plan = prepare(me, rpc=rpc, manifest=manifest, local=local, state=state, index=index)
    console.print(f"node {me.address} on {plan.rpc}: gateway http://127.0.0.1:{port}/docs (index {plan.index})")
    run_node(me, plan, port=port)


@node_app.command("reindex")
def node_reindex(rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
                 index: Annotated[Path, typer.Option(help="the node's SQLite index")] = Path("var/index.sqlite"),
                 json_out: Json = False) -> None:
    """Rebuild a node's index from the chain (the source of truth), from the deployment block."""
    if not manifest.exists():
        raise BadInput(f"no deployment manifest at {manifest}: run `flexledger deploy` first")
    emit(reindex(rpc, manifest, index), json_out,
         lambda d: console.print(f"reindexed {d['events']} events up to block {d['last_block']} into {d['index']}"))
