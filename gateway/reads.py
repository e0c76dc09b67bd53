"""GET endpoints: every resource from the node's index (indexed queries, keyset pagination)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from eth_utils import is_address, to_checksum_address

from domain.award import Award, AwardTree
from domain.enums import AssetKind
from ledger.messages.aau import to_aau
from ledger.messages.flex_offer import FlexOffer

from gateway import models as m
from gateway.context import NodeContext
from gateway.deps import authenticated, node
from gateway.problems import invalid, not_found

router = APIRouter(dependencies=[Depends(authenticated)])
INT64 = m.INT64
Id = Annotated[int, Path(ge=0, le=INT64)]
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Cursor = Annotated[str | None, Query(max_length=80, description="next_cursor of the previous page (opaque)")]
OptInt = Annotated[int | None, Query(ge=0, le=INT64)]
OptAddr = Annotated[str | None, Query(max_length=42, description="0x address")]


def _addr(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    checksummed = _checksum(value)
    if checksummed is None:
        raise invalid(field, "not an Ethereum address")
    return checksummed


@lru_cache(maxsize=4096)
def _checksum(value: str) -> str | None:
    return to_checksum_address(value) if is_address(value) else None


def _int_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or int(cursor) > INT64:
        raise invalid("cursor", "not a cursor this API returned")
    return int(cursor)


def page(ctx: NodeContext, table: str, key: str, where: list[tuple[str, Any]], cursor: Any, limit: int,
         columns: str = "*") -> tuple[list[dict], str | None]:
    clauses = [w for w, _ in where]
    params = [p for _, p in where]
    if cursor is not None:
        clauses.append(f"{key} > ?")
        params.append(cursor)
    sql = f"SELECT {columns} FROM {table}" + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
    rows = ctx.reader.execute(f"{sql} ORDER BY {key} LIMIT ?", (*params, limit + 1)).fetchall()
    more = len(rows) > limit
    rows = [dict(r) for r in rows[:limit]]
    return rows, (str(rows[-1][key]) if more and rows else None)


def _one(ctx: NodeContext, sql: str, *params: Any, what: str) -> dict:
    row = ctx.reader.execute(sql, params).fetchone()
    if row is None:
        raise not_found(what)
    return dict(row)


# ---- participants, zones, assets --------------------------------------------------------------
def _participant(ctx: NodeContext, row: dict) -> dict:
    roles = [r[0] for r in ctx.reader.execute("SELECT role FROM participant_roles WHERE address = ? ORDER BY role",
                                              (row["address"],))]
    return {**row, "roles": roles, "suspended": bool(row["suspended"])}


@router.get("/participants", response_model=m.page_of(m.Participant), tags=["registry"])
async def participants(ctx: NodeContext = Depends(node), role: Annotated[str | None, Query(max_length=16)] = None,
                       cursor: Cursor = None, limit: Limit = 100):
    where = [("role = ?", role.upper())] if role else []
    rows, nxt = page(ctx, "participants", "address", where, cursor, limit)
    return {"items": [_participant(ctx, r) for r in rows], "next_cursor": nxt}


@router.get("/participants/{address}", response_model=m.Participant, tags=["registry"])
async def participant(address: Annotated[str, Path(max_length=42)], ctx: NodeContext = Depends(node)):
    a = _addr(address, "address")
    return _participant(ctx, _one(ctx, "SELECT * FROM participants WHERE address = ?", a, what=f"participant {a}"))


def _zone(row: dict) -> dict:
    return {**row, "nodes": json.loads(row["nodes"]), "red": bool(row["red"])}


@router.get("/zones", response_model=m.page_of(m.Zone), tags=["registry"])
async def zones(ctx: NodeContext = Depends(node), dso: OptAddr = None, cursor: Cursor = None, limit: Limit = 100):
    where = [("dso = ?", _addr(dso, "dso"))] if dso else []
    rows, nxt = page(ctx, "zones", "zone_id", where, _int_cursor(cursor), limit)
    return {"items": [_zone(r) for r in rows], "next_cursor": nxt}


@router.get("/zones/{zone_id}", response_model=m.Zone, tags=["registry"])
async def zone(zone_id: Id, ctx: NodeContext = Depends(node)):
    return _zone(_one(ctx, "SELECT * FROM zones WHERE zone_id = ?", zone_id, what=f"zone {zone_id}"))


def _asset(ctx: NodeContext, row: dict) -> dict:
    products = [dict(r) for r in ctx.reader.execute("SELECT buyer, product FROM asset_products WHERE asset_id = ? "
                                                    "ORDER BY buyer, product", (row["asset_id"],))]
    return {**row, "grid_prequalified": bool(row["grid_prequalified"]), "suspended": bool(row["suspended"]),
            "products": products}


@router.get("/assets", response_model=m.page_of(m.Asset), tags=["registry"])
async def assets(ctx: NodeContext = Depends(node), owner: OptAddr = None, zone: OptInt = None, cursor: Cursor = None,
                 limit: Limit = 100):
    where = [("owner = ?", _addr(owner, "owner"))] if owner else []
    where += [("zone_id = ?", zone)] if zone is not None else []
    rows, nxt = page(ctx, "assets", "asset_id", where, _int_cursor(cursor), limit)
    return {"items": [_asset(ctx, r) for r in rows], "next_cursor": nxt}


@router.get("/assets/{asset_id}", response_model=m.Asset, tags=["registry"])
async def asset(asset_id: Id, ctx: NodeContext = Depends(node)):
    return _asset(ctx, _one(ctx, "SELECT * FROM assets WHERE asset_id = ?", asset_id, what=f"asset {asset_id}"))


# ---- rounds, requests ---------------------------------------------------------------------------
def _round(ctx: NodeContext, row: dict) -> dict:
    commits = [dict(r) for r in ctx.reader.execute("SELECT * FROM commitments WHERE round_id = ? ORDER BY attempt",
                                                   (row["round_id"],))]
    attests = [{**dict(r), "attested": bool(r["attested"])} for r in ctx.reader.execute(
        "SELECT * FROM attestations WHERE round_id = ? ORDER BY auditor", (row["round_id"],))]
    return {**row, "config": json.loads(row["config"]), "commitments": commits, "attestations": attests}


@router.get("/rounds", response_model=m.page_of(m.Round), tags=["market"])
async def rounds(ctx: NodeContext = Depends(node), cursor: Cursor = None, limit: Limit = 100):
    rows, nxt = page(ctx, "rounds", "round_id", [], _int_cursor(cursor), limit)
    return {"items": [_round(ctx, r) for r in rows], "next_cursor": nxt}


@router.get("/rounds/{round_id}", response_model=m.Round, tags=["market"])
async def round_(round_id: Id, ctx: NodeContext = Depends(node)):
    return _round(ctx, _one(ctx, "SELECT * FROM rounds WHERE round_id = ?", round_id, what=f"round {round_id}"))


def _request(row: dict) -> dict:
    return {**row, "power_w": json.loads(row["power_w"])}


@router.get("/flexrequests", response_model=m.page_of(m.FlexRequestOut), tags=["market"])
async def flexrequests(ctx: NodeContext = Depends(node), round: OptInt = None, zone: OptInt = None,
                       buyer: OptAddr = None, status: Annotated[Literal["OPEN", "CANCELLED"] | None, Query()] = None,
                       cursor: Cursor = None, limit: Limit = 100):
    where = [(c, v) for c, v in (("round_id = ?", round), ("zone_id = ?", zone), ("buyer = ?", _addr(buyer, "buyer")),
                                 ("status = ?", status)) if v is not None]
    rows, nxt = page(ctx, "requests", "request_id", where, _int_cursor(cursor), limit)
    return {"items": [_request(r) for r in rows], "next_cursor": nxt}


@router.get("/flexrequests/{request_id}", response_model=m.FlexRequestOut, tags=["market"])
async def flexrequest(request_id: Id, ctx: NodeContext = Depends(node)):
    return _request(_one(ctx, "SELECT * FROM requests WHERE request_id = ?", request_id,
                         what=f"flex request {request_id}"))


# ---- flex-offers ---------------------------------------------------------------------------------
OFFER_COLUMNS = ("offer_id", "round_id", "owner", "asset_id", "zone_id", "version", "offer_hash", "status",
                 "earliest_start", "latest_start", "slice_count", "reason", "submitted_block", "updated_block")
OfferState = Literal["OFFERED", "WITHDRAWN", "AWARDED", "ACTIVATED", "SETTLED", "REJECTED", "EXPIRED", "OPTED_OUT"]
Format = Annotated[Literal["flexledger", "aau"], Query(description="offer document format")]


# Each offer's columns are serialised by SQLite (json_object, in C) and its stored document is spliced
# in as text: the hot list path builds no Python dict and runs no pydantic validation.
_OFFER_HEAD = "json_object(" + ", ".join(f"'{c}', {c}" for c in OFFER_COLUMNS) + ")"
_OFFER_SELECT = f"SELECT offer_id, round_id, asset_id, owner, status, offer, {_OFFER_HEAD} AS head FROM offers"
_OFFER_FILTERS = ("round_id = ?", "zone_id = ?", "asset_id = ?", "owner = ?", "status = ?", "earliest_start >= ?",
                  "latest_start <= ?")


@lru_cache(maxsize=512)
def _offers_sql(clauses: tuple[str, ...]) -> str:
    return _OFFER_SELECT + (f" WHERE {' AND '.join(clauses)}" if clauses else "") + " ORDER BY offer_id LIMIT ?"


def offers_query(filters: dict[str, Any], cursor: int | None, limit: int) -> tuple[str, tuple]:
    """The keyset query behind GET /flexoffers: `filters` maps each of _OFFER_FILTERS to a value or None.
    One SQL text per combination of filters (sqlite3 keeps it prepared in its statement cache). An
    equality filter seeks its (column, offer_id) index; time ranges alone walk the primary key from the
    cursor, stopping after `limit` matches."""
    used = [(c, filters[c]) for c in _OFFER_FILTERS if filters.get(c) is not None]
    used.append(("offer_id > ?", -1 if cursor is None else cursor))  # the first page too: one keyset form
    return _offers_sql(tuple(c for c, _ in used)), (*(v for _, v in used), limit + 1)


def _offer_json(ctx: NodeContext, row: Any, fmt: str) -> str:
    """One offer as JSON text: its columns (`head`, serialised by SQLite) with the stored document."""
    doc = row["offer"]
    if fmt == "aau":
        slot_len = _slot_len(ctx, row["round_id"])
        kind = ctx.reader.execute("SELECT kind FROM assets WHERE asset_id = ?", (row["asset_id"],)).fetchone()
        doc = json.dumps(to_aau(FlexOffer.model_validate_json(doc), offer_id=row["offer_id"], slot_len=slot_len,
                                offered_by=row["owner"], state=row["status"],
                                kind=AssetKind[kind[0]] if kind else None))
    return f'{row["head"][:-1]},"offer":{doc}}}'


def _slot_len(ctx: NodeContext, round_id: int) -> int:
    row = ctx.reader.execute("SELECT slot_len FROM rounds WHERE round_id = ?", (round_id,)).fetchone()
    return row[0] if row else 900


@router.get("/flexoffers", response_model=m.page_of(m.FlexOfferOut), tags=["market"])
async def flexoffers(ctx: NodeContext = Depends(node), round: OptInt = None, zone: OptInt = None, asset: OptInt = None,
                     owner: OptAddr = None, state: Annotated[OfferState | None, Query()] = None,
                     start_from: Annotated[int | None, Query(ge=0, le=INT64, description="earliest_start ≥ (unix s)")] = None,
                     start_to: Annotated[int | None, Query(ge=0, le=INT64, description="latest_start ≤ (unix s)")] = None,
                     format: Format = "flexledger", cursor: Cursor = None, limit: Limit = 50):
    filters = {"round_id = ?": round, "zone_id = ?": zone, "asset_id = ?": asset, "owner = ?": _addr(owner, "owner"),
               "status = ?": state, "earliest_start >= ?": start_from, "latest_start <= ?": start_to}
    return Response(offers_page_body(ctx, filters, _int_cursor(cursor), limit, format), media_type="application/json")


def offers_page_body(ctx: NodeContext, filters: dict[str, Any], cursor: int | None, limit: int, fmt: str) -> str:
    """A page of offers as JSON text (also served by gateway.fast_reads for the common case)."""
    sql, params = offers_query(filters, cursor, limit)
    rows = ctx.reader.execute(sql, params).fetchall()
    nxt = json.dumps(str(rows[limit - 1][0])) if len(rows) > limit else "null"
    return '{"items":[' + ",".join(_offer_json(ctx, r, fmt) for r in rows[:limit]) + '],"next_cursor":' + nxt + "}"


@router.get("/flexoffers/{offer_id}", response_model=m.FlexOfferOut, tags=["market"])
async def flexoffer(offer_id: Id, ctx: NodeContext = Depends(node), format: Format = "flexledger"):
    row = ctx.reader.execute(_OFFER_SELECT + " WHERE offer_id = ?", (offer_id,)).fetchone()
    if row is None:
        raise not_found(f"flex-offer {offer_id}")
    return Response(_offer_json(ctx, row, format), media_type="application/json")


@router.get("/flexoffers/{offer_id}/versions", response_model=list[m.OfferVersion], tags=["market"])
async def flexoffer_versions(offer_id: Id, ctx: NodeContext = Depends(node)):
    _one(ctx, "SELECT offer_id FROM offers WHERE offer_id = ?", offer_id, what=f"flex-offer {offer_id}")
    return [dict(r) for r in ctx.reader.execute("SELECT * FROM offer_versions WHERE offer_id = ? ORDER BY version",
                                                (offer_id,))]


# ---- awards with proofs ---------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _tree(round_id: int, attempt: int, count: int, awards_json: tuple[str, ...]) -> AwardTree:
    return AwardTree([Award.from_chain(_chain_award(json.loads(a))) for a in awards_json])


def _chain_award(a: dict) -> dict:
    return Award(a["round_id"], a["offer_id"], a["request_id"], a["start_slot"], tuple(a["schedule"]),
                 tuple(a["portion"]), a["reservation_price"], a["activation_price"]).to_chain()


def _awards_of_round(ctx: NodeContext, round_id: int) -> tuple[list[dict], AwardTree | None]:
    latest = ctx.reader.execute("SELECT MAX(attempt) FROM awards WHERE round_id = ?", (round_id,)).fetchone()[0]
    if latest is None:
        return [], None
    rows = [dict(r) for r in ctx.reader.execute("SELECT * FROM awards WHERE round_id = ? AND attempt = ? ORDER BY "
                                                "offer_id, request_id", (round_id, latest))]
    tree = _tree(round_id, latest, len(rows), tuple(r["award"] for r in rows))
    return rows, tree


def _award(row: dict, tree: AwardTree) -> dict:
    award = json.loads(row["award"])
    proof = tree.tree.proof(bytes.fromhex(row["leaf"][2:])) if tree.tree else []
    return {**row, "award": award, "confirmed": bool(row["confirmed"]), "proof": ["0x" + p.hex() for p in proof],
            "awards_root": "0x" + tree.root.hex()}


@router.get("/rounds/{round_id}/awards", response_model=list[m.AwardOut], tags=["clearing"])
async def round_awards(round_id: Id, ctx: NodeContext = Depends(node)):
    """The awards of the round's latest commitment as published on the ledger, each with its Merkle proof."""
    rows, tree = _awards_of_round(ctx, round_id)
    return [_award(r, tree) for r in rows]


@router.get("/awards/{leaf}", response_model=m.AwardOut, tags=["clearing"])
async def award(leaf: Annotated[str, Path(pattern="^0x[0-9a-fA-F]{64}$")], ctx: NodeContext = Depends(node)):
    row = _one(ctx, "SELECT round_id FROM awards WHERE leaf = ? ORDER BY attempt DESC LIMIT 1", leaf.lower(),
               what=f"award {leaf}")
    rows, tree = _awards_of_round(ctx, row["round_id"])
    match = [r for r in rows if r["leaf"] == leaf.lower()]
    if not match:
        raise not_found(f"award {leaf} in the round's latest commitment")
    return _award(match[0], tree)


# ---- delivery and settlement ------------------------------------------------------------------------
@router.get("/activations", response_model=list[m.Activation], tags=["settlement"])
async def activations(ctx: NodeContext = Depends(node), leaf: Annotated[str | None, Query(max_length=66)] = None,
                      buyer: OptAddr = None, limit: Limit = 100):
    where = [(c, v) for c, v in (("leaf = ?", leaf.lower() if leaf else None), ("buyer = ?", _addr(buyer, "buyer")))
             if v is not None]
    sql = "SELECT * FROM activations" + (" WHERE " + " AND ".join(c for c, _ in where) if where else "")
    return [dict(r) for r in ctx.reader.execute(sql + " ORDER BY block, log_index LIMIT ?",
                                                (*[v for _, v in where], limit))]


@router.get("/measurements", response_model=m.page_of(m.Measurement), tags=["settlement"])
async def measurements(asset: Annotated[int, Query(ge=0, le=INT64)], ctx: NodeContext = Depends(node),
                       cursor: Cursor = None, limit: Limit = 100):
    """Signed readings recorded on the ledger for one asset, by slot start."""
    rows, nxt = page(ctx, "readings", "slot_start", [("asset_id = ?", asset)], _int_cursor(cursor), limit)
    return {"items": rows, "next_cursor": nxt}


@router.get("/settlements", response_model=m.page_of(m.SettlementOut), tags=["settlement"])
async def settlements(ctx: NodeContext = Depends(node), fsp: OptAddr = None, cursor: Cursor = None, limit: Limit = 100):
    where = [("fsp = ?", _addr(fsp, "fsp"))] if fsp else []
    rows, nxt = page(ctx, "settlements", "leaf", where, cursor, limit)
    return {"items": rows, "next_cursor": nxt}


@router.get("/reliability", response_model=list[m.Reliability], tags=["settlement"])
async def reliability_all(ctx: NodeContext = Depends(node)):
    return [dict(r) for r in ctx.reader.execute("SELECT * FROM reliability ORDER BY fsp")]


@router.get("/reliability/{address}", response_model=m.Reliability, tags=["settlement"])
async def reliability(address: Annotated[str, Path(max_length=42)], ctx: NodeContext = Depends(node)):
    a = _addr(address, "address")
    return _one(ctx, "SELECT * FROM reliability WHERE fsp = ?", a, what=f"reliability record of {a}")


# ---- what a caller needs to sign a transaction for the relay ------------------------------------------
@router.get("/accounts/{address}/tx-params", response_model=m.TxParams, tags=["relay"])
def tx_params(address: Annotated[str, Path(max_length=42)], ctx: NodeContext = Depends(node)):
    """Chain id, the account's next nonce, fees and gas limits, for a transaction the caller signs
    itself and sends to POST /transactions (or /flexoffers) — the node never sees its key."""
    from ledger.backends.base import DEFAULT_GAS
    from ledger.market import OFFER_BATCH_GAS

    a = _addr(address, "address")
    with ctx.chain_lock:
        chain = ctx.ledger.chain
        nonce = chain.transaction_count(a, "pending")
        fees = chain._fees()
    return {"chain_id": ctx.ledger.manifest.chain_id, "address": a, "nonce": nonce,
            "max_fee_per_gas": fees["maxFeePerGas"], "max_priority_fee_per_gas": fees["maxPriorityFeePerGas"],
            "gas": DEFAULT_GAS, "batch_gas": OFFER_BATCH_GAS}


# ---- raw events ----------------------------------------------------------------------------------------
def event_row(r: Any) -> dict:
    d = dict(r)
    d["args"] = json.loads(d["args"])
    d.pop("raw", None)
    d.pop("block_hash", None)
    d.pop("address", None)
    return d


@router.get("/events", response_model=m.page_of(m.EventOut), tags=["events"])
async def events(ctx: NodeContext = Depends(node), name: Annotated[str | None, Query(max_length=64)] = None,
                 round: OptInt = None, cursor: Cursor = None, limit: Limit = 100):
    where = [(c, v) for c, v in (("name = ?", name), ("round_id = ?", round)) if v is not None]
    rows, nxt = page(ctx, "events", "seq", where, _int_cursor(cursor), limit)
    return {"items": [event_row(r) for r in rows], "next_cursor": nxt}
