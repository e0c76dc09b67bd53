"""`flexwallet offer ...` and `asset list|show` against a node's API (`--node URL`).

Offers are read and checked here exactly as on the RPC path (the model's rules, the AAU mapping, and
that this wallet owns each asset, read from the node) before the key is unlocked; the node then
checks the round's and asset's rules and simulates the transaction before relaying it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from cli_common.errors import BadInput, Refused
from ledger.messages import FlexOffer
from wallet_cli.context import Wallet
from wallet_cli.offer_files import OfferDoc, read_offers
from wallet_cli.profiles import config_path
from wallet_cli.render import show

HISTORY = ("OfferSubmitted", "OfferUpdated", "OfferStatusChanged", "OfferWithdrawn", "OfferOptedOut", "OfferRejected")


def aau_store(chain_id: int, market: str, offer_id: int) -> Path:
    return config_path().parent / "aau" / f"{chain_id}-{market}-{offer_id}.json"


def checked(w: Wallet, file: Path, aau: bool, defaults: dict) -> list[OfferDoc]:
    """The file's offers, each valid and of an asset this wallet owns (per the node); nothing signed yet."""
    api = w.api
    docs = read_offers(file, api, aau=aau, defaults=defaults)
    for d in docs:
        owner = api.get(f"/assets/{d.offer.asset_id}")["owner"]
        if owner.lower() != w.address.lower():
            raise Refused(f"offer file {file}, {d.label}: asset_id: asset {d.offer.asset_id} belongs to {owner}, "
                          f"not to this wallet ({w.address})")
    return docs


def current(w: Wallet, offer_id: int) -> tuple[dict, FlexOffer]:
    row = w.api.get(f"/flexoffers/{offer_id}")
    return row, FlexOffer.model_validate(row["offer"])


def submit(w: Wallet, file: Path, aau: bool, dry_run: bool, defaults: dict) -> None:
    api = w.api
    docs = checked(w, file, aau, defaults)
    offers = [d.offer for d in docs]
    fn = "submitOffer" if len(offers) == 1 else "submitOffers"
    args = (offers[0].to_chain(),) if len(offers) == 1 else ([o.to_chain() for o in offers],)
    if dry_run:
        show({"dry_run": True, "from": w.address, "to": api.contract("Market"), "function": fn, "gas": None,
              "node": api.url, "offers": [{k: ("0x" + bytes(v).hex() if isinstance(v, (bytes, bytearray)) else v)
                                          for k, v in o.to_chain().items()} for o in offers]}, w.json)
        return
    if not w.json:
        typer.echo(f"signing {len(offers)} offer(s) in one transaction, relayed by {api.url}", err=True)
    out = api.relay("Market", fn, *args, path="/flexoffers", batch=len(offers) > 1)
    ids = out["offer_ids"]
    rows = []
    for oid, d in zip(ids, docs):
        rows.append({"offer_id": oid, "round_id": d.offer.round_id, "asset_id": d.offer.asset_id,
                     "offer_hash": "0x" + d.offer.offer_hash(oid).hex()})
        if d.meta:
            store = aau_store(api.chain_id, api.contract("Market"), oid)
            store.parent.mkdir(parents=True, exist_ok=True)
            store.write_text(json.dumps(d.meta))
    show({"offers": rows, "tx": out["tx_hash"], "gas_used": None, "offer_id": ids[0],
          "offer_hash": rows[0]["offer_hash"], "node": api.url}, w.json,
         ["offer_id", "round_id", "asset_id", "offer_hash"],
         title=f"{len(ids)} offer(s) recorded in {out['tx_hash']} (relayed by {api.url})", rows_key="offers")


def update(w: Wallet, offer_id: int, file: Path, aau: bool, dry_run: bool, prices: dict) -> None:
    row, cur = current(w, offer_id)
    docs = checked(w, file, aau, {"round": cur.round_id, "asset": cur.asset_id, **prices})
    if len(docs) != 1:
        raise BadInput(f"offer file {file}: {len(docs)} offers; an update takes exactly one")
    new = docs[0].offer
    if (new.round_id, new.asset_id) != (cur.round_id, cur.asset_id):
        raise BadInput(f"offer file {file}, {docs[0].label}: round_id/asset_id: an update keeps round "
                       f"{cur.round_id} and asset {cur.asset_id}")
    if dry_run:
        show({"dry_run": True, "from": w.address, "to": w.api.contract("Market"), "function": "updateOffer",
              "gas": None, "offer_id": offer_id, "version": row["version"] + 1}, w.json)
        return
    out = w.api.relay("Market", "updateOffer", offer_id, cur.to_chain(), new.to_chain(),
                      path=f"/flexoffers/{offer_id}", method="PUT")
    after = w.api.get(f"/flexoffers/{offer_id}")
    show({"offer_id": offer_id, "version": after["version"], "tx": out["tx_hash"], "offer_hash": after["offer_hash"]},
         w.json)


def withdraw(w: Wallet, offer_id: int) -> None:
    row, cur = current(w, offer_id)
    if row["owner"] != w.address:
        raise Refused(f"offer {offer_id} belongs to {row['owner']}, not to this wallet ({w.address}); nothing sent")
    out = w.api.relay("Market", "withdrawOffer", offer_id, cur.to_chain())
    status = w.api.get(f"/flexoffers/{offer_id}")["status"]
    if w.json:
        show({"offer_id": offer_id, "status": status, "tx": out["tx_hash"]}, True)
    else:
        typer.echo(f"offer {offer_id}: {status} ({out['tx_hash']})")


def listing(w: Wallet, round_id: int | None, state: str | None, asset: int | None) -> None:
    rows = [{"offer_id": r["offer_id"], "round_id": r["round_id"], "asset_id": r["asset_id"], "version": r["version"],
             "status": r["status"], "slices": r["slice_count"], "earliest_start": r["earliest_start"],
             "latest_start": r["latest_start"]}
            for r in w.api.pages("/flexoffers", owner=w.address, round=round_id, asset=asset,
                                 state=state.upper() if state else None)]
    show(rows, w.json, ["offer_id", "round_id", "asset_id", "version", "status", "slices", "earliest_start"],
         title=f"offers of {w.address} (node {w.api.url})")


def _step(e: dict) -> dict[str, Any]:
    from domain.enums import OfferStatus

    a = e["args"]
    to = {"OfferSubmitted": "OFFERED", "OfferUpdated": "OFFERED", "OfferWithdrawn": "WITHDRAWN",
          "OfferOptedOut": "OPTED_OUT", "OfferRejected": "REJECTED"}.get(e["name"])
    return {"event": e["name"], "from": OfferStatus(a["from"]).name if "from" in a else None,
            "to": OfferStatus(a["to"]).name if "to" in a else to, "by": a.get("by") or a.get("owner") or a.get("dso"),
            "version": a.get("version"), "reason": a.get("reason"), "block": e["block"], "tx": e["tx_hash"]}


def show_offer(w: Wallet, offer_id: int, aau: bool) -> None:
    api = w.api
    if aau:  # built here as on the RPC path, from the node's offer, asset kind and round
        from ledger.messages.aau import to_aau
        from wallet_cli.offer_files import facts

        row, offer = current(w, offer_id)
        kind, slot_len = facts(api, offer.asset_id, offer.round_id)
        store = aau_store(api.chain_id, api.contract("Market"), offer_id)
        meta = json.loads(store.read_text()) if store.exists() else None
        doc = to_aau(offer, kind=kind, offer_id=offer_id, slot_len=slot_len, meta=meta, state=row["status"])
        typer.echo(json.dumps({"flexOffer": [doc]}, indent=2))
        return
    row, offer = current(w, offer_id)
    versions = [{"version": v["version"], "block": v["block"], "tx": v["tx_hash"], "offer_hash": v["offer_hash"]}
                for v in api.get(f"/flexoffers/{offer_id}/versions")]
    history = [_step(e) for e in api.pages("/events", round=row["round_id"])
               if e.get("offer_id") == offer_id and e["name"] in HISTORY]
    data = {"offer_id": offer_id, "round_id": row["round_id"], "asset_id": row["asset_id"], "status": row["status"],
            "version": row["version"], "offer_hash": row["offer_hash"],
            "hash_matches_events": row["offer_hash"] == "0x" + offer.offer_hash(offer_id, row["version"]).hex(),
            "versions": versions, "history": history, "offer": offer.model_dump(mode="json"), "node": api.url}
    show(data, w.json)
    if not w.json:
        from cli_common.output import console
        from wallet_cli.render import table
        console.print(table(versions, ["version", "block", "tx"], "versions"))
        console.print(table(history, ["event", "from", "to", "by", "block"], "state history"))


# ---- assets (read only through a node) -------------------------------------------------------------
def _asset_row(a: dict) -> dict[str, Any]:
    return {"asset_id": a["asset_id"], "owner": a["owner"], "zone_id": a["zone_id"], "grid_node": a["node"],
            "kind": a["kind"], "max_up_w": a["max_up_w"], "max_down_w": a["max_down_w"], "meter_id": a["meter_id"],
            "grid_prequalified": a["grid_prequalified"], "limit_up_w": a["limit_up_w"],
            "limit_down_w": a["limit_down_w"], "suspended": a["suspended"], "device_signer": a["device_signer"],
            "products": a.get("products", [])}


def asset_list(w: Wallet) -> None:
    rows = [_asset_row(a) for a in w.api.pages("/assets", owner=w.address)]
    show(rows, w.json, ["asset_id", "zone_id", "grid_node", "kind", "max_up_w", "max_down_w", "grid_prequalified",
                        "device_signer"], title=f"assets of {w.address} (node {w.api.url})")


def asset_show(w: Wallet, asset_id: int) -> None:
    show(_asset_row(w.api.get(f"/assets/{asset_id}")), w.json)
