"""The auditor's check of a round: recompute the clearing and compare it with the commitment.

Everything is recomputed from the chain's events, so "the operator says so" is never needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.clearing_house import Commitment
from operations.clearing_run import committed_options, run_clearing


@dataclass
class Verification:
    round_id: int
    commitment: Commitment
    recomputed_root: bytes
    matches: dict[str, bool]

    @property
    def ok(self) -> bool:
        return all(self.matches.values())


def verify_round_commitment(ledger, round_id: int, options: dict[str, Any] | None = None) -> Verification:
    """Recompute the clearing from the ledger alone (offers, requests, grid inputs, and the options of
    the published clearing specification unless `options` are given) and compare root, cost, count,
    spec and accumulators with the commitment."""
    ledger.sync()
    if options is None:
        options = committed_options(ledger, round_id)
    run = run_clearing(ledger, round_id, options)
    c = ledger.clearing.commitment(round_id)
    matches = {"awards_root": c.awards_root == run.tree.root, "total_cost": c.total_cost == run.total_cost,
               "award_count": c.award_count == len(run.tree), "spec_hash": c.spec_hash == run.result.spec_hash(),
               "offer_accumulator": c.offer_acc == run.state.offer_acc,
               "request_accumulator": c.request_acc == run.state.request_acc,
               "grid_accumulator": run.grid.acc == ledger.grid.grid_acc(round_id)}
    return Verification(round_id, c, run.tree.root, matches)
