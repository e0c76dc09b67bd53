"""The audit trace walks from each settlement back to its readings, award, commitment, offer,
request, grid inputs and recomputed clearing, and checks the money; forging one link at a time
(in a node's index, in the evidence bundle, or on the chain) fails the trace at exactly that link."""

from __future__ import annotations

import copy

import pytest

from domain.eip712 import sign_digest
from ledger.accounts import new_account
from ledger.ledger import Ledger
from operations.audit import trace_round, verify_bundle
from operations.audit_evidence import gather
from tests.helpers import reverts
from tests.operations.audit_setup import settled_round


def _fresh(world) -> Ledger:
    """The auditor's own node: a new index over the same chain."""
    led = Ledger(world.ledger.chain, world.ledger.manifest)
    led.sync()
    return led


def _broken(report) -> str | None:
    fb = report.first_broken
    return fb.link if fb else None


def test_an_honest_round_is_traced_link_by_link_all_green(world):
    s = settled_round(world)
    report = trace_round(_fresh(world), s.rid)
    assert report.ok, report.first_broken
    links = [c.link for c in report.traces[0].checks]
    assert links == sorted(links, key=("settlement", "activation", "award", "commitment", "offer", "request",
                                       "grid", "readings", "baseline", "clearing", "money").index)
    assert {"settlement", "activation", "award", "commitment", "offer", "request", "grid", "readings", "baseline",
            "clearing", "money"} <= set(links)
    assert max(s.run.tree.awards[0].portion) <= 400  # the DSO's posted zone limit bound the clearing


def test_an_offer_altered_in_the_nodes_index_breaks_the_offer_link(world):
    s = settled_round(world)
    led = _fresh(world)
    ev = next(e for e in led.index.events("OfferSubmitted") if e["roundId"] == s.rid)
    data = bytearray(ev.args["data"])
    data[-1] ^= 0x01  # one Wh less in the last slice's baseline
    ev.args["data"] = bytes(data)
    assert _broken(trace_round(led, s.rid)) == "offer"


def test_an_offer_altered_in_the_bundle_breaks_the_offer_link(world):
    s = settled_round(world)
    led = _fresh(world)
    bundle = gather(led, s.rid)
    assert verify_bundle(led, bundle).ok
    forged = copy.deepcopy(bundle)
    args = forged["awards"][0]["offer"]["args"]
    args["data"] = args["data"][:-2] + ("00" if args["data"][-2:] != "00" else "01")
    assert _broken(verify_bundle(led, forged)) == "offer"


def test_a_reading_swapped_in_the_bundle_breaks_the_readings_link(world):
    s = settled_round(world)
    led = _fresh(world)
    bundle = gather(led, s.rid)
    forged = copy.deepcopy(bundle)
    r = forged["awards"][0]["readings"][0]
    r["energy_wh"] = 600  # what the device signed for another slot: properly signed, but not this reading
    d = led.settlement.measurement_digest(r["asset_id"], r["slot_start"], 600, r["seq"])
    r["signature"] = "0x" + sign_digest(world.actors.device, d).hex()
    assert _broken(verify_bundle(led, forged)) == "readings"


def test_a_wrong_root_committed_breaks_the_clearing_link(world):
    s = settled_round(world, forge_root=True)
    report = trace_round(_fresh(world), s.rid)
    assert _broken(report) == "clearing"
    assert "fresh process" in report.first_broken.detail


def test_a_reading_signed_by_a_key_rotated_in_before_it_was_recorded_breaks_the_readings_link(world):
    new_key = new_account()
    s = settled_round(world, rotate_key_to=new_key)
    led = _fresh(world)
    bundle = gather(led, s.rid)
    assert verify_bundle(led, bundle).ok  # the recorded readings carry the key in force for their slots
    forged = copy.deepcopy(bundle)
    r = forged["awards"][0]["readings"][0]
    d = led.settlement.measurement_digest(r["asset_id"], r["slot_start"], r["energy_wh"], r["seq"])
    r["signature"] = "0x" + sign_digest(new_key, d).hex()  # the current key, not the slot's
    report = verify_bundle(led, forged)
    assert _broken(report) == "readings"
    assert new_key.address[:10] in report.first_broken.detail


def test_a_settlement_paying_a_wrong_amount_in_a_rigged_index_breaks_the_money_link(world):
    s = settled_round(world)
    led = _fresh(world)
    ev = led.index.last("Settled", leaf=s.activated.leaf)
    ev.args["paidToFsp"] += 1_000
    ev.args["refundedToBuyer"] -= 1_000
    assert _broken(trace_round(led, s.rid, recompute=False)) == "money"


def test_a_settlement_paying_a_wrong_amount_in_the_bundle_breaks_the_money_link(world):
    s = settled_round(world)
    led = _fresh(world)
    forged = gather(led, s.rid, recompute=False)
    forged["awards"][0]["events"]["Settled"]["args"]["paidToFsp"] += 1
    assert _broken(verify_bundle(led, forged, recompute=False)) == "money"


def test_a_zone_limit_changed_after_gate_closure_is_refused_and_a_rigged_one_breaks_the_grid_link(world):
    s = settled_round(world)
    with reverts("GridGateClosed", roundId=s.rid):
        world.ledger.grid.post_zone_limits(world.actors.dso, s.rid, world.zone, [10_000] * 8, [0] * 8)
    led = _fresh(world)
    ev = next(e for e in led.index.events("ZoneLimitsPosted") if e["roundId"] == s.rid)
    ev.args["upWh"] = b"\0\0\x27\x10" * 8  # 10,000 Wh: what the DSO did not post
    assert _broken(trace_round(led, s.rid, recompute=False)) == "grid"


def test_a_metered_baseline_is_recomputed_from_the_assets_own_readings_and_matches_the_contract(world):
    s = settled_round(world, metered_days=6)
    report = trace_round(_fresh(world), s.rid, recompute=False)
    assert report.ok, report.first_broken
    base = [c for c in report.traces[0].checks if c.link == "baseline"]
    assert base and all("metered" in c.name and "6 days" in c.detail for c in base)


def test_a_reading_history_rigged_in_the_nodes_index_breaks_the_baseline_link(world):
    s = settled_round(world, metered_days=6)
    led = _fresh(world)
    t = s.cfg.slot_start(s.activated.start_slot + next(i for i, p in enumerate(s.activated.portion) if p))
    ev = led.index.last("ReadingRecorded", assetId=world.asset, slotStart=t - 86_400)
    ev.args["energyWh"] += 600  # yesterday's reading inflated: a higher baseline, more "delivered"
    report = trace_round(led, s.rid, recompute=False)
    assert _broken(report) == "baseline" and str(t) in report.first_broken.name


def test_a_reading_hidden_from_the_nodes_index_breaks_the_baseline_link(world):
    s = settled_round(world, metered_days=6)
    led = _fresh(world)
    t = s.cfg.slot_start(s.activated.start_slot + next(i for i, p in enumerate(s.activated.portion) if p))
    gone = led.index.last("ReadingRecorded", assetId=world.asset, slotStart=t - 2 * 86_400)
    led.index._events.remove(gone)  # as a node that never indexed it
    led.index._by_name["ReadingRecorded"].remove(gone)
    assert _broken(trace_round(led, s.rid, recompute=False)) == "baseline"
