"""Typed numpy inventory of one clearing round: offers, requests, grid limits.

Design reasoning
- Inputs are classified once, right after parsing, into column arrays (FlexMeasures'
  "single typed inventory"); everything downstream (aggregation, model building,
  pricing) works on these arrays and never on per-offer Python objects.
- Slice data is a padded 2-D array ``[n_offers, max_slices]`` plus ``n_slices``; the
  padding is forced to zero so sums over axis 1 are always the offer's sums.
- Per-slice energies are stored as int32: the on-chain award format packs each slice
  as int32 (see ``domain.packing.pack_int32``), so an offer whose bounds do not fit int32
  could never be awarded anyway and is refused here. Sums are taken in int64.
- Validation is vectorised; the first bad record is reported as
  ``offers[<index>].<field>: <reason>`` (``InvalidRoundInput``).
- Energy need of a request slot is ``power_w * slot_len // 3600`` Wh (floor: a buyer is
  never sold more than the power it asked for).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import InvalidRoundInput
from .grid import Sensitivities, ZoneLimits

__all__ = ["OfferArrays", "RequestArrays", "ZoneLimits", "Sensitivities", "RoundInput"]

I32 = 2**31 - 1


def _check(mask: np.ndarray, what: str, field: str, reason: str) -> None:
    """Raise naming the first index where ``mask`` is True."""
    bad = np.flatnonzero(np.asarray(mask).reshape(len(mask), -1).any(axis=1)) if len(mask) else []
    if len(bad):
        raise InvalidRoundInput(f"{what}[{int(bad[0])}].{field}: {reason}")


def _int(v: Any) -> int:
    """int, accepting 0x-hex strings (ids as they come from the chain)."""
    return int(v, 0) if isinstance(v, str) else int(v)


def _as_dict(rec: Any) -> Mapping[str, Any]:
    return rec.model_dump() if hasattr(rec, "model_dump") else rec


def _int_columns(recs: Sequence[dict], names: Sequence[str], what: str) -> dict[str, np.ndarray]:
    """One int64 column per name; InvalidRoundInput names the record and field that is missing or bad."""
    cols = {}
    for name in names:
        try:
            cols[name] = np.array([_int(r[name]) for r in recs], dtype=np.int64)
        except KeyError:
            i = next(i for i, r in enumerate(recs) if name not in r)
            raise InvalidRoundInput(f"{what}[{i}].{name}: missing") from None
        except (OverflowError, ValueError, TypeError) as exc:
            raise InvalidRoundInput(f"{what}.{name}: {exc}") from None
    return cols


def _pad(rows: list[Sequence[int]], what: str, field: str, dtype=np.int64) -> np.ndarray:
    width = max((len(r) for r in rows), default=1) or 1
    out = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        try:
            out[i, : len(r)] = np.asarray(r, dtype=np.int64)
        except (OverflowError, ValueError, TypeError) as exc:
            raise InvalidRoundInput(f"{what}[{i}].{field}: {exc}") from None
    return out.astype(dtype) if dtype is not np.int64 else out


def _hash32(value: Any, i: int) -> bytes:
    if isinstance(value, str):
        value = bytes.fromhex(value.removeprefix("0x"))
    value = bytes(value)
    if len(value) != 32:
        raise InvalidRoundInput(f"offers[{i}].offer_hash: must be 32 bytes, got {len(value)}")
    return value


@dataclass(frozen=True, eq=False)
class OfferArrays:
    """Flex-offers as columns; slice arrays are ``[n, max_slices]`` int32, zero-padded."""

    offer_id: np.ndarray
    offer_hash: np.ndarray  # uint8 [n, 32]
    asset_id: np.ndarray
    zone_id: np.ndarray
    kind: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray
    n_slices: np.ndarray
    slice_min: np.ndarray
    slice_max: np.ndarray
    total_min: np.ndarray
    total_max: np.ndarray
    baseline: np.ndarray
    res_price: np.ndarray
    act_price: np.ndarray

    SLICE_FIELDS = ("slice_min", "slice_max", "baseline")

    def __post_init__(self) -> None:
        n = len(self.offer_id)
        for f in fields(self):
            a = np.asarray(getattr(self, f.name))
            if f.name == "offer_hash":
                a = a.astype(np.uint8).reshape(n, 32)
            elif f.name in self.SLICE_FIELDS:
                a = a.reshape(n, -1) if n else a.reshape(0, a.shape[-1] if a.ndim == 2 else 1)
                if a.dtype != np.int32:
                    if a.size and (a.max() > I32 or a.min() < -I32):
                        _check(np.abs(a.astype(np.int64)) > I32, "offers", f.name, "does not fit int32 Wh")
                    a = a.astype(np.int32)
            else:
                a = a.astype(np.int64)
            if len(a) != n:
                raise InvalidRoundInput(f"offers.{f.name}: length {len(a)} != {n}")
            object.__setattr__(self, f.name, a)
        if n and self.n_slices.min() >= 1 and self.n_slices.max() <= self.width \
                and self.n_slices.min() < self.width:
            keep = np.arange(self.width, dtype=np.int32)[None, :] < self.n_slices[:, None].astype(np.int32)
            for name in self.SLICE_FIELDS:
                np.multiply(getattr(self, name), keep, out=getattr(self, name))

    @property
    def n(self) -> int:
        return len(self.offer_id)

    @property
    def width(self) -> int:
        return self.slice_min.shape[1] if self.slice_min.ndim == 2 else 0

    def combined_price(self, slot_len: int) -> np.ndarray:
        """Integer combined price per kWh: ``res_price*3600//slot_len + act_price``."""
        return self.res_price * 3600 // slot_len + self.act_price

    def hash_key(self) -> np.ndarray:
        """First 8 bytes of offer_hash as big-endian uint64 (tie-breaker)."""
        return self.offer_hash[:, :8].copy().view(">u8").ravel().astype(np.uint64)

    def take(self, idx: np.ndarray) -> "OfferArrays":
        return OfferArrays(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def validate(self, n_slots: int) -> None:
        w = "offers"
        _check(self.offer_id < 0, w, "offer_id", "must be >= 0")
        u, first, cnt = np.unique(self.offer_id, return_index=True, return_counts=True)
        if len(u) != self.n:
            dup = np.setdiff1d(np.arange(self.n), first)[0]
            raise InvalidRoundInput(f"offers[{int(dup)}].offer_id: duplicate {int(self.offer_id[dup])}")
        _check(self.zone_id < 1, w, "zone_id", "must be >= 1")
        _check((self.kind != 0) & (self.kind != 1), w, "kind", "must be 0 (consumption) or 1 (production)")
        _check((self.n_slices < 1) | (self.n_slices > self.width), w, "n_slices", "must be 1..len(slices)")
        _check(self.earliest < 0, w, "earliest", "must be >= 0")
        _check(self.latest < self.earliest, w, "latest", "must be >= earliest")
        _check(self.latest + self.n_slices > n_slots, w, "latest", f"latest + n_slices exceeds n_slots={n_slots}")
        _check(self.slice_min > self.slice_max, w, "slice_max", "slice_min > slice_max")
        _check(self.total_min > self.total_max, w, "total_max", "total_min > total_max")
        smin = self.slice_min.sum(axis=1, dtype=np.int64)
        smax = self.slice_max.sum(axis=1, dtype=np.int64)
        _check(smin > self.total_max, w, "total_max", "below the sum of slice_min (offer infeasible)")
        _check(smax < self.total_min, w, "total_min", "above the sum of slice_max (offer infeasible)")
        _check(self.res_price < 0, w, "res_price", "must be >= 0")
        _check(self.act_price < 0, w, "act_price", "must be >= 0")

    @classmethod
    def from_records(cls, records: Sequence[Any]) -> "OfferArrays":
        recs = [_as_dict(r) for r in records]
        scalar = [f.name for f in fields(cls) if f.name not in cls.SLICE_FIELDS + ("offer_hash", "n_slices")]
        cols: dict[str, Any] = _int_columns(recs, scalar, "offers")
        cols["offer_hash"] = np.array(
            [list(_hash32(r.get("offer_hash", b""), i)) for i, r in enumerate(recs)], dtype=np.uint8
        ).reshape(len(recs), 32)
        for i, r in enumerate(recs):
            ln = {len(r.get(k, ())) for k in cls.SLICE_FIELDS if k in r}
            if len(ln) != 1 or ("n_slices" in r and int(r["n_slices"]) not in ln):
                raise InvalidRoundInput(f"offers[{i}].n_slices: slice_min/slice_max/baseline lengths differ")
        cols["n_slices"] = np.array([len(r["slice_min"]) for r in recs], dtype=np.int64)
        for name in cls.SLICE_FIELDS:
            cols[name] = _pad([r.get(name, [0] * len(r["slice_min"])) for r in recs], "offers", name)
        return cls(**cols)


@dataclass(frozen=True, eq=False)
class RequestArrays:
    """FlexRequests as columns; ``power_w``/``need_wh`` are ``[n, max_len]`` zero-padded."""

    request_id: np.ndarray
    buyer: tuple[str, ...]
    zone_id: np.ndarray
    direction: np.ndarray
    first_slot: np.ndarray
    length: np.ndarray
    power_w: np.ndarray
    max_price: np.ndarray

    @property
    def n(self) -> int:
        return len(self.request_id)

    def need_wh(self, slot_len: int) -> np.ndarray:
        return self.power_w * slot_len // 3600

    def validate(self, n_slots: int) -> None:
        w = "requests"
        if len(np.unique(self.request_id)) != self.n:
            raise InvalidRoundInput("requests.request_id: duplicate ids")
        _check(self.request_id < 0, w, "request_id", "must be >= 0")
        _check(self.zone_id < 0, w, "zone_id", "must be >= 0 (0 = system-wide)")
        _check(np.abs(self.direction) != 1, w, "direction", "must be +1 (UP) or -1 (DOWN)")
        _check(self.length < 1, w, "power_w", "must have at least one slot")
        _check(self.first_slot < 0, w, "first_slot", "must be >= 0")
        _check(self.first_slot + self.length > n_slots, w, "power_w", f"runs past n_slots={n_slots}")
        _check(self.power_w < 0, w, "power_w", "must be >= 0 (direction carries the sign)")
        _check(self.max_price < 0, w, "max_price", "must be >= 0")

    @classmethod
    def from_records(cls, records: Sequence[Any]) -> "RequestArrays":
        recs = [_as_dict(r) for r in records]
        cols: dict[str, Any] = _int_columns(recs, ("request_id", "zone_id", "direction", "first_slot", "max_price"),
                                            "requests")
        cols["buyer"] = tuple(str(r.get("buyer", "")) for r in recs)
        cols["length"] = np.array([len(r["power_w"]) for r in recs], dtype=np.int64)
        cols["power_w"] = _pad([r["power_w"] for r in recs], "requests", "power_w")
        return cls(**cols)


@dataclass(frozen=True, eq=False)
class RoundInput:
    """Everything the engine needs for one round; validated at construction."""

    round_id: int
    slot_len: int
    n_slots: int
    offers: OfferArrays
    requests: RequestArrays
    zone_limits: ZoneLimits
    sensitivities: Sensitivities
    # asset_id -> (up_wh, down_wh) per slot: one asset is never sold above its power in a slot,
    # summed over all its offers (the contracts' ASSET_OVER_COMMITTED rule); None = no limits
    asset_limits: Mapping[int, tuple[int, int]] | None = None

    def __post_init__(self) -> None:
        if self.slot_len <= 0:
            raise InvalidRoundInput("round.slot_len: must be > 0 seconds")
        if self.n_slots < 1 or self.round_id < 0:
            raise InvalidRoundInput("round.n_slots/round_id: n_slots >= 1 and round_id >= 0 required")
        self.offers.validate(self.n_slots)
        self.requests.validate(self.n_slots)

    @classmethod
    def from_dicts(
        cls,
        round_id: int,
        offers: Sequence[Any],
        requests: Sequence[Any],
        *,
        slot_len: int = 900,
        n_slots: int = 96,
        zone_limits: Mapping[int, Mapping[str, Any]] | None = None,
        sensitivities: Sequence[Mapping[str, Any]] | None = None,
        asset_limits: Mapping[int, tuple[int, int]] | None = None,
    ) -> "RoundInput":
        """Build from plain dicts or pydantic models (anything with ``model_dump``)."""
        return cls(
            int(round_id), int(slot_len), int(n_slots),
            OfferArrays.from_records(offers), RequestArrays.from_records(requests),
            ZoneLimits.from_mapping(zone_limits, n_slots), Sensitivities.from_rows(sensitivities, n_slots),
            {int(k): (int(v[0]), int(v[1])) for k, v in asset_limits.items()} if asset_limits else None,
        )
