"""Issue 10, attack 8 (products ignored): an activation-only request still paid a reservation, and
product prequalification was stored but never consulted. Now the request's product bits decide
which prices are escrowed and paid (Products.RESERVATION, Products.ACTIVATION), the asset needs the
buyer's product prequalification ("capacity" for the reservation, "energy" for the activation) to
confirm an award, and some product prequalification to offer at all (rule R5b of OfferRules).

Award as in tests/contracts/helpers.py: 4 × 500 Wh, reservation 2,000 per kW·h (16,000),
activation 150,000 per kWh (300,000); collateral = 50 % of what the product escrows.
"""

from __future__ import annotations

from domain.award import Award, AwardTree
from domain.enums import Product
from domain.products import CAPACITY, ENERGY
from ledger.registry import b32
from tests.contracts.helpers import ACTIVATION, RESERVATION, balances, goto, sign
from tests.conftest import BUYER_FUNDS
from tests.helpers import reverts
from tests.market_helpers import SLOT, make_offer, make_request, open_round


def award_for(world, product: Product, *, confirm: bool = True):
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world, tolerance_bps=1000, settlement_grace=3600)
    req = make_request(rid, world.zone, power_w=(2000,) * 4, max_price=400_000).model_copy(update={"product": product})
    req_id = m.post_request(a.dso, req)
    offer = make_offer(rid, cfg, world.asset, up=500, baseline=1000, flex_slots=0)
    oid = m.submit_offer(a.fsp, offer)
    goto(world, cfg.gate_closure)
    award = Award(rid, oid, req_id, 0, (500,) * 4, (500,) * 4, offer.reservation_price, offer.activation_price)
    tree = AwardTree([award])
    world.ledger.clearing.commit(a.operator, rid, tree, total_cost=tree.total_cost(SLOT), spec_hash=b"\1" * 32)
    goto(world, world.ledger.chain.now() + cfg.challenge_window)
    if confirm:
        world.ledger.clearing.confirm_award(a.fsp, award, tree.proof(award), offer)
    world.ledger.settlement.attest_baselines(a.metering, world.asset, [cfg.slot_start(i) for i in range(4)], [1000] * 4)
    return cfg, offer, award, tree


def deliver_fully(world, cfg, award, offer):
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, award, 0, 4)
    s.opt_in(a.fsp, award)
    goto(world, cfg.slot_start(4))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, cfg.slot_start(i), 500, i + 1) for i in range(4)])
    return s.settle(a.outsider, award, offer).event("Settled")


def test_an_activation_only_request_pays_no_reservation(world):
    cfg, offer, award, _ = award_for(world, Product.ACTIVATION)
    esc = world.ledger.index.last("EscrowLocked")
    assert (esc["reservationValue"], esc["activationValue"]) == (0, ACTIVATION)
    ev = deliver_fully(world, cfg, award, offer)
    assert (ev["paidToFsp"], ev["refundedToBuyer"]) == (ACTIVATION, 0)  # not 316,000
    assert balances(world) == (ACTIVATION, BUYER_FUNDS - ACTIVATION, 0)


def test_a_capacity_only_request_pays_no_activation(world):
    cfg, offer, award, _ = award_for(world, Product.RESERVATION)
    esc = world.ledger.index.last("EscrowLocked")
    assert (esc["reservationValue"], esc["activationValue"]) == (RESERVATION, 0)
    ev = deliver_fully(world, cfg, award, offer)
    assert (ev["paidToFsp"], ev["deliveredWh"]) == (RESERVATION, 2000)
    assert balances(world) == (RESERVATION, BUYER_FUNDS - RESERVATION, 0)


def test_a_request_for_both_pays_both(world):  # the honest path beside the two above
    cfg, offer, award, _ = award_for(world, Product.BOTH)
    assert deliver_fully(world, cfg, award, offer)["paidToFsp"] == RESERVATION + ACTIVATION


def test_an_award_cannot_be_confirmed_without_the_buyers_product_prequalification(world):
    a, reg = world.actors, world.ledger.registry
    cfg, offer, award, tree = award_for(world, Product.BOTH, confirm=False)
    reg.revoke_product_prequalification(a.dso, world.asset, ENERGY)  # the DSO's energy product lapses
    with reverts("SettlementNotProductPrequalified", assetId=world.asset, buyer=a.dso.address, product=b32(ENERGY)):
        world.ledger.clearing.confirm_award(a.fsp, award, tree.proof(award), offer)
    reg.product_prequalify(a.dso, world.asset, ENERGY)  # prequalified again: the same award confirms
    assert world.ledger.clearing.confirm_award(a.fsp, award, tree.proof(award), offer).event("AwardConfirmed")


def test_a_capacity_only_award_needs_only_the_capacity_prequalification(world):
    a, reg = world.actors, world.ledger.registry
    cfg, offer, award, tree = award_for(world, Product.RESERVATION, confirm=False)
    reg.revoke_product_prequalification(a.dso, world.asset, ENERGY)
    world.ledger.clearing.confirm_award(a.fsp, award, tree.proof(award), offer)
    assert reg.is_product_prequalified(world.asset, a.dso.address, CAPACITY)


def test_an_asset_with_no_product_prequalification_cannot_offer(world):
    m, a, reg = world.ledger.market, world.actors, world.ledger.registry
    rid, cfg = open_round(world)
    offer = make_offer(rid, cfg, world.asset)
    for buyer in (a.dso, a.tso):
        for key in (CAPACITY, ENERGY):
            reg.revoke_product_prequalification(buyer, world.asset, key)
    assert not reg.asset(world.asset).product_prequalified
    with reverts("MarketAssetNotProductPrequalified", assetId=world.asset):
        m.submit_offer(a.fsp, offer, precheck=False)
    reg.product_prequalify(a.tso, world.asset, CAPACITY)  # one product of one buyer is enough to offer
    assert m.submit_offer(a.fsp, offer, precheck=False) > 0
