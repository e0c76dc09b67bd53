"""The FastAPI application of one node: `/api/v1/...`, OpenAPI at `/docs` (schema `/openapi.json`)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel, Field

from gateway import models as m
from gateway.auth import Caller
from gateway.context import NodeContext
from gateway.deps import authenticated, node
from gateway.fast_reads import FastOfferReads
from gateway.problems import ProblemModel, install
from gateway.audit_routes import router as audit
from gateway.reads import router as reads
from gateway.stream import router as stream
from gateway.verify import router as verify
from gateway.writes import router as writes

PREFIX = "/api/v1"
PROBLEMS = {code: {"model": ProblemModel, "content": {"application/problem+json": {}}}
            for code in (401, 403, 404, 409, 422, 503)}

meta = APIRouter()


class ChallengeRequest(BaseModel):
    address: str = Field(max_length=42, description="the wallet's 0x address")


class SignIn(BaseModel):
    message: str = Field(max_length=2000, description="the EIP-4361 message as issued")
    signature: str = Field(max_length=200, description="0x personal_sign signature of the message")


@meta.get("/health", response_model=m.Health, tags=["node"])
async def health(ctx: NodeContext = Depends(node)):
    return {"status": "ok", "chain_id": ctx.ledger.manifest.chain_id, "indexed_block": ctx.indexer.last_block,
            "node_identity": ctx.identity.address if ctx.identity else None}


@meta.get("/deployment", response_model=m.Deployment, tags=["node"])
async def deployment(ctx: NodeContext = Depends(node)):
    man = ctx.ledger.manifest
    return {"chain_id": man.chain_id, "deploy_block": man.deploy_block, "admin": man.admin,
            "contracts": {k: {"address": v.address, "code_hash": v.code_hash} for k, v in man.contracts.items()}}


@meta.post("/auth/challenge", response_model=m.Challenge, tags=["auth"])
async def challenge(body: ChallengeRequest, ctx: NodeContext = Depends(node)):
    """An EIP-4361 sign-in message with a fresh single-use nonce."""
    return ctx.auth.challenge(body.address)


@meta.post("/auth/token", response_model=m.Token, tags=["auth"])
async def token(body: SignIn, ctx: NodeContext = Depends(node)):
    """Exchange the signed message for a short-lived bearer token."""
    return ctx.auth.sign_in(body.message, body.signature)


@meta.get("/me", response_model=m.Me, tags=["auth"])
async def me(caller: Caller = Depends(authenticated), ctx: NodeContext = Depends(node)):
    return {"address": caller.address, "roles": sorted(caller.roles), "registered": caller.registered,
            "suspended": caller.suspended, "node_identity": ctx.identity.address if ctx.identity else None}


def create_app(ctx: NodeContext, *, follow: bool = True, fast_reads: bool = True) -> FastAPI:
    """The node's app; with `follow` the index follows the chain in a background thread while it runs;
    `fast_reads` answers the common GET /flexoffers in a middleware (gateway/fast_reads.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if follow:
            ctx.start()
        else:
            ctx.sync()
        yield
        ctx.stop()

    app = FastAPI(title="FlexLedger node gateway", version="1.0.0", lifespan=lifespan, responses=PROBLEMS,
                  description="One participant's node on the shared FlexLedger ledger: its index of every ledger "
                              "event, the flexibility-market resources (USEF/UFTP, GOFLEX/AAU names), sign-in with "
                              "a wallet, writes relayed or signed for the node's own party, and a live stream.")
    app.state.node = ctx
    install(app)
    for router in (meta, reads, verify, audit, writes, stream):
        app.include_router(router, prefix=PREFIX)
    if fast_reads:
        app.add_middleware(FastOfferReads, ctx=ctx)  # the common GET /flexoffers without the framework
    return app
