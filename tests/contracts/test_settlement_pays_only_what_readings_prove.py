"""Escrow, activation and settlement: exact token amounts for every delivery outcome, and every
forged, replayed or tampered reading refused by name.

The award used throughout is tests/contracts/helpers.py's `award_round` (hand calculation there):
escrow 316,000 = reservation 16,000 + activation 300,000 token units.
"""

from __future__ import annotations

import pytest

from domain.enums import AssetKind, OfferStatus, Phase, SkipReason
from ledger.accounts import new_account
from ledger.settlement import SignedReading
from tests.conftest import BUYER_FUNDS
from tests.contracts.helpers import (ACTIVATION, COLLATERAL, ESCROW, RESERVATION, award_round, balances, deliver,
                                     goto, sign, split_award_round)
from tests.helpers import reverts


# ---- escrow -----------------------------------------------------------------------------

def test_confirmation_locks_the_buyers_escrow(world):
    x = award_round(world)
    fsp, dso, escrow = balances(world)
    assert (fsp, dso, escrow) == (-COLLATERAL, BUYER_FUNDS - ESCROW, ESCROW + COLLATERAL)
    rec = world.ledger.settlement.award(x.award.leaf)
    assert (rec["reservationValue"], rec["activationValue"], rec["buyer"]) == (RESERVATION, ACTIVATION,
                                                                               world.actors.dso.address)
    ev = world.ledger.index.last("EscrowLocked")
    assert ev["leaf"] == x.award.leaf and ev["fsp"] == world.actors.fsp.address


@pytest.mark.parametrize("problem,error", [("allowance", "ERC20InsufficientAllowance"),
                                           ("balance", "ERC20InsufficientBalance")])
def test_buyer_without_funds_cannot_have_an_award_confirmed_and_nothing_is_half_done(world, problem, error):
    a, t = world.actors, world.ledger.token
    if problem == "allowance":
        t.approve(a.dso, world.ledger.settlement.address, 1)
    else:
        t.c.transact("transfer", a.tso.address, BUYER_FUNDS, sender=a.dso)
    x = award_round(world, confirm=False)
    with reverts(error):
        world.ledger.clearing.confirm_award(a.fsp, x.award, x.tree.proof(x.award), x.offer)
    assert not world.ledger.clearing.is_confirmed(x.award)
    assert world.ledger.market.offer_status(x.award.offer_id) == OfferStatus.OFFERED
    assert world.ledger.settlement.phase(x.award) == Phase.NONE


# ---- settlement outcomes, to the token unit ----------------------------------------------

@pytest.mark.parametrize("case,measured,paid,refund,penalty,delivered", [
    # baseline 1000 Wh; UP on a consumption meter delivers baseline − measured, capped at 500
    ("full delivery", [500, 500, 500, 500], ESCROW, 0, 0, 2000),
    ("over-delivery is capped", [0, 100, 200, 300], ESCROW, 0, 0, 2000),
    ("partial within the 10 % band", [540, 540, 540, 540], ESCROW, 0, 0, 1840),
    # delivered 500,500,300,0: paid 1300 Wh → 195,000; shortfall 700 Wh → penalty 140,000;
    # FSP gets 16,000 + 195,000 − 140,000 = 71,000; buyer gets 316,000 − 71,000 back
    ("partial outside the band", [500, 500, 700, 1000], 71_000, 245_000, 140_000, 1300),
])
def test_settlement_pays_the_hand_calculated_amounts(world, case, measured, paid, refund, penalty, delivered):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    deliver(world, x, measured)
    res = s.settle(a.outsider, x.award, x.offer)
    ev = res.event("Settled")
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"], ev["deliveredWh"], ev["requestedWh"]) == (
        paid, refund, penalty, delivered, 2000)
    assert balances(world) == (paid, BUYER_FUNDS - ESCROW + refund, 0)
    assert world.ledger.market.offer_status(x.award.offer_id) == OfferStatus.SETTLED
    rel = s.reliability(a.fsp.address)
    assert (rel["requestedWh"], rel["deliveredWh"], rel["settlements"], rel["failures"]) == (
        2000, delivered, 1, 1 if penalty else 0)


def test_incapacity_before_start_releases_escrow_without_penalty_but_costs_the_declined_reservation(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    assert s.declare_incapacity(a.fsp, x.award).event("IncapacityDeclared")["fsp"] == a.fsp.address
    with reverts("SettlementNotYet", leaf=x.award.leaf, availableAt=x.slot(4)):  # waits for the award's end
        s.settle(a.outsider, x.award, x.offer)
    goto(world, x.slot(4))
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    # all four slots declined: their reservation (16,000) goes back to the buyer with the activation escrow
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (0, ESCROW, 0)
    assert balances(world) == (0, BUYER_FUNDS, 0)  # collateral returned, nothing forfeited
    rel = s.reliability(a.fsp.address)
    assert (rel["failures"], rel["incapacities"]) == (0, 1)


def test_opt_out_after_acceptance_is_penalised(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    assert s.opt_out(a.fsp, x.award).event("ActivationOptedOut")["leaf"] == x.award.leaf
    goto(world, x.slot(4))
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    # shortfall 2000 Wh → penalty 400,000, capped at the 16,000 the FSP would have been paid
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (0, ESCROW, 400_000)
    rel = s.reliability(a.fsp.address)
    assert (rel["optOuts"], rel["failures"], rel["deliveredWh"]) == (1, 1, 0)


def test_missing_readings_block_settlement_until_the_deadline_then_count_as_zero(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    deliver(world, x, [500, None, None, None])
    with reverts("SettlementReadingMissing", leaf=x.award.leaf, slotStart=x.slot(1)):
        s.settle(a.outsider, x.award, x.offer)
    goto(world, x.slot(4) + x.cfg.settlement_grace)
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    # slot 0 delivered (75,000 activation); 1500 Wh short → penalty 300,000 > 91,000 gross → paid 0
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"], ev["deliveredWh"]) == (0, ESCROW, 300_000, 500)


def test_unactivated_award_earns_its_reservation_only(world):
    x = award_round(world)
    s = world.ledger.settlement
    with reverts("SettlementNotYet", leaf=x.award.leaf, availableAt=x.slot(4)):
        s.settle(world.actors.outsider, x.award, x.offer)
    goto(world, x.slot(4))
    ev = s.settle(world.actors.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["refundedToBuyer"]) == (RESERVATION, ACTIVATION)


def test_partial_activation_pays_only_the_activated_slots(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 1, 2)
    s.opt_in(a.fsp, x.award)
    deliver(world, x, [1000, 500, 500, 1000])
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["requestedWh"]) == (16_000 + 150_000, 150_000, 1000)


def test_settlement_cannot_run_twice(world):
    x = award_round(world)
    goto(world, x.slot(4))
    world.ledger.settlement.settle(world.actors.outsider, x.award, x.offer)
    with reverts("SettlementWrongPhase", phase=Phase.SETTLED):
        world.ledger.settlement.settle(world.actors.outsider, x.award, x.offer)


# ---- activation rules ----------------------------------------------------------------------

def test_only_the_awards_buyer_activates(world):
    x = award_round(world)
    with reverts("SettlementNotBuyer", account=world.actors.tso.address):
        world.ledger.settlement.activate(world.actors.tso, x.award, 0, 4)


def test_an_activation_beyond_the_awards_slices_is_refused(world):
    x = award_round(world)
    with reverts("SettlementBadActivationRange", first=2, count=3):
        world.ledger.settlement.activate(world.actors.dso, x.award, 2, 3)


def test_only_the_awards_fsp_opts_in(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    with reverts("SettlementNotFsp", account=a.fsp2.address):
        s.c.transact("optIn", x.award.leaf, sender=a.fsp2)


def test_the_buyer_activates_with_event_and_the_offer_is_activated(world):
    x = award_round(world)
    ev = world.ledger.settlement.activate(world.actors.dso, x.award, 0, 4).event("ActivationRequested")
    assert (ev["firstSlice"], ev["count"], ev["firstSlotStart"]) == (0, 4, x.slot(0))
    assert world.ledger.market.offer_status(x.award.offer_id) == OfferStatus.ACTIVATED


def test_an_activated_award_cannot_be_activated_again(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    with reverts("SettlementWrongPhase", phase=Phase.ACTIVATED):
        s.activate(a.dso, x.award, 0, 4)


def test_an_fsp_cannot_opt_out_of_an_activation_it_has_not_accepted(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    with reverts("SettlementWrongPhase", phase=Phase.ACTIVATED):
        s.opt_out(a.fsp, x.award)


def test_incapacity_cannot_be_declared_once_the_first_slot_has_started(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    goto(world, x.slot(0))
    with reverts("SettlementTooLateToDecline"):
        s.declare_incapacity(a.fsp, x.award)


def test_activation_after_the_lead_time_is_refused(world):
    x = award_round(world)
    goto(world, x.slot(0) - x.cfg.activation_lead + 1)
    with reverts("SettlementActivationTooLate", firstSlotStart=x.slot(0)):
        world.ledger.settlement.activate(world.actors.dso, x.award, 0, 4)


def test_only_the_zones_dso_turns_it_red(world):
    award_round(world, buyer="tso")
    with reverts("SettlementNotZoneDso", account=world.actors.dso2.address):
        world.ledger.settlement.set_zone_red(world.actors.dso2, world.zone, True, "not mine")


def test_a_dso_cannot_block_an_activation_while_its_zone_is_not_red(world):
    x = award_round(world, buyer="tso")
    s, a = world.ledger.settlement, world.actors
    s.activate(a.tso, x.award, 0, 4)
    with reverts("SettlementZoneNotRed", zoneId=world.zone):
        s.block_activation(a.dso, x.award, "too early")


def test_a_dso_red_zone_blocks_tso_activations_with_a_reason(world):
    x = award_round(world, buyer="tso")
    s, a = world.ledger.settlement, world.actors
    s.activate(a.tso, x.award, 0, 4)
    ev = s.set_zone_red(a.dso, world.zone, True, "transformer TR-1 at 98 %").event("ZoneTrafficLight")
    assert ev["red"] is True and ev["reason"] == "transformer TR-1 at 98 %"
    ev = s.block_activation(a.dso, x.award, "TSO activation would overload TR-1").event("ActivationBlocked")
    assert (ev["zoneId"], ev["dso"], ev["reason"]) == (world.zone, a.dso.address, "TSO activation would overload TR-1")
    goto(world, x.slot(4))
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (RESERVATION, ACTIVATION, 0)


def test_tso_cannot_activate_in_a_red_zone(world):
    x = award_round(world, buyer="tso")
    world.ledger.settlement.set_zone_red(world.actors.dso, world.zone, True, "congestion")
    with reverts("SettlementZoneRed", zoneId=world.zone):
        world.ledger.settlement.activate(world.actors.tso, x.award, 0, 4)


# ---- readings: forged, rotated, replayed, tampered -----------------------------------------

def test_valid_reading_is_recorded_and_identical_resubmission_is_a_no_op(world):
    x = award_round(world)
    goto(world, x.slot(1))
    r = sign(world, world.actors.device, world.asset, x.slot(0), 480, 7)
    s = world.ledger.settlement
    assert s.submit_readings(world.actors.outsider, [r]).event("ReadingRecorded")["seq"] == 7
    again = s.submit_readings(world.actors.outsider, [r])
    assert again.all("ReadingRecorded") == [] and s.reading(world.asset, x.slot(0)) == (True, 480, 7)


def _due_slot_0(world):
    """An awarded round whose first slot has ended: its reading is due."""
    x = award_round(world)
    goto(world, x.slot(1))
    return x


def _refused_and_not_recorded(world, x, reading, error, **args):
    with reverts(error, **args):
        world.ledger.settlement.submit_readings(world.actors.outsider, [reading])
    assert world.ledger.settlement.reading(world.asset, x.slot(0))[0] is False


def test_a_reading_signed_by_the_fsps_key_is_refused(world):
    x, a = _due_slot_0(world), world.actors
    r = sign(world, a.fsp, world.asset, x.slot(0), 500, 1)
    _refused_and_not_recorded(world, x, r, "SettlementBadSignature", index=0, recovered=a.fsp.address,
                              expected=a.device.address)


def test_a_reading_signed_by_another_assets_device_is_refused(world):
    x, a = _due_slot_0(world), world.actors
    other = world.ledger.registry.register_asset(a.fsp, world.zone, "N-2", AssetKind.CONSUMPTION, 1000, 1000,
                                                 "M-2", a.device2.address)
    world.ledger.registry.set_device_signer(a.metering, other, a.device2.address, 0)
    r = sign(world, a.device, other, x.slot(0), 500, 1)  # asset 1's device signs for asset `other`
    _refused_and_not_recorded(world, x, r, "SettlementBadSignature", recovered=a.device.address,
                              expected=a.device2.address)


def test_a_reading_moved_to_another_slot_is_refused(world):
    x, a = _due_slot_0(world), world.actors
    r = sign(world, a.device, world.asset, x.slot(0), 500, 1)
    moved = SignedReading(r.asset_id, x.slot(1), r.energy_wh, r.seq, r.signature)
    _refused_and_not_recorded(world, x, moved, "SettlementBadSignature", expected=a.device.address)


def test_a_reading_with_tampered_energy_is_refused(world):
    x, a = _due_slot_0(world), world.actors
    r = sign(world, a.device, world.asset, x.slot(0), 900, 1)
    tampered = SignedReading(r.asset_id, r.slot_start, 400, r.seq, r.signature)
    _refused_and_not_recorded(world, x, tampered, "SettlementBadSignature", expected=a.device.address)


def test_a_reading_for_a_slot_that_has_not_ended_is_refused(world):
    x, a = _due_slot_0(world), world.actors
    r = sign(world, a.device, world.asset, x.slot(3), 500, 1)
    _refused_and_not_recorded(world, x, r, "SettlementReadingNotDue", index=0, slotStart=x.slot(3))


def _rotated_at_slot_1(world):
    """An awarded round whose device key the metering authority rotated from slot 1 on; slot 1 has ended."""
    x = award_round(world)
    goto(world, x.slot(1))
    fresh = new_account()
    world.ledger.registry.set_device_signer(world.actors.metering, world.asset, fresh.address, x.slot(1))
    goto(world, x.slot(2))
    return x, fresh


def test_a_reading_signed_by_a_rotated_out_device_key_is_refused(world):
    x, fresh = _rotated_at_slot_1(world)
    a = world.actors
    with reverts("SettlementBadSignature", recovered=a.device.address, expected=fresh.address):
        world.ledger.settlement.submit_readings(a.outsider, [sign(world, a.device, world.asset, x.slot(1), 500, 2)])
    world.ledger.settlement.submit_readings(a.outsider, [sign(world, fresh, world.asset, x.slot(1), 500, 2)])


def test_a_slot_before_the_rotation_is_refused_when_signed_by_the_new_key(world):
    # the slot before the rotation still belongs to the old key, which signed it when it was in force
    x, fresh = _rotated_at_slot_1(world)
    a = world.actors
    with reverts("SettlementBadSignature", recovered=fresh.address, expected=a.device.address):
        world.ledger.settlement.submit_readings(a.outsider, [sign(world, fresh, world.asset, x.slot(0), 500, 1)])
    world.ledger.settlement.submit_readings(a.outsider, [sign(world, a.device, world.asset, x.slot(0), 500, 1)])


def test_replayed_or_conflicting_readings_are_skipped_and_the_first_recorded_stands(world):
    x = award_round(world)
    goto(world, x.slot(3))
    a, s = world.actors, world.ledger.settlement
    first = sign(world, a.device, world.asset, x.slot(1), 500, 5)
    s.submit_readings(a.outsider, [first])
    # the same reading again, and another one for the same slot: skipped by name, nothing overwritten
    res = s.submit_readings(a.outsider, [first, sign(world, a.device, world.asset, x.slot(1), 100, 6)])
    assert [(e["slotStart"], e["seq"], e["reason"]) for e in res.all("ReadingSkipped")] == [
        (x.slot(1), 5, SkipReason.DUPLICATE), (x.slot(1), 6, SkipReason.CONFLICTING)]
    assert res.all("ReadingRecorded") == [] and s.reading(world.asset, x.slot(1)) == (True, 500, 5)
    # sequence numbers are not ordered on-chain: a lower seq for another slot is recorded
    assert s.submit_readings(a.outsider, [sign(world, a.device, world.asset, x.slot(0), 500, 4)]).event(
        "ReadingRecorded")["seq"] == 4


def test_two_awards_of_one_offer_never_earn_the_same_delivered_energy_twice(world):
    a, s = world.actors, world.ledger.settlement
    x = split_award_round(world, dso_w=1000, tso_w=1000, dso_wh=250, tso_wh=250)
    cfg, offer, to_dso, to_tso = x.cfg, x.offer, x.to_dso, x.to_tso
    s.attest_baselines(a.metering, world.asset, [cfg.slot_start(i) for i in range(4)], [1000] * 4)
    goto(world, cfg.slot_start(4))
    # the meter shows only 300 Wh shed per slot (700 of a 1000 Wh baseline), not the 500 both awards ask
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, cfg.slot_start(i), 700, i + 1)
                                   for i in range(4)])
    first = s.settle(a.outsider, to_dso, offer).event("Settled")
    second = s.settle(a.outsider, to_tso, offer).event("Settled")
    # shared pro rata (250 of 500 activated Wh each): 150 Wh per slot each, 300 in all, not 500
    assert (first["deliveredWh"], second["deliveredWh"]) == (600, 600)
    # each: 600 of 1000 Wh (60 %, outside the band): activation 150,000 × 0.6 kWh = 90,000 + reservation 8,000;
    # penalty 200,000 × 0.4 kWh = 80,000 → paid 18,000, 140,000 of the 158,000 escrow refunded
    for ev in (first, second):
        assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (18_000, 140_000, 80_000)
