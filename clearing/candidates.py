"""Problem preparation without a solver: candidate (offer, start, direction) triples.

Design reasoning
- An award is one-directional: every slice of an offer's schedule has the sign of the
  requests it serves (USEF FlexOffers are UP or DOWN). So each candidate carries a
  direction ``d`` and works in *magnitudes* ``y >= 0`` (energy = d*y); a two-way slice
  ``[-300, 500]`` becomes ``[0, 500]`` as UP or ``[0, 300]`` as DOWN. This also rules
  out an offer selling UP to one buyer and DOWN to another in the same slot.
- Eligibility of (candidate, slice, request): same direction, zone equal or request
  system-wide (zone 0), the request covers the slot with a positive need, and the offer's
  integer combined price ``res*3600//slot_len + act`` <= the request's max_price.
- A candidate is *must-deliver* if zero is not feasible for it (a slice or total lower
  bound > 0 in its direction). The LP fast path cannot honour "all or nothing", so it
  leaves such offers out and reports them (``excluded``); MIP mode keeps them behind a
  binary acceptance variable.
- Fast path starts (``choose_starts``): offers are visited in merit order (combined
  price, offer_hash, offer_id); each takes the start and direction that best cover the
  *remaining* need of its eligible requests (capped by its zone's remaining grid limit),
  then subtracts what it could deliver (charged to its widest eligible request first). Needs are inflated by ``cover`` (default 1.5) so
  the LP still has spare offers to choose from. Ties between starts are broken by
  ``offer_hash`` (index hash % number of tied starts) to spread identical offers.
  Offers that can cover nothing are dropped from the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .arrays import RoundInput

__all__ = ["Candidates", "build_candidates", "choose_starts", "all_starts"]


@dataclass(frozen=True, eq=False)
class Candidates:
    offer: np.ndarray  # [C] index into rnd.offers
    start: np.ndarray  # [C]
    dir: np.ndarray  # [C] +1 / -1
    lo: np.ndarray  # [C, W] magnitude lower bound per slice (0 beyond n_slices)
    hi: np.ndarray  # [C, W] magnitude upper bound, 0 where no request is eligible
    tlo: np.ndarray  # [C] magnitude total bounds
    thi: np.ndarray
    elig: np.ndarray  # [C, W, R] bool
    must: np.ndarray  # [C] zero infeasible
    excluded: np.ndarray  # offer indices left out as must-deliver (LP mode)

    @property
    def n(self) -> int:
        return len(self.offer)


def _mag_bounds(rnd: RoundInput, off: np.ndarray, d: np.ndarray):
    o = rnd.offers
    smin, smax = o.slice_min[off].astype(np.int64), o.slice_max[off].astype(np.int64)
    up = d[:, None] > 0
    lo = np.where(up, np.maximum(smin, 0), np.maximum(-smax, 0))
    hi = np.where(up, smax, -smin)
    tlo = np.where(d > 0, np.maximum(o.total_min[off], 0), np.maximum(-o.total_max[off], 0))
    thi = np.where(d > 0, o.total_max[off], -o.total_min[off])
    return lo, hi, tlo, thi


def request_mask(rnd: RoundInput, off: np.ndarray, d: np.ndarray) -> np.ndarray:
    """[len(off), R] bool: direction, zone and price eligibility (no time check)."""
    o, q = rnd.offers, rnd.requests
    price = o.combined_price(rnd.slot_len)[off]
    return ((q.direction[None, :] == d[:, None])
            & ((q.zone_id[None, :] == 0) | (q.zone_id[None, :] == o.zone_id[off][:, None]))
            & (price[:, None] <= q.max_price[None, :]))


def build_candidates(rnd: RoundInput, off, start, d, *, allow_must: bool) -> Candidates:
    """Bounds and eligibility of the given triples; infeasible ones are dropped."""
    off, start, d = (np.asarray(a, np.int64) for a in (off, start, d))
    o, q = rnd.offers, rnd.requests
    W, R = o.width, q.n
    lo, hi, tlo, thi = _mag_bounds(rnd, off, d)
    slot = start[:, None] + np.arange(W)[None, :]
    live = np.arange(W)[None, :] < o.n_slices[off][:, None]
    need = q.need_wh(rnd.slot_len)
    elig = np.zeros((len(off), W, R), bool)
    mask = request_mask(rnd, off, d)
    for r in range(R):
        rel = slot - q.first_slot[r]
        inside = (rel >= 0) & (rel < q.length[r]) & live
        pos = np.zeros_like(inside)
        pos[inside] = need[r, rel[inside]] > 0
        elig[:, :, r] = pos & mask[:, r][:, None]
    any_e = elig.any(2)
    ok = (lo <= hi).all(1) & (tlo <= thi) & ~(~any_e & (lo > 0)).any(1)
    hi = np.where(any_e, hi, 0)
    ok &= (lo.sum(1) <= thi) & (hi.sum(1) >= tlo) & any_e.any(1)
    must = (lo > 0).any(1) | (tlo > 0)
    excluded = np.unique(off[must & ok]) if not allow_must else np.zeros(0, np.int64)
    if not allow_must:
        ok &= ~must
    k = np.flatnonzero(ok)
    return Candidates(off[k], start[k], d[k], lo[k], hi[k], tlo[k], np.minimum(thi[k], hi[k].sum(1)),
                      elig[k], must[k], excluded)


def all_starts(rnd: RoundInput) -> Candidates:
    """Every (offer, start, direction) triple -- the MIP's choice set."""
    o = rnd.offers
    span = o.latest - o.earliest + 1
    off = np.repeat(np.arange(o.n), span * 2)
    base = np.repeat(o.earliest, span * 2)
    k = np.arange(len(off)) - np.repeat(np.cumsum(span * 2) - span * 2, span * 2)
    return build_candidates(rnd, off, base + k // 2, np.where(k % 2 == 0, 1, -1), allow_must=True)


def choose_starts(rnd: RoundInput, cover: float = 1.5) -> Candidates:
    """Greedy merit-order start and direction per offer (see module docstring)."""
    o, q, zl = rnd.offers, rnd.requests, rnd.zone_limits
    n, S = o.n, rnd.n_slots
    need = q.need_wh(rnd.slot_len)
    resid = np.zeros((q.n, S))
    for r in range(q.n):
        resid[r, q.first_slot[r]:q.first_slot[r] + q.length[r]] = need[r, : q.length[r]] * cover
    zrow = {int(z): k for k, z in enumerate(zl.zone_id)}
    zcap = {1: zl.up_wh.astype(float) * cover, -1: zl.down_wh.astype(float) * cover}
    lo_up, hi_up, tlo_up, _ = _mag_bounds(rnd, np.arange(n), np.ones(n, np.int64))
    lo_dn, hi_dn, tlo_dn, _ = _mag_bounds(rnd, np.arange(n), -np.ones(n, np.int64))
    opt = {1: ~((lo_up > 0).any(1) | (tlo_up > 0)) & (hi_up >= 0).all(1),
           -1: ~((lo_dn > 0).any(1) | (tlo_dn > 0)) & (hi_dn >= 0).all(1)}
    hi = {1: np.maximum(hi_up, 0), -1: np.maximum(hi_dn, 0)}
    masks = {d: request_mask(rnd, np.arange(n), np.full(n, d)) for d in (1, -1)}
    # an offer's take is charged to its widest request first (most eligible offers, e.g. a
    # system-wide TSO need), so scarce zonal needs stay open for the offers that can serve them
    width = masks[1].sum(0) + masks[-1].sum(0)
    rank = np.empty(q.n, np.int64)
    rank[np.lexsort([np.arange(q.n), -width, q.zone_id != 0])] = np.arange(q.n)
    resid0, zcap0 = resid.copy(), {d: c.copy() for d, c in zcap.items()}
    hk = o.hash_key()
    order = np.lexsort([o.offer_id, hk, o.combined_price(rnd.slot_len)])
    c_off, c_start, c_dir = [], [], []
    for i in order:
        e, l_, ns, z = int(o.earliest[i]), int(o.latest[i]), int(o.n_slices[i]), zrow.get(int(o.zone_id[i]))
        best = _best_start(i, e, l_, ns, z, resid, zcap, masks, opt, hi, rank, hk)
        if best[2] == 0 and (q.zone_id[masks[1][i] | masks[-1][i]] != 0).any():
            # keep offers that could serve a zonal (DSO) need even when cheaper ones seem
            # to cover it: local needs have few alternatives; start by the original need
            best = _best_start(i, e, l_, ns, z, resid0, zcap0, masks, opt, hi, rank, hk)
        if best[2] == 0:
            continue
        _, t, d, (rs, take) = best
        if z is not None:
            zcap[d][z, t:t + ns] -= take
        for r in rs:
            dec = np.minimum(take, resid[r, t:t + ns])
            resid[r, t:t + ns] -= dec
            take = take - dec
        c_off.append(i)
        c_start.append(t)
        c_dir.append(d)
    cands = build_candidates(rnd, c_off, c_start, c_dir, allow_must=False)
    must_any = ~opt[1] & ~opt[-1]
    excl = np.flatnonzero(must_any & (masks[1].any(1) | masks[-1].any(1)))
    return Candidates(**{**cands.__dict__, "excluded": excl})


def _best_start(i, e, l_, ns, z, resid, zcap, masks, opt, hi, rank, hk):
    """(score, start, direction, (requests, take)) of offer i against ``resid``."""
    best = (0.0, 0, 0, None)
    for d in (1, -1):
        rs = np.flatnonzero(masks[d][i])
        rs = rs[np.argsort(rank[rs])]
        if not opt[d][i] or len(rs) == 0:
            continue
        cov = resid[rs].sum(0)
        if z is not None:
            cov = np.minimum(cov, zcap[d][z])
        win = sliding_window_view(cov, ns)[e:l_ + 1]
        score = np.minimum(win, hi[d][i, :ns]).sum(1)
        top = score.max()
        if top > best[0] + 1e-9:
            ties = np.flatnonzero(score >= top - 1e-9)
            t = e + int(ties[int(hk[i] % np.uint64(len(ties)))])
            best = (float(top), t, d, (rs, np.minimum(cov[t:t + ns], hi[d][i, :ns])))
    return best
