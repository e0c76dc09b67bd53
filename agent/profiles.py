"""Baseline power profiles of the simulated flexible loads.

Power is piecewise constant per minute of meter time: the value for a minute depends only
on (profile, seed, minute index), so the simulated energy is exact and does not depend on
how often anyone polls. Positive = import (consumption).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

MINUTE = 60
DAY = 86_400


def _unit(seed: int, key: str, index: int) -> float:
    """Deterministic pseudo-random number in [0, 1) from (seed, key, index)."""
    h = hashlib.blake2b(f"{seed}:{key}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


def heat_pump(t: float, seed: int) -> float:
    """3 kW compressor, more in the early morning and evening, cycling on/off per 20 min."""
    hour = (t % DAY) / 3600
    demand = 0.55 + 0.35 * math.cos((hour - 6) / 24 * 2 * math.pi) ** 2  # share of time on
    cycle = int(t // 1200)
    on = _unit(seed, "hp-cycle", cycle) < demand
    return 3000.0 if on else 150.0


def battery(t: float, seed: int) -> float:
    """10 kW home battery: charges 01:00-05:00 at 5 kW, idles with 40 W standby otherwise."""
    hour = (t % DAY) / 3600
    if 1 <= hour < 5:
        return 5000.0
    return 40.0


def ev_charger(t: float, seed: int) -> float:
    """11 kW wallbox: one car plugged in per evening from a seeded arrival hour, charges 3-5 h."""
    day = int(t // DAY)
    hour = (t % DAY) / 3600
    arrive = 17 + 3 * _unit(seed, "ev-arrive", day)
    duration = 3 + 2 * _unit(seed, "ev-duration", day)
    end = arrive + duration
    if arrive <= hour < end or hour < end - 24:
        return 11_000.0
    return 0.0


PROFILES: dict[str, Callable[[float, int], float]] = {
    "heat_pump": heat_pump,
    "battery": battery,
    "ev_charger": ev_charger,
}


def minute_noise(seed: int, minute: int, amplitude_w: float) -> float:
    """Seeded noise in [-amplitude, +amplitude] for one minute."""
    if amplitude_w <= 0:
        return 0.0
    return (2 * _unit(seed, "noise", minute) - 1) * amplitude_w


__all__ = ["PROFILES", "battery", "ev_charger", "heat_pump", "minute_noise"]
