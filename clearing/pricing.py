"""Award prices: pay-as-bid or uniform (marginal) per request.

Design reasoning
- Clearing price of a request (combined token units per kWh), computed in both modes
  and reported:
  * LP: the largest dual of the request's need rows (marginal cost of one more Wh,
    times 1000), rounded *up* to an integer after a 1e-6 tolerance. A slot left unmet
    has the penalty as dual; the cap below turns that into max_price (scarcity price).
  * MIP (duals of a MIP are not prices) and requests without need rows: the highest
    integer combined price among the offers awarded to the request ("last accepted
    offer in merit order"); 0 if nothing was awarded.
  * Capped at the request's max_price.
- Pay-as-bid: an award carries its offer's own res_price and act_price.
- Uniform: res_price stays the offer's; ``act_price = max(price_r, own combined) -
  res_price*3600//slot_len``, so the award's combined price equals the request's
  clearing price, is never below the offer's own combined price (which can happen only
  through integer rounding) and never above max_price (eligibility guarantees
  own <= max_price).
"""

from __future__ import annotations

import numpy as np

from .arrays import RoundInput

__all__ = ["request_prices", "award_prices"]


def request_prices(rnd: RoundInput, offer: np.ndarray, request: np.ndarray, need_dual: np.ndarray,
                   mode: str) -> np.ndarray:
    """Clearing price per request [R] (int64, token units per kWh)."""
    q = rnd.requests
    own = rnd.offers.combined_price(rnd.slot_len)
    merit = np.zeros(q.n, np.int64)
    if len(offer):
        np.maximum.at(merit, request, own[offer])
    price = merit.copy()
    if mode == "lp":
        has = ~np.all(np.isnan(need_dual), axis=1)
        if has.any():
            top = np.nanmax(need_dual[has], axis=1)
            price[has] = np.ceil(np.minimum(top, 2.0**62) - 1e-6).astype(np.int64)
    return np.clip(price, 0, q.max_price)


def award_prices(rnd: RoundInput, offer: np.ndarray, request: np.ndarray, req_price: np.ndarray,
                 pricing: str) -> tuple[np.ndarray, np.ndarray]:
    """(res_price, act_price) per award row."""
    o = rnd.offers
    res = o.res_price[offer]
    if pricing == "pay_as_bid":
        return res, o.act_price[offer].copy()
    own = o.combined_price(rnd.slot_len)[offer]
    uniform = np.maximum(req_price[request], own)
    return res, uniform - res * 3600 // rnd.slot_len
