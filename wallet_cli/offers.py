"""`flexwallet offer ...`: submit (one offer or a portfolio in one transaction), update, withdraw,
list, show. Offers are checked in full before the key is unlocked; --dry-run sends nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from cli_common.errors import BadInput, CliApp
from domain.enums import OfferStatus
from ledger.messages.aau import to_aau
from wallet_cli import node_offers
from wallet_cli.context import Wallet, wallet_command
from wallet_cli.offer_files import OfferDoc, check_on_ledger, read_offers
from wallet_cli.profiles import config_path
from wallet_cli.render import show

offer_app = CliApp(help="Flex-offers: submit, update, withdraw, list, show.")

File = Annotated[Path, typer.Argument(help="offer file: JSON or YAML, FlexLedger or AAU form, one or a portfolio")]
Aau = Annotated[bool, typer.Option("--aau", help="read FILE as AAU FlexOffer (detected from the document otherwise)")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="print what would be sent and its gas; send nothing")]
Round = Annotated[Optional[int], typer.Option("--round", help="round of AAU offers (else the profile's)")]
Asset = Annotated[Optional[int], typer.Option("--asset", help="asset of AAU offers (else the profile's)")]
ResPrice = Annotated[Optional[int], typer.Option("--reservation-price", help="AAU offers: token units per kW per slot")]
ActPrice = Annotated[Optional[int], typer.Option("--activation-price", help="AAU offers: token units per kWh")]


def _defaults(w: Wallet, round_id, asset, res, act) -> dict[str, Any]:
    return {"round": w.default("round", round_id), "asset": w.default("asset", asset),
            "reservation_price": w.default("reservation_price", res),
            "activation_price": w.default("activation_price", act)}


def _hex(v: Any) -> Any:
    return "0x" + bytes(v).hex() if isinstance(v, (bytes, bytearray)) else v


def _aau_store(ledger, offer_id: int) -> Path:
    return config_path().parent / "aau" / f"{ledger.chain.chain_id}-{ledger.market.address}-{offer_id}.json"


def _checked(w: Wallet, file: Path, aau: bool, defaults: dict) -> list[OfferDoc]:
    docs = read_offers(file, w.ledger, aau=aau, defaults=defaults)
    check_on_ledger(file, w.ledger, w.address, docs)
    return docs


@wallet_command(offer_app, "submit")
def offer_submit(w: Wallet, file: File, aau: Aau = False, dry_run: DryRun = False, round_id: Round = None,
                 asset: Asset = None, reservation_price: ResPrice = None, activation_price: ActPrice = None) -> None:
    """Submit the offer(s) in FILE: one transaction, a portfolio as one batch (with a progress bar).

    Example: flexwallet offer submit portfolio.yaml --dry-run ; flexwallet offer submit aau.json --round 3 --asset 7
    --reservation-price 2000 --activation-price 150000
    """
    if w.node:
        return node_offers.submit(w, file, aau, dry_run, _defaults(w, round_id, asset, reservation_price,
                                                                   activation_price))
    ledger = w.ledger
    docs = _checked(w, file, aau, _defaults(w, round_id, asset, reservation_price, activation_price))
    offers = [d.offer for d in docs]
    if dry_run:
        gas = ledger.market.estimate_submit(w.address, offers)
        data = {"dry_run": True, "from": w.address, "to": ledger.market.address,
                "function": "submitOffer" if len(offers) == 1 else "submitOffers", "gas": gas,
                "offers": [{k: _hex(v) for k, v in o.to_chain().items()} for o in offers]}
        show(data, w.json)
        return
    fsp = w.signer()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        console=Console(stderr=True), transient=True, disable=w.json)
    with progress:
        task = progress.add_task(f"signing and sending {len(offers)} offer(s)", total=len(offers) + 1)
        progress.advance(task)
        tx = ledger.market.submit_offers_tx(fsp, offers)
        progress.update(task, completed=len(offers) + 1)
    ids = [e["offerId"] for e in tx.all("OfferSubmitted")]
    rows = []
    for oid, d in zip(ids, docs):
        rows.append({"offer_id": oid, "round_id": d.offer.round_id, "asset_id": d.offer.asset_id,
                     "offer_hash": "0x" + d.offer.offer_hash(oid).hex()})
        if d.meta:
            store = _aau_store(ledger, oid)
            store.parent.mkdir(parents=True, exist_ok=True)
            store.write_text(json.dumps(d.meta))
    data = {"offers": rows, "tx": tx.tx_hash, "gas_used": tx.gas_used, "offer_id": ids[0],
            "offer_hash": rows[0]["offer_hash"]}
    show(data, w.json, ["offer_id", "round_id", "asset_id", "offer_hash"],
         title=f"{len(ids)} offer(s) recorded in {tx.tx_hash} ({tx.gas_used} gas)", rows_key="offers")


@wallet_command(offer_app, "update")
def offer_update(w: Wallet, offer_id: Annotated[int, typer.Argument(help="the offer to update")], file: File,
                 aau: Aau = False, dry_run: DryRun = False, reservation_price: ResPrice = None,
                 activation_price: ActPrice = None) -> None:
    """Replace offer ID by the single offer in FILE (same round and asset; the version goes up).

    Example: flexwallet offer update 12 cheaper.json
    """
    if w.node:
        return node_offers.update(w, offer_id, file, aau, dry_run, {
            "reservation_price": w.default("reservation_price", reservation_price),
            "activation_price": w.default("activation_price", activation_price)})
    ledger = w.ledger
    current, version = ledger.market.offer(offer_id)
    docs = _checked(w, file, aau, _defaults(w, current.round_id, current.asset_id, reservation_price,
                                            activation_price))
    if len(docs) != 1:
        raise BadInput(f"offer file {file}: {len(docs)} offers; an update takes exactly one")
    new = docs[0].offer
    if (new.round_id, new.asset_id) != (current.round_id, current.asset_id):
        raise BadInput(f"offer file {file}, {docs[0].label}: round_id/asset_id: an update keeps round "
                       f"{current.round_id} and asset {current.asset_id}")
    if dry_run:
        gas = ledger.market.c.estimate("updateOffer", offer_id, current.to_chain(), new.to_chain(), sender=w.address)
        show({"dry_run": True, "from": w.address, "to": ledger.market.address, "function": "updateOffer",
              "gas": gas, "offer_id": offer_id, "version": version + 1}, w.json)
        return
    tx = ledger.market.update_offer(w.signer(), offer_id, new, precheck=False)
    show({"offer_id": offer_id, "version": ledger.market.offer_version(offer_id), "tx": tx.tx_hash,
          "offer_hash": "0x" + ledger.market.offer_hash(offer_id).hex()}, w.json)


@wallet_command(offer_app, "withdraw")
def offer_withdraw(w: Wallet, offer_id: Annotated[int, typer.Argument(help="the offer to withdraw")]) -> None:
    """Withdraw an offer (free before gate closure; after an award it is an opt-out, penalised).

    Example: flexwallet offer withdraw 12
    """
    if w.node:
        return node_offers.withdraw(w, offer_id)
    ledger = w.ledger
    tx = ledger.market.withdraw_offer(w.signer(), offer_id)
    status = ledger.market.offer_status(offer_id).name
    if w.json:
        show({"offer_id": offer_id, "status": status, "tx": tx.tx_hash}, True)
    else:
        typer.echo(f"offer {offer_id}: {status} ({tx.tx_hash})")


def _mine(w: Wallet) -> list:
    ledger = w.ledger
    ledger.sync()
    return ledger.index.events("OfferSubmitted", owner=w.address)


@wallet_command(offer_app, "list")
def offer_list(w: Wallet, round_id: Round = None, state: Annotated[Optional[str], typer.Option(
        "--state", help="OFFERED, WITHDRAWN, AWARDED, ACTIVATED, SETTLED, REJECTED, EXPIRED, OPTED_OUT")] = None,
               asset: Asset = None) -> None:
    """This wallet's offers, filtered by round, state and asset.

    Example: flexwallet offer list --round 3 --state OFFERED
    """
    if state is not None and state.upper() not in OfferStatus.__members__:
        raise BadInput(f"--state {state}: not one of {', '.join(OfferStatus.__members__)}")
    if w.node:
        return node_offers.listing(w, round_id, state, asset)
    rows = []
    for ev in _mine(w):
        offer, version = w.ledger.market.offer(ev["offerId"])
        status = w.ledger.market.offer_status(ev["offerId"]).name
        if (round_id is not None and offer.round_id != round_id) or (asset is not None and offer.asset_id != asset) \
                or (state is not None and status != state.upper()):
            continue
        rows.append({"offer_id": ev["offerId"], "round_id": offer.round_id, "asset_id": offer.asset_id,
                     "version": version, "status": status, "slices": len(offer.slices),
                     "earliest_start": offer.earliest_start, "latest_start": offer.latest_start})
    show(rows, w.json, ["offer_id", "round_id", "asset_id", "version", "status", "slices", "earliest_start"],
         title=f"offers of {w.address}")


HISTORY = ("OfferSubmitted", "OfferUpdated", "OfferStatusChanged", "OfferWithdrawn", "OfferOptedOut", "OfferRejected")


def _step(e) -> dict[str, Any]:
    """One line of an offer's history from one of its events."""
    to = {"OfferSubmitted": "OFFERED", "OfferUpdated": "OFFERED", "OfferWithdrawn": "WITHDRAWN",
          "OfferOptedOut": "OPTED_OUT", "OfferRejected": "REJECTED"}.get(e.name)
    return {"event": e.name, "from": OfferStatus(e["from"]).name if "from" in e.args else None,
            "to": OfferStatus(e["to"]).name if "to" in e.args else to,
            "by": e.args.get("by") or e.args.get("owner") or e.args.get("dso"),
            "version": e.args.get("version"), "reason": e.args.get("reason"), "block": e.block, "tx": e.tx_hash}


@wallet_command(offer_app, "show")
def offer_show(w: Wallet, offer_id: Annotated[int, typer.Argument(help="the offer")],
               aau: Annotated[bool, typer.Option("--aau", help="print as a GOFLEX/AAU FlexOffer document")] = False
               ) -> None:
    """One offer: its on-chain hash (checked against its event data), versions and state history.

    Example: flexwallet offer show 12 ; flexwallet offer show 12 --aau > offer-12.aau.json
    """
    if w.node:
        return node_offers.show_offer(w, offer_id, aau)
    ledger = w.ledger
    ledger.sync()
    offer, version = ledger.market.offer(offer_id)
    status = ledger.market.offer_status(offer_id).name
    if aau:
        store = _aau_store(ledger, offer_id)
        meta = json.loads(store.read_text()) if store.exists() else None
        kind = ledger.registry.asset(offer.asset_id).kind
        doc = to_aau(offer, kind=kind, offer_id=offer_id, slot_len=ledger.market.round(offer.round_id).config.slot_len,
                     meta=meta, state=status)
        typer.echo(json.dumps({"flexOffer": [doc]}, indent=2))
        return
    idx = ledger.index
    versions = [{"version": e["version"], "block": e.block, "tx": e.tx_hash, "event": e.name}
                for e in idx.events("OfferSubmitted", offerId=offer_id) + idx.events("OfferUpdated", offerId=offer_id)]
    history = [_step(e) for e in sorted((e for name in HISTORY for e in idx.events(name, offerId=offer_id)),
                                        key=lambda e: (e.block, e.log_index))]
    onchain = "0x" + ledger.market.offer_hash(offer_id).hex()
    data = {"offer_id": offer_id, "round_id": offer.round_id, "asset_id": offer.asset_id, "status": status,
            "version": version, "offer_hash": onchain,
            "hash_matches_events": onchain == "0x" + offer.offer_hash(offer_id, version).hex(),
            "versions": sorted(versions, key=lambda v: v["version"]), "history": history,
            "offer": offer.model_dump(mode="json")}
    show(data, w.json)
    if not w.json:
        from cli_common.output import console
        from wallet_cli.render import table
        console.print(table(data["versions"], ["version", "block", "tx"], "versions"))
        console.print(table(history, ["event", "from", "to", "by", "block"], "state history"))
