"""Flex-offer ingestion benchmark: offers recorded per second and gas per offer.

On the embedded chain (eth-tester on py-evm, prague rules) it records N offers of 96 slices
(energies 0..3000 Wh, so the 2-byte slice width is used) over a 192-slot round, two ways:

  (a) one transaction per offer  (`Market.submitOffer`),
  (b) the batch path             (`Market.submitOffers`, B offers per transaction).

Rate is end to end through the Python client (encode, send, mine, index the events): offers
recorded per wall-clock second. Gas per offer is the receipts' gasUsed (intrinsic 21,000 and
calldata included) divided by the offers they carry. It also prints where the per-offer gas
floor lies (one fresh storage slot for the hash, the event, the calldata) and the EIP-7623
calldata floor, and checks that the round accumulator equals keccak(acc, offerHash) folded
over the offers in order. Targets: batch rate >= 10x the per-offer rate, batch gas <= 60,000
per 96-slice offer. Run: ``python benchmarks/ingest.py [--offers 500] [--batch 250] [--check]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from eth_utils import keccak  # noqa: E402

from ledger.accounts import dev_account, new_account  # noqa: E402
from ledger.ledger import Ledger  # noqa: E402
from ledger.messages import FlexOffer, RoundConfig, Slice  # noqa: E402
from domain.enums import AssetKind
from domain.roles import Role

TARGET_RATIO = 10.0
TARGET_GAS_BATCH = 60_000
SLOT = 900


def setup(n_assets: int, slot_count: int = 192):
    led = Ledger.deploy()
    adm, op, dso, fsp = (dev_account(i) for i in range(4))
    led.registry.register_participant(adm, op.address, Role.OPERATOR, "op", "10X-OP")
    led.registry.register_participant(adm, dso.address, Role.DSO, "dso", "10X-DSO")
    led.registry.register_participant(adm, fsp.address, Role.FSP, "fsp", "10X-FSP")
    zone = led.registry.declare_zone(dso, "Z", ["N"])
    assets = []
    for i in range(n_assets):
        aid = led.registry.register_asset(fsp, zone, "N", AssetKind.CONSUMPTION, 20_000, 20_000, f"M{i}",
                                          new_account().address)
        led.registry.grid_prequalify(dso, aid)
        led.registry.prequalify_for(dso, aid)
        assets.append(aid)
    ds = (led.chain.now() // SLOT + 200) * SLOT
    rid = led.market.open_round(op, RoundConfig(delivery_start=ds, slot_count=slot_count, gate_closure=ds - 7200,
                                                clearing_deadline=ds - 3600, challenge_window=1800,
                                                confirm_deadline=ds - 1800))
    return led, fsp, assets, rid, ds


def make_offer(i: int, rid: int, asset: int, ds: int, n_slices: int) -> FlexOffer:
    sl = tuple(Slice(min_wh=(i + j) % 3 * 100, max_wh=1000 + (i * 7 + j) % 500,
                     baseline_wh=2000 + (j * 37 + i) % 1000) for j in range(n_slices))
    return FlexOffer(round_id=rid, asset_id=asset, earliest_start=ds + (i % 8) * SLOT,
                     latest_start=ds + 96 * SLOT, slices=sl, total_min_wh=0, total_max_wh=150_000,
                     reservation_price=1000 + i % 97, activation_price=50_000, accept_before=ds - 3000,
                     assign_before=ds - 1800)


def calldata_cost(data: bytes) -> tuple[int, int]:
    """(standard calldata gas, EIP-7623 floor data gas) of a transaction's input."""
    nz = sum(1 for b in data if b)
    z = len(data) - nz
    return 16 * nz + 4 * z, 10 * (z + 4 * nz)


def run(n_offers: int, batch: int, n_slices: int, n_assets: int, rounds: int = 4) -> dict:
    led, fsp, assets, rid, ds = setup(n_assets)
    m = led.market
    offers = [make_offer(i, rid, assets[i % n_assets], ds, n_slices) for i in range(2 * n_offers)]
    single, batched = offers[:n_offers], offers[n_offers:]
    width = single[0].width

    # The two paths run interleaved in `rounds` slices so that a change in machine load hits
    # both alike; each path's wall-clock and process CPU time are summed over its slices.
    def one_by_one(chunk):
        g = 0
        for o in chunk:
            g += int(m.c.transact("submitOffer", o.to_chain(), sender=fsp).receipt["gasUsed"])
        return g

    def batched_path(chunk):
        g = 0
        for k in range(0, len(chunk), batch):
            part = chunk[k:k + batch]
            res = m.c.transact("submitOffers", [o.to_chain() for o in part], sender=fsp, gas=29_000_000)
            assert len(res.all("OfferSubmitted")) == len(part)
            g += int(res.receipt["gasUsed"])
        return g

    gas = {"a": 0, "b": 0}
    wall = {"a": 0.0, "b": 0.0}
    cpu = {"a": 0.0, "b": 0.0}
    per_round = -(-n_offers // rounds)
    if per_round < batch:
        batch = per_round  # a slice never holds more offers than that
    order = []  # offers in the order they were recorded, for the accumulator check
    for r in range(rounds):
        for path, fn, pool in (("a", one_by_one, single), ("b", batched_path, batched)):
            chunk = pool[r * per_round:(r + 1) * per_round]
            if not chunk:
                continue
            w, c = time.perf_counter(), time.process_time()
            gas[path] += fn(chunk)
            wall[path] += time.perf_counter() - w
            cpu[path] += time.process_time() - c
            order += chunk
    cd_a = calldata_cost(m.c.encode("submitOffer", single[0].to_chain()))
    chunk = batched[:batch]
    cd_b = calldata_cost(m.c.encode("submitOffers", [o.to_chain() for o in chunk]))

    # the accumulator covers exactly these offers, in order
    acc = b"\x00" * 32
    for oid, o in enumerate(order, start=1):
        acc = keccak(acc + o.offer_hash(oid, 1))
    info = m.round(rid)
    assert info.offer_acc == acc and info.offer_count == len(offers), "round accumulator mismatch"

    def path(p, cd):
        return {"gas_per_offer": gas[p] / n_offers, "offers_per_s": n_offers / wall[p],
                "offers_per_cpu_s": n_offers / cpu[p], "wall_s": wall[p], "cpu_s": cpu[p], **cd}

    a = path("a", {"calldata_gas": cd_a[0], "floor_data_gas": cd_a[1]})
    b = path("b", {"calldata_gas_per_offer": cd_b[0] / len(chunk), "floor_data_gas_per_offer": cd_b[1] / len(chunk)})
    return {
        "offers": n_offers, "batch": batch, "slices": n_slices, "width": width, "rounds": rounds,
        "packed_bytes": len(single[0].pack()),
        "single": a, "batch_path": b,
        "ratio": b["offers_per_s"] / a["offers_per_s"],
        "ratio_cpu": b["offers_per_cpu_s"] / a["offers_per_cpu_s"],
        "targets": {"ratio": TARGET_RATIO, "batch_gas_per_offer": TARGET_GAS_BATCH},
    }


def report(r: dict) -> bool:
    s, b = r["single"], r["batch_path"]
    ratio = min(r["ratio"], r["ratio_cpu"])
    ok_ratio = ratio >= TARGET_RATIO
    ok_gas = b["gas_per_offer"] <= TARGET_GAS_BATCH
    print(f"ingest: {r['offers']} offers per path, {r['slices']} slices (width {r['width']}, "
          f"{r['packed_bytes']} packed bytes), batches of {r['batch']}, embedded chain (py-evm)")
    print(f"(a) one tx per offer : {s['offers_per_s']:7.1f} offers/s ({s['offers_per_cpu_s']:7.1f} per CPU s)"
          f"  {s['gas_per_offer']:9,.0f} gas/offer  (calldata {s['calldata_gas']:,}; "
          f"EIP-7623 floor {21000 + s['floor_data_gas']:,})")
    print(f"(b) submitOffers     : {b['offers_per_s']:7.1f} offers/s ({b['offers_per_cpu_s']:7.1f} per CPU s)"
          f"  {b['gas_per_offer']:9,.0f} gas/offer  (calldata {b['calldata_gas_per_offer']:,.0f}/offer; "
          f"floor {b['floor_data_gas_per_offer']:,.0f}/offer)")
    print(f"rate ratio (b)/(a)   : {r['ratio']:7.1f}x wall, {r['ratio_cpu']:.1f}x CPU   target >= "
          f"{TARGET_RATIO:.0f}x (both)   {'OK' if ok_ratio else 'MISSED'}")
    print(f"batch gas per offer  : {b['gas_per_offer']:7,.0f}    target <= {TARGET_GAS_BATCH:,}   "
          f"{'OK' if ok_gas else 'MISSED'}")
    return ok_ratio and ok_gas


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--offers", type=int, default=500, help="offers per path")
    ap.add_argument("--batch", type=int, default=250, help="offers per submitOffers transaction")
    ap.add_argument("--slices", type=int, default=96)
    ap.add_argument("--assets", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2, help="interleaved slices per path (offers/rounds should be a multiple of --batch)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    a = ap.parse_args(argv)
    r = run(a.offers, a.batch, a.slices, a.assets, a.rounds)
    ok = report(r)
    if a.json:
        print(json.dumps(r, indent=2))
    return 0 if ok or not a.check else 1


if __name__ == "__main__":
    sys.exit(main())
