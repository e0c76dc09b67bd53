"""Issue 10, attack 10 (lapsed parties still act): a suspended DSO rejected offers and suspended
assets in its zone, a suspended FSP confirmed awards and was paid, an FSP whose role was revoked
submitted offers, a suspended ADMIN kept its powers. Each refused by name, the honest path beside it.
(A suspended buyer activating / FSP opting in: tests/contracts/test_delivery_attacks.py.)
"""

from __future__ import annotations

import pytest

from domain.roles import Role
from tests.conftest import FSP_FUNDS
from tests.contracts.helpers import COLLATERAL, ESCROW, award_round, deliver
from tests.helpers import reverts
from tests.market_helpers import make_offer, open_round


def test_a_suspended_dso_cannot_reject_offers(world):
    m, a, reg = world.ledger.market, world.actors, world.ledger.registry
    rid, cfg = open_round(world)
    oid = m.submit_offer(a.fsp, make_offer(rid, cfg, world.asset))
    reg.suspend_participant(a.admin, a.dso.address, "licence under review")
    with reverts("MarketParticipantInactive", account=a.dso.address):
        m.reject_offer(a.dso, oid, "feeder congestion")
    reg.reinstate_participant(a.admin, a.dso.address)
    assert m.reject_offer(a.dso, oid, "feeder congestion").event("OfferRejected")["offerId"] == oid


@pytest.mark.parametrize("in_a_batch", [False, True], ids=["one_offer", "a_batch_of_offers"])
def test_an_fsp_whose_role_was_revoked_cannot_submit_offers(world, in_a_batch):
    m, a, reg = world.ledger.market, world.actors, world.ledger.registry
    rid, cfg = open_round(world)
    offer = make_offer(rid, cfg, world.asset)
    reg.revoke_role(a.admin, Role.FSP, a.fsp.address)  # still registered, still owns the asset
    with reverts("MarketNotFsp", account=a.fsp.address):
        if in_a_batch:
            m.submit_offers(a.fsp, [offer])
        else:
            m.submit_offer(a.fsp, offer, precheck=False)
    reg.grant_role(a.admin, Role.FSP, a.fsp.address)
    assert m.submit_offer(a.fsp, offer) > 0


def test_a_suspended_fsp_cannot_submit_offers(world):
    m, a, reg = world.ledger.market, world.actors, world.ledger.registry
    rid, cfg = open_round(world)
    reg.suspend_participant(a.admin, a.fsp.address, "licence lapsed")
    with reverts("MarketParticipantInactive", account=a.fsp.address):
        m.submit_offer(a.fsp, make_offer(rid, cfg, world.asset), precheck=False)


def test_a_suspended_fsp_cannot_confirm_an_award(world):
    x = award_round(world, confirm=False)
    a, reg, ch = world.actors, world.ledger.registry, world.ledger.clearing
    reg.suspend_participant(a.admin, a.fsp.address, "licence lapsed")
    with reverts("ClearingParticipantInactive", account=a.fsp.address):
        ch.confirm_award(a.fsp, x.award, x.tree.proof(x.award), x.offer)
    reg.reinstate_participant(a.admin, a.fsp.address)
    assert ch.confirm_award(a.fsp, x.award, x.tree.proof(x.award), x.offer).event("AwardConfirmed")


def _fsp_suspended_before_settlement(world):
    """A fully delivered award whose FSP is suspended, then settled: the buyer's side settles, the
    FSP's share (payment and collateral) is held. Returns the settle result."""
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    deliver(world, x, [500] * 4)
    world.ledger.registry.suspend_participant(a.admin, a.fsp.address, "licence lapsed")
    return s.settle(a.outsider, x.award, x.offer)


def test_a_suspended_fsps_payout_is_held_and_it_cannot_claim_it_while_suspended(world):
    s, a, tok = world.ledger.settlement, world.actors, world.ledger.token
    res = _fsp_suspended_before_settlement(world)
    assert res.event("PayoutHeld")["amount"] == ESCROW + COLLATERAL
    assert tok.balance(a.fsp.address) == FSP_FUNDS - COLLATERAL
    assert s.held_payout(a.fsp.address) == ESCROW + COLLATERAL
    with reverts("SettlementNotActive", account=a.fsp.address):
        s.claim_held_payout(a.fsp)


def test_a_reinstated_fsp_claims_its_held_payout_once_and_a_second_claim_is_refused(world):
    s, a, tok = world.ledger.settlement, world.actors, world.ledger.token
    _fsp_suspended_before_settlement(world)
    world.ledger.registry.reinstate_participant(a.admin, a.fsp.address)
    assert s.claim_held_payout(a.fsp).event("HeldPayoutClaimed")["amount"] == ESCROW + COLLATERAL
    assert tok.balance(a.fsp.address) == FSP_FUNDS + ESCROW and s.held_payout(a.fsp.address) == 0
    with reverts("SettlementNothingHeld", fsp=a.fsp.address):
        s.claim_held_payout(a.fsp)


def test_a_suspended_dso_cannot_suspend_assets_in_its_zone(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_participant(a.admin, a.dso.address, "licence under review")
    with reverts("RegistryParticipantSuspended", account=a.dso.address):
        reg.suspend_asset(a.dso, world.asset, "pretext")
    reg.reinstate_participant(a.admin, a.dso.address)
    assert reg.suspend_asset(a.dso, world.asset, "thermal limit").event("AssetSuspended")["by"] == a.dso.address


def _admin_suspended_by_a_second_governor(world):
    """A second ADMIN (the outsider's key) suspends the first: it keeps the role, not its powers."""
    a, reg = world.actors, world.ledger.registry
    reg.register_participant(a.admin, a.outsider.address, Role.ADMIN, "Second governor", "10X-GOV-2")
    reg.suspend_participant(a.outsider, a.admin.address, "key compromise suspected")


def test_a_suspended_admin_cannot_suspend_a_participant(world):
    a, reg = world.actors, world.ledger.registry
    _admin_suspended_by_a_second_governor(world)
    with reverts("RegistryParticipantSuspended", account=a.admin.address):
        reg.suspend_participant(a.admin, a.outsider.address, "retaliation")


def test_a_suspended_admin_cannot_grant_a_role_even_through_access_controls_grant_role(world):
    a, reg = world.actors, world.ledger.registry
    _admin_suspended_by_a_second_governor(world)
    with reverts("RegistryParticipantSuspended", account=a.admin.address):
        reg.grant_role(a.admin, Role.OPERATOR, a.fsp.address)  # AccessControl's grantRole too


def test_a_suspended_admin_cannot_suspend_an_asset_until_it_is_reinstated(world):
    a, reg = world.actors, world.ledger.registry
    _admin_suspended_by_a_second_governor(world)
    with reverts("RegistryParticipantSuspended", account=a.admin.address):
        reg.suspend_asset(a.admin, world.asset, "pretext")
    reg.reinstate_participant(a.outsider, a.admin.address)  # still ADMIN: no role to grant back
    assert reg.suspend_asset(a.admin, world.asset, "audit").event("AssetSuspended")["by"] == a.admin.address


def test_an_admin_cannot_suspend_itself_and_lock_governance_out(world):
    a = world.actors
    with reverts("RegistryCannotSuspendSelf", account=a.admin.address):
        world.ledger.registry.suspend_participant(a.admin, a.admin.address, "oops")
