"""Clearing benchmark: build, solve, commit prep, aggregation loss and speed-up.

Rounds: N offers of 96 slices over a 192-slot delivery period (so starts can move up to
96 slots), 50 zones (about 20% with UP/DOWN grid limits), one system-wide TSO UP request;
offers drawn as device fleets (``synthetic_round(fleet=True)``). Each size is cleared
directly and with aggregation (LP fast path, pay-as-bid). Prints every figure with its
target. Run: ``python benchmarks/clearing.py --sizes 1000,10000,100000 --million``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from clearing.aggregation import AggregationTolerances, aggregate  # noqa: E402
from clearing.canonical import canonicalise  # noqa: E402
from clearing.pricing import award_prices, request_prices  # noqa: E402
from clearing.solve import clear_round  # noqa: E402
from clearing.synthetic import synthetic_offers, synthetic_round  # noqa: E402

TARGET_CLEAR = {10_000: 5.0, 100_000: 30.0}  # seconds, 100k with aggregation
TARGET_AGG_1M = 10.0
TOL = {"earliest": 4, "time_flex": 4, "duration": 0, "price": 50_000}


def _t(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def clear_once(rnd, aggregated: bool) -> dict:
    opts = {"aggregate": aggregated, "tolerances": TOL}
    (aw, agg, o), t_solve = _t(lambda: clear_round(rnd, opts))

    def prep():
        rp = request_prices(rnd, aw.offer, aw.request, aw.need_dual, o["mode"])
        res, act = award_prices(rnd, aw.offer, aw.request, rp, o["pricing"])
        result = canonicalise(rnd, aw, agg, o, res, act, rp)
        return result, result.awards_hash(), result.to_json_bytes()

    (result, _, blob), t_prep = _t(prep)
    met = sum(sum(r["met"]) for r in result.requests)
    need = met + sum(sum(r["unmet"]) for r in result.requests)
    return {"solve": t_solve, "prep": t_prep, "awards": len(result.awards), "cost": result.total_cost,
            "met": met, "need": need, "bytes": len(blob), "info": result.info, "agg": result.aggregation}


def fmt_target(value: float, target: float | None) -> str:
    if target is None:
        return f"{value:7.2f} s"
    return f"{value:7.2f} s  (target <= {target:.0f} s: {'met' if value <= target else 'MISSED'})"


def run_size(n: int, direct: bool, fleet: bool = True) -> None:
    print(f"\n== {n:,} offers x 96 slices, 192 slots, 50 zones, 1 TSO request"
          f" ({'fleet' if fleet else 'uniform'} population) ==")
    rnd, t_build = _t(lambda: synthetic_round(n, n_slots=192, width=96, n_zones=50, seed=n, fleet=fleet))
    print(f"build (generate + validate arrays)  {t_build:7.2f} s")
    rows = {}
    for aggregated in ([False, True] if direct else [True]):
        r = clear_once(rnd, aggregated)
        rows[aggregated] = r
        label = "aggregated" if aggregated else "direct    "
        target = TARGET_CLEAR.get(n) if (aggregated or n <= 10_000) else None
        print(f"{label} solve                 {fmt_target(r['solve'], target)}"
              f"   [{r['info'].get('candidates')} candidates, {r['info'].get('columns')} columns,"
              f" {r['info'].get('rows')} rows]")
        i = r["info"]
        print(f"{label}   of which: aggregate {i['seconds_aggregate']:.2f} s, start heuristic"
              f" {i['seconds_candidates']:.2f} s, build model {i['seconds_build_model']:.2f} s,"
              f" HiGHS {i['seconds_highs']:.2f} s, integer repair {i['seconds_integer_repair']:.2f} s,"
              f" disaggregate {i['seconds_disaggregate']:.2f} s")
        print(f"{label} commit prep           {r['prep']:7.2f} s   (canonicalise + prices + awards hash"
              f" + JSON: {r['awards']:,} awards, {r['bytes'] / 1e6:.1f} MB)")
        print(f"{label} clear total           {fmt_target(r['solve'] + r['prep'], target)}")
        print(f"{label} need met              {r['met'] / max(r['need'], 1):7.2%}   cost {r['cost'] / 1e6:,.2f} EUR")
        if r["agg"]:
            a = r["agg"]
            print(f"aggregation: {a['members']:,} offers -> {a['aggregates']:,} aggregates; flexibility lost: energy"
                  f" {a['energy_loss_wh'] / max(a['energy_range_wh'], 1):.2%} of slice range,"
                  f" time {a['time_loss_slots'] / max(a['time_range_slots'], 1):.2%} of start flexibility")
    if direct:
        d, a = rows[False], rows[True]
        ratio = (a["solve"] + a["prep"]) / (d["solve"] + d["prep"])
        print(f"ratio aggregated / direct clearing time  {ratio:5.2f}"
              f"   (cost ratio {a['cost'] / max(d['cost'], 1):.3f}, met ratio {a['met'] / max(d['met'], 1):.3f})")


def run_million() -> None:
    print("\n== 1,000,000 offers: aggregation only ==")
    offers, t_gen = _t(lambda: synthetic_offers(1_000_000, n_slots=192, width=96, n_zones=50, seed=7, fleet=True))
    print(f"generate + validate                 {t_gen:7.2f} s")
    agg, t_agg = _t(lambda: aggregate(offers, 900, AggregationTolerances(**TOL)))
    s = agg.loss_summary()
    print(f"aggregate 1M                        {fmt_target(t_agg, TARGET_AGG_1M)}"
          f"   -> {s['aggregates']:,} aggregates, energy loss {s['energy_loss_share']:.2%},"
          f" time loss {s['time_loss_share']:.2%}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated offer counts")
    ap.add_argument("--no-direct-above", type=int, default=100_000,
                    help="skip direct (unaggregated) clearing above this size")
    ap.add_argument("--million", action=argparse.BooleanOptionalAction, default=True,
                    help="also time aggregation of 1,000,000 offers")
    ap.add_argument("--uniform", action="store_true",
                    help="uniformly random starts/windows/prices instead of device fleets (aggregates poorly)")
    args = ap.parse_args(argv)
    print(f"cpus: {os.cpu_count()}  load: {os.getloadavg()[0]:.2f}  (HiGHS threads=1)")
    for n in [int(x) for x in args.sizes.split(",") if x]:
        run_size(n, direct=n <= args.no_direct_above, fleet=not args.uniform)
    if args.million:
        run_million()


if __name__ == "__main__":
    main()
