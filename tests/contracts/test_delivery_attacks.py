"""Issue 10, delivery trust: each attack as the attacker would run it against the real contracts on
the embedded chain, refused by name or paid correctly, with the honest path beside it.

The award (as in tests/contracts/helpers.py): a consumption asset, UP, 4 slices of 500 Wh,
reservation 2,000 per kW per hour (8,000 per kWh at 15 min), activation 150,000 per kWh,
tolerance 10 %: escrow 316,000 = reservation 16,000 + activation 300,000; FSP collateral
COLLATERAL_BPS = 50 % of that = 158,000. The metering authority's baseline is 1000 Wh per slot.
"""

from __future__ import annotations

import pytest

from domain.award import Award, AwardTree
from domain.enums import Phase, SkipReason
from ledger.accounts import new_account
from tests.conftest import BUYER_FUNDS
from tests.helpers import reverts
from tests.contracts.helpers import (ACTIVATION, COLLATERAL, ESCROW, RESERVATION, award_round, balances,
                                     deliver, goto, sign, split_award_round)
from tests.market_helpers import SLOT, make_offer, make_request, open_round


# ---- 1. the FSP owns the "device" key -----------------------------------------------------------

def test_an_fsp_cannot_rotate_its_assets_device_key_to_a_key_it_holds(world):
    a = world.actors
    with reverts("DeviceKeysNotMetering", account=a.fsp.address):
        world.ledger.registry.rotate_device_signer(a.fsp, world.asset, new_account().address)


def test_an_fsp_cannot_set_its_assets_device_key_to_a_key_it_holds(world):
    a = world.actors
    with reverts("DeviceKeysNotMetering", account=a.fsp.address):
        world.ledger.registry.set_device_signer(a.fsp, world.asset, new_account().address, 0)


def test_not_even_metering_may_make_the_fsps_own_key_the_device_key(world):
    a = world.actors
    with reverts("DeviceKeysInvalidSigner", signer=a.fsp.address):
        world.ledger.registry.set_device_signer(a.metering, world.asset, a.fsp.address, 0)


def test_full_delivery_readings_the_fsp_signs_with_a_key_it_holds_are_refused(world):
    a, fsp_key = world.actors, new_account()
    x = award_round(world)
    goto(world, x.slot(1))
    with reverts("SettlementBadSignature", recovered=fsp_key.address, expected=a.device.address):
        world.ledger.settlement.submit_readings(a.fsp, [sign(world, fsp_key, world.asset, x.slot(0), 500, 1)])


def test_a_newly_registered_asset_has_no_key_in_force_until_metering_sets_one(world):
    a, reg = world.actors, world.ledger.registry
    from domain.enums import AssetKind
    other = reg.register_asset(a.fsp, world.zone, "N-2", AssetKind.CONSUMPTION, 1000, 1000, "M-2", a.device2.address)
    assert reg.device_signer_at(other, 2**63) == "0x" + "0" * 40
    ev = reg.set_device_signer(a.metering, other, a.device2.address, 0).event("DeviceSignerSet")
    assert (ev["signer"], ev["by"]) == (a.device2.address, a.metering.address)
    assert reg.device_signer_at(other, 0) == a.device2.address


# ---- 2. the baseline is the FSP's word ----------------------------------------------------------

def test_an_inflated_baseline_is_refused_even_from_the_metering_authority(world):
    a, s = world.actors, world.ledger.settlement
    x = award_round(world)
    # 10 kW up + 8 kW down: at most 18 kW × 0.25 h = 4,500 Wh per interval
    with reverts("SettlementBaselineOutOfBounds", assetId=world.asset, baselineWh=1_000_000, maxWh=4500):
        s.attest_baselines(a.metering, world.asset, [x.slot(0)], [1_000_000])


def test_the_fsp_cannot_attest_its_own_baseline(world):
    a, s = world.actors, world.ledger.settlement
    x = award_round(world)
    with reverts("SettlementNotMetering", account=a.fsp.address):
        s.attest_baselines(a.fsp, world.asset, [x.slot(0)], [4000])


def test_a_meter_that_never_changed_is_not_paid_whatever_the_offer_declared(world):
    m, a, s = world.ledger.market, world.actors, world.ledger.settlement
    rid, cfg = open_round(world, penalty_per_kwh=200_000, tolerance_bps=1000, settlement_grace=3600)
    req = m.post_request(a.dso, make_request(rid, world.zone, power_w=(2000,) * 4, max_price=400_000))
    offer = make_offer(rid, cfg, world.asset, up=500, baseline=1_000_000, flex_slots=0)  # the FSP's forecast
    oid = m.submit_offer(a.fsp, offer)
    goto(world, cfg.gate_closure)
    award = Award(rid, oid, req, 0, (500,) * 4, (500,) * 4, offer.reservation_price, offer.activation_price)
    tree = AwardTree([award])
    world.ledger.clearing.commit(a.operator, rid, tree, total_cost=tree.total_cost(SLOT), spec_hash=b"\1" * 32)
    goto(world, world.ledger.chain.now() + cfg.challenge_window)
    world.ledger.clearing.confirm_award(a.fsp, award, tree.proof(award), offer)
    s.activate(a.dso, award, 0, 4)
    s.opt_in(a.fsp, award)
    # ten days of the asset's own signed history at the same times of day: 1000 Wh per slot
    history = [sign(world, a.device, world.asset, cfg.slot_start(i) - d * 86_400, 1000, 1000 + 10 * d + i)
               for d in range(1, 11) for i in range(4)]
    s.submit_readings(a.outsider, history)
    assert s.baseline_at(world.asset, cfg.slot_start(0)) == (True, 1000, False)
    goto(world, cfg.slot_start(4))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, cfg.slot_start(i), 1000, i + 1)
                                   for i in range(4)])  # nothing changed
    ev = s.settle(a.outsider, award, offer).event("Settled")
    assert (ev["deliveredWh"], ev["penalty"]) == (0, 400_000)
    assert ev["paidToFsp"] == 0


def test_metered_baseline_is_the_mean_of_the_last_ten_days_and_needs_five_of_them(world):
    a, s = world.actors, world.ledger.settlement
    x = award_round(world)
    t = x.slot(4)  # an interval the metering authority did not attest
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, t - d * 86_400, 800 + 100 * d, d)
                                   for d in (1, 2, 3, 4)])
    assert s.baseline_at(world.asset, t) == (False, 0, False)  # 4 of 10 days: no baseline
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, t - 5 * 86_400, 1300, 5),
                                   sign(world, a.device, world.asset, t - 11 * 86_400, 9000, 11)])  # day 11: ignored
    assert s.baseline_at(world.asset, t) == (True, (900 + 1000 + 1100 + 1200 + 1300) // 5, False)
    assert s.baseline_at(world.asset, x.slot(0)) == (True, 1000, True)  # attested wins


# ---- 3. readings can be jammed ---------------------------------------------------------------------

def test_a_buyer_landing_part_of_an_agents_batch_first_cannot_jam_it(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    goto(world, x.slot(4))
    batch = [sign(world, a.device, world.asset, x.slot(i), 500, i + 1) for i in range(4)]
    s.submit_readings(a.dso, [batch[3]])  # the buyer front-runs the last reading of the batch
    res = s.submit_readings(a.fsp, batch)  # the agent's batch still lands
    assert [e["seq"] for e in res.all("ReadingRecorded")] == [1, 2, 3]
    assert [(e["seq"], e["reason"]) for e in res.all("ReadingSkipped")] == [(4, SkipReason.DUPLICATE)]
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["deliveredWh"]) == (ESCROW, 2000)  # full delivery, not 25 %


def _device_key_rotated_at_delivery_start(world):
    """The old device key leaked: METERING rotates to a fresh key valid from the award's first
    slot, and two slots pass. Returns (award round, fresh key)."""
    x = award_round(world)
    fresh = new_account()
    world.ledger.registry.set_device_signer(world.actors.metering, world.asset, fresh.address, x.slot(0))
    goto(world, x.slot(2))
    return x, fresh


def test_a_leaked_old_key_cannot_brick_the_asset_after_rotation(world):
    s, a = world.ledger.settlement, world.actors
    x, fresh = _device_key_rotated_at_delivery_start(world)
    with reverts("SettlementBadSignature", recovered=a.device.address, expected=fresh.address):
        s.submit_readings(a.outsider, [sign(world, a.device, world.asset, x.slot(1), 500, 2**64 - 1)])
    ev = s.submit_readings(a.outsider, [sign(world, fresh, world.asset, x.slot(1), 500, 1)]).event("ReadingRecorded")
    assert ev["seq"] == 1


def test_a_leaked_old_key_cannot_be_put_back_in_force_backdated_before_the_rotation(world):
    a = world.actors
    x, _ = _device_key_rotated_at_delivery_start(world)
    with reverts("DeviceKeysBackdated", validFrom=x.slot(0) - 1, lastValidFrom=x.slot(0)):
        world.ledger.registry.set_device_signer(a.metering, world.asset, a.device.address, x.slot(0) - 1)


# ---- 4. a reading before its slot ended --------------------------------------------------------

def test_a_reading_is_refused_until_its_interval_has_ended(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    goto(world, x.slot(0))
    early = sign(world, a.device, world.asset, x.slot(0), 500, 1)
    with reverts("SettlementReadingNotDue", index=0, slotStart=x.slot(0)):
        s.submit_readings(a.outsider, [early])
    goto(world, x.slot(1))
    assert s.submit_readings(a.outsider, [early]).event("ReadingRecorded")["slotStart"] == x.slot(0)


def test_a_reading_not_aligned_to_an_interval_start_is_refused(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    goto(world, x.slot(0))
    with reverts("SettlementReadingMisaligned", index=0, slotStart=x.slot(0) - 300):
        s.submit_readings(a.outsider, [sign(world, a.device, world.asset, x.slot(0) - 300, 500, 1)])


# ---- 6. penalties that deter ----------------------------------------------------------------------

def test_collateral_is_locked_at_confirmation_and_an_opt_out_pays_the_buyer_from_it(world):
    x = award_round(world, penalty=0)  # no round penalty: the default is the activation price
    s, a = world.ledger.settlement, world.actors
    assert world.ledger.index.last("CollateralLocked")["amount"] == COLLATERAL
    assert balances(world) == (-COLLATERAL, BUYER_FUNDS - ESCROW, ESCROW + COLLATERAL)
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    s.opt_out(a.fsp, x.award)
    goto(world, x.slot(4))
    res = s.settle(a.outsider, x.award, x.offer)
    ev, col = res.event("Settled"), res.event("CollateralReleased")
    # reservation forfeited; shortfall 2 kWh × 150,000 = 300,000, none of it coverable from a payment of 0,
    # so min(300,000, 158,000) comes out of the collateral and goes to the buyer
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (0, ESCROW, 300_000)
    assert (col["returnedToFsp"], col["forfeitedToBuyer"]) == (0, COLLATERAL)
    assert balances(world) == (-COLLATERAL, BUYER_FUNDS + COLLATERAL, 0)


def test_honest_full_delivery_gets_its_collateral_back(world):
    x = award_round(world, penalty=0)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    deliver(world, x, [500, 500, 500, 500])
    col = s.settle(a.outsider, x.award, x.offer).event("CollateralReleased")
    assert (col["returnedToFsp"], col["forfeitedToBuyer"]) == (COLLATERAL, 0)
    assert balances(world) == (ESCROW, BUYER_FUNDS - ESCROW, 0)


# ---- 7. the DSO's veto without a clock ---------------------------------------------------------

def test_dso_cannot_block_an_activation_once_its_first_slot_started(world):
    x = award_round(world, buyer="tso")
    s, a = world.ledger.settlement, world.actors
    s.activate(a.tso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    s.set_zone_red(a.dso, world.zone, True, "congestion")
    deliver(world, x, [500, 500, 500, 500])
    with reverts("SettlementTooLateToBlock", leaf=x.award.leaf, firstSlotStart=x.slot(0)):
        s.block_activation(a.dso, x.award, "after the fact")
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["deliveredWh"]) == (ESCROW, 2000)


# ---- 9. order decides who is paid -------------------------------------------------------------

@pytest.mark.parametrize("dso_first", [True, False])
def test_delivered_energy_is_shared_pro_rata_whoever_settles_first(world, dso_first):
    a, s = world.actors, world.ledger.settlement
    x = split_award_round(world)
    cfg, offer, to_dso, to_tso = x.cfg, x.offer, x.to_dso, x.to_tso
    assert s.activated_wh(world.asset, cfg.slot_start(0)) == 500
    s.attest_baselines(a.metering, world.asset, [cfg.slot_start(i) for i in range(4)], [1000] * 4)
    goto(world, cfg.slot_start(4))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, cfg.slot_start(i), 750, i + 1)
                                   for i in range(4)])  # 250 of 500 Wh shed per slot
    order = [(to_dso, "dso"), (to_tso, "tso")] if dso_first else [(to_tso, "tso"), (to_dso, "dso")]
    got = {who: s.settle(a.dso if who == "dso" else a.tso, aw, offer).event("Settled")["deliveredWh"]
           for aw, who in order}
    assert got == {"dso": 600, "tso": 400}  # 150 + 100 per slot: 3/5 and 2/5 of 250, in either order


# ---- settlement waits for the award's last slot ----------------------------------------------------

def test_an_award_cannot_be_settled_before_its_last_slot_to_stop_later_activations(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    goto(world, x.slot(0))  # delivery has begun
    with reverts("SettlementNotYet", leaf=x.award.leaf, availableAt=x.slot(4)):
        s.settle(a.outsider, x.award, x.offer)
    s.activate(a.dso, x.award, 2, 2)  # the buyer can still activate the later slices
    assert s.phase(x.award) == Phase.ACTIVATED
    deliver(world, x, [None, None, 500, 500])
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["requestedWh"]) == (RESERVATION + ACTIVATION // 2, 1000)


# ---- 10. lapsed parties still act (the Settlement part) -------------------------------------------

def test_a_suspended_buyer_cannot_activate_until_it_is_reinstated(world):
    x = award_round(world)
    s, a, reg = world.ledger.settlement, world.actors, world.ledger.registry
    reg.suspend_participant(a.admin, a.dso.address, "unpaid fees")
    with reverts("SettlementNotActive", account=a.dso.address):
        s.activate(a.dso, x.award, 0, 4)
    reg.reinstate_participant(a.admin, a.dso.address)
    s.activate(a.dso, x.award, 0, 4)


def test_a_suspended_fsp_cannot_opt_in_to_an_activation(world):
    x = award_round(world)
    s, a, reg = world.ledger.settlement, world.actors, world.ledger.registry
    s.activate(a.dso, x.award, 0, 4)
    reg.suspend_participant(a.admin, a.fsp.address, "licence lapsed")
    with reverts("SettlementNotActive", account=a.fsp.address):
        s.opt_in(a.fsp, x.award)
