"""GOFLEX/AAU start-alignment aggregation of flex-offers, vectorised.

Design reasoning
- Grouping: offers of the same kind and zone are grouped when their earliest start, time
  flexibility (latest - earliest), duration (n_slices) and combined price fall in the same
  bucket of width ``tolerance + 1`` -- so any two members differ by at most the tolerance.
  Direction class and must-deliver flag are part of the key too (see below). Members
  are ordered inside a group by merit (combined price, offer_hash, offer_id), which is
  also the order in which disaggregation fills them.
- Start alignment: member offset = its earliest - the group's earliest; aggregate slice j
  sums the members' slice j - offset; time flexibility = the members' minimum.
- Exactness: plain sums of slice *and* total bounds are an outer approximation -- an
  aggregate schedule can satisfy the summed bounds yet be impossible to split (a member
  whose total forces energy into a slice the aggregate left empty). To make every
  aggregate-feasible schedule disaggregatable exactly, each member is first replaced by
  its inner *box*: per-slice bounds ``[lo, hi]`` inside its own, chosen so that any
  vector in the box already meets its totals (proportional shrink towards the total
  bounds, integer floor/ceil, greedy single-point fallback). Two-way members are also
  restricted to one direction (the one with more range) so all portions share a sign.
  The aggregate's bounds are then the exact sums of boxes, its totals the sums of the
  boxes' sums, and disaggregation is a per-slice fill. What direction choice and boxes
  give up is reported as energy flexibility loss: the sum over slices of the range
  (max - min) lost, in Wh; the time-flexibility cut (slot starts lost, summed over
  members) as time loss.
- Offers that cannot be boxed in one direction (e.g. slices forced in both directions)
  pass through as singleton "aggregates" with their original bounds (identity split).
- Aggregate price = the members' maximum res_price and act_price, so an aggregate is
  eligible for a request only if every member is (max_price holds per member).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import OfferArrays

_BLOCK = 32_768  # rows per block: ~12 MB of int32 slices, reused by malloc instead of fresh pages

__all__ = ["AggregationTolerances", "Aggregation", "aggregate", "box_offers", "oversellable"]


@dataclass(frozen=True)
class AggregationTolerances:
    """Largest difference allowed between two members of one aggregate."""

    earliest: int = 4  # slots, earliest start
    time_flex: int = 4  # slots, latest - earliest
    duration: int = 0  # slots, n_slices
    price: int = 20_000  # token units per kWh, combined price

    def as_dict(self) -> dict[str, int]:
        return {"earliest": self.earliest, "time_flex": self.time_flex,
                "duration": self.duration, "price": self.price}


@dataclass(frozen=True, eq=False)
class Aggregation:
    """Aggregates as offers plus the lineage needed to split their schedules."""

    offers: OfferArrays  # one row per aggregate
    group_ptr: np.ndarray  # [G+1] CSR pointers into member_index
    member_index: np.ndarray  # [M] index into the original OfferArrays, merit order per group
    member_offset: np.ndarray  # [M] earliest - group earliest
    member_lo: np.ndarray  # [n_offers, width] int32 box lower bounds, ORIGINAL offer order
    member_hi: np.ndarray  # [n_offers, width] int32 box upper bounds, original order
    direction: np.ndarray  # [G] +1/-1 boxed direction, 0 = passthrough (identity split)
    energy_loss: np.ndarray  # [G] Wh of slice range (sum of max-min) lost to direction + box
    time_loss: np.ndarray  # [G] slot-starts lost summed over members
    energy_range: float  # Wh of slice range of all original offers
    time_range: float  # sum of original time flexibility (slots)
    tolerances: AggregationTolerances

    def loss_summary(self) -> dict[str, float]:
        e, t = float(self.energy_loss.sum()), float(self.time_loss.sum())
        return {"aggregates": int(self.offers.n), "members": int(len(self.member_index)),
                "energy_loss_wh": e, "energy_loss_share": e / self.energy_range if self.energy_range else 0.0,
                "time_loss_slots": t, "time_loss_share": t / self.time_range if self.time_range else 0.0}


def _greedy_point(a: np.ndarray, r: np.ndarray, target: np.ndarray) -> np.ndarray:
    """a + a greedy fill of ``target`` Wh over the ranges ``r`` in slice order."""
    before = np.cumsum(r, axis=1) - r
    return a + np.clip(target[:, None] - before, 0, r)


def box_offers(a: np.ndarray, b: np.ndarray, tlo: np.ndarray, thi: np.ndarray):
    """Inner box ``lo <= x <= hi`` of ``{a <= x <= b, tlo <= sum x <= thi}`` (int64 rows).

    Requires ``sum a <= thi`` and ``sum b >= tlo``. Every integer vector in the box meets
    the totals. Returns (lo, hi)."""
    A, B = a.sum(1), b.sum(1)
    r = b - a
    R = np.maximum(B - A, 1)
    hi_t = np.minimum(thi, B) - A
    lo_t = np.maximum(tlo, A) - A
    hi = a + np.floor(r * (hi_t / R)[:, None]).astype(np.int64)
    lo = a + np.ceil(r * (lo_t / R)[:, None]).astype(np.int64)
    hi, lo = np.minimum(hi, b), np.maximum(lo, a)
    bad = (lo > hi).any(1) | (hi.sum(1) > A + hi_t) | (lo.sum(1) < A + lo_t)
    if bad.any():
        p = _greedy_point(a[bad], r[bad], lo_t[bad])
        lo[bad], hi[bad] = p, p
    return lo, hi


def _segments(keys: list[np.ndarray], order: np.ndarray) -> np.ndarray:
    """Start positions of runs of equal key tuples in sorted order."""
    n = len(order)
    change = np.zeros(n, bool)
    change[0:1] = True
    for k in keys:
        ks = k[order]
        change[1:] |= ks[1:] != ks[:-1]
    return np.flatnonzero(change)


def oversellable(offers: OfferArrays, asset_limits) -> np.ndarray | None:
    """Offers whose asset could be sold above its power in a slot (``asset_limits``: asset_id ->
    (up_wh, down_wh) per slot): its asset has several offers, or the offer alone reaches past the
    power. Aggregation keeps these out of aggregates, so they keep their asset and the engine's
    per-asset rows hold them (the contracts' Fault.AssetOverCommitted)."""
    if not asset_limits or offers.n == 0:
        return None
    a = offers.asset_id
    known = np.array([int(x) in asset_limits for x in a], bool)
    ids, counts = np.unique(a, return_counts=True)
    several = np.isin(a, ids[counts > 1])
    up = np.array([asset_limits.get(int(x), (0, 0))[0] for x in a], np.int64)
    dn = np.array([asset_limits.get(int(x), (0, 0))[1] for x in a], np.int64)
    peak_up = np.clip(offers.slice_max, 0, None).max(1, initial=0).astype(np.int64)
    peak_dn = -np.clip(offers.slice_min, None, 0).min(1, initial=0).astype(np.int64)
    return known & (several | (peak_up > up) | (peak_dn > dn))


def aggregate(offers: OfferArrays, slot_len: int, tol: AggregationTolerances | None = None,
              pinned: np.ndarray | None = None) -> Aggregation:
    """Group and aggregate ``offers``; see the module docstring. ``pinned`` offers (see
    ``oversellable``) are aggregates of their own and keep their asset id."""
    tol = tol or AggregationTolerances()
    n, w = offers.n, offers.width
    smin, smax = offers.slice_min, offers.slice_max  # int32, not copied
    tmin, tmax = offers.total_min, offers.total_max
    can_up, can_dn = (smax >= 0).all(1), (smin <= 0).all(1)
    up_range = np.clip(smax, 0, None).sum(1, dtype=np.int64)
    dn_range = -np.clip(smin, None, 0).sum(1, dtype=np.int64)
    d = np.where(can_up & (~can_dn | (up_range >= dn_range)), 1, np.where(can_dn, -1, 0))
    lo, hi = smin.copy(), smax.copy()
    np.maximum(lo, 0, out=lo, where=(d > 0)[:, None])
    np.minimum(hi, 0, out=hi, where=(d < 0)[:, None])
    lo_sum, hi_sum = lo.sum(1, dtype=np.int64), hi.sum(1, dtype=np.int64)
    ok = (d != 0) & (lo_sum <= tmax) & (hi_sum >= tmin)
    d = np.where(ok, d, 0)
    np.copyto(lo, smin, where=(d == 0)[:, None])
    np.copyto(hi, smax, where=(d == 0)[:, None])
    need = np.flatnonzero(ok & ((tmax < hi_sum) | (tmin > lo_sum)))
    for c in range(0, len(need), _BLOCK):  # blocks keep temporaries small (no page-fault storm)
        i = need[c:c + _BLOCK]
        lo[i], hi[i] = box_offers(lo[i].astype(np.int64), hi[i].astype(np.int64), tmin[i], tmax[i])
    lo_sum, hi_sum = lo.sum(1, dtype=np.int64), hi.sum(1, dtype=np.int64)
    must = np.where(d > 0, (lo != 0).any(1), (hi != 0).any(1))
    price = offers.combined_price(slot_len)
    tf = offers.latest - offers.earliest
    ids = offers.offer_id
    alone = (d == 0) if pinned is None else (d == 0) | pinned
    solo = np.where(alone, ids, -1)  # passthrough and pinned offers get a key of their own
    keys = [offers.kind, offers.zone_id, d, must.astype(np.int64), solo,
            offers.earliest // (tol.earliest + 1), tf // (tol.time_flex + 1),
            offers.n_slices // (tol.duration + 1), price // (tol.price + 1)]
    order = np.lexsort([ids, offers.hash_key(), price] + keys[::-1])
    starts = _segments(keys, order)
    G = len(starts)
    ptr = np.append(starts, n)
    gid = np.repeat(np.arange(G), np.diff(ptr))
    earliest_s = offers.earliest[order]
    g_earliest = np.minimum.reduceat(earliest_s, starts) if n else earliest_s
    offset = earliest_s - g_earliest[gid]
    g_tf = np.minimum.reduceat(tf[order], starts) if n else tf
    ns = offers.n_slices[order]
    g_n = np.maximum.reduceat(offset + ns, starts) if n else ns
    width = int(g_n.max()) if n else 1
    wa = int(offset.max()) + w if n else w
    # per-aggregate |slice| can only exceed int32 if the members' |bounds| sum past it
    peak = np.maximum(np.abs(lo).max(1, initial=0), np.abs(hi).max(1, initial=0)).astype(np.int64)
    acc = np.int32 if n == 0 or np.add.reduceat(peak[order], starts).max() <= 2**31 - 1 else np.int64
    g_lo = np.zeros((G, wa), acc)
    g_hi = np.zeros((G, wa), acc)
    if n:  # sum per (group, offset) run, in blocks, via cumsum along the member axis
        go = np.lexsort([offset, gid])  # positions in sorted order, by group then offset
        rows = order[go]
        run = _segments([gid[go], offset[go]], np.arange(n))
        g_run, k_run = gid[go][run], offset[go][run]
        cuts = np.unique(run[np.searchsorted(run, np.arange(0, n, _BLOCK), side="right") - 1])
        for b0, b1 in zip(cuts, np.append(cuts[1:], n)):
            r0, r1 = np.searchsorted(run, [b0, b1])
            rel = run[r0:r1] - b0
            ends = np.append(rel[1:], b1 - b0) - 1
            g_b, k_b = g_run[r0:r1], k_run[r0:r1]
            for src, dst in ((lo, g_lo), (hi, g_hi)):
                c = np.cumsum(src[rows[b0:b1]].T, axis=1, dtype=acc)
                sums = c[:, ends]
                sums[:, 1:] -= c[:, rel[1:] - 1]
                sums = np.ascontiguousarray(sums.T)
                for k in np.unique(k_b):
                    m = k_b == k
                    dst[g_b[m], k:k + w] += sums[m]
    d_s = d[order]
    t_lo = np.where(d_s != 0, lo_sum[order], tmin[order])
    t_hi = np.where(d_s != 0, hi_sum[order], tmax[order])
    eff_range = smax.sum(1, dtype=np.int64) - smin.sum(1, dtype=np.int64)  # slice-range flexibility
    box_range = hi_sum - lo_sum
    first = order[starts]

    def seg_sum(x):
        return np.add.reduceat(x, starts) if n else x

    def seg_max(x):
        return np.maximum.reduceat(x, starts) if n else x

    agg = OfferArrays(
        offer_id=np.arange(G, dtype=np.int64), offer_hash=offers.offer_hash[first],
        asset_id=np.where(np.diff(ptr) == 1, offers.asset_id[first], 0).astype(np.int64),  # a group of one keeps its asset
        zone_id=offers.zone_id[first], kind=offers.kind[first],
        earliest=g_earliest, latest=g_earliest + g_tf, n_slices=g_n,
        slice_min=g_lo[:, :width], slice_max=g_hi[:, :width], total_min=seg_sum(t_lo), total_max=seg_sum(t_hi),
        baseline=np.zeros((G, width), np.int32),
        res_price=seg_max(offers.res_price[order]), act_price=seg_max(offers.act_price[order]))
    return Aggregation(
        offers=agg, group_ptr=ptr, member_index=order, member_offset=offset,
        member_lo=lo, member_hi=hi, direction=d[first],
        energy_loss=seg_sum((eff_range - box_range)[order]).astype(np.float64),
        time_loss=seg_sum(tf[order] - g_tf[gid]).astype(np.float64),
        energy_range=float(eff_range.sum()), time_range=float(tf.sum()), tolerances=tol)
