"""The auditor's check through a node: recompute a round's clearing from the ledger and compare it
with the commitment (the same use case as `flexledger verify`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from ledger.errors import UnknownRound
from operations.verification import verify_round_commitment

from gateway import models as m
from gateway.context import NodeContext
from gateway.deps import authenticated, node
from gateway.problems import not_found

router = APIRouter(dependencies=[Depends(authenticated)])


@router.get("/rounds/{round_id}/verification", response_model=m.VerificationOut, tags=["clearing"])
def verification(round_id: Annotated[int, Path(ge=0, le=m.INT64)], ctx: NodeContext = Depends(node)):
    """Recompute the round's clearing from the ledger's events and compare it with its commitment."""
    committed = ctx.reader.execute("SELECT COUNT(*) FROM commitments WHERE round_id = ?", (round_id,)).fetchone()[0]
    if not committed:
        raise not_found(f"a commitment of round {round_id}")
    with ctx.chain_lock:
        ctx.ledger.sync()
        try:
            v = verify_round_commitment(ctx.ledger, round_id)
        except UnknownRound:
            raise not_found(f"round {round_id}") from None
    return {"round_id": round_id, "ok": v.ok, "checks": v.matches,
            "committed_root": "0x" + v.commitment.awards_root.hex(), "recomputed_root": "0x" + v.recomputed_root.hex()}
