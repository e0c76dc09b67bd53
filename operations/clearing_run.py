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


from clearing import CanonicalResult, RoundInput, clear
from domain.award import AwardTree
from domain.enums import PricingMode
from ledger.client import TxResult
from ledger.round_state import RoundState, rebuild_round, verify_round
from ledger.signer import Signer


@dataclass
class ClearingRun:
    state: RoundState
    result: CanonicalResult
    tree: AwardTree
    options: dict[str, Any]
    skipped_offers: dict[int, str] = field(default_factory=dict)

    @property
    def total_cost(self) -> int:
        return self.result.total_cost


def default_options(state: RoundState) -> dict[str, Any]:
    """The round's pricing mode and the engine's defaults: what an auditor re-runs with."""
    return {"pricing": "uniform" if state.config.pricing == PricingMode.UNIFORM else "pay_as_bid"}


def round_input(ledger, state: RoundState, zone_limits: dict | None = None) -> tuple[RoundInput, dict[int, str]]:
    cfg = state.config
    offers, skipped, asset_limits = [], {}, {}
    for rec in state.clearable_offers():
        # the asset as it stood at gate closure (as the fraud proofs judge it), not as it is now
        asset = ledger.registry.asset_core_at(rec.offer.asset_id, cfg.gate_closure)
        if not asset["gridPrequalified"] or asset["suspended"]:
            skipped[rec.offer_id] = "asset not prequalified" if not asset["gridPrequalified"] else "asset suspended"
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
                for r in state.open_requests()]
    rnd = RoundInput.from_dicts(state.round_id, offers, requests, slot_len=cfg.slot_len, n_slots=cfg.slot_count,
                                zone_limits=zone_limits, asset_limits=asset_limits)
    return rnd, skipped


def _effective(max_w: int, limit_w: int) -> int:
    """An asset's usable power: its maximum, or the conditional grid limit if set and lower (AssetWords)."""
    return limit_w if 0 < limit_w < max_w else max_w


def run_clearing(ledger, round_id: int, options: dict[str, Any] | None = None,
                 zone_limits: dict | None = None) -> ClearingRun:
    """Read the round from events (verified against the contract) and clear it."""
    ledger.sync()
    state = rebuild_round(ledger.index, round_id)
    verify_round(state, ledger.market)
    opts = {**default_options(state), **(options or {})}
    rnd, skipped = round_input(ledger, state, zone_limits)
    result = clear(rnd, opts)
    return ClearingRun(state, result, AwardTree(result.awards), opts, skipped)


def commit_run(ledger, operator: Signer, run: ClearingRun, bond: int | None = None) -> TxResult:
    return ledger.clearing.commit(operator, run.state.round_id, run.tree, total_cost=run.total_cost,
                                  spec_hash=run.result.spec_hash(), offer_acc=run.state.offer_acc,
                                  request_acc=run.state.request_acc, bond=bond)
