"""The audit trace over the node API (issue 12): the same use case as `flexledger audit`.

    GET /audit/settlements/{ref}   a settlement by its award leaf or its settlement transaction hash
    GET /audit/awards/{leaf}       one published award
    GET /audit/rounds/{round_id}   every published award of a round

Each returns the AuditReport as JSON (every check with its result, the first broken link), or with
`?format=bundle` the JSON evidence bundle (`flexledger-audit/1`) a third party re-checks with
`flexledger audit check b.json --rpc URL`. A broken link is a 200 with `ok: false`, not an error: the
report is the answer. Who may fetch: an AUDITOR anything; the parties of one payment (the FSP whose
offer was awarded and the buyer of its request) their own award or settlement; a round only an
AUDITOR (it covers every party's payments). Anyone else gets 403 naming the AUDITOR role.
A trace holds the node's chain lock while it runs (it re-reads the chain and recomputes the round's
clearing in a fresh process: seconds), so other chain reads of this node wait meanwhile.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict

from domain.roles import Role
from operations.audit import AuditReport, trace_award, trace_round, trace_settlement
from operations.errors import OperationsError

from gateway.auth import Caller
from gateway.context import NodeContext
from gateway.deps import authenticated, node
from gateway.problems import Problem, forbidden_role, not_found

router = APIRouter(prefix="/audit", tags=["audit"])

HASH = r"^0x[0-9a-fA-F]{64}$"
Format = Annotated[Literal["report", "bundle"], Query(description="report (default) or the JSON evidence bundle")]


class CheckOut(BaseModel):
    link: str
    name: str
    ok: bool
    detail: str


class TraceOut(BaseModel):
    leaf: str
    offer_id: int
    request_id: int
    ok: bool
    first_broken_link: str | None
    checks: list[CheckOut]


class AuditOut(BaseModel):
    """Every check of every traced award, in link order; `first_broken` names the first failing one."""

    subject: str
    round_id: int
    ok: bool
    seconds: float
    first_broken_link: str | None
    first_broken: CheckOut | None
    traces: list[TraceOut]


class BundleOut(BaseModel):
    """The evidence bundle (format `flexledger-audit/1`, docs/audit.md); nothing in it is trusted."""

    model_config = ConfigDict(extra="allow")
    format: str
    chain_id: int


def _parties(ctx: NodeContext, leaf: bytes) -> set[str]:
    """The FSP whose offer the award is and the buyer of its request, from the node's index."""
    idx = ctx.ledger.index
    pub = idx.last("AwardPublished", leaf=leaf)
    if pub is None:
        return set()
    out = set()
    offer = idx.last("OfferSubmitted", offerId=pub["offerId"])
    request = idx.last("RequestPosted", requestId=pub["requestId"])
    for ev, key in ((offer, "owner"), (request, "buyer")):
        if ev is not None:
            out.add(ev[key].lower())
    return out


def _settled_leaf(ctx: NodeContext, ref: bytes) -> bytes | None:
    hx = "0x" + ref.hex()
    hit = [e for e in ctx.ledger.index.events("Settled") if e.tx_hash == hx or e["leaf"] == ref]
    return hit[-1]["leaf"] if hit else None


def _deny(caller: Caller, what: str) -> Problem:
    return forbidden_role(Role.AUDITOR.value, f"{caller.address} may not fetch the audit trace of {what}: it needs the "
                                              f"AUDITOR role or to be a party of the payment (has: "
                                              f"{', '.join(sorted(caller.roles)) or 'none'})")


def _answer(report: AuditReport, fmt: str) -> dict[str, Any]:
    return report.bundle if fmt == "bundle" else report.as_dict()


def _run(ctx: NodeContext, caller: Caller, what: str, find_leaf, trace) -> AuditReport:
    with ctx.chain_lock:
        ctx.ledger.sync()
        leaf = find_leaf()
        if leaf is None:
            raise not_found(what)
        if not caller.has(Role.AUDITOR) and caller.address.lower() not in _parties(ctx, leaf):
            raise _deny(caller, what)
        try:
            return trace(leaf)
        except OperationsError:
            raise not_found(what) from None


@router.get("/settlements/{ref}", response_model=AuditOut | BundleOut)
async def audit_settlement(ref: Annotated[str, Path(pattern=HASH, description="award leaf or settlement tx hash")],
                           format: Format = "report", caller: Caller = Depends(authenticated),
                           ctx: NodeContext = Depends(node)):
    """Trace one settlement back to its readings, award, offer, request and the recomputed clearing."""
    b = bytes.fromhex(ref[2:])
    report = await run_in_threadpool(_run, ctx, caller, f"settlement {ref}", lambda: _settled_leaf(ctx, b),
                                     lambda leaf: trace_settlement(ctx.ledger, ref))
    return _answer(report, format)


@router.get("/awards/{leaf}", response_model=AuditOut | BundleOut)
async def audit_award(leaf: Annotated[str, Path(pattern=HASH, description="the award's Merkle leaf")],
                      format: Format = "report", caller: Caller = Depends(authenticated),
                      ctx: NodeContext = Depends(node)):
    """Trace one published award (and its settlement, if any)."""
    b = bytes.fromhex(leaf[2:])
    found = lambda: b if ctx.ledger.index.last("AwardPublished", leaf=b) is not None else None  # noqa: E731
    report = await run_in_threadpool(_run, ctx, caller, f"award {leaf}", found, lambda x: trace_award(ctx.ledger, x))
    return _answer(report, format)


@router.get("/rounds/{round_id}", response_model=AuditOut | BundleOut)
async def audit_round(round_id: Annotated[int, Path(ge=0, le=2**64 - 1)], format: Format = "report",
                      caller: Caller = Depends(authenticated), ctx: NodeContext = Depends(node)):
    """Trace every published award of a round (AUDITOR only)."""
    if not caller.has(Role.AUDITOR):
        raise _deny(caller, f"round {round_id}")

    def run() -> AuditReport:
        with ctx.chain_lock:
            ctx.ledger.sync()
            if ctx.ledger.index.last("RoundCommitted", roundId=round_id) is None:
                raise not_found(f"a commitment of round {round_id}")
            try:
                return trace_round(ctx.ledger, round_id)
            except OperationsError:
                raise not_found(f"round {round_id}") from None

    return _answer(await run_in_threadpool(run), format)
