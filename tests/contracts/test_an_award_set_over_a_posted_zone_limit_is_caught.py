"""Issue 12: a fraud proof for awards that break a DSO's posted zone limit.

The zone's DSO posts, per round slot, an UP and a DOWN limit (Wh) for all awards in its zone
(GridInputs.postZoneLimits). Each direction binds on its own (awards are options each buyer activates
independently). `challengeZoneLimit` takes distinct leaves proven against the committed root, the
stored offer of each (its asset in the zone as of gate closure) and the posting in force (re-hashed
against `zoneLimitsHash`), sums the portions per slot and direction, and rejects the round
(Fault.ZONE_LIMIT_EXCEEDED) when a sum is above the limit; the bond is split 25/75 as for every proof.

The round: one 500 Wh/slice offer of the zone's asset, awarded 200 Wh at slot 0 to the DSO's need
and 200 Wh to the TSO's system-wide need (400 Wh UP in the zone at slot 0)."""

from __future__ import annotations

from dataclasses import dataclass


from domain.award import Award, AwardTree
from domain.enums import AssetKind, Fault
from ledger.messages import FlexOffer
from tests.contracts.clearing_setup import BOND, CHALLENGER_SHARE, commit
from tests.helpers import reverts
from tests.market_helpers import make_offer, make_request, open_round

DOWN = [1000] * 8


@dataclass
class ZoneRound:
    rid: int
    offers: dict[int, FlexOffer]
    awards: list[Award]
    tree: AwardTree
    up: list[int]


def _round(world, up_limit: int, *, extra_offer_asset: int | None = None) -> ZoneRound:
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    up = [up_limit] + [1000] * 7
    world.ledger.grid.post_zone_limits(a.dso, rid, world.zone, up, DOWN)
    dso_req = m.post_request(a.dso, make_request(rid, world.zone, power_w=(2000,) * 4, max_price=400_000))
    tso_req = m.post_request(a.tso, make_request(rid, 0, power_w=(4000,) * 8, max_price=1_000_000))
    offer = make_offer(rid, cfg, world.asset, up=500, total_min_wh=0, total_max_wh=2000)
    oid = m.submit_offer(a.fsp, offer)
    offers = {oid: offer}
    sched = (400, 0, 0, 0)
    awards = [Award(rid, oid, q, 0, sched, (200, 0, 0, 0), offer.reservation_price, offer.activation_price)
              for q in (dso_req, tso_req)]
    if extra_offer_asset is not None:
        other = make_offer(rid, cfg, extra_offer_asset, up=500, total_min_wh=0, total_max_wh=2000)
        other_id = m.submit_offer(a.fsp, other)
        offers[other_id] = other
        awards.append(Award(rid, other_id, tso_req, 0, (100, 0, 0, 0), (100, 0, 0, 0), other.reservation_price,
                            other.activation_price))
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    return ZoneRound(rid, offers, awards, commit(world, awards), up)


def _prove(world, z: ZoneRound, awards=None, *, zone=None, up=None):
    return world.ledger.clearing.challenge_zone_limit(
        world.actors.auditor, z.tree, z.awards if awards is None else awards, z.offers,
        world.zone if zone is None else zone, world.actors.dso.address, z.up if up is None else up, DOWN)


def test_awards_together_above_the_zones_up_limit_reject_the_round_and_pay_the_challenger(world):
    z = _round(world, up_limit=300)
    chain, who = world.ledger.chain, world.actors.auditor.address
    before = chain.get_balance(who)
    res = _prove(world, z)
    fees = sum(r.receipt["gasUsed"] * r.receipt["effectiveGasPrice"]
               for r in (res, *world.ledger.clearing.last_commit_txs))
    ev = res.event("RoundRejected")
    assert ev["fault"] == Fault.ZONE_LIMIT_EXCEEDED and ev["bondSlashed"] == BOND and ev["challenger"] == who
    assert res.event("BondSplit")["challengerShare"] == CHALLENGER_SHARE
    assert world.ledger.clearing.slashed_funds() == BOND - CHALLENGER_SHARE
    assert chain.get_balance(who) == before - fees + CHALLENGER_SHARE


def test_an_honest_round_within_the_zone_limits_is_no_fault(world):
    z = _round(world, up_limit=400)
    with reverts("ClearingNoFault", roundId=z.rid):
        _prove(world, z)


def test_one_award_alone_within_the_limit_is_no_fault(world):
    z = _round(world, up_limit=300)
    with reverts("ClearingNoFault", roundId=z.rid):
        _prove(world, z, z.awards[:1])


def test_limits_other_than_the_posted_ones_are_refused(world):
    z = _round(world, up_limit=300)
    with reverts("ClearingZoneLimitsMismatch", roundId=z.rid, zoneId=world.zone):
        _prove(world, z, up=[100] * 8)


def test_a_zone_without_a_posting_is_refused(world):
    z = _round(world, up_limit=300)
    with reverts("ClearingZoneLimitsMismatch", roundId=z.rid, zoneId=world.zone2):
        _prove(world, z, zone=world.zone2)


def test_an_award_of_an_asset_in_another_zone_is_refused(world):
    a, reg = world.actors, world.ledger.registry
    south = reg.register_asset(a.fsp, world.zone2, "S-1", AssetKind.CONSUMPTION, 10_000, 8_000, "MTR-S-01",
                               a.device.address)
    reg.grid_prequalify(a.dso2, south)
    reg.prequalify_for(a.tso, south)
    z = _round(world, up_limit=300, extra_offer_asset=south)
    ordered = sorted(z.awards, key=lambda x: x.leaf)
    with reverts("ClearingNotSameZone", index=ordered.index(z.awards[2])):
        _prove(world, z)


def test_a_misstated_offer_is_refused(world):
    z = _round(world, up_limit=300)
    oid = z.awards[0].offer_id
    z.offers[oid] = z.offers[oid].model_copy(update={"activation_price": 1})
    with reverts("ClearingOfferMismatch", offerId=oid):
        _prove(world, z)


def test_the_same_leaf_twice_does_not_count_double(world):
    z = _round(world, up_limit=300)
    aw = z.awards[0]
    offer = z.offers[aw.offer_id].to_chain()
    with reverts("ClearingLeavesNotDistinct", index=1):
        world.ledger.clearing._challenge(
            world.actors.auditor, "challengeZoneLimit", [aw.to_chain()] * 2, [z.tree.proof(aw)] * 2, [offer] * 2,
            world.zone, world.actors.dso.address, *(bytes.fromhex("".join(f"{v:08x}" for v in x)) for x in (z.up, DOWN)))
