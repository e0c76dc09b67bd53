"""The flat integer awards of one solve, before canonicalisation (shared by solve and disaggregation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Awards"]


@dataclass(eq=False)
class Awards:
    """Integer awards of one solve, one entry per (candidate, slice, request) > 0."""

    offer: np.ndarray  # index into the solved OfferArrays
    start: np.ndarray
    slice: np.ndarray
    request: np.ndarray  # index into rnd.requests
    energy: np.ndarray  # signed Wh
    met: np.ndarray  # [R, L] Wh
    need: np.ndarray  # [R, L] Wh
    need_dual: np.ndarray  # [R, L] token units per kWh (nan where no row / MIP)
    objective: float
    status: str
    excluded: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
