"""Settlement gas: what one device reading and one settlement cost on the embedded chain.

Deploys FlexLedger on eth-tester, awards a 4-slice UP award (consumption asset, 500 Wh per slice,
baseline 1000 Wh), confirms it (escrow), activates all four slices, opts in, and measures the
receipts' gasUsed (intrinsic 21,000 and calldata included) of:

  * ``submitReadings`` with one reading,
  * ``submitReadings`` with a batch of N readings (N consecutive ended slots of one asset),
  * ``settle`` of the 4-slot award (full delivery),
  * ``confirmAward`` (escrow lock, and collateral lock where the contracts have it).

Run: ``python benchmarks/settlement_gas.py [--batch 8] [--json]``. The figures are exact and
repeatable (no timing involved).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from ledger.backends import EmbeddedChain  # noqa: E402
from ledger.deploy import deploy  # noqa: E402
from domain.eip712 import sign_digest  # noqa: E402
from ledger.ledger import Ledger  # noqa: E402
from tests.conftest import build_world, make_actors  # noqa: E402

SLOT = 900


def measure(batch: int) -> dict[str, int]:
    from domain.award import Award, AwardTree
    from ledger.settlement import SignedReading
    from tests.market_helpers import make_offer, make_request, open_round

    chain = EmbeddedChain()
    actors = make_actors()
    world = build_world(Ledger(chain, deploy(chain, actors.admin)), actors)
    world.ledger.sync()
    led, a = world.ledger, actors
    s = led.settlement

    def sign(slot_start: int, energy: int, seq: int) -> SignedReading:
        d = s.measurement_digest(world.asset, slot_start, energy, seq)
        return SignedReading(world.asset, slot_start, energy, seq, sign_digest(a.device, d))

    def goto(t: int) -> None:
        if t > chain.now():
            chain.advance_time(t - chain.now())

    rid, cfg = open_round(world, slots=8, lead_slots=12 + batch + 2, penalty_per_kwh=200_000, tolerance_bps=1000)
    req = led.market.post_request(a.dso, make_request(rid, world.zone, power_w=(2000,) * 4, max_price=400_000))
    offer = make_offer(rid, cfg, world.asset, up=500, baseline=1000, flex_slots=0)
    oid = led.market.submit_offer(a.fsp, offer)
    goto(cfg.gate_closure)
    award = Award(rid, oid, req, 0, (500,) * 4, (500,) * 4, offer.reservation_price, offer.activation_price)
    tree = AwardTree([award])
    led.clearing.commit(a.operator, rid, tree, total_cost=tree.total_cost(SLOT), spec_hash=b"\1" * 32)
    goto(chain.now() + cfg.challenge_window)
    out: dict[str, int] = {}
    out["confirmAward"] = led.clearing.confirm_award(a.fsp, award, tree.proof(award), offer).gas_used
    out["activate (4 slots)"] = s.activate(a.dso, award, 0, 4).gas_used
    s.opt_in(a.fsp, award)

    # readings on slots before the round (already ended): one alone, then a batch
    early = cfg.delivery_start - (batch + 2) * SLOT
    goto(early + (batch + 1) * SLOT)
    out["submitReadings x1"] = s.submit_readings(a.outsider, [sign(early, 700, 1)]).gas_used
    res = s.submit_readings(a.outsider, [sign(early + (i + 1) * SLOT, 700, i + 2) for i in range(batch)])
    out[f"submitReadings x{batch}"] = res.gas_used
    out[f"submitReadings x{batch} per reading"] = res.gas_used // batch

    if hasattr(s, "attest_baselines"):  # since issue 10 the metering authority attests the baseline
        out["attestBaselines x4"] = s.attest_baselines(a.metering, world.asset, [cfg.slot_start(i) for i in range(4)],
                                                        [1000] * 4).gas_used
    goto(cfg.slot_start(4))
    s.submit_readings(a.outsider, [sign(cfg.slot_start(i), 500, 100 + i) for i in range(4)])
    out["settle (4 slots, full delivery)"] = s.settle(a.outsider, award, offer).gas_used
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    figures = measure(args.batch)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for k, v in figures.items():
        print(f"{k:40s} {v:>10,}")


if __name__ == "__main__":
    main()
