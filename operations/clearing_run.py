"""From the ledger to the clearing engine and back: read, clear, commit, verify.

The operator and every auditor run the same steps: rebuild the round from events (checked
against the contract's accumulators), keep the offers and requests a clearing may use (live
offers of assets prequalified and not suspended at gate closure, open requests), clear them with the
engine's deterministic options, and turn the canonical awards into the Merkle tree whose root
is committed. `operations.verification` recomputes the same and compares it with the commitment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


import json

from clearing import CanonicalResult, RoundInput, clear
from clearing.solve import DEFAULT_OPTIONS
from domain.award import AwardTree
from domain.enums import PricingMode
from domain.roles import Role
from ledger.client import TxResult
from ledger.grid_inputs import GridState, rebuild_grid, verify_grid
from ledger.round_state import RoundState, rebuild_round, verify_round
from ledger.signer import Signer
from operations.errors import OperationsError


@dataclass
class ClearingRun:
    state: RoundState
    result: CanonicalResult
    tree: AwardTree
    options: dict[str, Any]
    skipped_offers: dict[int, str] = field(default_factory=dict)
    grid: GridState | None = None

    @property
    def total_cost(self) -> int:
        return self.result.total_cost


def default_options(state: RoundState) -> dict[str, Any]:
    """The round's pricing mode and the engine's defaults: what an auditor re-runs with."""
    return {"pricing": "uniform" if state.config.pricing == PricingMode.UNIFORM else "pay_as_bid"}


def options_from_spec(spec: bytes) -> dict[str, Any]:
    """The engine options a published clearing specification (canonical JSON) was made with."""
    try:
        doc = json.loads(spec)
        opts = {k: float(v) if isinstance(v, str) and isinstance(DEFAULT_OPTIONS.get(k), float) else v
                for k, v in doc["options"].items()}
        opts["pricing"] = doc["pricing"]
        if doc.get("aggregation_tolerances"):
            opts["tolerances"] = doc["aggregation_tolerances"]
        return opts
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OperationsError(f"the published clearing specification is not readable: {exc}") from None


def committed_options(ledger, round_id: int) -> dict[str, Any] | None:
    """The options of the round's committed clearing, read from its published specification (None if
    the round has no commitment or its specification was never published)."""
    spec_hash = ledger.clearing.commitment(round_id).spec_hash
    spec = ledger.grid.spec(spec_hash) if any(spec_hash) else None
    return None if spec is None else options_from_spec(spec)


def round_input(ledger, state: RoundState, grid: GridState | None = None) -> tuple[RoundInput, dict[int, str]]:
    cfg = state.config
    offers, skipped, asset_limits = [], {}, {}
    for rec in state.clearable_offers():
        # the asset as it stood at gate closure (as the fraud proofs judge it), not as it is now
        asset = ledger.registry.asset_core_at(rec.offer.asset_id, cfg.gate_closure)
        if not asset["gridPrequalified"] or asset["suspended"]:
            skipped[rec.offer_id] = "asset not prequalified" if not asset["gridPrequalified"] else "asset suspended"
            continue
        # its owner as the Registry stood at gate closure (ParticipantHistory): an active FSP
        if not ledger.registry.is_active_as_at(Role.FSP, asset["owner"], cfg.gate_closure):
            skipped[rec.offer_id] = "owner not an active FSP at gate closure"
            continue
        o = rec.offer
        offers.append({
            "offer_id": rec.offer_id, "offer_hash": rec.offer_hash, "asset_id": o.asset_id,
            "zone_id": asset["zoneId"], "kind": int(asset["kind"]), "earliest": (o.earliest_start - cfg.delivery_start) // cfg.slot_len,
            "latest": (o.latest_start - cfg.delivery_start) // cfg.slot_len,
            "slice_min": [s.min_wh for s in o.slices], "slice_max": [s.max_wh for s in o.slices],
            "baseline": [s.baseline_wh for s in o.slices], "total_min": o.total_min_wh, "total_max": o.total_max_wh,
            "res_price": o.reservation_price, "act_price": o.activation_price,
        })
        # the asset's power per slot (its maximum, or the conditional grid limit if lower), over all its offers
        up, down = (_effective(asset["maxUpW"], asset["limitUpW"]), _effective(asset["maxDownW"], asset["limitDownW"]))
        asset_limits[o.asset_id] = (up * cfg.slot_len // 3600, down * cfg.slot_len // 3600)
    requests = [{"request_id": r.request_id, "buyer": r.buyer, "zone_id": r.request.zone_id,
                 "direction": r.request.direction.sign, "first_slot": r.request.first_slot,
                 "power_w": list(r.request.power_w), "max_price": r.request.max_price}
                for r in state.open_requests() if _buyer_active(ledger, r.buyer, cfg.gate_closure)]
    zone_limits, sensitivities = grid.engine_inputs() if grid is not None else (None, None)
    rnd = RoundInput.from_dicts(state.round_id, offers, requests, slot_len=cfg.slot_len, n_slots=cfg.slot_count,
                                zone_limits=zone_limits, sensitivities=sensitivities, asset_limits=asset_limits)
    return rnd, skipped


def _buyer_active(ledger, buyer: str, at: int) -> bool:
    """A request is cleared only if its buyer was an active DSO or TSO at gate closure (as the fraud
    proofs judge it: Fault.ParticipantInactive), whatever happened to it since."""
    return any(ledger.registry.is_active_as_at(role, buyer, at) for role in (Role.DSO, Role.TSO))


def _effective(max_w: int, limit_w: int) -> int:
    """An asset's usable power: its maximum, or the conditional grid limit if set and lower (AssetWords)."""
    return limit_w if 0 < limit_w < max_w else max_w


def run_clearing(ledger, round_id: int, options: dict[str, Any] | None = None) -> ClearingRun:
    """Read the round and its grid inputs (the DSOs' zone limits and sensitivity rows) from events,
    verified against the contract, and clear it: every input comes from the ledger."""
    ledger.sync()
    state = rebuild_round(ledger.index, round_id)
    verify_round(state, ledger.market)
    grid = rebuild_grid(ledger.index, round_id)
    verify_grid(grid, ledger.grid)
    opts = {**default_options(state), **(options or {})}
    rnd, skipped = round_input(ledger, state, grid)
    result = clear(rnd, opts)
    return ClearingRun(state, result, AwardTree(result.awards), opts, skipped, grid)


def commit_run(ledger, operator: Signer, run: ClearingRun, bond: int | None = None) -> TxResult:
    """Publish the clearing specification (data on the ledger), then commit the root with the
    accumulators it covered (offers, requests, grid inputs) and publish every award."""
    spec_hash = ledger.grid.publish_spec(operator, run.result.spec_bytes())
    return ledger.clearing.commit(operator, run.state.round_id, run.tree, total_cost=run.total_cost,
                                  spec_hash=spec_hash, offer_acc=run.state.offer_acc,
                                  request_acc=run.state.request_acc, bond=bond,
                                  grid_acc=run.grid.acc if run.grid is not None else None)
