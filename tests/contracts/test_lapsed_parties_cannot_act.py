"""Issue 10, attack 10 (lapsed parties still act): a suspended DSO rejected offers and suspended
assets in its zone, a suspended FSP confirmed awards and was paid, an FSP whose role was revoked
submitted offers, a suspended ADMIN kept its powers. Each refused by name, the honest path beside it.
(A suspended buyer activating / FSP opting in: tests/contracts/test_delivery_attacks.py.)
"""

from __future__ import annotations

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


def test_an_fsp_whose_role_was_revoked_cannot_submit_offers(world):
    m, a, reg = world.ledger.market, world.actors, world.ledger.registry
    rid, cfg = open_round(world)
    offer = make_offer(rid, cfg, world.asset)
    reg.revoke_role(a.admin, Role.FSP, a.fsp.address)  # still registered, still owns the asset
    with reverts("MarketNotFsp", account=a.fsp.address):
        m.submit_offer(a.fsp, offer, precheck=False)
    with reverts("MarketNotFsp", account=a.fsp.address):
        m.submit_offers(a.fsp, [offer])
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


def test_a_suspended_fsps_payout_is_held_until_it_is_reinstated(world):
    x = award_round(world)
    s, a, reg, tok = world.ledger.settlement, world.actors, world.ledger.registry, world.ledger.token
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    deliver(world, x, [500] * 4)
    reg.suspend_participant(a.admin, a.fsp.address, "licence lapsed")
    res = s.settle(a.outsider, x.award, x.offer)  # the buyer's side settles; the FSP's share waits
    assert res.event("PayoutHeld")["amount"] == ESCROW + COLLATERAL
    assert tok.balance(a.fsp.address) == FSP_FUNDS - COLLATERAL
    assert s.held_payout(a.fsp.address) == ESCROW + COLLATERAL
    with reverts("SettlementNotActive", account=a.fsp.address):
        s.claim_held_payout(a.fsp)
    reg.reinstate_participant(a.admin, a.fsp.address)
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


def test_a_suspended_admin_keeps_the_role_but_loses_its_powers(world):
    a, reg = world.actors, world.ledger.registry
    reg.register_participant(a.admin, a.outsider.address, Role.ADMIN, "Second governor", "10X-GOV-2")
    reg.suspend_participant(a.outsider, a.admin.address, "key compromise suspected")
    with reverts("RegistryParticipantSuspended", account=a.admin.address):
        reg.suspend_participant(a.admin, a.outsider.address, "retaliation")
    with reverts("RegistryParticipantSuspended", account=a.admin.address):
        reg.grant_role(a.admin, Role.OPERATOR, a.fsp.address)  # AccessControl's grantRole too
    with reverts("RegistryParticipantSuspended", account=a.admin.address):
        reg.suspend_asset(a.admin, world.asset, "pretext")
    reg.reinstate_participant(a.outsider, a.admin.address)
    assert reg.suspend_asset(a.admin, world.asset, "audit").event("AssetSuspended")["by"] == a.admin.address


def test_an_admin_cannot_suspend_itself_and_lock_governance_out(world):
    a = world.actors
    with reverts("RegistryCannotSuspendSelf", account=a.admin.address):
        world.ledger.registry.suspend_participant(a.admin, a.admin.address, "oops")
