"""Builders for rounds, requests and offers used across the market tests."""

from __future__ import annotations

from domain.enums import Direction
from ledger.messages import FlexOffer, FlexRequest, RoundConfig, Slice

SLOT = 900


def open_round(world, *, slots: int = 8, lead_slots: int = 12, **overrides) -> tuple[int, RoundConfig]:
    now = world.ledger.chain.now()
    start = (now // SLOT + lead_slots) * SLOT
    cfg = dict(delivery_start=start, slot_count=slots, gate_closure=start - 4 * SLOT,
               clearing_deadline=start - 2 * SLOT, challenge_window=600, activation_lead=SLOT)
    cfg.update(overrides)
    config = RoundConfig(**cfg)
    return world.ledger.market.open_round(world.actors.operator, config), config


def make_offer(round_id: int, config: RoundConfig, asset_id: int, *, n: int = 4, up: int = 500,
               down: int = 0, baseline: int = 1000, start_slot: int = 0, flex_slots: int = 2, **overrides) -> FlexOffer:
    earliest = config.slot_start(start_slot)
    fields = dict(round_id=round_id, asset_id=asset_id, earliest_start=earliest,
                  latest_start=earliest + flex_slots * SLOT,
                  slices=tuple(Slice(min_wh=-down, max_wh=up, baseline_wh=baseline) for _ in range(n)),
                  total_min_wh=-down * n, total_max_wh=up * n, reservation_price=2_000, activation_price=150_000,
                  accept_before=config.gate_closure + SLOT, assign_before=config.gate_closure + SLOT)
    fields.update(overrides)
    return FlexOffer(**fields)


def make_request(round_id: int, zone_id: int, *, direction: Direction = Direction.UP, first_slot: int = 0,
                 power_w: tuple[int, ...] = (2000, 2000), max_price: int = 400_000, ref: str = "") -> FlexRequest:
    return FlexRequest(round_id=round_id, zone_id=zone_id, direction=direction, first_slot=first_slot,
                       power_w=power_w, max_price=max_price, ref=ref)
