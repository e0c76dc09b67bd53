"""The hot read without the framework: `GET /api/v1/flexoffers` answered by a small ASGI middleware
when the request is the common, well-formed case, else handed to FastAPI unchanged.

The middleware answers only when every query parameter is one the endpoint documents and parses
strictly (the same bounds as `gateway.reads.flexoffers`), the bearer token is valid (cached HMAC
check) and the caller's roles for the head block are already cached and show an active participant.
Anything else (a missing or bad token, a role lookup to make, a malformed or unknown parameter, the
AAU format, any exception) goes through FastAPI, which validates, answers problems and documents
the operation in OpenAPI. Both paths build the body with the same `reads.offers_page_body`, so the
bytes are equal (tests/gateway/test_fast_reads.py compares them).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from gateway.context import NodeContext
from gateway.problems import Problem
from gateway.reads import INT64, OfferState, _checksum, offers_page_body

PATH = "/api/v1/flexoffers"
_STATES = frozenset(OfferState.__args__)  # type: ignore[attr-defined]
_INTS = {"round": "round_id = ?", "zone": "zone_id = ?", "asset": "asset_id = ?",
         "start_from": "earliest_start >= ?", "start_to": "latest_start <= ?"}
_HEADERS = [(b"content-type", b"application/json")]


def _int(text: str, lo: int, hi: int) -> int | None:
    if not text.isdigit() or len(text) > 19:
        return None
    v = int(text)
    return v if lo <= v <= hi else None


def parse(query: bytes) -> tuple[dict[str, Any], int | None, int] | None:
    """(filters, cursor, limit) if the query is well formed for the fast path, else None."""
    filters: dict[str, Any] = {}
    cursor, limit, seen = None, 50, set()
    try:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        return None
    for key, value in pairs:
        if key in seen:
            return None
        seen.add(key)
        if key in _INTS:
            v = _int(value, 0, INT64)
            if v is None:
                return None
            filters[_INTS[key]] = v
        elif key == "owner":
            if len(value) > 42 or (addr := _checksum(value)) is None:
                return None
            filters["owner = ?"] = addr
        elif key == "state":
            if value not in _STATES:
                return None
            filters["status = ?"] = value
        elif key == "cursor":
            if len(value) > 80 or (cursor := _int(value, 0, INT64)) is None:
                return None
        elif key == "limit":
            if (limit := _int(value, 1, 500)) is None:
                return None
        elif key == "format":
            if value != "flexledger":
                return None
        else:
            return None
    return filters, cursor, limit


class FastOfferReads:
    """ASGI middleware: the common GET /flexoffers answered directly, everything else passed on."""

    def __init__(self, app, ctx: NodeContext):
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == PATH:
            body = self._answer(scope)
            if body is not None:
                await send({"type": "http.response.start", "status": 200,
                            "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _answer(self, scope) -> bytes | None:
        try:
            auth = next((v for k, v in scope["headers"] if k == b"authorization"), None)
            parsed = parse(scope.get("query_string", b""))
            if auth is None or parsed is None:
                return None
            address = self.ctx.auth.verify(auth.decode("latin-1"))
            caller = self.ctx.roles.cached(address)
            if caller is None or not caller.registered or caller.suspended:
                return None
            filters, cursor, limit = parsed
            return offers_page_body(self.ctx, filters, cursor, limit, "flexledger").encode()
        except (Problem, UnicodeError, ValueError):
            return None
