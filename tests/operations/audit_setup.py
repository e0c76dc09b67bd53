"""A round traced by the audit tests: a DSO posts zone limits, the operator clears and commits, an
auditor attests, the FSP confirms, the DSO activates, the device signs readings, the round settles."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.award import Award, AwardTree
from domain.eip712 import sign_digest
from ledger.settlement import SignedReading
from operations.clearing_run import ClearingRun, commit_run, run_clearing
from operations.settlement_run import confirm_awards, settle_round
from operations.verification import verify_round_commitment
from tests.market_helpers import SLOT, make_offer, make_request, open_round


@dataclass
class Settled:
    rid: int
    cfg: object
    run: ClearingRun
    activated: Award


def settled_round(world, zone_up: int = 400, forge_root: bool = False, rotate_key_to=None,
                  metered_days: int = 0) -> Settled:
    """Cleared under a posted zone limit (`zone_up` Wh per slot), one award activated and settled.
    `forge_root`: the operator commits (and publishes) smaller awards than its clearing gives, a valid
    but wrong root nobody challenges. `rotate_key_to`: METERING rotates the device key before the
    readings (of earlier slots, signed by the old key) are recorded.
    `metered_days`: instead of METERING attesting baselines, the device's readings of the activated
    intervals on that many previous days are recorded (the metered baseline: their mean, 980..1,020 Wh)."""
    led, a = world.ledger, world.actors
    m = led.market
    rid, cfg = open_round(world, tolerance_bps=1000, settlement_grace=3600)
    m.post_request(a.dso, make_request(rid, world.zone, first_slot=0, power_w=(2000,) * 4, max_price=400_000))
    m.submit_offers(a.fsp, [make_offer(rid, cfg, world.asset, up=500, baseline=1000, flex_slots=0)])
    led.grid.post_zone_limits(a.dso, rid, world.zone, [zone_up] * cfg.slot_count, [0] * cfg.slot_count)
    led.chain.advance_time(cfg.gate_closure - led.chain.now())
    run = run_clearing(led, rid)
    if forge_root:
        awards = [replace(aw, schedule=tuple(p - 100 for p in aw.schedule), portion=tuple(p - 100 for p in aw.portion))
                  for aw in run.tree.awards]
        run.tree = AwardTree(awards)
        spec = led.grid.publish_spec(a.operator, run.result.spec_bytes())
        led.clearing.commit(a.operator, rid, run.tree, total_cost=run.tree.total_cost(cfg.slot_len), spec_hash=spec)
    else:
        commit_run(led, a.operator, run)
        v = verify_round_commitment(led, rid)
        led.clearing.attest(a.auditor, rid, v.recomputed_root)
    led.chain.advance_time(cfg.challenge_window)
    confirm_awards(led, a.fsp, rid)
    award = run.tree.awards[0]
    active = [i for i, p in enumerate(award.portion) if p]
    led.settlement.activate(a.dso, award, active[0], len(active))
    led.settlement.opt_in(a.fsp, award)
    starts = [cfg.slot_start(award.start_slot + i) for i in active]
    if metered_days:
        history = [SignedReading(world.asset, t - d * 86_400, 1000 + 10 * (d % 3) - 10, 0, b"")
                   for t in starts for d in range(1, metered_days + 1)]
        led.settlement.submit_readings(a.fsp, [replace(r, seq=k + 100, signature=sign_digest(
            a.device, led.settlement.measurement_digest(r.asset_id, r.slot_start, r.energy_wh, k + 100)))
            for k, r in enumerate(history)])
    else:
        led.settlement.attest_baselines(a.metering, world.asset, starts, [1000] * len(starts))
    led.chain.advance_time(starts[-1] + SLOT - led.chain.now() + 1)
    if rotate_key_to is not None:
        led.registry.rotate_device_signer(a.metering, world.asset, rotate_key_to.address)
    readings = []
    for k, (i, t) in enumerate(zip(active, starts)):
        energy = 1000 - award.portion[i] + (150 if k == 0 else 0)  # the first slot falls short
        d = led.settlement.measurement_digest(world.asset, t, energy, k + 1)
        readings.append(SignedReading(world.asset, t, energy, k + 1, sign_digest(a.device, d)))
    led.settlement.submit_readings(a.fsp, readings)
    led.chain.advance_time(cfg.delivery_end - led.chain.now())
    settle_round(led, a.operator, rid)
    return Settled(rid, cfg, run, award)
