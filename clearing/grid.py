"""DSO grid limits: per-zone UP/DOWN caps and linear sensitivity rows.

Zone limits are the DSO traffic light: per zone and slot, the UP Wh of *all* awarded
activation in the zone (DSO and TSO awards alike) must stay at or below ``up_wh`` and the DOWN
Wh at or below ``down_wh``, each direction on its own: awards are options each buyer activates
independently, so UP and DOWN awards cannot be relied on to cancel out (and a subset of a
zone's awards over a limit proves the whole set over it: the on-chain `challengeZoneLimit`).
Sensitivities are optional linear rows ``sum_z coeff[k, z] * net_wh[z, s] <= limit[k, s]``
(e.g. a transformer loaded by several zones). Inputs: plain mappings, validated here.
Coefficients of at most 1e-9 in magnitude are treated as 0 (HiGHS drops them anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import InvalidRoundInput

__all__ = ["ZoneLimits", "Sensitivities"]


def _check(mask: np.ndarray, what: str, field: str, reason: str) -> None:
    bad = np.flatnonzero(np.asarray(mask).reshape(len(mask), -1).any(axis=1)) if len(mask) else []
    if len(bad):
        raise InvalidRoundInput(f"{what}[{int(bad[0])}].{field}: {reason}")


def _as_dict(rec: Any) -> Mapping[str, Any]:
    return rec.model_dump() if hasattr(rec, "model_dump") else rec


@dataclass(frozen=True, eq=False)
class ZoneLimits:
    """Per zone and slot: max net UP Wh and max net DOWN Wh (both >= 0)."""

    zone_id: np.ndarray
    up_wh: np.ndarray  # [n_zones, n_slots]
    down_wh: np.ndarray

    @classmethod
    def from_mapping(cls, limits: Mapping[int, Mapping[str, Any]] | None, n_slots: int) -> "ZoneLimits":
        limits = limits or {}
        zones = sorted(int(z) for z in limits)
        up = np.zeros((len(zones), n_slots), dtype=np.int64)
        dn = np.zeros_like(up)
        for k, z in enumerate(zones):
            lim = limits[z] if z in limits else limits[str(z)]
            for arr, key in ((up, "up_wh"), (dn, "down_wh")):
                v = np.asarray(lim.get(key, 2**53), dtype=np.int64)
                if v.ndim == 1 and len(v) != n_slots:
                    raise InvalidRoundInput(f"zone_limits[{z}].{key}: needs {n_slots} slots, got {len(v)}")
                arr[k] = v
        zl = cls(np.array(zones, dtype=np.int64), up, dn)
        _check(zl.zone_id < 1, "zone_limits", "zone_id", "must be >= 1")
        _check(up < 0, "zone_limits", "up_wh", "must be >= 0")
        _check(dn < 0, "zone_limits", "down_wh", "must be >= 0")
        return zl


@dataclass(frozen=True, eq=False)
class Sensitivities:
    """Linear grid rows: ``sum_z coeff[k, z] * net_wh[z, s] <= limit[k, s]``."""

    zone_id: np.ndarray  # [n_zones] columns of coeff
    coeff: np.ndarray  # float64 [n_rows, n_zones]
    limit: np.ndarray  # float64 [n_rows, n_slots]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]] | None, n_slots: int) -> "Sensitivities":
        rows = [_as_dict(r) for r in rows or []]
        zones = sorted({int(z) for r in rows for z in r["coeffs"]})
        col = {z: k for k, z in enumerate(zones)}
        coeff = np.zeros((len(rows), len(zones)))
        limit = np.zeros((len(rows), n_slots))
        for k, r in enumerate(rows):
            for z, c in r["coeffs"].items():
                coeff[k, col[int(z)]] = float(c)
            lim = np.asarray(r["limit_wh"], dtype=np.float64)
            if lim.ndim == 1 and len(lim) != n_slots:
                raise InvalidRoundInput(f"sensitivities[{k}].limit_wh: needs {n_slots} slots")
            limit[k] = lim
        _check(~np.isfinite(coeff), "sensitivities", "coeffs", "must be finite")
        return cls(np.array(zones, dtype=np.int64), coeff, limit)
