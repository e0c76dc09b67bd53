"""Write endpoints: offers, requests, rounds, readings and a generic relay (see gateway/relay.py).

Order of checks, all before anything is sent: sign-in (401), the Registry role read now (403 naming
the role), the body (422 naming the field), ownership (403), the market rules the Python model
knows (422 naming the rule), a simulation on the chain (a contract custom error → 4xx with its name
and arguments). Then the transaction is sent (node identity) or relayed (caller-signed).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError, model_validator

from domain.enums import AssetKind
from domain.roles import Role
from ledger.messages.aau import from_aau
from ledger.messages.flex_offer import FlexOffer
from ledger.messages.flex_request import FlexRequest, RoundConfig
from ledger.client import TxResult
from ledger.settlement import SignedReading

from gateway import models as m
from gateway.auth import Caller
from gateway.context import NodeContext
from gateway.deps import node, require
from gateway.problems import Problem, invalid, not_found
from gateway.relay import BUYERS, DecodedTx, decode_tx, offer_from_chain, outcome, own_identity, relay

router = APIRouter()
INT64 = m.INT64
Id = Annotated[int, Path(ge=0, le=INT64)]
SignedTx = Field(default=None, max_length=262_144, pattern="^0x[0-9a-fA-F]*$",
                 description="a type-2 transaction signed by the caller, relayed as is")


class OneOf(BaseModel):
    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k, v in self if v is not None]
        if len(given) != 1:
            names = " or ".join(type(self).model_fields)
            raise ValueError(f"give exactly one of {names} (got {', '.join(given) or 'none'})")
        return self


class OfferWrite(OneOf):
    offer: FlexOffer | None = Field(default=None, description="FlexLedger JSON (the node signs: own party only)")
    aau: dict[str, Any] | None = Field(default=None, description="an AAU FlexOffer document (node signs)")
    signed_tx: str | None = SignedTx


class RequestWrite(OneOf):
    request: FlexRequest | None = None
    signed_tx: str | None = SignedTx


class RoundWrite(OneOf):
    config: RoundConfig | None = None
    signed_tx: str | None = SignedTx


class Reading(BaseModel):
    asset_id: int = Field(ge=1, le=INT64)
    slot_start: int = Field(ge=0, le=INT64)
    energy_wh: int = Field(ge=-INT64, le=INT64)
    seq: int = Field(ge=0, le=INT64)
    signature: str = Field(pattern="^0x[0-9a-fA-F]{130}$", description="the device key's EIP-712 signature")


class ReadingsWrite(OneOf):
    readings: list[Reading] | None = Field(default=None, min_length=1, max_length=500)
    signed_tx: str | None = SignedTx


class TxWrite(BaseModel):
    signed_tx: str = Field(max_length=262_144, pattern="^0x[0-9a-fA-F]+$")


# ---- helpers --------------------------------------------------------------------------------------
def _offer_doc(ctx: NodeContext, body: OfferWrite) -> FlexOffer:
    if body.offer is not None:
        return body.offer
    try:
        slot_len = 900
        round_id = (body.aau.get("flexLedger") or {}).get("roundId")
        row = ctx.reader.execute("SELECT slot_len FROM rounds WHERE round_id = ?", (round_id,)).fetchone() \
            if isinstance(round_id, int) and 0 <= round_id <= INT64 else None
        asset_id = (body.aau.get("flexLedger") or {}).get("assetId")
        kind = ctx.reader.execute("SELECT kind FROM assets WHERE asset_id = ?", (asset_id,)).fetchone() \
            if isinstance(asset_id, int) and 0 <= asset_id <= INT64 else None
        return from_aau(body.aau, slot_len=row[0] if row else slot_len, kind=AssetKind[kind[0]] if kind else None)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise invalid(".".join(["aau", *map(str, e["loc"])]), e["msg"]) from None
    except (TypeError, AttributeError) as exc:
        raise invalid("aau", f"not an AAU FlexOffer document: {exc}") from None


def _own_asset(ctx: NodeContext, caller: Caller, offer: FlexOffer, field: str) -> None:
    row = ctx.reader.execute("SELECT owner FROM assets WHERE asset_id = ?", (offer.asset_id,)).fetchone()
    if row is None:
        raise invalid(f"{field}.asset_id", f"asset {offer.asset_id} is not registered")
    if row[0] != caller.address:
        raise Problem(403, "not-the-owner", "Not the asset's owner",
                      f"{field}.asset_id: asset {offer.asset_id} belongs to {row[0]}", field=f"{field}.asset_id")


def _offer_row(ctx: NodeContext, offer_id: int, caller: Caller) -> dict:
    row = ctx.reader.execute("SELECT * FROM offers WHERE offer_id = ?", (offer_id,)).fetchone()
    if row is None:
        raise not_found(f"flex-offer {offer_id}")
    if row["owner"] != caller.address:
        raise Problem(403, "not-the-owner", "Not the offer's owner", f"flex-offer {offer_id} belongs to {row['owner']}",
                      field="offer_id")
    return dict(row)


def _offers_in(tx) -> list[tuple[FlexOffer, str]]:
    a = tx.args
    if tx.function == "submitOffer":
        return [(offer_from_chain(next(iter(a.values())), "signed_tx.offer"), "signed_tx.offer")]
    if tx.function == "submitOffers":
        return [(offer_from_chain(o, f"signed_tx.offers[{i}]"), f"signed_tx.offers[{i}]") for i, o in
                enumerate(next(iter(a.values())))]
    if tx.function == "updateOffer":
        return [(offer_from_chain(list(a.values())[-1], "signed_tx.next"),
                 "signed_tx.next")]
    return []


def _submitted(ctx: NodeContext, caller: Caller, body: OfferWrite, allowed: set[str], node_send,
               tx: DecodedTx | None = None) -> dict:
    """`tx` is the caller's signed transaction when the route has already decoded it."""
    if body.signed_tx is not None:
        tx = tx or decode_tx(ctx, caller, body.signed_tx, allowed)
        for offer, field in _offers_in(tx):
            _own_asset(ctx, caller, offer, field)
            with ctx.chain_lock:
                ctx.ledger.market.precheck(offer)
        res = relay(ctx, tx)
    else:
        signer = own_identity(ctx, caller)
        offer = _offer_doc(ctx, body)
        field = "offer" if body.offer is not None else "aau"
        _own_asset(ctx, caller, offer, field)
        with ctx.chain_lock:
            ctx.ledger.market.precheck(offer)
            res = node_send(signer, offer)
        ctx.sync()
    ids = [e["offerId"] for e in res.events if e.name in ("OfferSubmitted", "OfferUpdated")]
    return outcome(res, offer_ids=ids)


# ---- flex-offers ------------------------------------------------------------------------------------
@router.post("/flexoffers", response_model=m.TxOutcome, status_code=201, tags=["market"])
def post_flexoffer(body: OfferWrite, caller: Caller = Depends(require(Role.FSP)), ctx: NodeContext = Depends(node)):
    """Submit a flex-offer: FlexLedger JSON or an AAU FlexOffer (signed by the node for its own party),
    or the caller's signed submitOffer/submitOffers transaction (relayed)."""
    return _submitted(ctx, caller, body, {"submitOffer", "submitOffers"},
                      lambda s, o: ctx.ledger.market.c.transact("submitOffer", o.to_chain(), sender=s))


@router.put("/flexoffers/{offer_id}", response_model=m.TxOutcome, tags=["market"])
def put_flexoffer(offer_id: Id, body: OfferWrite, caller: Caller = Depends(require(Role.FSP)),
                  ctx: NodeContext = Depends(node)):
    """Update a flex-offer (same id, round and asset; version + 1)."""
    row = _offer_row(ctx, offer_id, caller)
    current = FlexOffer.model_validate_json(row["offer"])
    tx = None
    if body.signed_tx is not None:
        tx = decode_tx(ctx, caller, body.signed_tx, {"updateOffer"})
        if tx.args.get("offerId") != offer_id:
            raise invalid("signed_tx", f"updates offer {tx.args.get('offerId')}, not {offer_id}")
    return _submitted(ctx, caller, body, {"updateOffer"}, lambda s, o: ctx.ledger.market.c.transact(
        "updateOffer", offer_id, current.to_chain(), o.to_chain(), sender=s), tx)


@router.delete("/flexoffers/{offer_id}", response_model=m.TxOutcome, tags=["market"])
def delete_flexoffer(offer_id: Id, caller: Caller = Depends(require(Role.FSP)), ctx: NodeContext = Depends(node)):
    """Withdraw a flex-offer (an opt-out after an award), signed by the node for its own party; a caller
    with its own key sends a signed withdrawOffer to POST /transactions."""
    row = _offer_row(ctx, offer_id, caller)
    signer = own_identity(ctx, caller)
    current = FlexOffer.model_validate_json(row["offer"])
    with ctx.chain_lock:
        res = ctx.ledger.market.c.transact("withdrawOffer", offer_id, current.to_chain(), sender=signer)
    ctx.sync()
    return outcome(res, offer_ids=[offer_id])


def _relayed_or_own(ctx: NodeContext, caller: Caller, signed_tx: str | None, function: str, args) -> TxResult:
    """The caller's signed `function` transaction relayed, or the node's own identity calling
    `function(*args())` on the Market (args built only on that path: the body holds one or the other)."""
    if signed_tx is not None:
        return relay(ctx, decode_tx(ctx, caller, signed_tx, {function}))
    signer = own_identity(ctx, caller)
    with ctx.chain_lock:
        res = ctx.ledger.market.c.transact(function, *args(), sender=signer)
    ctx.sync()
    return res


# ---- requests and rounds ----------------------------------------------------------------------------
@router.post("/flexrequests", response_model=m.TxOutcome, status_code=201, tags=["market"])
def post_flexrequest(body: RequestWrite, caller: Caller = Depends(require(*BUYERS)), ctx: NodeContext = Depends(node)):
    """Post a flex request (USEF FlexRequest): a DSO in its own zones, a TSO in any zone or system-wide."""
    res = _relayed_or_own(ctx, caller, body.signed_tx, "postRequest", lambda: (body.request.to_chain(),))
    ev = next((e for e in res.events if e.name == "RequestPosted"), None)
    return outcome(res, request_id=ev["requestId"] if ev else None)


@router.delete("/flexrequests/{request_id}", response_model=m.TxOutcome, tags=["market"])
def delete_flexrequest(request_id: Id, caller: Caller = Depends(require(*BUYERS)), ctx: NodeContext = Depends(node)):
    row = ctx.reader.execute("SELECT buyer FROM requests WHERE request_id = ?", (request_id,)).fetchone()
    if row is None:
        raise not_found(f"flex request {request_id}")
    if row[0] != caller.address:
        raise Problem(403, "not-the-buyer", "Not the request's buyer", f"flex request {request_id} is {row[0]}'s",
                      field="request_id")
    signer = own_identity(ctx, caller)
    with ctx.chain_lock:
        res = ctx.ledger.market.cancel_request(signer, request_id)
    ctx.sync()
    return outcome(res, request_id=request_id)


@router.post("/rounds", response_model=m.TxOutcome, status_code=201, tags=["market"])
def post_round(body: RoundWrite, caller: Caller = Depends(require(Role.OPERATOR)), ctx: NodeContext = Depends(node)):
    """Open a market round (the operator)."""
    res = _relayed_or_own(ctx, caller, body.signed_tx, "openRound", lambda: (body.config.to_chain(),))
    ev = next((e for e in res.events if e.name == "RoundOpened"), None)
    return outcome(res, round_id=ev["roundId"] if ev else None)


# ---- measurements and the generic relay -----------------------------------------------------------------
@router.post("/measurements", response_model=m.TxOutcome, status_code=201, tags=["settlement"])
def post_measurements(body: ReadingsWrite, caller: Caller = Depends(require(Role.FSP, Role.METERING)),
                      ctx: NodeContext = Depends(node)):
    """Device-signed readings (EIP-712 Measurement) of the caller's assets, sent in one batch."""
    if body.signed_tx is not None:
        res = relay(ctx, decode_tx(ctx, caller, body.signed_tx, {"submitReadings"}))
        return outcome(res)
    signer = own_identity(ctx, caller)
    for i, r in enumerate(body.readings):
        owner = ctx.reader.execute("SELECT owner FROM assets WHERE asset_id = ?", (r.asset_id,)).fetchone()
        if owner is None:
            raise invalid(f"readings[{i}].asset_id", f"asset {r.asset_id} is not registered")
        if owner[0] != caller.address and not caller.has(Role.METERING):
            raise Problem(403, "not-the-owner", "Not the asset's owner", f"readings[{i}].asset_id: asset "
                          f"{r.asset_id} belongs to {owner[0]}", field=f"readings[{i}].asset_id")
    readings = [SignedReading(r.asset_id, r.slot_start, r.energy_wh, r.seq, bytes.fromhex(r.signature[2:]))
                for r in body.readings]
    with ctx.chain_lock:
        res = ctx.ledger.settlement.submit_readings(signer, readings)
    ctx.sync()
    return outcome(res)


@router.post("/transactions", response_model=m.TxOutcome, status_code=201, tags=["relay"])
async def post_transaction(body: TxWrite, caller: Caller = Depends(require(*Role)), ctx: NodeContext = Depends(node)):
    """Relay any FlexLedger write the caller signed, if the caller's role allows that function."""
    tx = decode_tx(ctx, caller, body.signed_tx)
    for offer, field in _offers_in(tx):
        _own_asset(ctx, caller, offer, field)
    return outcome(await run_in_threadpool(relay, ctx, tx))
