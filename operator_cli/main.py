"""`flexledger`: the operator's, admin's and auditor's commands; `--json` everywhere.

    flexledger node start        run a local anvil node with a state file
    flexledger deploy            deploy the contracts to a node and save the manifest
    flexledger round show N      a round rebuilt from the ledger's events, checked against the contract
    flexledger clear N           read, solve and commit a round's clearing
    flexledger verify N          recompute a round's clearing and compare with the commitment
    flexledger audit ...         trace settlements back to their inputs; re-check evidence bundles
    flexledger grid ...          the DSO's zone limits on the ledger
    flexledger settle N          settle a round's confirmed awards
    flexledger balance ADDRESS   token balance and reliability record (auditors)
    flexledger agent ...         device agent and meter simulator
    flexledger demo              the end-to-end demo on the embedded chain

The FSP's commands (offers, award confirmation) are `flexwallet`'s. Errors are one line on
stderr with the exit codes of `cli_common.errors`.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import Progress
from rich.table import Table

from agent.cli import app as agent_app
from operator_cli.audit_cmds import audit_app, grid_app
from operator_cli.node import node_app
from operator_cli.node_client import NodeSession, round_from_node, verify_on_node
from cli_common.context import attach, json_file, json_text, signer
from cli_common.errors import BadInput, CliApp, Refused, main_for
from cli_common.options import (DEFAULT_MANIFEST, DEFAULT_RPC, Dev, Json, Keystore, ManifestOpt, PasswordFile,
                                Rpc)
from cli_common.output import balance, console, emit, render_balance, render_outcomes
from ledger.backends import connect
from ledger.deploy import deploy as deploy_contracts
from ledger.round_state import rebuild_round, verify_round
from operations.clearing_run import commit_run, run_clearing
from operations.settlement_run import settle_round
from operations.verification import verify_round_commitment

app = CliApp(help="FlexLedger for the operator, the admin and auditors (the FSP's wallet is `flexwallet`).")
round_app = CliApp(help="Market rounds.")
app.add_typer(node_app, name="node")
app.add_typer(round_app, name="round")
app.add_typer(agent_app, name="agent")
app.add_typer(audit_app, name="audit")
app.add_typer(grid_app, name="grid")

Options = Annotated[Optional[str], typer.Option("--options", help='engine options as JSON, e.g. {"aggregate": true}')]
NodeUrl = Annotated[Optional[str], typer.Option("--node", help="read through this node's API (e.g. "
                                               "http://127.0.0.1:8080), signed in with --keystore/--dev-account")]
MOVED = {"offer": "offer submit/show/withdraw", "award": "award confirm"}


@app.command()
def deploy(rpc: Rpc = DEFAULT_RPC,
           out: Annotated[Path, typer.Option("--out", help="where to save the manifest")] = DEFAULT_MANIFEST,
           dev_account: Dev = 0, keystore: Keystore = None, password_file: PasswordFile = None,
           json_out: Json = False) -> None:
    """Deploy every FlexLedger contract from the ADMIN key and save the manifest."""
    admin = signer(dev_account, keystore, password_file)
    manifest = deploy_contracts(connect(rpc), admin)
    manifest.save(out)
    emit({"manifest": str(out), "chain_id": manifest.chain_id,
          "contracts": {k: v.address for k, v in manifest.contracts.items()}}, json_out,
         lambda d: console.print(f"deployed {', '.join(d['contracts'])} on chain {d['chain_id']}; manifest {out}"))


@round_app.command("show")
def round_show(round_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
               node: NodeUrl = None, dev_account: Dev = None, keystore: Keystore = None,
               password_file: PasswordFile = None, json_out: Json = False) -> None:
    """Rebuild a round from events, check it against the contract, and print it (or, with --node, read it
    from a node's index after signing in with your key)."""
    if node is not None:
        emit(round_from_node(NodeSession(node, signer(dev_account, keystore, password_file)), round_id), json_out,
             _render_round)
        return
    ledger = attach(rpc, manifest)
    state = rebuild_round(ledger.index, round_id)
    verify_round(state, ledger.market)
    data = {"round": round_id, "config": state.config.model_dump(mode="json"),
            "offer_accumulator": "0x" + state.offer_acc.hex(), "offers": [
                {"id": r.offer_id, "owner": r.owner, "asset": r.offer.asset_id, "version": r.version,
                 "status": r.status.name, "slices": len(r.offer.slices)} for r in state.offers.values()],
            "requests": [{"id": r.request_id, "buyer": r.buyer, "zone": r.request.zone_id,
                          "direction": r.request.direction.name, "status": r.status.name}
                         for r in state.requests.values()]}
    emit(data, json_out, _render_round)


def _render_round(d: dict) -> None:
    acc = f"accumulator {d['offer_accumulator'][:18]}…" if d["offer_accumulator"] else "not committed yet"
    console.print(f"round {d['round']}  {acc}  ({d.get('source') or 'verified against the contract'})")
    t = Table("offer", "asset", "version", "status", "slices", title="flex-offers")
    for o in d["offers"]:
        t.add_row(str(o["id"]), str(o["asset"]), str(o["version"]), o["status"], str(o["slices"]))
    console.print(t)
    t = Table("request", "zone", "direction", "status", title="flex requests")
    for r in d["requests"]:
        t.add_row(str(r["id"]), str(r["zone"]) if r["zone"] else "system", r["direction"], r["status"])
    console.print(t)


@app.command("clear")
def clear_cmd(round_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST, options: Options = None,
              zone_limits: Annotated[Optional[Path], typer.Option(hidden=True, help="gone: the DSO posts zone limits "
                                                                     "on the ledger (`flexledger grid post-limits`)")] = None,
              commit: Annotated[bool, typer.Option(help="commit the result on-chain with the bond")] = True,
              dev_account: Dev = None, keystore: Keystore = None, password_file: PasswordFile = None,
              json_out: Json = False) -> None:
    """Read, (aggregate,) solve and commit a round's clearing; print met/unmet, cost and prices."""
    if zone_limits is not None:
        raise BadInput("--zone-limits is gone: zone limits are clearing inputs on the ledger; the zone's DSO posts "
                       "them before gate closure (`flexledger grid post-limits ROUND ZONE FILE`) and every clearing "
                       "reads them from there")
    opts = json_text(options, "--options")
    operator = signer(dev_account, keystore, password_file) if commit else None
    ledger = attach(rpc, manifest)
    with Progress(console=console, transient=True, disable=json_out) as progress:
        task = progress.add_task(f"clearing round {round_id}", total=3)
        progress.update(task, description="reading the round from the ledger, solving")
        run = run_clearing(ledger, round_id, opts)
        progress.advance(task, 2)
        tx = None
        if commit:
            progress.update(task, description="committing")
            tx = commit_run(ledger, operator, run)
        progress.advance(task)
    data = {"round": round_id, "awards": len(run.tree), "awards_root": "0x" + run.tree.root.hex(),
            "total_cost": run.total_cost, "spec_hash": "0x" + run.result.spec_hash().hex(),
            "requests": run.result.requests, "aggregation": run.result.aggregation,
            "skipped_offers": run.skipped_offers, "committed": tx.tx_hash if tx else None}
    emit(data, json_out, _render_clearing)


def _render_clearing(d: dict) -> None:
    t = Table("request", "price /kWh", "met Wh", "unmet Wh", title=f"round {d['round']}: {d['awards']} awards")
    for r in d["requests"]:
        t.add_row(str(r["request_id"]), f"{r['price'] / 1e6:.4f}", str(sum(r["met"])), str(sum(r["unmet"])))
    console.print(t)
    console.print(f"total cost {d['total_cost'] / 1e6:.2f} EUR; root {d['awards_root'][:18]}…; "
                  f"{'committed in ' + d['committed'][:14] + '…' if d['committed'] else 'not committed'}")
    if d["aggregation"]:
        console.print(f"aggregation: {d['aggregation']}")
    for oid, why in d["skipped_offers"].items():
        console.print(f"offer {oid} left out: {why}")


@app.command("verify")
def verify_cmd(round_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
               options: Options = None, node: NodeUrl = None, dev_account: Dev = None, keystore: Keystore = None,
               password_file: PasswordFile = None, json_out: Json = False) -> None:
    """Recompute a round's clearing and compare it with the on-chain commitment (exit 1 on mismatch); with
    --node, your node recomputes it from the ledger (sign-in with your key)."""
    if node is not None:
        if options is not None:
            raise BadInput("--options: a node verifies with the clearing options published on the ledger")
        data = verify_on_node(NodeSession(node, signer(dev_account, keystore, password_file)), round_id)
    else:
        v = verify_round_commitment(attach(rpc, manifest), round_id, json_text(options, "--options"))
        data = {"round": round_id, "ok": v.ok, "checks": v.matches,
                "committed_root": "0x" + v.commitment.awards_root.hex(), "recomputed_root": "0x" + v.recomputed_root.hex()}
    emit(data, json_out,
         lambda d: console.print("\n".join(f"  {'✓' if ok else '✗'} {k}" for k, ok in d["checks"].items())
                                 + f"\nround {round_id}: {'matches the commitment' if d['ok'] else 'MISMATCH'}"))
    if not data["ok"]:
        differs = ", ".join(k for k, ok in data["checks"].items() if not ok)
        raise Refused(f"round {round_id}: the recomputed clearing does not match the commitment ({differs})")


@app.command("settle")
def settle_cmd(round_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
               dev_account: Dev = None, keystore: Keystore = None, password_file: PasswordFile = None,
               json_out: Json = False) -> None:
    """Settle every confirmed award of a round whose activated slots are over (operator)."""
    operator = signer(dev_account, keystore, password_file)
    rows = [asdict(o) for o in settle_round(attach(rpc, manifest), operator, round_id)]
    emit(rows, json_out, render_outcomes)


@app.command("balance")
def balance_cmd(address: str, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
                json_out: Json = False) -> None:
    """Settlement-token balance and reliability record of any address (auditors)."""
    emit(balance(attach(rpc, manifest), address), json_out, render_balance)


@app.command()
def demo() -> None:
    """Run the end-to-end demo on the embedded chain."""
    from operations.demo import run_demo
    from operator_cli.reporting import RichReporter

    run_demo(RichReporter(console))


def _moved(verb: str) -> None:
    @app.command(verb, hidden=True, add_help_option=False,
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def moved(ctx: typer.Context) -> None:
        raise BadInput(f"the FSP's commands moved to the wallet: use `flexwallet {MOVED[verb]}` "
                       f"(e.g. `flexwallet {verb} {' '.join(ctx.args)}`)".replace(" )", ")"))


for _verb in MOVED:
    _moved(_verb)

main = main_for(app, "flexledger")

if __name__ == "__main__":
    main()
