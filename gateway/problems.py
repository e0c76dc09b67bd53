"""Errors as RFC 9457 problem details (application/problem+json), naming the field, role or rule.

`Problem` is raised by handlers; the exception handlers installed by `install()` turn it, request
validation errors (422 naming each field), ledger refusals (a contract's custom error → 4xx with
its name and arguments; an offer rule → 422) and anything unexpected (500, never a traceback) into
one problem document.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import BackendError, ContractRevert, LedgerError, OfferInvalid

from gateway.index.projections import jsonable

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://flexledger.example/problems/"
log = logging.getLogger("gateway")

# custom errors that mean "you may not", not "the state does not allow it"
FORBIDDEN_ERRORS = {"AccessControlUnauthorizedAccount", "RegistryNotActive", "MarketNotOwner", "MarketNotAdmin"}


class FieldError(BaseModel):
    field: str
    message: str


class ProblemModel(BaseModel):
    """RFC 9457 problem details, with FlexLedger's extension members."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    role: str | None = None
    rule: str | None = None
    error: str | None = None
    args: dict[str, Any] | None = None
    errors: list[FieldError] | None = None


class Problem(Exception):
    def __init__(self, status: int, kind: str, title: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.extra = {k: v for k, v in extra.items() if v is not None}

    def response(self, instance: str | None = None) -> JSONResponse:
        body = {"type": TYPE_BASE + self.kind, "title": self.title, "status": self.status, "detail": self.detail,
                **self.extra}
        if instance:
            body["instance"] = instance
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(jsonable(body), status_code=self.status, media_type=PROBLEM_JSON, headers=headers)


def forbidden_role(role: str, detail: str | None = None) -> Problem:
    return Problem(403, "role-required", "Role required", detail or f"this write needs the {role} role", role=role)


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found", f"{what} is not in this node's index")


def invalid(field: str, message: str) -> Problem:
    return Problem(422, "invalid-field", "Invalid field", f"{field}: {message}", field=field,
                   errors=[{"field": field, "message": message}])


def from_revert(exc: ContractRevert) -> Problem:
    status = 403 if exc.name in FORBIDDEN_ERRORS else 409
    return Problem(status, "contract-error", "Refused by the ledger", f"the contract refused: {exc}", error=exc.name,
                   args=jsonable(exc.args_dict), rule=exc.name)


def _field(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "body")


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return exc.response(request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors()]
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return Problem(422, "invalid-field", "Invalid field", f"{first['field']}: {first['message']}",
                       field=first["field"], errors=errors).response(request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return Problem(exc.status_code, kind, str(exc.detail), str(exc.detail)).response(request.url.path)

    @app.exception_handler(ContractRevert)
    async def _revert(request: Request, exc: ContractRevert):
        return from_revert(exc).response(request.url.path)

    @app.exception_handler(OfferInvalid)
    async def _offer(request: Request, exc: OfferInvalid):
        text = str(exc)
        field = text.split(" ", 1)[0].rstrip(":") if text and not text.startswith(("asset", "round")) else "offer"
        return Problem(422, "offer-rule", "Offer breaks a market rule", text, field=field,
                       rule=text).response(request.url.path)

    @app.exception_handler(BackendError)
    async def _backend(request: Request, exc: BackendError):
        return Problem(503, "ledger-unreachable", "Ledger unreachable", str(exc)).response(request.url.path)

    @app.exception_handler(LedgerError)
    async def _ledger(request: Request, exc: LedgerError):
        return Problem(422, "ledger-rule", "Refused by a ledger rule", str(exc), rule=type(exc).__name__
                       ).response(request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return Problem(500, "internal", "Internal error", f"{type(exc).__name__}").response(request.url.path)
