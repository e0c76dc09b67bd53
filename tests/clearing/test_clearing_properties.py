"""Every clearing result respects offers, needs, zone limits, prices and integer sums."""

from __future__ import annotations

import pytest
import numpy as np
from hypothesis import example, given, settings, strategies as st

from dataclasses import replace

from clearing import Sensitivities, clear, synthetic_round

from .checks import assert_result_valid


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), pricing=st.sampled_from(["pay_as_bid", "uniform"]),
       aggregate=st.booleans())
def test_lp_results_respect_every_bound_limit_and_sum(seed, n, pricing, aggregate):
    rnd = synthetic_round(n, n_slots=24, width=6, n_zones=3, max_shift=12, seed=seed, dso_requests=3,
                          zone_limit_share=0.7, must_share=0.2, fixed_width=False)
    res = clear(rnd, {"pricing": pricing, "aggregate": aggregate})
    assert_result_valid(rnd, res)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 8), pricing=st.sampled_from(["pay_as_bid", "uniform"]),
       aggregate=st.booleans())
def test_mip_results_respect_every_bound_limit_and_sum(seed, n, pricing, aggregate):
    rnd = synthetic_round(n, n_slots=8, width=3, n_zones=2, max_shift=3, seed=seed, dso_requests=2,
                          zone_limit_share=0.7, must_share=0.3, fixed_width=False)
    res = clear(rnd, {"pricing": pricing, "mode": "mip", "aggregate": aggregate})
    assert_result_valid(rnd, res)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_mip_objective_is_never_worse_than_the_lp_fast_path_on_a_small_round(seed):
    rnd = synthetic_round(12, n_slots=10, width=3, n_zones=2, max_shift=4, seed=seed, dso_requests=2,
                          zone_limit_share=0.5, must_share=0.3, fixed_width=False)
    lp, mip = clear(rnd, {"mode": "lp"}), clear(rnd, {"mode": "mip"})
    assert mip.info["objective"] <= lp.info["objective"] * (1 + 1e-9) + 1e-6
    unmet = lambda r: sum(sum(x["unmet"]) for x in r.requests)  # noqa: E731
    assert unmet(mip) <= unmet(lp) + len(rnd.offers.offer_id) * 2  # integer floor slack only


def test_uniform_price_is_one_price_per_request_and_pay_as_bid_never_costs_more():
    rnd = synthetic_round(200, n_slots=48, width=12, n_zones=5, max_shift=24, seed=9, dso_requests=4)
    pab, uni = clear(rnd, {"pricing": "pay_as_bid"}), clear(rnd, {"pricing": "uniform"})
    assert [(a.offer_id, a.request_id, a.portion) for a in pab.awards] == \
        [(a.offer_id, a.request_id, a.portion) for a in uni.awards]
    price = {r["request_id"]: r["price"] for r in uni.requests}
    cap = dict(zip(rnd.requests.request_id.tolist(), rnd.requests.max_price.tolist()))
    own = dict(zip(rnd.offers.offer_id.tolist(), rnd.offers.combined_price(900).tolist()))
    for a in uni.awards:
        combined = a.reservation_price * 3600 // 900 + a.activation_price
        assert combined == max(price[a.request_id], own[a.offer_id]) <= cap[a.request_id]
    assert pab.total_cost <= uni.total_cost


def test_down_requests_get_negative_portions_from_down_capable_offers():
    rnd = synthetic_round(60, n_slots=24, width=6, n_zones=2, max_shift=6, seed=4, dso_requests=6)
    res = clear(rnd)
    q = rnd.requests
    down = {int(r) for r, d in zip(q.request_id, q.direction) if d < 0}
    rows = [a for a in res.awards if a.request_id in down]
    assert rows, "the seeded round has DOWN awards"
    assert all(e <= 0 for a in rows for e in a.portion) and any(e < 0 for a in rows for e in a.portion)
    assert_result_valid(rnd, res)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), c1=st.floats(0.1, 1.0), c2=st.floats(-0.5, 1.0), limit=st.integers(0, 3000),
       mode=st.sampled_from(["lp", "mip"]))
@example(seed=0, c1=1.0, c2=1e-9, limit=0, mode="lp")  # exactly HiGHS's small_matrix_value
def test_fractional_sensitivity_rows_hold_on_the_integer_awards(seed, c1, c2, limit, mode):
    n = 30 if mode == "lp" else 6
    rnd = synthetic_round(n, n_slots=12, width=4, n_zones=2, max_shift=4, seed=seed, dso_requests=2,
                          zone_limit_share=0.0, must_share=0.1, fixed_width=False)
    sens = Sensitivities(np.array([1, 2]), np.array([[c1, c2]]), np.full((1, 12), float(limit)))
    rnd = replace(rnd, sensitivities=sens)
    res = clear(rnd, {"mode": mode})
    assert_result_valid(rnd, res)
