"""Run a round: (aggregate) -> candidates -> HiGHS -> integer awards -> prices.

Design reasoning
- Options are a closed set (``DEFAULT_OPTIONS``); an unknown name or bad value raises
  ``InvalidRoundInput`` instead of being silently ignored, and every HiGHS option is set
  with its return status checked. HiGHS runs with ``threads=1``, fixed ``random_seed``,
  dual simplex for LPs, and no time-dependent stopping: hitting ``time_limit`` is a
  ``SolverError``, never a result -- so a result is a function of the input only.
- Integer awards: solver magnitudes are floored (with 1e-6 tolerance), which can only
  reduce met need and award sizes; lower bounds (MIP must-deliver) are then topped up
  slice by slice; zone and sensitivity rows are re-checked on the integers and any
  excess (top-ups, fractional coefficients) is cut from the most expensive optional
  award. ``check_awards`` re-verifies needs and grid rows and raises ``SolverError`` if
  the repair failed.
"""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np

from .aggregation import Aggregation, AggregationTolerances, aggregate, oversellable
from .arrays import RoundInput
from .awards import Awards
from .candidates import Candidates, all_starts, choose_starts
from .disaggregation import expand_awards
from .errors import InfeasibleRound, InvalidRoundInput, SolverError
from .model import Model, build_model

__all__ = ["DEFAULT_OPTIONS", "clear_round", "validate_options", "solve_candidates"]

DEFAULT_OPTIONS: dict[str, Any] = {
    "mode": "lp",  # "lp": heuristic starts + LP; "mip": binary start/acceptance choice
    "pricing": "pay_as_bid",  # or "uniform"
    "aggregate": False,  # start-alignment aggregation before clearing
    "tolerances": None,  # AggregationTolerances fields as a dict (None = defaults)
    "unmet_penalty": 10**10,  # token units per kWh of unmet need
    "cover": 1.5,  # need inflation for the LP start heuristic
    "presolve": "off",  # HiGHS presolve costs 40x the solve on these sparse LPs (measured)
    "random_seed": 0,
    "time_limit": 600.0,
    "mip_rel_gap": 1e-9,
}
_CHOICES = {"mode": {"lp", "mip"}, "pricing": {"pay_as_bid", "uniform"}, "presolve": {"on", "off", "choose"}}


def validate_options(options: dict[str, Any] | None) -> dict[str, Any]:
    opts = dict(DEFAULT_OPTIONS)
    for k, v in (options or {}).items():
        if k not in DEFAULT_OPTIONS:
            raise InvalidRoundInput(f"options.{k}: unknown option (known: {sorted(DEFAULT_OPTIONS)})")
        opts[k] = v
    for k, allowed in _CHOICES.items():
        if opts[k] not in allowed:
            raise InvalidRoundInput(f"options.{k}: {opts[k]!r} not in {sorted(allowed)}")
    if not isinstance(opts["aggregate"], bool):
        raise InvalidRoundInput("options.aggregate: must be a bool")
    tol = opts["tolerances"]
    try:
        opts["tolerances"] = AggregationTolerances(**(tol or {})) if not isinstance(tol, AggregationTolerances) else tol
    except TypeError as exc:
        raise InvalidRoundInput(f"options.tolerances: {exc}") from None
    for k in ("unmet_penalty", "cover", "time_limit"):
        if not isinstance(opts[k], (int, float)) or opts[k] <= 0:
            raise InvalidRoundInput(f"options.{k}: must be a positive number")
    if not isinstance(opts["random_seed"], int) or opts["random_seed"] < 0:
        raise InvalidRoundInput("options.random_seed: must be a non-negative int")
    return opts


def _highs(opts: dict[str, Any], mip: bool) -> highspy.Highs:
    h = highspy.Highs()
    settings = {"output_flag": False, "threads": 1, "parallel": "off", "presolve": opts["presolve"],
                "random_seed": int(opts["random_seed"]), "time_limit": float(opts["time_limit"])}
    if mip:
        settings["mip_rel_gap"] = float(opts["mip_rel_gap"])
    else:
        settings["solver"] = "simplex"
    for k, v in settings.items():
        if h.setOptionValue(k, v) != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS refused option {k}={v!r}")
    return h


def solve_candidates(rnd: RoundInput, cand: Candidates, opts: dict[str, Any]) -> Awards:
    mip = opts["mode"] == "mip"
    t0 = time.perf_counter()
    m: Model = build_model(rnd, cand, penalty=float(opts["unmet_penalty"]), mip=mip)
    h = _highs(opts, mip)
    if h.passModel(m.lp) != highspy.HighsStatus.kOk:
        raise SolverError("HiGHS rejected the model")
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleRound("no feasible clearing even with unmet slack (must-deliver offers vs limits)")
    empty = st == highspy.HighsModelStatus.kModelEmpty
    if st != highspy.HighsModelStatus.kOptimal and not empty:
        raise SolverError(f"HiGHS stopped with status {h.modelStatusToString(st)}")
    sol = h.getSolution()
    x = np.asarray(sol.col_value) if not empty else np.zeros(m.lp.num_col_)
    y = x[: m.n_y]
    q = rnd.requests
    need = q.need_wh(rnd.slot_len)
    dual = np.full(need.shape, np.nan)
    if not mip and not empty and sol.dual_valid:
        rd = np.asarray(sol.row_dual)
        ok = m.need_row >= 0
        dual[ok] = rd[m.need_row[ok]] * 1000.0
    chosen = np.ones(cand.n, bool) if not mip else x[m.n_y + m.n_u:] > 0.5
    mag = np.floor(y + 1e-6).astype(np.int64)
    mag[~chosen[m.y_c]] = 0
    mag = _repair(rnd, cand, m, mag, chosen)
    keep = mag > 0
    c, i, r = m.y_c[keep], m.y_i[keep], m.y_r[keep]
    e = mag[keep] * cand.dir[c]
    met = np.zeros_like(need)
    np.add.at(met, (r, cand.start[c] + i - q.first_slot[r]), mag[keep])
    aw = Awards(cand.offer[c], cand.start[c], i, r, e, met, need, dual,
                0.0 if empty else float(h.getInfo().objective_function_value), h.modelStatusToString(st),
                cand.excluded,
                {"columns": m.lp.num_col_, "rows": m.lp.num_row_, "candidates": cand.n,
                 "seconds_build_model": t1 - t0, "seconds_highs": t2 - t1,
                 "seconds_integer_repair": time.perf_counter() - t2})
    check_awards(rnd, aw)
    return aw


def _repair(rnd: RoundInput, cand: Candidates, m: Model, mag: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Top up lower bounds lost to flooring, then cut zone-limit excess (per direction)."""
    W = cand.lo.shape[1]
    key = m.y_c * W + m.y_i
    ssum = np.bincount(key, mag, minlength=cand.n * W).reshape(cand.n, W)
    short = np.argwhere((ssum < cand.lo) & chosen[:, None])
    for c, i in short:  # rare (MIP must-deliver only): add to the first eligible column
        j = np.flatnonzero(key == c * W + i)[0]
        mag[j] += cand.lo[c, i] - ssum[c, i]
    tot = np.bincount(m.y_c, mag, minlength=cand.n)
    for c in np.flatnonzero((tot < cand.tlo) & chosen):
        for j in np.flatnonzero(m.y_c == c):
            room = cand.hi[c, m.y_i[j]] - np.sum(mag[key == key[j]])
            add = min(room, cand.tlo[c] - tot[c])
            mag[j] += add
            tot[c] += add
    zl = rnd.zone_limits
    if len(zl.zone_id):
        zone = rnd.offers.zone_id[cand.offer][m.y_c]
        slot = cand.start[m.y_c] + m.y_i
        price = rnd.offers.combined_price(rnd.slot_len)[cand.offer][m.y_c]
        for k, z in enumerate(zl.zone_id):
            inz = zone == z
            if not inz.any():
                continue
            for d, lim in ((1, zl.up_wh[k]), (-1, zl.down_wh[k])):
                ind = inz & (cand.dir[m.y_c] == d)
                gross = np.bincount(slot[ind], mag[ind], minlength=rnd.n_slots)
                for s in np.flatnonzero(gross > lim):
                    excess = gross[s] - lim[s]
                    js = np.flatnonzero(ind & (slot == s) & ~cand.must[m.y_c])
                    for j in js[np.lexsort([js, -price[js]])]:
                        cut = min(excess, mag[j])
                        mag[j] -= cut
                        excess -= cut
                        if excess == 0:
                            break
    return _repair_sensitivities(rnd, cand, m, mag)


def _sens_terms(rnd: RoundInput, offer: np.ndarray, d: np.ndarray):
    """Per award entry: the sensitivity-matrix column of its zone (-1 if none)."""
    sn = rnd.sensitivities
    col = np.full(int(rnd.offers.zone_id.max(initial=0)) + 1, -1)
    col[sn.zone_id[sn.zone_id < len(col)]] = np.flatnonzero(sn.zone_id < len(col))
    return col[rnd.offers.zone_id[offer]], d


def _repair_sensitivities(rnd: RoundInput, cand: Candidates, m: Model, mag: np.ndarray) -> np.ndarray:
    """Cut flooring excess on sensitivity rows from the dearest optional contributors."""
    sn = rnd.sensitivities
    if not len(sn.coeff) or not len(mag):
        return mag
    zk, d = _sens_terms(rnd, cand.offer[m.y_c], cand.dir[m.y_c])
    slot = cand.start[m.y_c] + m.y_i
    price = rnd.offers.combined_price(rnd.slot_len)[cand.offer][m.y_c]
    has = np.flatnonzero(zk >= 0)
    for k in range(len(sn.coeff)):
        per = sn.coeff[k, zk[has]] * d[has]
        lhs = np.bincount(slot[has], per * mag[has], minlength=rnd.n_slots)
        for s in np.flatnonzero(lhs > sn.limit[k] + 1e-6):
            excess = lhs[s] - sn.limit[k, s]
            js = np.flatnonzero((slot[has] == s) & (per > 0) & ~cand.must[m.y_c][has])
            for j in js[np.lexsort([js, -price[has][js]])]:
                cut = min(int(mag[has[j]]), int(np.ceil(excess / per[j] - 1e-9)))
                mag[has[j]] -= cut
                excess -= cut * per[j]
                if excess <= 1e-6:
                    break
    return mag


def check_awards(rnd: RoundInput, aw: Awards) -> None:
    """Re-verify integer awards against needs and zone limits; raise SolverError."""
    if np.any(aw.met > aw.need):
        raise SolverError("integer repair: a request slot is over-served")
    zl = rnd.zone_limits
    zone = rnd.offers.zone_id[aw.offer]
    for k, z in enumerate(zl.zone_id):
        inz = zone == z
        slot = aw.start[inz] + aw.slice[inz]
        up = np.bincount(slot, np.maximum(aw.energy[inz], 0), minlength=rnd.n_slots)
        dn = np.bincount(slot, np.maximum(-aw.energy[inz], 0), minlength=rnd.n_slots)
        if np.any(up > zl.up_wh[k]) or np.any(dn > zl.down_wh[k]):
            raise SolverError(f"integer repair: zone {int(z)} limit exceeded")
    if rnd.asset_limits and len(aw.energy):
        asset = rnd.offers.asset_id[aw.offer]
        slot = aw.start + aw.slice
        for a_id, (up_wh, dn_wh) in rnd.asset_limits.items():
            m = asset == a_id
            up = np.bincount(slot[m], np.maximum(aw.energy[m], 0), minlength=rnd.n_slots)
            dn = np.bincount(slot[m], np.maximum(-aw.energy[m], 0), minlength=rnd.n_slots)
            if np.any(up > up_wh) or np.any(dn > dn_wh):
                raise SolverError(f"integer repair: asset {int(a_id)} sold above its power")
    sn = rnd.sensitivities
    if len(sn.coeff) and len(aw.energy):
        zk, _ = _sens_terms(rnd, aw.offer, np.ones(len(aw.offer), np.int64))
        has = zk >= 0
        for k in range(len(sn.coeff)):
            lhs = np.bincount((aw.start + aw.slice)[has], sn.coeff[k, zk[has]] * aw.energy[has],
                              minlength=rnd.n_slots)
            if np.any(lhs > sn.limit[k] + 1e-6):
                raise SolverError(f"integer repair: sensitivity row {k} exceeded")


def clear_round(rnd: RoundInput, options: dict[str, Any] | None = None):
    """Clear ``rnd``; returns ``(awards on the original offers, Aggregation | None, opts)``."""
    opts = validate_options(options)
    agg: Aggregation | None = None
    solved = rnd
    t0 = time.perf_counter()
    if opts["aggregate"]:
        # offers whose asset could be oversold stay alone with their asset, so the asset rows apply
        agg = aggregate(rnd.offers, rnd.slot_len, opts["tolerances"], oversellable(rnd.offers, rnd.asset_limits))
        solved = RoundInput(rnd.round_id, rnd.slot_len, rnd.n_slots, agg.offers, rnd.requests,
                            rnd.zone_limits, rnd.sensitivities, rnd.asset_limits)
    t1 = time.perf_counter()
    cand = all_starts(solved) if opts["mode"] == "mip" else choose_starts(solved, float(opts["cover"]))
    t2 = time.perf_counter()
    aw = solve_candidates(solved, cand, opts)
    t3 = time.perf_counter()
    if agg is not None:
        aw = expand_awards(agg, aw)
    aw.info.update({"seconds_aggregate": t1 - t0, "seconds_candidates": t2 - t1,
                    "seconds_disaggregate": time.perf_counter() - t3})
    return aw, agg, opts
