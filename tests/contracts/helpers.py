"""Shared setup of the contract suites: the award used throughout settlement and delivery tests,
device-signed readings, and moving the chain's clock.

Hand calculation for the award (consumption asset, UP, 4 slices of 500 Wh, reservation 2,000 per
kW per slot = 8,000 per kWh, activation 150,000 per kWh, tolerance 10 %, penalty 200,000 per kWh
of shortfall):
    reservation  = 8,000 × 2,000 Wh / 1000 =  16,000
    activation   = 150,000 × 2,000 / 1000  = 300,000
    escrow       = 316,000 token units (0.316 EUR)
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.award import Award, AwardTree
from domain.eip712 import sign_digest
from ledger.messages import FlexOffer
from ledger.settlement import SignedReading
from tests.conftest import FSP_FUNDS
from tests.market_helpers import SLOT, make_offer, make_request, open_round

RESERVATION, ACTIVATION, ESCROW = 16_000, 300_000, 316_000
COLLATERAL = ESCROW // 2  # COLLATERAL_BPS = 5,000 of the award's value, locked from the FSP


@dataclass
class Awarded:
    rid: int
    cfg: object
    offer: FlexOffer
    award: Award
    tree: AwardTree

    def slot(self, i: int) -> int:
        return self.cfg.slot_start(i)


def award_round(world, *, buyer="dso", confirm=True, penalty=200_000) -> Awarded:
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world, penalty_per_kwh=penalty, tolerance_bps=1000, settlement_grace=3600)
    zone = 0 if buyer == "tso" else world.zone
    req_id = m.post_request(getattr(a, buyer), make_request(rid, zone, power_w=(2000,) * 4, max_price=400_000))
    offer = make_offer(rid, cfg, world.asset, up=500, baseline=1000, flex_slots=0)
    oid = m.submit_offer(a.fsp, offer)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    award = Award(rid, oid, req_id, 0, (500,) * 4, (500,) * 4, offer.reservation_price, offer.activation_price)
    tree = AwardTree([award])
    world.ledger.clearing.commit(a.operator, rid, tree, total_cost=tree.total_cost(SLOT), spec_hash=b"\1" * 32)
    world.ledger.chain.advance_time(cfg.challenge_window)
    if confirm:
        world.ledger.clearing.confirm_award(a.fsp, award, tree.proof(award), offer)
    # the offer's baseline is a forecast; the metering authority attests the one delivery is measured against
    world.ledger.settlement.attest_baselines(a.metering, world.asset, [cfg.slot_start(i) for i in range(4)], [1000] * 4)
    return Awarded(rid, cfg, offer, award, tree)


def sign(world, device, asset_id, slot_start, energy, seq) -> SignedReading:
    d = world.ledger.settlement.measurement_digest(asset_id, slot_start, energy, seq)
    return SignedReading(asset_id, slot_start, energy, seq, sign_digest(device, d))


def goto(world, t):
    now = world.ledger.chain.now()
    if t > now:
        world.ledger.chain.advance_time(t - now)


def deliver(world, x: Awarded, measured: list[int | None], seq0: int = 1):
    goto(world, x.slot(4))
    readings = [sign(world, world.actors.device, world.asset, x.slot(i), e, seq0 + i)
                for i, e in enumerate(measured) if e is not None]
    if readings:
        world.ledger.settlement.submit_readings(world.actors.outsider, readings)


def balances(world):
    """(the FSP's gain over its funds, the DSO's balance, what Settlement holds)."""
    t, a = world.ledger.token, world.actors
    return t.balance(a.fsp.address) - FSP_FUNDS, t.balance(a.dso.address), t.balance(world.ledger.settlement.address)
