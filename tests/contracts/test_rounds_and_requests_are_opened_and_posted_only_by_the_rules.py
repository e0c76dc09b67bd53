"""Rounds and FlexRequests: who may open and post what, and when."""

from __future__ import annotations

import pytest

from domain.enums import Direction, RequestStatus
from tests.helpers import reverts
from tests.market_helpers import SLOT, make_request, open_round


def test_operator_opens_round_with_event(world):
    rid, cfg = open_round(world)
    ev = world.ledger.index.last("RoundOpened", roundId=rid)
    assert ev["by"] == world.actors.operator.address and ev["config"]["gateClosure"] == cfg.gate_closure
    info = world.ledger.market.round(rid)
    assert info.config == cfg and info.offer_count == 0 and info.opened_by == world.actors.operator.address


def test_day_ahead_and_intraday_rounds_coexist(world):
    day_ahead, _ = open_round(world, slots=96, lead_slots=200)
    intraday, _ = open_round(world, slots=4, lead_slots=8)
    assert intraday == day_ahead + 1
    req = make_request(day_ahead, world.zone)
    assert world.ledger.market.post_request(world.actors.dso, req) >= 1
    assert world.ledger.market.post_request(world.actors.dso, make_request(intraday, world.zone)) >= 1


def test_non_operator_cannot_open_round(world):
    with reverts("MarketNotOperator", account=world.actors.fsp.address):
        world.ledger.market.c.transact("openRound", _config(world), sender=world.actors.fsp)


def _config(world):
    now = world.ledger.chain.now()
    start = (now // SLOT + 10) * SLOT
    # a config openRound accepts from an operator: governance minimums (challenge window 300 s,
    # settlement grace 900 s) and clearingDeadline + challengeWindow <= confirmDeadline <= the first
    # activation deadline (deliveryStart - activationLead)
    return {"deliveryStart": start, "slotCount": 4, "slotLen": SLOT, "gateClosure": start - 2 * SLOT,
            "clearingDeadline": start - SLOT, "challengeWindow": 300, "activationLead": 60, "settlementGrace": 900,
            "toleranceBps": 1000, "penaltyPerKwh": 0, "pricing": 0, "confirmDeadline": start - 60}


def test_the_base_config_is_accepted_so_each_refusal_below_is_its_field(world):
    cfg = _config(world)
    opened = [e for e in world.ledger.market.c.transact("openRound", cfg, sender=world.actors.operator).events
              if e.name == "RoundOpened"]
    assert len(opened) == 1 and opened[0]["config"]["confirmDeadline"] == cfg["confirmDeadline"]


@pytest.mark.parametrize("field,value", [("slotLen", 7), ("slotCount", 0), ("deliveryStart", 1), ("gateClosure", 1),
                                         ("clearingDeadline", 1), ("toleranceBps", 10_001), ("pricing", 2)])
def test_incoherent_round_config_is_refused_naming_the_field(world, field, value):
    cfg = _config(world)
    cfg[field] = value
    with reverts("MarketInvalidRoundConfig", field=field):
        world.ledger.market.c.transact("openRound", cfg, sender=world.actors.operator)


def test_dso_posts_need_for_own_zone_with_event_and_accumulator(world):
    rid, _ = open_round(world)
    req = make_request(rid, world.zone, ref="congestion-17")
    req_id = world.ledger.market.post_request(world.actors.dso, req)
    ev = world.ledger.index.last("RequestPosted", requestId=req_id)
    assert ev["buyer"] == world.actors.dso.address and ev["requestHash"] == req.request_hash(req_id, world.actors.dso.address)
    info = world.ledger.market.round(rid)
    assert info.request_count == 1 and info.request_acc != b"\0" * 32


def test_dso_cannot_post_for_another_dsos_zone(world):
    rid, _ = open_round(world)
    with reverts("MarketNotZoneDso", zoneId=world.zone2, account=world.actors.dso.address):
        world.ledger.market.post_request(world.actors.dso, make_request(rid, world.zone2))


def test_only_tso_posts_system_wide_needs(world):
    rid, _ = open_round(world)
    with reverts("MarketSystemWideNeedsTso", account=world.actors.dso.address):
        world.ledger.market.post_request(world.actors.dso, make_request(rid, 0))
    assert world.ledger.market.post_request(world.actors.tso, make_request(rid, 0, direction=Direction.DOWN)) >= 1
    assert world.ledger.market.post_request(world.actors.tso, make_request(rid, world.zone2)) >= 1


def test_non_buyer_cannot_post_need(world):
    rid, _ = open_round(world)
    with reverts("MarketNotBuyer", account=world.actors.fsp.address):
        world.ledger.market.post_request(world.actors.fsp, make_request(rid, world.zone))


@pytest.mark.parametrize("change,field", [(dict(first_slot=7), "firstSlot"), (dict(zone=77), "zoneId")])
def test_malformed_request_is_refused_naming_the_field(world, change, field):
    rid, _ = open_round(world)
    req = make_request(rid, change.get("zone", world.zone), first_slot=change.get("first_slot", 0))
    with reverts("MarketInvalidRequest", field=field):
        world.ledger.market.post_request(world.actors.tso, req)


def test_request_after_gate_closure_is_refused(world):
    rid, cfg = open_round(world)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    with reverts("MarketGateClosed", roundId=rid):
        world.ledger.market.post_request(world.actors.dso, make_request(rid, world.zone))


def _posted_request(world):
    rid, cfg = open_round(world)
    return cfg, world.ledger.market.post_request(world.actors.dso, make_request(rid, world.zone))


def test_buyer_cancels_own_request_before_gate_closure(world):
    _, req = _posted_request(world)
    m = world.ledger.market
    assert m.cancel_request(world.actors.dso, req).event("RequestCancelled")["requestId"] == req
    assert m.request_status(req) == RequestStatus.CANCELLED


def test_cancelling_another_buyers_request_is_refused(world):
    _, req = _posted_request(world)
    with reverts("MarketNotRequestBuyer", requestId=req, account=world.actors.tso.address):
        world.ledger.market.cancel_request(world.actors.tso, req)


def test_cancelling_a_cancelled_request_is_refused(world):
    _, req = _posted_request(world)
    m = world.ledger.market
    m.cancel_request(world.actors.dso, req)
    with reverts("MarketRequestNotOpen", requestId=req):
        m.cancel_request(world.actors.dso, req)


def test_cancelling_an_unknown_request_is_refused(world):
    _posted_request(world)
    with reverts("MarketUnknownRequest", requestId=99):
        world.ledger.market.cancel_request(world.actors.dso, 99)


def test_cancelling_after_gate_closure_is_refused(world):
    cfg, req = _posted_request(world)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    with reverts("MarketGateClosed"):
        world.ledger.market.cancel_request(world.actors.dso, req)
