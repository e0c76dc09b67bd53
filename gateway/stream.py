"""Server-sent events: new ledger events as the node indexes them, filtered by the caller's interest.

Interest: auditors, the operator, the admin and TSOs see every event; a DSO sees its zones' events,
events naming it, and events of no zone or asset (rounds, system-wide requests, the registry); an FSP
sees events of its assets and their zones, events naming it, and the same public events. Each event's
`id` is its index sequence number: reconnecting with `Last-Event-ID` (or `?since=`) resumes right after
it, with no gap and no repeat (sequence numbers are never reused, even after a reorganisation).
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, AsyncIterator

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from domain.roles import Role

from gateway.auth import Caller
from gateway.context import NodeContext
from gateway.deps import authenticated, node
from gateway.problems import invalid
from gateway.reads import event_row

router = APIRouter()
KEEPALIVE_SECONDS = 15
BATCH = 500
SEES_ALL = (Role.AUDITOR, Role.OPERATOR, Role.ADMIN, Role.TSO)
PUBLIC = "(zone_id IS NULL AND asset_id IS NULL)"


def interest(ctx: NodeContext, caller: Caller) -> tuple[str, list]:
    """The SQL condition (and parameters) selecting the events `caller` follows."""
    if any(caller.has(r) for r in SEES_ALL):
        return "1", []
    conn, me = ctx.reader, caller.address
    zones: set[int] = set()
    assets: list[int] = []
    if caller.has(Role.DSO):
        zones |= {r[0] for r in conn.execute("SELECT zone_id FROM zones WHERE dso = ?", (me,))}
    if caller.has(Role.FSP) or caller.has(Role.METERING):
        for aid, zid in conn.execute("SELECT asset_id, zone_id FROM assets WHERE owner = ?", (me,)):
            assets.append(aid)
            zones.add(zid)
    zs, as_ = sorted(zones), sorted(assets)
    cond = f"({PUBLIC} OR party = ?"
    params: list = [me]
    if zs:
        cond += f" OR zone_id IN ({','.join('?' * len(zs))})"
        params += zs
    if as_:
        cond += f" OR asset_id IN ({','.join('?' * len(as_))})"
        params += as_
    return cond + ")", params


def _sse(row) -> str:
    ev = event_row(row)
    return f"id: {ev['seq']}\nevent: {ev['name']}\ndata: {json.dumps(ev)}\n\n"


@router.get("/stream", tags=["events"], response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"}})
async def stream(request: Request, caller: Caller = Depends(authenticated), ctx: NodeContext = Depends(node),
                 last_event_id: Annotated[str | None, Header(max_length=24)] = None,
                 since: Annotated[int | None, Query(ge=0, le=(1 << 63) - 1, description="resume after this id")] = None,
                 name: Annotated[str | None, Query(max_length=64, description="only events of this name")] = None):
    """Live ledger events as text/event-stream (resumable with Last-Event-ID)."""
    if last_event_id is not None:
        if not last_event_id.isdigit():
            raise invalid("Last-Event-ID", "not an event id this stream sent")
        since = int(last_event_id)
    if since is None:
        since = ctx.reader.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
    return StreamingResponse(_events(request, ctx, caller, since, name), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _events(request: Request, ctx: NodeContext, caller: Caller, last: int, name: str | None) -> AsyncIterator[str]:
    wake = ctx.subscribe()
    try:
        yield ": stream open\n\n"
        while not await request.is_disconnected():
            wake.clear()
            cond, params = interest(ctx, caller)
            if name:
                cond, params = f"{cond} AND name = ?", [*params, name]
            rows = ctx.reader.execute(f"SELECT * FROM events WHERE seq > ? AND {cond} ORDER BY seq LIMIT ?",
                                      (last, *params, BATCH)).fetchall()
            for row in rows:
                last = row["seq"]
                yield _sse(row)
            if len(rows) == BATCH:
                continue
            caller = ctx.roles.caller(caller.address)
            if caller.suspended or not caller.registered:
                yield "event: end\ndata: {\"reason\": \"participant suspended\"}\n\n"
                return
            try:
                await asyncio.wait_for(wake.wait(), KEEPALIVE_SECONDS)
            except asyncio.TimeoutError:
                yield ": keepalive\n\n"
    finally:
        ctx.unsubscribe(wake)
