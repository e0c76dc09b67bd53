"""`flexledger`: verb groups of thin commands over the same library the API uses; `--json` everywhere.

    flexledger node start        run a local anvil node with a state file
    flexledger deploy            deploy the contracts to a node and save the manifest
    flexledger round show N      a round rebuilt from the ledger's events, checked against the contract
    flexledger offer submit F    submit a flex-offer (FlexLedger or AAU JSON) from the wallet
    flexledger offer show N      one offer, optionally as an AAU document
    flexledger offer withdraw N  withdraw (or, after an award, opt out of) an offer
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


@app.command()
def demo() -> None:
    """Run the end-to-end demo on the embedded chain."""
    from wallet_cli.demo import run_demo

    run_demo(console)


if __name__ == "__main__":
    app()
