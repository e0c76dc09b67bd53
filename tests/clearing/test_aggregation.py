"""Aggregation keeps lineage and disaggregation is exact and feasible for every member."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from clearing.aggregation import AggregationTolerances, aggregate, box_offers
from clearing.disaggregation import disaggregate, split_portions
from clearing.synthetic import synthetic_offers

from .strategies import offer_arrays

WIDE = AggregationTolerances(earliest=3, time_flex=3, duration=3, price=10**9)


def _random_schedule(rng, agg, g):
    o = agg.offers
    n = int(o.n_slices[g])
    lo, hi = o.slice_min[g, :n].astype(np.int64), o.slice_max[g, :n].astype(np.int64)
    if agg.direction[g] == 0:  # passthrough: a point that also meets the totals
        t = rng.integers(max(o.total_min[g], lo.sum()), min(o.total_max[g], hi.sum()) + 1)
        p, _ = box_offers(lo[None], hi[None], np.array([t]), np.array([t]))
        return p[0]
    return rng.integers(lo, hi + 1)


@settings(max_examples=150, deadline=None)
@given(offers=offer_arrays(), seed=st.integers(0, 2**32 - 1))
def test_disaggregated_members_are_feasible_and_sum_exactly_to_the_aggregate(offers, seed):
    rng = np.random.default_rng(seed)
    agg = aggregate(offers, 900, WIDE)
    o = agg.offers
    assert sorted(agg.member_index.tolist()) == list(range(offers.n))
    for g in range(o.n):
        start = int(rng.integers(o.earliest[g], o.latest[g] + 1))
        sched = _random_schedule(rng, agg, g)
        n_g = len(sched)
        members, starts, x, _ = disaggregate(agg, g, start, sched)
        total = np.zeros(n_g + 8, np.int64)
        for m, s, row in zip(members, starts, x):
            ns = offers.n_slices[m]
            assert offers.earliest[m] <= s <= offers.latest[m]
            assert np.all(row[:ns] >= offers.slice_min[m, :ns]) and np.all(row[:ns] <= offers.slice_max[m, :ns])
            assert np.all(row[ns:] == 0)
            assert offers.total_min[m] <= row.sum() <= offers.total_max[m]
            if agg.direction[g]:
                assert np.all(row * agg.direction[g] >= 0)
            total[s - start: s - start + ns] += row[:ns]
        assert total[:n_g].tolist() == list(sched) and not total[n_g:].any()


@settings(max_examples=100, deadline=None)
@given(offers=offer_arrays())
def test_aggregate_bounds_are_exact_sums_of_member_boxes_and_loss_is_not_negative(offers):
    agg = aggregate(offers, 900, WIDE)
    o = agg.offers
    assert np.all(agg.energy_loss >= 0) and np.all(agg.time_loss >= 0)
    for g in range(o.n):
        p0, p1 = agg.group_ptr[g], agg.group_ptr[g + 1]
        mem = agg.member_index[p0:p1]
        assert len({int(offers.zone_id[m]) for m in mem}) == 1
        assert len({int(offers.kind[m]) for m in mem}) == 1
        assert o.latest[g] - o.earliest[g] == min(offers.latest[m] - offers.earliest[m] for m in mem)
        if agg.direction[g]:
            assert o.slice_min[g].sum() == agg.member_lo[mem].sum() == o.total_min[g]
            assert o.slice_max[g].sum() == agg.member_hi[mem].sum() == o.total_max[g]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=1, max_size=5),
       st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_portion_split_sums_exactly_both_ways(members, n_req, seed):
    m = np.array(members, np.int64)
    rng = np.random.default_rng(seed)
    col = m.sum(0)
    cuts = np.sort(rng.integers(0, col + 1, (n_req - 1, 3)), axis=0)
    edges = np.vstack([np.zeros((1, 3), np.int64), cuts, col[None]])
    p = np.diff(edges, axis=0)
    out = split_portions(m, p)
    assert (out >= 0).all()
    assert (out.sum(1) == m).all() and (out.sum(0) == p).all()


def test_members_within_tolerance_share_one_aggregate_and_far_ones_do_not():
    offers = synthetic_offers(6, n_slots=20, width=4, n_zones=1, max_shift=0, seed=3, must_share=0)
    tol = AggregationTolerances(earliest=100, time_flex=100, duration=100, price=10**9)
    one = aggregate(offers, 900, tol)
    tight = aggregate(offers, 900, AggregationTolerances(earliest=0, time_flex=0, duration=0, price=0))
    assert one.offers.n < tight.offers.n
    assert tight.offers.n >= len(np.unique(offers.earliest))


def test_synthetic_offers_aggregate_into_fewer_rows_with_reported_loss():
    offers = synthetic_offers(20_000, seed=5)
    agg = aggregate(offers, 900, AggregationTolerances(earliest=8, time_flex=16, duration=0, price=50_000))
    s = agg.loss_summary()
    assert s["members"] == 20_000 and s["aggregates"] < 20_000
    assert 0 <= s["energy_loss_share"] < 1 and 0 <= s["time_loss_share"] < 1
