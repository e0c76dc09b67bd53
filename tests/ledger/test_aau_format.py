"""AAU FlexOffer documents are read as AAU defines them: absolute energies around the default
schedule, mapped to FlexLedger's signed flexibility per the asset's kind, every field kept."""

from __future__ import annotations

import copy

import pytest

from domain.enums import AssetKind
from ledger.messages import OfferInvalid
from ledger.messages.aau import aau_time, from_aau, parse_aau, parse_time, to_aau, unwrap
from ledger.messages.flex_offer import FlexOffer, Slice
from ledger.messages.usef import flex_offer_to_uftp
from tests.market_helpers import open_round

KEPT = {"id": "17", "state": "Offered", "stateReason": "initial offer", "offeredById": "1023",
        "locationId": "TR-101"}


def goflex_doc(cfg) -> dict:
    """A document in the form of GOFLEX's published samples (wrapper, string ids, AAU timestamps,
    scheduleSlices), for a consumption asset; one slice spans two intervals."""
    return {"flexOffer": [{
        **KEPT, "creationTime": aau_time(cfg.gate_closure - 3600),
        "acceptBeforeTime": aau_time(cfg.gate_closure + 900),
        "assignmentBeforeTime": aau_time(cfg.gate_closure + 1800),
        "startAfterTime": aau_time(cfg.delivery_start), "startBeforeTime": aau_time(cfg.slot_start(2)),
        "numSecondsPerInterval": 900,
        "flexOfferProfileConstraints": [
            {"minDuration": 1, "maxDuration": 1, "energyConstraintList": [{"lower": 0.4, "upper": 1.5}]},
            {"minDuration": 2, "maxDuration": 2, "energyConstraintList": [{"lower": 1.0, "upper": 3.0}]},
            {"minDuration": 1, "maxDuration": 1, "energyConstraintList": [{"lower": 0.0, "upper": 0.8}]},
        ],
        "totalEnergyConstraint": {"lower": 2.0, "upper": 4.5},
        "defaultSchedule": {"startTime": aau_time(cfg.delivery_start), "scheduleSlices": [
            {"duration": 1, "energyAmount": 1.0}, {"duration": 2, "energyAmount": 2.4},
            {"duration": 1, "energyAmount": 0.8}]},
    }]}


# Hand-computed: consumption asset, flexibility = schedule - bound (UP = drawing less than scheduled)
#   interval 0: schedule 1.0 kWh in [0.4, 1.5] -> DOWN 1.0-1.5 = -500 Wh, UP 1.0-0.4 = +600 Wh
#   intervals 1-2: 2.4 kWh over 2 intervals = 1.2 each, bounds [1.0, 3.0] over 2 = [0.5, 1.5] each
#                  -> DOWN 1.2-1.5 = -300, UP 1.2-0.5 = +700
#   interval 3: schedule 0.8 in [0.0, 0.8] -> DOWN 0, UP +800
#   totals: schedule 4.2 kWh, total bounds [2.0, 4.5] -> flexibility [4.2-4.5, 4.2-2.0] = [-300, 2200]
EXPECTED = (Slice(min_wh=-500, max_wh=600, baseline_wh=1000), Slice(min_wh=-300, max_wh=700, baseline_wh=1200),
            Slice(min_wh=-300, max_wh=700, baseline_wh=1200), Slice(min_wh=0, max_wh=800, baseline_wh=800))


def read(doc, rid=1, asset=1, kind=AssetKind.CONSUMPTION):
    return parse_aau(doc, kind=kind, round_id=rid, asset_id=asset, reservation_price=1500, activation_price=120_000)


def test_goflex_sample_form_maps_absolute_bounds_to_flexibility_around_the_schedule(world):
    rid, cfg = open_round(world)
    imp = read(goflex_doc(cfg), rid, world.asset)
    assert imp.offer.slices == EXPECTED
    assert (imp.offer.total_min_wh, imp.offer.total_max_wh) == (-300, 2200)
    assert imp.offer.earliest_start == cfg.delivery_start and imp.offer.latest_start == cfg.slot_start(2)
    assert (imp.offer.round_id, imp.offer.asset_id, imp.offer.reservation_price) == (rid, world.asset, 1500)


def test_goflex_sample_goes_through_the_chain_and_exports_with_every_field_kept(world):
    rid, cfg = open_round(world)
    doc = goflex_doc(cfg)
    imp = read(copy.deepcopy(doc), rid, world.asset)
    oid = world.ledger.market.submit_offer(world.actors.fsp, imp.offer)
    ev = world.ledger.index.last("OfferSubmitted", offerId=oid)
    from_chain = FlexOffer.unpack(ev["roundId"], ev["data"])
    out = to_aau(from_chain, kind=AssetKind.CONSUMPTION, offer_id=oid, meta=imp.meta)
    src = unwrap(doc)[0]
    for key in (*KEPT, "creationTime"):
        assert out[key] == src[key], key
    for key in ("acceptBeforeTime", "assignmentBeforeTime", "startAfterTime", "startBeforeTime"):
        assert parse_time(out[key], key) == parse_time(src[key], key)
    # absolute energies back, one interval per slice (the two-interval slice spread evenly)
    assert [c["energyConstraintList"][0] for c in out["flexOfferProfileConstraints"]] == [
        {"lower": 0.4, "upper": 1.5}, {"lower": 0.5, "upper": 1.5}, {"lower": 0.5, "upper": 1.5},
        {"lower": 0, "upper": 0.8}]
    assert [s["energyAmount"] for s in out["defaultSchedule"]["scheduleSlices"]] == [1, 1.2, 1.2, 0.8]
    assert out["totalEnergyConstraint"] == {"lower": 2, "upper": 4.5}
    again = parse_aau({"flexOffer": out}, kind=AssetKind.CONSUMPTION)  # the flexLedger block completes it
    assert again.offer == imp.offer and again.meta == imp.meta


def test_production_asset_reads_aau_signs_as_production_negative():
    # AAU signs: negative = produced. Scheduled to produce 2.0 kWh, may produce 1.0..3.0 kWh:
    # UP (inject more) 1000 Wh, DOWN (inject less) 1000 Wh, baseline = 2000 Wh produced.
    doc = {"startAfterTime": "2026-11-22T16:00:00.000+0000", "startBeforeTime": "2026-11-22T16:00:00.000+0000",
           "acceptBeforeTime": "2026-11-22T14:00:00.000+0000", "assignmentBeforeTime": "2026-11-22T15:00:00Z",
           "flexOfferProfileConstraints": [{"energyConstraintList": [{"lowerBound": -3.0, "upperBound": -1.0}]}],
           "defaultSchedule": {"scheduleSlices": [{"energyAmount": -2.0}]}}
    offer = read(doc, kind=AssetKind.PRODUCTION).offer
    assert offer.slices == (Slice(min_wh=-1000, max_wh=1000, baseline_wh=2000),)
    assert offer.earliest_start == 1795363200  # 2026-11-22T16:00:00Z
    out = to_aau(offer, kind=AssetKind.PRODUCTION)
    assert out["flexOfferProfileConstraints"][0]["energyConstraintList"] == [{"lower": -3, "upper": -1}]
    assert out["defaultSchedule"]["scheduleSlices"] == [{"duration": 1, "energyAmount": -2}]


def first(d):
    return unwrap(d)[0]


@pytest.mark.parametrize("mutate,message", [
    (lambda d: first(d)["flexOfferProfileConstraints"][0]["energyConstraintList"][0].update(upper=1.5005),
     r"flexOfferProfileConstraints\[0\].energyConstraintList\[0\].upper: 1.5005 is not a whole number of Wh"),
    (lambda d: first(d)["flexOfferProfileConstraints"][1]["energyConstraintList"][0].update(upper=3.001),
     r"flexOfferProfileConstraints\[1\].energyConstraintList\[0\].upper: 3.001 is not a whole number of Wh over 2"),
    (lambda d: first(d)["flexOfferProfileConstraints"][1].update(maxDuration=3), "minDuration 2 != maxDuration 3"),
    (lambda d: first(d)["flexOfferProfileConstraints"][0]["energyConstraintList"].append({"lower": 0, "upper": 1}),
     r"\[0\].energyConstraintList: exactly one energy constraint"),
    (lambda d: first(d)["flexOfferProfileConstraints"][0].update(tariffConstraint={"minTariff": 0.03}),
     r"flexOfferProfileConstraints\[0\].tariffConstraint: cannot be mapped"),
    (lambda d: first(d)["defaultSchedule"]["scheduleSlices"][0].update(tariff=1), r"scheduleSlices\[0\].tariff"),
    (lambda d: first(d)["defaultSchedule"]["scheduleSlices"][0].update(energyAmount=1.6),
     "interval 0 is scheduled at 1.6 kWh, outside the slice's bounds"),
    (lambda d: first(d).pop("defaultSchedule"), "defaultSchedule: missing"),
    (lambda d: first(d)["defaultSchedule"]["scheduleSlices"].pop(), "cover 3 intervals, the profile 4"),
    (lambda d: first(d).update(numSecondsPerInterval=3600), "numSecondsPerInterval: 3600"),
    (lambda d: first(d).update(startAfterTime="tomorrow"), "startAfterTime: 'tomorrow'"),
    (lambda d: first(d).update(startAfterTime="2026-11-22T16:00:00"), "has no time zone"),
    (lambda d: first(d).update(endBeforeTime="2026-11-22T16:00:00Z"), "endBeforeTime: cannot be mapped"),
    (lambda d: first(d).update(unit="VAh"), "unit: 'VAh'"),
    (lambda d: first(d).update(assignment="optional"), "assignment: 'optional'"),
    (lambda d: d["flexOffer"].append(copy.deepcopy(first(d))), "2 offers in one document"),
])
def test_what_cannot_be_mapped_is_refused_naming_the_field(world, mutate, message):
    rid, cfg = open_round(world)
    doc = goflex_doc(cfg)
    mutate(doc)
    with pytest.raises(OfferInvalid, match=message):
        read(doc, rid, world.asset)


def test_the_round_must_come_from_the_caller_when_the_document_lacks_it(world):
    _, cfg = open_round(world)
    with pytest.raises(OfferInvalid, match="round: AAU has no round; give it on the command line"):
        parse_aau(goflex_doc(cfg), kind=AssetKind.CONSUMPTION, asset_id=1, reservation_price=1, activation_price=1)


def test_the_asset_kind_must_come_from_the_caller_when_the_document_lacks_it(world):
    rid, cfg = open_round(world)
    with pytest.raises(OfferInvalid, match="asset kind unknown"):
        from_aau(goflex_doc(cfg), round_id=rid, asset_id=1, reservation_price=1, activation_price=1)


def test_usef_view_of_an_offer_uses_uftp_names(world):
    rid, cfg = open_round(world)
    offer = read(goflex_doc(cfg), rid, world.asset).offer
    msg = flex_offer_to_uftp(offer, cfg, offer_id=7)
    assert msg["MessageType"] == "FlexOffer" and msg["ISP-Duration"] == "PT15M"
    assert msg["ISPs"][1] == {"Start": 2, "Duration": 1, "MinPower": -1200, "MaxPower": 2800}
