"""Split an aggregate's schedule (and its per-request portions) back onto its members.

Design reasoning
- Aggregation boxed every member (see ``aggregation``), so the aggregate's slice bounds
  are exact sums of member boxes and any member vector inside its box meets its own
  totals. Disaggregation is therefore a per-slice fill, with no coupling between slices:
  each member first gets its box lower bound, then the rest of the slice's energy is
  handed out in merit order (cheapest member first, ties by offer_hash then offer_id --
  the order kept in the lineage). The result is integer, exact (members sum to the
  aggregate's schedule Wh for Wh) and feasible for each member's own offer.
- Work is done in magnitudes (all members of an aggregate share one direction), so each
  member's slice has one sign -- the same as the aggregate's -- and no member is ever
  set against another (no netting inside an aggregate).
- Request portions are split by interval overlap: members and requests are laid end to
  end on the same slice's energy axis; a member's share of a request is the overlap of
  their intervals. Integer, exact in both directions (members' portions sum to the
  member schedule; all members' portions of a request sum to the aggregate portion).
"""

from __future__ import annotations

import numpy as np

from .aggregation import Aggregation
from .awards import Awards
from .errors import ClearingError

__all__ = ["disaggregate", "split_portions"]


def _aligned(agg: Aggregation, g: int, width: int):
    """Members of aggregate g with their box bounds laid on the aggregate's slice axis."""
    p0, p1 = agg.group_ptr[g], agg.group_ptr[g + 1]
    members, off = agg.member_index[p0:p1], agg.member_offset[p0:p1]
    w = agg.member_lo.shape[1]
    lo = np.zeros((len(members), width), np.int64)
    hi = np.zeros_like(lo)
    for k in np.unique(off):
        sel = np.flatnonzero(off == k)
        cols = min(w, width - k)
        lo[sel, k:k + cols] = agg.member_lo[members[sel], :cols]
        hi[sel, k:k + cols] = agg.member_hi[members[sel], :cols]
    return members, off, lo, hi


def split_portions(member_mag: np.ndarray, portion_mag: np.ndarray) -> np.ndarray:
    """Overlap split: ``member_mag`` [M, W] and ``portion_mag`` [R, W] (non-negative,
    equal column sums) -> [M, R, W] with sums over R = member_mag, over M = portion_mag."""
    cm = np.concatenate([np.zeros((1, member_mag.shape[1]), np.int64), np.cumsum(member_mag, 0)])
    cr = np.concatenate([np.zeros((1, portion_mag.shape[1]), np.int64), np.cumsum(portion_mag, 0)])
    hi = np.minimum(cm[1:, None, :], cr[None, 1:, :])
    lo = np.maximum(cm[:-1, None, :], cr[None, :-1, :])
    return np.maximum(hi - lo, 0)


def disaggregate(agg: Aggregation, g: int, start: int, schedule, portions=None):
    """Member schedules of aggregate ``g`` started at ``start`` with ``schedule`` Wh.

    ``portions`` (optional, [R, n_slices]) are the aggregate's per-request shares.
    Returns ``(member_index, member_start, member_schedule [M, width], member_portions
    [M, R, width] or None)``; widths are the original offers' padded width. Raises
    ``ClearingError`` if the schedule is not feasible for the aggregate."""
    o = agg.offers
    n_g = int(o.n_slices[g])
    e = np.zeros(n_g, np.int64)
    e[: len(schedule)] = schedule
    if not (o.earliest[g] <= start <= o.latest[g]):
        raise ClearingError(f"aggregate {g}: start {start} outside [{o.earliest[g]}, {o.latest[g]}]")
    if np.any(e < o.slice_min[g, :n_g]) or np.any(e > o.slice_max[g, :n_g]):
        raise ClearingError(f"aggregate {g}: schedule outside its slice bounds")
    members, off, lo, hi = _aligned(agg, g, n_g)
    d = int(agg.direction[g])
    w = agg.member_lo.shape[1]
    if d == 0:  # passthrough: the aggregate is the offer itself
        if not (o.total_min[g] <= e.sum() <= o.total_max[g]):
            raise ClearingError(f"aggregate {g}: schedule outside its total bounds")
        x = np.zeros((1, w), np.int64)
        x[0, :n_g] = e
        por = None
        if portions is not None:
            por = np.zeros((1, len(portions), w), np.int64)
            por[0, :, :n_g] = np.asarray(portions, np.int64)[:, :n_g]
        return members, np.array([start]), x, por
    mlo, mhi, emag = (lo, hi, e) if d > 0 else (-hi, -lo, -e)
    r = mhi - mlo
    rest = emag - mlo.sum(0)
    x = mlo + np.clip(rest[None, :] - (np.cumsum(r, 0) - r), 0, r)
    por_al = None
    if portions is not None:
        pm = np.asarray(portions, np.int64)[:, :n_g] * d
        if np.any(pm < 0) or np.any(pm.sum(0) != emag):
            raise ClearingError(f"aggregate {g}: portions do not sum to the schedule with one sign")
        por_al = split_portions(x, pm) * d
    x *= d
    out = np.zeros((len(members), w), np.int64)
    out_p = None if por_al is None else np.zeros((len(members), por_al.shape[1], w), np.int64)
    for k in np.unique(off):
        sel = np.flatnonzero(off == k)
        cols = min(w, n_g - k)
        out[sel, :cols] = x[sel, k:k + cols]
        if out_p is not None:
            out_p[sel, :, :cols] = por_al[sel, :, k:k + cols]
    return members, start + off, out, out_p


def expand_awards(agg: Aggregation, aw):
    """Turn awards on aggregates (``awards.Awards``) into awards on the member offers."""
    parts = {k: [] for k in ("offer", "start", "slice", "request", "energy")}
    order = np.lexsort([aw.request, aw.slice, aw.offer])
    go, gs, gr, ge, gt = aw.offer[order], aw.slice[order], aw.request[order], aw.energy[order], aw.start[order]
    bounds = np.flatnonzero(np.r_[True, go[1:] != go[:-1], True]) if len(go) else np.zeros(1, np.int64)
    for b0, b1 in zip(bounds[:-1], bounds[1:]):
        g = int(go[b0])
        n_g = int(agg.offers.n_slices[g])
        reqs, inv = np.unique(gr[b0:b1], return_inverse=True)
        por = np.zeros((len(reqs), n_g), np.int64)
        np.add.at(por, (inv, gs[b0:b1]), ge[b0:b1])
        start = int(gt[b0])
        members, starts, _, mp = disaggregate(agg, g, start, por.sum(0), por)
        m_i, r_i, s_i = np.nonzero(mp)
        parts["offer"].append(members[m_i])
        parts["start"].append(starts[m_i])
        parts["slice"].append(s_i)
        parts["request"].append(reqs[r_i])
        parts["energy"].append(mp[m_i, r_i, s_i])
    cat = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in parts.items()}
    excl = [agg.member_index[agg.group_ptr[g]:agg.group_ptr[g + 1]] for g in aw.excluded]
    return Awards(cat["offer"], cat["start"], cat["slice"], cat["request"], cat["energy"], aw.met, aw.need,
                  aw.need_dual, aw.objective, aw.status,
                  np.sort(np.concatenate(excl)) if excl else np.zeros(0, np.int64),
                  {**aw.info, "aggregated": True})
