"""Seeded synthetic rounds for tests and benchmarks.

The generator writes the column arrays directly (no dicts), so a 1,000,000-offer round
is built in about a second. Mix: mostly UP-capable offers (production can inject more,
consumption can shed), a share of DOWN and two-way slices, a few must-deliver offers
(``slice_min > 0``), totals that sometimes bind, start flexibility of up to
``max_shift`` slots, prices spread around 100-300 EUR/MWh. ``fleet=True`` draws start
times, windows and tariffs from a few typical values with small jitter (homogeneous
device fleets, the case aggregation is for); ``fleet=False`` draws them uniformly.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .arrays import OfferArrays, RequestArrays, RoundInput, Sensitivities, ZoneLimits

__all__ = ["synthetic_round", "synthetic_offers"]


def synthetic_offers(n: int, *, n_slots: int = 192, width: int = 96, n_zones: int = 50,
                     max_shift: int = 96, seed: int = 0, must_share: float = 0.02,
                     fixed_width: bool = True, fleet: bool = False) -> OfferArrays:
    """Random but valid flex-offers (int32 slices, zero-padded beyond n_slices)."""
    rng = np.random.default_rng(seed)
    width = min(width, n_slots)
    n_sl = np.full(n, width, np.int64) if fixed_width else rng.integers(1, width + 1, n)
    room = n_slots - n_sl
    if fleet:  # device fleets: a few typical start times, windows and tariffs, small jitter
        anchors = np.linspace(0, 1, 5)[rng.integers(0, 5, n)]
        earliest = (anchors * room + rng.integers(0, 3, n)).astype(np.int64)
        shift = (np.array([0.0, 0.25, 1.0])[rng.integers(0, 3, n)] * max_shift).astype(np.int64)
        shift += rng.integers(0, 3, n)
    else:
        earliest = (rng.random(n) * (room + 1)).astype(np.int64)
        shift = rng.integers(0, max_shift + 1, n)
    earliest = np.minimum(earliest, np.maximum(room - shift, 0))
    latest = np.minimum(earliest + shift, room)
    cap = rng.integers(50, 2000, n).astype(np.int32)[:, None]  # Wh per slice
    shape = rng.integers(60, 101, (n, width), dtype=np.int32)
    smax = (cap * shape // 100).astype(np.int32)
    smin = np.zeros_like(smax)
    mode = rng.random(n)
    down = mode < 0.15
    two_way = (mode >= 0.15) & (mode < 0.25)
    smin[down], smax[down] = -smax[down], 0
    smin[two_way] = -smax[two_way] // 2
    must = rng.random(n) < must_share
    smin[must & ~down] = smax[must & ~down] // 4
    pad = np.arange(width)[None, :] >= n_sl[:, None]
    smin[pad] = smax[pad] = 0
    lo, hi = smin.sum(1, dtype=np.int64), smax.sum(1, dtype=np.int64)
    bind = rng.random(n) < 0.3
    tmax = np.where(bind, lo + (hi - lo) * 7 // 10, hi)
    tmin = lo.copy()
    ids = np.arange(n, dtype=np.int64) + 1
    hashes = np.frombuffer(b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in ids),
                           dtype=np.uint8).reshape(n, 32) if n <= 200_000 else \
        rng.integers(0, 256, (n, 32), dtype=np.uint8)
    return OfferArrays(
        offer_id=ids, offer_hash=hashes, asset_id=ids + 10_000_000,
        zone_id=rng.integers(1, n_zones + 1, n), kind=rng.integers(0, 2, n),
        earliest=earliest, latest=latest, n_slices=n_sl, slice_min=smin, slice_max=smax,
        total_min=tmin, total_max=tmax, baseline=rng.integers(0, 3000, (n, width), dtype=np.int32),
        res_price=np.array([0, 4_000, 8_000])[rng.integers(0, 3, n)] if fleet else rng.integers(0, 20_000, n),
        act_price=(np.array([120_000, 160_000, 200_000, 240_000])[rng.integers(0, 4, n)]
                   + rng.integers(0, 5_000, n)) if fleet else rng.integers(100_000, 300_000, n),
    )


def synthetic_round(n_offers: int, *, n_slots: int = 192, width: int = 96, n_zones: int = 50,
                    seed: int = 0, max_shift: int = 96, tso_share: float = 0.25,
                    dso_requests: int = 0, zone_limit_share: float = 0.2,
                    must_share: float = 0.02, fixed_width: bool = True, round_id: int = 1,
                    slot_len: int = 900, fleet: bool = False) -> RoundInput:
    """A round with one system-wide TSO UP request sized to ``tso_share`` of the mean
    offered UP power, optional DSO requests, and UP/DOWN limits on some zones."""
    offers = synthetic_offers(n_offers, n_slots=n_slots, width=width, n_zones=n_zones,
                              max_shift=max_shift, seed=seed, must_share=must_share,
                              fixed_width=fixed_width, fleet=fleet)
    rng = np.random.default_rng(seed + 1)
    up_per_slot = max(1, int(np.clip(offers.slice_max, 0, None).sum() // n_slots))
    tso_w = (up_per_slot * tso_share * 3600 / slot_len
             * (0.6 + 0.4 * np.sin(np.linspace(0, 2 * np.pi, n_slots)) ** 2)).astype(np.int64)
    req = {"request_id": [1], "buyer": ["0x" + "ee" * 20], "zone_id": [0], "direction": [1],
           "first_slot": [0], "length": [n_slots], "power_w": [tso_w], "max_price": [400_000]}
    for k in range(dso_requests):
        z = int(rng.integers(1, n_zones + 1))
        first = int(rng.integers(0, n_slots // 2))
        ln = int(rng.integers(4, n_slots - first + 1))
        d = 1 if k % 3 else -1
        req["request_id"].append(100 + k)
        req["buyer"].append("0x" + f"{k + 1:040x}")
        req["zone_id"].append(z)
        req["direction"].append(d)
        req["first_slot"].append(first)
        req["length"].append(ln)
        req["power_w"].append(rng.integers(0, max(2, tso_w.max() // n_zones), ln))
        req["max_price"].append(int(rng.integers(150_000, 350_000)))
    L = max(req["length"])
    pw = np.zeros((len(req["length"]), L), np.int64)
    for i, row in enumerate(req["power_w"]):
        pw[i, : len(row)] = row
    requests = RequestArrays(
        request_id=np.array(req["request_id"]), buyer=tuple(req["buyer"]),
        zone_id=np.array(req["zone_id"]), direction=np.array(req["direction"]),
        first_slot=np.array(req["first_slot"]), length=np.array(req["length"]), power_w=pw,
        max_price=np.array(req["max_price"]))
    limited = np.flatnonzero(rng.random(n_zones) < zone_limit_share) + 1
    per_zone = up_per_slot / n_zones
    up = (per_zone * rng.uniform(0.05, 0.4, (len(limited), 1)) * np.ones(n_slots)).astype(np.int64)
    zl = ZoneLimits(limited.astype(np.int64), up, up.copy())
    sens = Sensitivities(np.zeros(0, np.int64), np.zeros((0, 0)), np.zeros((0, n_slots)))
    return RoundInput(round_id, slot_len, n_slots, offers, requests, zl, sens)
