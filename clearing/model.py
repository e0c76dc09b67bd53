"""Build the HiGHS model straight from numpy arrays (CSC ``HighsLp``, no modelling layer).

Columns, in this fixed order:
  y[c,i,r]  magnitude Wh candidate c gives request r in its slice i (only eligible
            triples, in C order of (c, i, r)); cost = combined price / 1000 per Wh.
  u[r,k]    unmet need of request r at its slot k; cost = ``penalty`` / 1000 per Wh.
  z[c]      (MIP only) binary: candidate c is the accepted start/direction of its offer.
Rows, in this fixed order:
  need      sum_c y[c,i,r] (slot = start+i = first_r+k) + u[r,k] = need[r,k]
  zone      sum y over zone z, slot s, direction UP <= up[z,s]; likewise DOWN <= down[z,s]
            (all requests: DSO and TSO awards count alike; per direction, not netted, since
            each buyer activates its awards on its own); rows that cannot bind are left out
  sens      sum_z coeff[k,z] * (net Wh of zone z at slot s) <= limit[k,s]
  slice     sum_r y[c,i,r] in [lo, hi]   (LP: only where >1 request shares the slice,
            else the column bound does it; MIP: always, scaled by z[c])
  total     sum y[c,.,.] in [tlo, thi]   (only where binding; MIP: scaled by z[c])
  offer     (MIP) sum of z over an offer's candidates <= 1
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from .arrays import RoundInput
from .candidates import Candidates

__all__ = ["Model", "build_model"]

INF = highspy.kHighsInf
SMALL_MATRIX_VALUE = 1e-9  # HiGHS default: smaller matrix entries are dropped with a warning


@dataclass(eq=False)
class Model:
    lp: highspy.HighsLp
    y_c: np.ndarray
    y_i: np.ndarray
    y_r: np.ndarray
    u_r: np.ndarray
    u_k: np.ndarray
    need_row: np.ndarray  # [R, L] row index of the need row, -1 if none
    n_y: int
    n_u: int
    n_z: int


class _Rows:
    """Collect COO triplets and row bounds block by block."""

    def __init__(self) -> None:
        self.r, self.c, self.v, self.lo, self.hi = [], [], [], [], []
        self.n = 0

    def add(self, rows, cols, vals, lo, hi) -> np.ndarray:
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        self.r.append(np.asarray(rows, np.int64) + self.n)
        self.c.append(np.asarray(cols, np.int64))
        self.v.append(np.asarray(vals, float))
        self.lo.append(lo)
        self.hi.append(hi)
        first = self.n
        self.n += len(lo)
        return np.arange(first, self.n)


def build_model(rnd: RoundInput, cand: Candidates, *, penalty: float, mip: bool) -> Model:
    o, q = rnd.offers, rnd.requests
    c, i, r = np.nonzero(cand.elig)
    n_y = len(c)
    slot = cand.start[c] + i
    need = q.need_wh(rnd.slot_len)
    uk_r, uk_k = np.nonzero((need > 0) & (np.arange(need.shape[1])[None, :] < q.length[:, None]))
    n_u = len(uk_r)
    n_z = cand.n if mip else 0
    price = (o.res_price * 3600 / rnd.slot_len + o.act_price)[cand.offer]
    cost = np.concatenate([price[c] / 1000.0, np.full(n_u, penalty / 1000.0), np.zeros(n_z)])
    col_lo = np.zeros(n_y + n_u + n_z)
    col_hi = np.concatenate([cand.hi[c, i].astype(float), need[uk_r, uk_k].astype(float), np.ones(n_z)])
    rows = _Rows()

    # need rows
    need_row = np.full(need.shape, -1, np.int64)
    idx = np.full(need.shape, -1, np.int64)
    idx[uk_r, uk_k] = np.arange(n_u)
    y_k = slot - q.first_slot[r]
    rr = rows.add(np.concatenate([idx[r, y_k], np.arange(n_u)]),
                  np.concatenate([np.arange(n_y), n_y + np.arange(n_u)]),
                  np.ones(n_y + n_u), need[uk_r, uk_k], need[uk_r, uk_k])
    need_row[uk_r, uk_k] = rr

    # zone rows, and the (zone, slot) index used by sensitivity rows
    zone = o.zone_id[cand.offer][c]
    dy = cand.dir[c].astype(float)
    zl = rnd.zone_limits
    S = rnd.n_slots
    zpos = np.searchsorted(zl.zone_id, zone)
    has = (zpos < len(zl.zone_id)) & (zl.zone_id[np.minimum(zpos, len(zl.zone_id) - 1)] == zone) \
        if len(zl.zone_id) else np.zeros(n_y, bool)
    if has.any():
        hz = np.flatnonzero(has)
        key = zpos[hz] * S + slot[hz]
        hi_y = cand.hi[c, i][hz].astype(float)
        for sign, lim in ((1, zl.up_wh), (-1, zl.down_wh)):
            m = dy[hz] == sign
            cap = lim.ravel().astype(float)
            live = np.flatnonzero(np.bincount(key[m], hi_y[m], minlength=len(cap)) > cap)
            if not len(live):
                continue
            rid = np.full(len(cap), -1)
            rid[live] = np.arange(len(live))
            sel = rid[key[m]] >= 0
            rows.add(rid[key[m]][sel], hz[m][sel], np.ones(int(sel.sum())), np.full(len(live), -INF), cap[live])

    # asset rows: per asset, slot and direction, its offers' awarded energy <= the asset's power
    # (only where the offers could exceed it; in aggregated mode such offers stay alone with their asset)
    if rnd.asset_limits and n_y:
        asset = o.asset_id[cand.offer][c]
        hi_all = cand.hi[c, i].astype(float)
        for a_id, (up_wh, dn_wh) in sorted(rnd.asset_limits.items()):
            for sign, lim in ((1, up_wh), (-1, dn_wh)):
                m = np.flatnonzero((asset == a_id) & (cand.dir[c] == sign))
                if not len(m):
                    continue
                live = np.flatnonzero(np.bincount(slot[m], hi_all[m], minlength=S) > lim)
                if not len(live):
                    continue
                rid = np.full(S, -1)
                rid[live] = np.arange(len(live))
                sel = rid[slot[m]] >= 0
                rows.add(rid[slot[m]][sel], m[sel], np.ones(int(sel.sum())), np.full(len(live), -INF),
                         np.full(len(live), float(lim)))

    # sensitivity rows
    sn = rnd.sensitivities
    if len(sn.coeff):
        col_of = {int(z): k for k, z in enumerate(sn.zone_id)}
        zk = np.array([col_of.get(int(z), -1) for z in zone], np.int64) if n_y else np.zeros(0, np.int64)
        for k in range(len(sn.coeff)):
            m = np.flatnonzero(zk >= 0)
            coef = sn.coeff[k, zk[m]] * dy[m]
            nz = np.abs(coef) > SMALL_MATRIX_VALUE  # HiGHS drops (and warns about) |v| <= this
            rows.add(slot[m][nz], m[nz], coef[nz], np.full(S, -INF), sn.limit[k])

    # slice rows
    n_i = cand.elig.sum(2)
    key_ci = c * cand.elig.shape[1] + i
    if mip:
        ci_c, ci_i = np.nonzero(n_i > 0)
    else:
        ci_c, ci_i = np.nonzero(n_i > 1)
    if len(ci_c):
        rid = np.full(cand.n * cand.elig.shape[1], -1)
        rid[ci_c * cand.elig.shape[1] + ci_i] = np.arange(len(ci_c))
        sel = rid[key_ci] >= 0
        lo_s, hi_s = cand.lo[ci_c, ci_i].astype(float), cand.hi[ci_c, ci_i].astype(float)
        if mip:  # sum y - hi z <= 0 and sum y - lo z >= 0
            rows.add(np.concatenate([rid[key_ci][sel], np.arange(len(ci_c))]),
                     np.concatenate([np.flatnonzero(sel), n_y + n_u + ci_c]),
                     np.concatenate([np.ones(sel.sum()), -hi_s]), np.full(len(ci_c), -INF), np.zeros(len(ci_c)))
            m = np.flatnonzero(lo_s > 0)
            if len(m):
                rid2 = np.full(len(ci_c), -1)
                rid2[m] = np.arange(len(m))
                s2 = sel.copy()
                s2[sel] = rid2[rid[key_ci][sel]] >= 0
                rows.add(np.concatenate([rid2[rid[key_ci][s2]], np.arange(len(m))]),
                         np.concatenate([np.flatnonzero(s2), n_y + n_u + ci_c[m]]),
                         np.concatenate([np.ones(s2.sum()), -lo_s[m]]), np.zeros(len(m)), np.full(len(m), INF))
        else:
            rows.add(rid[key_ci][sel], np.flatnonzero(sel), np.ones(sel.sum()), lo_s, hi_s)

    # total rows
    hsum = cand.hi.sum(1)
    bind_hi = cand.thi < hsum
    bind_lo = cand.tlo > 0
    for bind, bound, upper in ((bind_hi, cand.thi, True), (bind_lo, cand.tlo, False)):
        tc = np.flatnonzero(bind)
        if not len(tc):
            continue
        rid = np.full(cand.n, -1)
        rid[tc] = np.arange(len(tc))
        sel = rid[c] >= 0
        rws, cls, vals = rid[c][sel], np.flatnonzero(sel), np.ones(sel.sum())
        b = bound[tc].astype(float)
        if mip:
            rws = np.concatenate([rws, np.arange(len(tc))])
            cls = np.concatenate([cls, n_y + n_u + tc])
            vals = np.concatenate([vals, -b])
            b = np.zeros(len(tc))
        lo_b, hi_b = (np.full(len(tc), -INF), b) if upper else (b, np.full(len(tc), INF))
        rows.add(rws, cls, vals, lo_b, hi_b)

    # offer rows (MIP): at most one accepted candidate per offer
    if mip and cand.n:
        uo, inv = np.unique(cand.offer, return_inverse=True)
        rows.add(inv, n_y + n_u + np.arange(cand.n), np.ones(cand.n), np.full(len(uo), -INF), np.ones(len(uo)))

    n_col = n_y + n_u + n_z
    R_ = np.concatenate(rows.r) if rows.r else np.zeros(0, np.int64)
    C_ = np.concatenate(rows.c) if rows.c else np.zeros(0, np.int64)
    V_ = np.concatenate(rows.v) if rows.v else np.zeros(0)
    order = np.lexsort((R_, C_))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, rows.n
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lo, col_hi
    lp.row_lower_ = np.concatenate(rows.lo) if rows.lo else np.zeros(0)
    lp.row_upper_ = np.concatenate(rows.hi) if rows.hi else np.zeros(0)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(C_[order], np.arange(n_col + 1)).astype(np.int32)
    lp.a_matrix_.index_ = R_[order].astype(np.int32)
    lp.a_matrix_.value_ = V_[order]
    if mip:
        lp.integrality_ = [highspy.HighsVarType.kContinuous] * (n_y + n_u) + [highspy.HighsVarType.kInteger] * n_z
    return Model(lp, c, i, r, uk_r, uk_k, need_row, n_y, n_u, n_z)
