"""Request dependencies: the node, the signed-in caller and its roles (read from the Registry)."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.roles import Role

from gateway.auth import Caller
from gateway.context import NodeContext
from gateway.problems import Problem, forbidden_role

bearer = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/token")


async def node(request: Request) -> NodeContext:
    """The node (async: FastAPI would run a plain function in its thread pool, a thread hop per request)."""
    return request.app.state.node


def _standing(caller: Caller) -> Caller:
    if not caller.registered:
        raise Problem(403, "not-a-participant", "Not a participant",
                      f"{caller.address} is not registered in the Registry")
    if caller.suspended:
        raise Problem(403, "participant-suspended", "Participant suspended",
                      f"{caller.address} is suspended in the Registry")
    return caller


async def _caller(request: Request, creds: HTTPAuthorizationCredentials | None, fresh: bool) -> Caller:
    ctx: NodeContext = request.app.state.node
    address = ctx.auth.verify(f"Bearer {creds.credentials}" if creds else None)
    cached = None if fresh else ctx.roles.cached(address)
    return _standing(cached or await run_in_threadpool(ctx.roles.caller, address, fresh=fresh))


async def authenticated(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    """Any active participant (reads): roles as of the newest block the node has seen."""
    return await _caller(request, creds, fresh=False)


def require(*roles: Role):
    """A write's dependency: an active participant holding one of `roles`, read from the Registry now."""
    async def dependency(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
        caller = await _caller(request, creds, fresh=True)
        if not any(caller.has(r) for r in roles):
            names = " or ".join(r.value for r in roles)
            raise forbidden_role(names, f"{caller.address} lacks the {names} role this write needs "
                                        f"(has: {', '.join(sorted(caller.roles)) or 'none'})")
        return caller
    return dependency
