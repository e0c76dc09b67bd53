"""The offer state machine: every legal step emits its event, every illegal one is refused by name."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from domain.enums import OfferStatus
from tests.helpers import reverts
from tests.market_helpers import make_offer, open_round


@pytest.fixture
def offered(world):
    rid, cfg = open_round(world)
    offer = make_offer(rid, cfg, world.asset)
    return rid, cfg, world.ledger.market.submit_offer(world.actors.fsp, offer)


def to_gate(world, cfg):
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())


def test_update_makes_a_new_version_with_the_same_id(world, offered):
    rid, cfg, oid = offered
    m = world.ledger.market
    before = m.round(rid).offer_acc
    new = make_offer(rid, cfg, world.asset, up=800)
    ev = m.update_offer(world.actors.fsp, oid, new).event("OfferUpdated")
    assert (ev["offerId"], ev["version"], ev["data"]) == (oid, 2, new.pack())
    assert m.offer_version(oid) == 2 and m.offer_hash(oid) == new.offer_hash(oid, 2)
    assert m.round(rid).offer_acc == keccak(before + new.offer_hash(oid, 2)) and m.round(rid).offer_count == 2
    assert m.offer(oid) == (new, 2)


def test_update_that_changes_the_asset_is_refused(world, offered):
    rid, cfg, oid = offered
    m = world.ledger.market
    current = m.offer(oid)[0]
    other = make_offer(rid, cfg, world.asset + 0, up=10).model_copy(update={"asset_id": 99})
    with reverts("MarketUpdateChangesIdentity", offerId=oid):
        m.c.transact("updateOffer", oid, current.to_chain(), other.to_chain(), sender=world.actors.fsp)


def test_update_that_does_not_prove_the_current_data_is_refused(world, offered):
    rid, cfg, oid = offered
    stale = make_offer(rid, cfg, world.asset, up=7)
    with reverts("MarketOfferMismatch", offerId=oid):
        world.ledger.market.c.transact("updateOffer", oid, stale.to_chain(), stale.to_chain(), sender=world.actors.fsp)


def test_update_by_someone_else_is_refused(world, offered):
    rid, cfg, oid = offered
    with reverts("MarketNotAssetOwner"):
        world.ledger.market.update_offer(world.actors.fsp2, oid, make_offer(rid, cfg, world.asset, up=7), precheck=False)


def test_update_after_gate_closure_is_refused(world, offered):
    rid, cfg, oid = offered
    to_gate(world, cfg)
    with reverts("MarketGateClosed"):
        world.ledger.market.update_offer(world.actors.fsp, oid, make_offer(rid, cfg, world.asset, up=9), precheck=False)


def test_free_withdrawal_before_gate_closure(world, offered):
    rid, cfg, oid = offered
    res = world.ledger.market.withdraw_offer(world.actors.fsp, oid)
    assert res.event("OfferWithdrawn")["offerId"] == oid
    ch = res.event("OfferStatusChanged")
    assert (ch["from"], ch["to"]) == (OfferStatus.OFFERED, OfferStatus.WITHDRAWN)
    assert world.ledger.market.offer_status(oid) == OfferStatus.WITHDRAWN


def test_withdrawn_offer_cannot_be_withdrawn_again(world, offered):
    rid, cfg, oid = offered
    m, a = world.ledger.market, world.actors
    m.withdraw_offer(a.fsp, oid)
    with reverts("MarketIllegalTransition", offerId=oid, **{"from": OfferStatus.WITHDRAWN}):
        m.withdraw_offer(a.fsp, oid)


def test_withdrawn_offer_cannot_be_updated(world, offered):
    rid, cfg, oid = offered
    m, a = world.ledger.market, world.actors
    m.withdraw_offer(a.fsp, oid)
    with reverts("MarketIllegalTransition", offerId=oid):
        m.update_offer(a.fsp, oid, make_offer(rid, cfg, world.asset, up=1), precheck=False)


def test_withdrawn_offer_cannot_be_awarded(world, offered):
    rid, cfg, oid = offered
    m, a = world.ledger.market, world.actors
    m.withdraw_offer(a.fsp, oid)
    m.set_lifecycle_manager(a.admin, a.operator.address)
    with reverts("MarketIllegalTransition", offerId=oid):
        m.c.transact("transition", oid, OfferStatus.OFFERED, OfferStatus.AWARDED, sender=a.operator)


def test_withdrawal_between_gate_closure_and_award_is_refused(world, offered):
    rid, cfg, oid = offered
    to_gate(world, cfg)
    with reverts("MarketGateClosed", roundId=rid):
        world.ledger.market.withdraw_offer(world.actors.fsp, oid)


def test_withdrawal_by_someone_else_is_refused(world, offered):
    with reverts("MarketNotAssetOwner", account=world.actors.fsp2.address):
        world.ledger.market.withdraw_offer(world.actors.fsp2, offered[2])


def test_transition_by_someone_not_a_lifecycle_manager_is_refused(world, offered):
    _, _, oid = offered
    m, a = world.ledger.market, world.actors
    with reverts("MarketNotLifecycleManager", account=a.operator.address):
        m.c.transact("transition", oid, OfferStatus.OFFERED, OfferStatus.AWARDED, sender=a.operator)


def test_setting_a_lifecycle_manager_by_a_non_admin_is_refused(world, offered):
    a = world.actors
    with reverts("MarketNotAdmin", account=a.operator.address):
        world.ledger.market.set_lifecycle_manager(a.operator, a.operator.address)


def test_lifecycle_managers_drive_award_activation_settlement(world, offered):
    _, _, oid = offered
    m, a = world.ledger.market, world.actors
    assert m.set_lifecycle_manager(a.admin, a.operator.address).event("LifecycleManagerSet")["allowed"] is True
    for frm, to in [(OfferStatus.OFFERED, OfferStatus.AWARDED), (OfferStatus.AWARDED, OfferStatus.ACTIVATED),
                    (OfferStatus.ACTIVATED, OfferStatus.SETTLED)]:
        ev = m.c.transact("transition", oid, frm, to, sender=a.operator).event("OfferStatusChanged")
        assert (ev["from"], ev["to"], ev["by"]) == (frm, to, a.operator.address)
    assert m.offer_status(oid) == OfferStatus.SETTLED


@pytest.mark.parametrize("path,bad", [
    ([], (OfferStatus.OFFERED, OfferStatus.SETTLED)),
    ([], (OfferStatus.OFFERED, OfferStatus.ACTIVATED)),
    ([(OfferStatus.OFFERED, OfferStatus.AWARDED)], (OfferStatus.AWARDED, OfferStatus.OFFERED)),
    ([(OfferStatus.OFFERED, OfferStatus.AWARDED), (OfferStatus.AWARDED, OfferStatus.SETTLED)],
     (OfferStatus.SETTLED, OfferStatus.ACTIVATED)),
    ([(OfferStatus.OFFERED, OfferStatus.AWARDED)], (OfferStatus.OFFERED, OfferStatus.AWARDED)),
])
def test_illegal_lifecycle_transitions_are_refused(world, offered, path, bad):
    _, _, oid = offered
    m, a = world.ledger.market, world.actors
    m.set_lifecycle_manager(a.admin, a.operator.address)
    for frm, to in path:
        m.c.transact("transition", oid, frm, to, sender=a.operator)
    with reverts("MarketIllegalTransition", offerId=oid, to=bad[1]):
        m.c.transact("transition", oid, bad[0], bad[1], sender=a.operator)


def test_withdrawal_after_award_is_an_opt_out(world, offered):
    rid, cfg, oid = offered
    m, a = world.ledger.market, world.actors
    m.set_lifecycle_manager(a.admin, a.operator.address)
    to_gate(world, cfg)
    m.c.transact("transition", oid, OfferStatus.OFFERED, OfferStatus.AWARDED, sender=a.operator)
    res = m.withdraw_offer(a.fsp, oid)
    assert res.event("OfferOptedOut")["offerId"] == oid and m.offer_status(oid) == OfferStatus.OPTED_OUT
    with reverts("MarketIllegalTransition"):
        m.withdraw_offer(a.fsp, oid)


def test_rejection_by_another_zones_dso_is_refused(world, offered):
    _, _, oid = offered
    a = world.actors
    with reverts("MarketNotZoneDso", account=a.dso2.address):
        world.ledger.market.reject_offer(a.dso2, oid, "not my grid")


def test_zone_dso_rejects_an_offer(world, offered):
    _, _, oid = offered
    m, a = world.ledger.market, world.actors
    ev = m.reject_offer(a.dso, oid, "feeder overload risk").event("OfferRejected")
    assert (ev["dso"], ev["reason"]) == (a.dso.address, "feeder overload risk")
    assert m.offer_status(oid) == OfferStatus.REJECTED


def test_rejecting_a_rejected_offer_again_is_refused(world, offered):
    _, _, oid = offered
    m, a = world.ledger.market, world.actors
    m.reject_offer(a.dso, oid, "feeder overload risk")
    with reverts("MarketIllegalTransition", offerId=oid):
        m.reject_offer(a.dso, oid, "again")


def test_expiry_before_the_acceptance_deadline_is_refused(world, offered):
    rid, cfg, oid = offered
    m = world.ledger.market
    offer = m.offer(oid)[0]
    with reverts("MarketOfferNotExpired", offerId=oid, acceptBefore=offer.accept_before):
        m.expire_offer(world.actors.outsider, oid)


def test_expiry_before_the_rounds_confirm_deadline_is_refused(world, offered):
    # an offer expires only after its round's confirm deadline too (issue 9: no deadline griefing)
    rid, cfg, oid = offered
    m = world.ledger.market
    world.ledger.chain.advance_time(m.offer(oid)[0].accept_before - world.ledger.chain.now())
    with reverts("MarketOfferStillConfirmable", offerId=oid, confirmDeadline=cfg.confirm_deadline):
        m.expire_offer(world.actors.outsider, oid)


def _expire(world, cfg, oid):
    world.ledger.chain.advance_time(cfg.confirm_deadline - world.ledger.chain.now())
    return world.ledger.market.expire_offer(world.actors.outsider, oid)


def test_offer_expires_after_its_acceptance_and_confirm_deadlines(world, offered):
    rid, cfg, oid = offered
    assert cfg.confirm_deadline >= world.ledger.market.offer(oid)[0].accept_before
    assert _expire(world, cfg, oid).event("OfferStatusChanged")["to"] == OfferStatus.EXPIRED


def test_expiring_an_expired_offer_again_is_refused(world, offered):
    rid, cfg, oid = offered
    _expire(world, cfg, oid)
    with reverts("MarketIllegalTransition"):
        world.ledger.market.expire_offer(world.actors.outsider, oid)


def test_unknown_offer_is_refused(world, offered):
    rid, cfg, _ = offered
    with reverts("MarketUnknownOffer", offerId=42):
        world.ledger.market.c.transact("withdrawOffer", 42, make_offer(rid, cfg, world.asset).to_chain(),
                                       sender=world.actors.fsp)


def test_rejection_after_gate_closure_is_refused_so_the_clearing_set_stays_fixed(world, offered):
    rid, cfg, oid = offered
    to_gate(world, cfg)
    with reverts("MarketGateClosed", roundId=rid):
        world.ledger.market.reject_offer(world.actors.dso, oid, "too late")
