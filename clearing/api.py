"""The one call the ledger side needs: ``clear(round_input, options) -> CanonicalResult``.

Prepare -> (aggregate) -> build -> solve -> disaggregate -> price -> canonicalise; each
step is its own module (see docs/clearing.md)."""

from __future__ import annotations

from typing import Any

from .arrays import RoundInput
from .canonical import CanonicalResult, canonicalise
from .pricing import award_prices, request_prices
from .solve import clear_round

__all__ = ["clear"]


def clear(rnd: RoundInput, options: dict[str, Any] | None = None) -> CanonicalResult:
    """Clear one round. ``options``: see ``solve.DEFAULT_OPTIONS`` (unknown names raise)."""
    aw, agg, opts = clear_round(rnd, options)
    req_price = request_prices(rnd, aw.offer, aw.request, aw.need_dual, opts["mode"])
    res, act = award_prices(rnd, aw.offer, aw.request, req_price, opts["pricing"])
    return canonicalise(rnd, aw, agg, opts, res, act, req_price)
