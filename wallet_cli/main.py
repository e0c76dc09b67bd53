"""`flexledger`: verb groups of thin commands over the same library the API uses; `--json` everywhere.

    flexledger node start        run a local anvil node with a state file
    flexledger deploy            deploy the contracts to a node and save the manifest
    flexledger round show N      a round rebuilt from the ledger's events, checked against the contract
    flexledger offer submit F    submit a flex-offer (FlexLedger or AAU JSON) from the wallet
    flexledger offer show N      one offer, optionally as an AAU document
    flexledger offer withdraw N  withdraw (or, after an award, opt out of) an offer
    flexledger clear N           read, solve and commit a round's clearing
    flexledger verify N          recompute a round's clearing and compare with the commitment
    flexledger award confirm N   the FSP confirms its awards of a final round (escrow locked)
    flexledger settle N          settle a round's confirmed awards (operator)
    flexledger balance ADDRESS   token balance and reliability record
    flexledger agent ...         device agent and meter simulator
    flexledger demo              the end-to-end demo on the embedded chain
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from agent.cli import app as agent_app
from ledger.anvil import Anvil
from ledger.backends import connect
from ledger.deploy import deploy as deploy_contracts
from ledger.errors import LedgerError
from ledger.messages import FlexOffer, OfferInvalid
from ledger.messages.aau import from_aau, to_aau
from ledger.round_state import rebuild_round, verify_round
from wallet_cli.context import DEFAULT_MANIFEST, attach, emit, signer

app = typer.Typer(help="FlexLedger: a ledger marketplace for electricity flexibility.", no_args_is_help=True)
node_app = typer.Typer(help="Local JSON-RPC node (anvil).", no_args_is_help=True)
round_app = typer.Typer(help="Market rounds.", no_args_is_help=True)
offer_app = typer.Typer(help="Flex-offers from the FSP's wallet.", no_args_is_help=True)
app.add_typer(node_app, name="node")
app.add_typer(round_app, name="round")
app.add_typer(offer_app, name="offer")
app.add_typer(agent_app, name="agent")
console = Console()

Rpc = Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the node", envvar="FLEXLEDGER_RPC")]
ManifestOpt = Annotated[Path, typer.Option("--manifest", help="deployment manifest", envvar="FLEXLEDGER_MANIFEST")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]
Dev = Annotated[Optional[int], typer.Option("--dev-account", help="development key index (dev chains only)")]
Keystore = Annotated[Optional[Path], typer.Option("--keystore", help="encrypted key file; password in FLEXLEDGER_PASSWORD")]


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


@app.command()
def deploy(rpc: Rpc = "http://127.0.0.1:8545",
           out: Annotated[Path, typer.Option("--out", help="where to save the manifest")] = DEFAULT_MANIFEST,
           dev_account: Dev = 0,
           keystore: Keystore = None, json_out: Json = False) -> None:
    """Deploy every FlexLedger contract from the ADMIN key and save the manifest."""
    chain = connect(rpc)
    manifest = deploy_contracts(chain, signer(dev_account, keystore))
    manifest.save(out)
    emit({"manifest": str(out), "chain_id": manifest.chain_id,
          "contracts": {k: v.address for k, v in manifest.contracts.items()}}, json_out,
         lambda d: console.print(f"deployed {', '.join(d['contracts'])} on chain {d['chain_id']}; manifest {out}"))


@round_app.command("show")
def round_show(round_id: int, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
               json_out: Json = False) -> None:
    """Rebuild a round from events, check it against the contract, and print it."""
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
    console.print(f"round {d['round']}  accumulator {d['offer_accumulator'][:18]}…  (verified against the contract)")
    t = Table("offer", "asset", "version", "status", "slices", title="flex-offers")
    for o in d["offers"]:
        t.add_row(str(o["id"]), str(o["asset"]), str(o["version"]), o["status"], str(o["slices"]))
    console.print(t)
    t = Table("request", "zone", "direction", "status", title="flex requests")
    for r in d["requests"]:
        t.add_row(str(r["id"]), str(r["zone"]) if r["zone"] else "system", r["direction"], r["status"])
    console.print(t)


@offer_app.command("submit")
def offer_submit(file: Path, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
                 aau: Annotated[bool, typer.Option(help="FILE is an AAU FlexOffer document")] = False,
                 dev_account: Dev = None, keystore: Keystore = None, json_out: Json = False) -> None:
    """Submit the flex-offer in FILE (checked locally before anything is sent)."""
    doc = json.loads(file.read_text())
    try:
        offer = from_aau(doc) if aau else FlexOffer.model_validate(doc)
    except (OfferInvalid, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    ledger = attach(rpc, manifest)
    try:
        offer_id = ledger.market.submit_offer(signer(dev_account, keystore), offer)
    except (OfferInvalid, LedgerError) as exc:
        console.print(f"[red]refused:[/red] {exc}")
        raise typer.Exit(1) from None
    emit({"offer_id": offer_id, "offer_hash": "0x" + offer.offer_hash(offer_id).hex()}, json_out,
         lambda d: console.print(f"offer {d['offer_id']} recorded, hash {d['offer_hash']}"))


@offer_app.command("show")
def offer_show(offer_id: int, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
               aau: Annotated[bool, typer.Option(help="print as an AAU FlexOffer document")] = False) -> None:
    """Print an offer as recorded on the ledger (FlexLedger JSON, or AAU with --aau)."""
    ledger = attach(rpc, manifest)
    offer, version = ledger.market.offer(offer_id)
    status = ledger.market.offer_status(offer_id).name
    doc = to_aau(offer, offer_id=offer_id, state=status) if aau else {
        "offer_id": offer_id, "version": version, "status": status, **offer.model_dump(mode="json")}
    typer.echo(json.dumps(doc, indent=2))


@offer_app.command("withdraw")
def offer_withdraw(offer_id: int, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
                   dev_account: Dev = None, keystore: Keystore = None) -> None:
    """Withdraw an offer (free before gate closure; an opt-out after an award)."""
    ledger = attach(rpc, manifest)
    try:
        ledger.market.withdraw_offer(signer(dev_account, keystore), offer_id)
    except LedgerError as exc:
        console.print(f"[red]refused:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"offer {offer_id}: {ledger.market.offer_status(offer_id).name}")


@app.command("clear")
def clear_cmd(round_id: int, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
              options: Annotated[Optional[str], typer.Option(help='engine options as JSON, e.g. {"aggregate": true}')] = None,
              zone_limits: Annotated[Optional[Path], typer.Option(help="DSO zone limits JSON {zone: {up_wh, down_wh}}")] = None,
              commit: Annotated[bool, typer.Option(help="commit the result on-chain with the bond")] = True,
              dev_account: Dev = None, keystore: Keystore = None, json_out: Json = False) -> None:
    """Read, (aggregate,) solve and commit a round's clearing; print met/unmet, cost and prices."""
    from rich.progress import Progress

    from operations.clearing_run import commit_run, run_clearing

    opts = json.loads(options) if options else None
    limits = {int(k): v for k, v in json.loads(zone_limits.read_text()).items()} if zone_limits else None
    ledger = attach(rpc, manifest)
    with Progress(console=console, transient=True, disable=json_out) as progress:
        task = progress.add_task(f"clearing round {round_id}", total=3)
        progress.update(task, description="reading the round from the ledger, solving")
        try:
            run = run_clearing(ledger, round_id, opts, limits)
        except (LedgerError, ValueError) as exc:
            console.print(f"[red]cannot clear:[/red] {exc}")
            raise typer.Exit(1) from None
        progress.advance(task, 2)
        tx = None
        if commit:
            progress.update(task, description="committing")
            try:
                tx = commit_run(ledger, signer(dev_account, keystore), run)
            except LedgerError as exc:
                console.print(f"[red]commit refused:[/red] {exc}")
                raise typer.Exit(1) from None
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
def verify_cmd(round_id: int, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
               options: Annotated[Optional[str], typer.Option(help="engine options as JSON")] = None,
               json_out: Json = False) -> None:
    """Recompute a round's clearing and compare it with the on-chain commitment (exit 1 on mismatch)."""
    from operations.verification import verify_round_commitment

    ledger = attach(rpc, manifest)
    v = verify_round_commitment(ledger, round_id, json.loads(options) if options else None)
    emit({"round": round_id, "ok": v.ok, "checks": v.matches, "committed_root": "0x" + v.commitment.awards_root.hex(),
          "recomputed_root": "0x" + v.recomputed_root.hex()}, json_out,
         lambda d: console.print("\n".join(f"  {'✓' if ok else '✗'} {k}" for k, ok in d["checks"].items())
                                 + f"\nround {round_id}: {'matches the commitment' if d['ok'] else 'MISMATCH'}"))
    if not v.ok:
        raise typer.Exit(1)


award_app = typer.Typer(help="Awards from the FSP's wallet.", no_args_is_help=True)
app.add_typer(award_app, name="award")


def _render_outcomes(rows: list[dict]) -> None:
    t = Table("offer", "request", "status", "paid", "refunded", "penalty")
    for r in rows:
        t.add_row(str(r["offer_id"]), str(r["request_id"]), r["status"], f"{r['paid'] / 1e6:.6f}",
                  f"{r['refunded'] / 1e6:.6f}", f"{r['penalty'] / 1e6:.6f}")
    console.print(t)


@award_app.command("confirm")
def award_confirm(round_id: int, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
                  dev_account: Dev = None, keystore: Keystore = None, json_out: Json = False) -> None:
    """Confirm all of this wallet's awards in a final round (locks each buyer's escrow)."""
    from dataclasses import asdict

    from operations.settlement_run import confirm_awards

    ledger = attach(rpc, manifest)
    rows = [asdict(o) for o in confirm_awards(ledger, signer(dev_account, keystore), round_id)]
    emit(rows, json_out, _render_outcomes)


@app.command("settle")
def settle_cmd(round_id: int, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
               dev_account: Dev = None, keystore: Keystore = None, json_out: Json = False) -> None:
    """Settle every confirmed award of a round whose activated slots are over (operator)."""
    from dataclasses import asdict

    from operations.settlement_run import settle_round

    ledger = attach(rpc, manifest)
    rows = [asdict(o) for o in settle_round(ledger, signer(dev_account, keystore), round_id)]
    emit(rows, json_out, _render_outcomes)


@app.command("balance")
def balance_cmd(address: str, rpc: Rpc = "http://127.0.0.1:8545", manifest: ManifestOpt = DEFAULT_MANIFEST,
                json_out: Json = False) -> None:
    """Settlement-token balance and reliability record of an address."""
    ledger = attach(rpc, manifest)
    rel = ledger.settlement.reliability(address)
    data = {"address": address, "balance": ledger.token.balance(address), "reliability": rel}
    emit(data, json_out, lambda d: console.print(
        f"{address}: {d['balance'] / 1e6:.6f} flxEUR; delivered {rel['deliveredWh']} of {rel['requestedWh']} Wh "
        f"requested over {rel['settlements']} settlements, {rel['failures']} failures, {rel['optOuts']} opt-outs"))


@app.command()
def demo() -> None:
    """Run the end-to-end demo on the embedded chain."""
    from operations.demo import run_demo
    from operator_cli.reporting import RichReporter

    run_demo(RichReporter(console))


if __name__ == "__main__":
    app()
