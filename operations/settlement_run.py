"""The operator's settlement run and the FSP's award confirmation, over a round's clearing.

The awards come from the ledger: every award is published (AwardPublished) before its round can
be final, so both read the published awards and check that their tree is the committed root.
Should the published leaves not make up the root (extra leaves hidden in it, which can never be
confirmed), they recompute the round's clearing — deterministic, the same as `verify` — instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.enums import Phase
from ledger.errors import ContractRevert
from ledger.signer import Signer
from domain.award import AwardTree
from ledger.round_state import rebuild_round, verify_round
from operations.clearing_run import ClearingRun, run_clearing
from operations.errors import CommitmentMismatch


@dataclass
class Outcome:
    offer_id: int
    request_id: int
    leaf: str
    status: str
    paid: int = 0
    refunded: int = 0
    penalty: int = 0


def committed_run(ledger, round_id: int) -> ClearingRun:
    ledger.sync()
    published = ledger.clearing.published_awards(round_id)
    if published:
        tree = AwardTree(published)
        if tree.root == ledger.clearing.commitment(round_id).awards_root:
            state = rebuild_round(ledger.index, round_id)
            verify_round(state, ledger.market)
            return ClearingRun(state, None, tree, {})
    run = run_clearing(ledger, round_id)
    if ledger.clearing.commitment(round_id).awards_root != run.tree.root:
        raise CommitmentMismatch(f"round {round_id}: recomputed awards do not match the commitment (run `verify`)")
    return run


def confirm_awards(ledger, fsp: Signer, round_id: int) -> list[Outcome]:
    """Confirm every award of the round whose asset `fsp` owns (escrow is locked for each)."""
    run = committed_run(ledger, round_id)
    out = []
    for award in run.tree.awards:
        rec = run.state.offers[award.offer_id]
        if rec.owner != fsp.address or ledger.clearing.is_confirmed(award):
            continue
        try:
            ledger.clearing.confirm_award(fsp, award, run.tree.proof(award), rec.offer)
            out.append(Outcome(award.offer_id, award.request_id, "0x" + award.leaf.hex(), "confirmed"))
        except ContractRevert as exc:
            out.append(Outcome(award.offer_id, award.request_id, "0x" + award.leaf.hex(), f"refused: {exc}"))
    return out


def settle_round(ledger, operator: Signer, round_id: int) -> list[Outcome]:
    """Settle every confirmed, unsettled award of the round whose time has come."""
    run = committed_run(ledger, round_id)
    out = []
    for award in run.tree.awards:
        phase = ledger.settlement.phase(award)
        leaf = "0x" + award.leaf.hex()
        if phase in (Phase.NONE, Phase.SETTLED):
            out.append(Outcome(award.offer_id, award.request_id, leaf, phase.name.lower()))
            continue
        try:
            ev = ledger.settlement.settle(operator, award, run.state.offers[award.offer_id].offer).event("Settled")
            out.append(Outcome(award.offer_id, award.request_id, leaf, "settled", ev["paidToFsp"],
                               ev["refundedToBuyer"], ev["penalty"]))
        except ContractRevert as exc:
            out.append(Outcome(award.offer_id, award.request_id, leaf, f"not yet: {exc.name}"))
    return out
