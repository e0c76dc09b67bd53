"""Flex-offer submission: every refusal rule is enforced on-chain with a named error."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.enums import AssetKind
from ledger.accounts import new_account
from ledger.messages import OfferInvalid
from domain.packing import pack_signed
from tests.helpers import reverts
from tests.market_helpers import SLOT, make_offer, open_round


@pytest.fixture
def rnd(world):
    return open_round(world)


def submit_raw(world, chain_offer, sender=None):
    return world.ledger.market.c.transact("submitOffer", chain_offer, sender=sender or world.actors.fsp)


def raw(world, rnd, **fields):
    base = make_offer(*rnd, world.asset).to_chain()
    base.update(fields)
    return base


def slices(rows, width=2):
    return bytes([width]) + pack_signed([v for r in rows for v in r], width)


def test_valid_offer_is_recorded_with_hash_event_and_accumulator(world, rnd):
    m = world.ledger.market
    offer = make_offer(*rnd, world.asset)
    offer_id = m.submit_offer(world.actors.fsp, offer)
    ev = world.ledger.index.last("OfferSubmitted", offerId=offer_id)
    assert ev["owner"] == world.actors.fsp.address and ev["version"] == 1 and ev["data"] == offer.pack()
    assert m.offer_hash(offer_id) == offer.offer_hash(offer_id) == ev["offerHash"]
    info = m.round(rnd[0])
    from eth_utils import keccak
    assert info.offer_acc == keccak(b"\0" * 32 + ev["offerHash"]) and info.offer_count == 1


def test_offer_for_an_asset_not_owned_is_refused(world, rnd):
    with reverts("MarketNotAssetOwner", assetId=world.asset, account=world.actors.fsp2.address):
        world.ledger.market.submit_offer(world.actors.fsp2, make_offer(*rnd, world.asset), precheck=False)


def test_offer_for_an_unknown_asset_is_refused(world, rnd):
    with reverts("MarketUnknownAsset", assetId=999):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, 999), precheck=False)


def _unprequalified_asset(world):
    a = world.actors
    return world.ledger.registry.register_asset(a.fsp, world.zone, "N-2", AssetKind.PRODUCTION, 5000, 5000, "M-X",
                                                new_account().address)


def test_offer_for_an_asset_not_grid_prequalified_is_refused(world, rnd):
    fresh = _unprequalified_asset(world)
    with reverts("MarketAssetNotPrequalified", assetId=fresh):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, fresh), precheck=False)


def test_offer_for_an_asset_not_grid_prequalified_is_refused_by_the_client_precheck(world, rnd):
    fresh = _unprequalified_asset(world)
    with pytest.raises(OfferInvalid, match="not grid-prequalified"):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, fresh))


def test_offer_for_a_suspended_asset_is_refused(world, rnd):
    world.ledger.registry.suspend_asset(world.actors.dso, world.asset, "tampering")
    with reverts("MarketAssetSuspended", assetId=world.asset):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, world.asset), precheck=False)


def test_offer_from_a_suspended_participant_is_refused(world, rnd):
    world.ledger.registry.suspend_participant(world.actors.admin, world.actors.fsp.address, "unpaid")
    with reverts("MarketParticipantInactive", account=world.actors.fsp.address):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, world.asset), precheck=False)


# 10 kW up for 900 s = 2500 Wh; 8 kW down = -2000 Wh
@pytest.mark.parametrize("direction, energy, limit", [("up", 2501, 2500), ("down", -2001, -2000)])
def test_slice_above_asset_power_is_refused(world, rnd, direction, energy, limit):
    offer = make_offer(*rnd, world.asset, **{direction: abs(energy)})
    with reverts("MarketSliceAbovePower", slice=0, energyWh=energy, limitWh=limit):
        world.ledger.market.submit_offer(world.actors.fsp, offer, precheck=False)


def _limit_up_to_1000_wh(world):
    world.ledger.registry.grid_prequalify(world.actors.dso, world.asset, 4_000, 0)  # 1000 Wh per slot up


def test_conditional_prequalification_limit_caps_slices(world, rnd):
    _limit_up_to_1000_wh(world)
    with reverts("MarketSliceAbovePower", energyWh=1001, limitWh=1000):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, world.asset, up=1001), precheck=False)


def test_conditional_prequalification_limit_is_refused_by_the_client_precheck(world, rnd):
    _limit_up_to_1000_wh(world)
    with pytest.raises(OfferInvalid, match=r"slices\[0\].max_wh 1001 exceeds the asset's UP limit 1000 Wh"):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, world.asset, up=1001))


def test_a_slice_at_the_conditional_prequalification_limit_is_accepted(world, rnd):
    _limit_up_to_1000_wh(world)
    world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, world.asset, up=1000))


def test_inverted_slice_is_refused(world, rnd):
    with reverts("MarketInvertedSlice", slice=1, minWh=300, maxWh=200):
        submit_raw(world, raw(world, rnd, slices=slices([(0, 500, 0), (300, 200, 0)]), totalMinWh=0, totalMaxWh=700))


def test_inverted_slice_is_refused_by_the_offer_model(world, rnd):
    with pytest.raises(ValidationError, match="min_wh 300 is above max_wh 200"):
        make_offer(*rnd, world.asset, down=-300, up=200)


def test_empty_profile_is_refused(world, rnd):
    with reverts("MarketEmptyProfile"):
        submit_raw(world, raw(world, rnd, slices=b"\x02"))


@pytest.mark.parametrize("encoded, length", [(b"\x03" + b"\0" * 6, 7), (b"", 0)], ids=["width-3", "no-width-byte"])
def test_malformed_profile_is_refused(world, rnd, encoded, length):
    with reverts("MarketBadSliceEncoding", length=length):
        submit_raw(world, raw(world, rnd, slices=encoded))


def test_inverted_totals_are_refused(world, rnd):
    with reverts("MarketInvertedTotals", totalMinWh=10, totalMaxWh=5):
        submit_raw(world, raw(world, rnd, totalMinWh=10, totalMaxWh=5))


def test_unreachable_totals_are_refused(world, rnd):
    with reverts("MarketTotalsUnreachable", sumMinWh=0, sumMaxWh=2000, totalMinWh=2001, totalMaxWh=3000):
        submit_raw(world, raw(world, rnd, totalMinWh=2001, totalMaxWh=3000))


def test_unreachable_totals_are_refused_by_the_offer_model(world, rnd):
    with pytest.raises(ValidationError, match="cannot be met"):
        make_offer(*rnd, world.asset, total_min_wh=2001, total_max_wh=3000)


def test_window_ending_after_the_round_is_refused(world, rnd):
    rid, cfg = rnd
    late = cfg.slot_start(6)  # 4 slices from slot 6 end after the 8-slot round
    with reverts("MarketWindowOutsideRound", latestStart=late):
        submit_raw(world, raw(world, rnd, latestStart=late))


@pytest.mark.parametrize("offset", [1, -SLOT], ids=["off-slot-boundary", "before-delivery-start"])
def test_window_not_aligned_to_the_rounds_slots_is_refused(world, rnd, offset):
    rid, cfg = rnd
    with reverts("MarketWindowNotAligned"):
        submit_raw(world, raw(world, rnd, earliestStart=cfg.delivery_start + offset))


def test_window_whose_latest_start_precedes_its_earliest_is_refused(world, rnd):
    rid, cfg = rnd
    with reverts("MarketWindowOutsideRound"):
        submit_raw(world, raw(world, rnd, earliestStart=cfg.slot_start(2), latestStart=cfg.slot_start(1)))


def test_acceptance_deadline_not_after_gate_closure_is_refused(world, rnd):
    rid, cfg = rnd
    with reverts("MarketInvalidDeadlines", acceptBefore=cfg.gate_closure):
        submit_raw(world, raw(world, rnd, acceptBefore=cfg.gate_closure, assignBefore=cfg.gate_closure))


def test_assignment_deadline_after_the_latest_start_is_refused(world, rnd):
    rid, cfg = rnd
    with reverts("MarketInvalidDeadlines"):
        submit_raw(world, raw(world, rnd, assignBefore=cfg.slot_start(5)))


def _close_the_gate(world, cfg):
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())


def test_late_submission_after_gate_closure_is_refused(world, rnd):
    rid, cfg = rnd
    _close_the_gate(world, cfg)
    with reverts("MarketGateClosed", roundId=rid, gateClosure=cfg.gate_closure):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, world.asset), precheck=False)


def test_late_submission_after_gate_closure_is_refused_by_the_client_precheck(world, rnd):
    _, cfg = rnd
    _close_the_gate(world, cfg)
    with pytest.raises(OfferInvalid, match="gate closed"):
        world.ledger.market.submit_offer(world.actors.fsp, make_offer(*rnd, world.asset))


def test_offer_for_an_unknown_round_is_refused(world, rnd):
    rid, cfg = rnd
    with reverts("MarketUnknownRound", roundId=rid + 5):
        submit_raw(world, raw(world, rnd, roundId=rid + 5))


def test_batch_submission_records_every_offer_in_order(world, rnd):
    offers = [make_offer(*rnd, world.asset, up=100 + i) for i in range(5)]
    ids = world.ledger.market.submit_offers(world.actors.fsp, offers)
    assert ids == list(range(ids[0], ids[0] + 5))
    for oid, offer in zip(ids, offers):
        assert world.ledger.market.offer_hash(oid) == offer.offer_hash(oid)
    assert world.ledger.market.round(rnd[0]).offer_count == 5


def test_batch_with_one_bad_offer_reverts_whole_with_its_index_and_reason(world, rnd):
    offers = [make_offer(*rnd, world.asset) for _ in range(4)]
    offers[2] = make_offer(*rnd, world.asset, up=9_999)
    with reverts("MarketBatchRejected", index=2) as info:
        world.ledger.market.submit_offers(world.actors.fsp, offers)
    assert info.value.args_dict["reason"].name == "MarketSliceAbovePower"
    assert world.ledger.market.round(rnd[0]).offer_count == 0  # nothing half-written
