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
from tests.conftest import BUYER_FUNDS, FSP_FUNDS
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


@dataclass
class SplitAward:
    rid: int
    cfg: object
    offer: FlexOffer
    offer_id: int
    to_dso: Award
    to_tso: Award
    tree: AwardTree

    def slot(self, i: int) -> int:
        return self.cfg.slot_start(i)


def split_award_round(world, *, dso_w=1200, tso_w=800, dso_wh=300, tso_wh=200) -> SplitAward:
    """One offer of 500 Wh UP per slot (baseline 1,000 Wh, 4 slots) split into two awards: `dso_wh`
    per slot to the DSO's request for `dso_w` W and `tso_wh` to the TSO's for `tso_w` W; committed,
    past the challenge window, both confirmed by the FSP and activated for all 4 slots by their buyer.
    Penalty 200,000 per kWh, tolerance 10 %. No baseline attested, no reading."""
    m, a, s = world.ledger.market, world.actors, world.ledger.settlement
    rid, cfg = open_round(world, penalty_per_kwh=200_000, tolerance_bps=1000)
    dso_req = m.post_request(a.dso, make_request(rid, world.zone, power_w=(dso_w,) * 4, max_price=400_000))
    tso_req = m.post_request(a.tso, make_request(rid, 0, power_w=(tso_w,) * 4, max_price=400_000))
    offer = make_offer(rid, cfg, world.asset, up=500, baseline=1000, flex_slots=0)
    oid = m.submit_offer(a.fsp, offer)
    goto(world, cfg.gate_closure)
    to_dso = Award(rid, oid, dso_req, 0, (500,) * 4, (dso_wh,) * 4, offer.reservation_price, offer.activation_price)
    to_tso = Award(rid, oid, tso_req, 0, (500,) * 4, (tso_wh,) * 4, offer.reservation_price, offer.activation_price)
    tree = AwardTree([to_dso, to_tso])
    world.ledger.clearing.commit(a.operator, rid, tree, total_cost=tree.total_cost(SLOT), spec_hash=b"\1" * 32)
    goto(world, world.ledger.chain.now() + cfg.challenge_window)
    for aw, buyer in ((to_dso, a.dso), (to_tso, a.tso)):
        world.ledger.clearing.confirm_award(a.fsp, aw, tree.proof(aw), offer)
        s.activate(buyer, aw, 0, 4)
    return SplitAward(rid, cfg, offer, oid, to_dso, to_tso, tree)


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


# ---- the capacity-bidding event (docs/settlement.md's worked example) --------------------------
# A consumption asset whose baseline is metered (the mean of its own signed readings at the same
# times of day on the previous ten days: 1,900 and 2,100 Wh per 15 min on alternate days, 2,000 Wh).
# A 75-minute reduction event (5 slots) awards 1,000 Wh per slot (4 kW). Prices: reservation 2,000
# per kW·h (8,000 per kWh at 15 min), activation 150,000 per kWh; no round penalty (the default
# rate, the activation price, applies); tolerance 10 %.
#     value V = (8,000 + 150,000) × 5 kWh = 790,000; reservation 40,000; activation 750,000
#     collateral = 50 % of V = 395,000

EVENT_SLOTS, EVENT_DAYS = 5, 10
EVENT_VALUE, EVENT_COLLATERAL = 790_000, 395_000


def event_history_wh(d: int) -> int:
    """The asset's Wh per event slot on the day `d` days before the event (mean over ten days 2,000)."""
    return 1900 if d % 2 else 2100


#: (case, measured Wh per event slot, delivered Wh credited, paid to the FSP, refunded to the buyer, penalty)
EVENT_CASES = [
    # 2,000 − 800 = 1,200 Wh shed per slot, credited up to the 1,000 awarded
    ("above the award", 800, 5000, EVENT_VALUE, 0, 0),
    # 920 Wh per slot = 92 % ≥ 90 %: paid as awarded
    ("within the band", 1080, 4600, EVENT_VALUE, 0, 0),
    # 500 Wh per slot = 50 %: activation 150,000 × 2.5 = 375,000; penalty 150,000 × 2.5 = 375,000;
    # gross 40,000 + 375,000 = 415,000 − 375,000 → FSP 40,000; buyer 790,000 − 40,000 = 750,000 back
    ("below the award", 1500, 2500, 40_000, 750_000, 375_000),
]


@dataclass
class Event:
    rid: int
    cfg: object
    request_id: int
    offer: FlexOffer
    offer_id: int

    def slot(self, i: int) -> int:
        return self.cfg.slot_start(i)


def open_event(world) -> Event:
    """The round, the DSO's 75-min request for 4 kW and the asset's offer of 1,000 Wh per slot."""
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world, penalty_per_kwh=0, tolerance_bps=1000, settlement_grace=3600)
    req = m.post_request(a.dso, make_request(rid, world.zone, power_w=(4000,) * EVENT_SLOTS, max_price=400_000))
    offer = make_offer(rid, cfg, world.asset, n=EVENT_SLOTS, up=1000, baseline=2000, flex_slots=0)
    return Event(rid, cfg, req, offer, m.submit_offer(a.fsp, offer))


def award_event(world, ev: Event) -> Award:
    """Clear the event (one award of the whole offer), confirm it, the DSO activates every slot and
    the FSP opts in. The history must be on the ledger: checks the metered baseline is 2,000 Wh."""
    s, a = world.ledger.settlement, world.actors
    assert [s.baseline_at(world.asset, ev.slot(i)) for i in range(EVENT_SLOTS)] == [(True, 2000, False)] * EVENT_SLOTS
    goto(world, ev.cfg.gate_closure)
    award = Award(ev.rid, ev.offer_id, ev.request_id, 0, (1000,) * EVENT_SLOTS, (1000,) * EVENT_SLOTS,
                  ev.offer.reservation_price, ev.offer.activation_price)
    tree = AwardTree([award])
    world.ledger.clearing.commit(a.operator, ev.rid, tree, total_cost=tree.total_cost(SLOT), spec_hash=b"\1" * 32)
    goto(world, world.ledger.chain.now() + ev.cfg.challenge_window)
    world.ledger.clearing.confirm_award(a.fsp, award, tree.proof(award), ev.offer)
    s.activate(a.dso, award, 0, EVENT_SLOTS)
    s.opt_in(a.fsp, award)
    return award


def assert_event_paid(world, res, delivered: int, paid: int, refund: int, penalty: int) -> None:
    """The settlement of the event paid what docs/settlement.md's formula says, to the token unit."""
    ev, col = res.event("Settled"), res.event("CollateralReleased")
    assert (ev["deliveredWh"], ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (delivered, paid, refund,
                                                                                          penalty)
    assert (col["returnedToFsp"], col["forfeitedToBuyer"]) == (EVENT_COLLATERAL, 0)
    assert balances(world) == (paid, BUYER_FUNDS - EVENT_VALUE + refund, 0)
