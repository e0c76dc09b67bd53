"""AAU FlexOffer JSON: import → chain → export gives back the same document."""

from __future__ import annotations

import copy

import pytest

from ledger.messages import OfferInvalid
from ledger.messages.aau import from_aau, to_aau
from ledger.messages.flex_offer import FlexOffer
from ledger.messages.usef import flex_offer_to_uftp
from tests.market_helpers import open_round


def aau_doc(rid, cfg, asset_id):
    iso = lambda t: __import__("datetime").datetime.fromtimestamp(t, __import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": None, "offeredById": "", "state": "Offered",
        "acceptBeforeTime": iso(cfg.gate_closure + 900), "assignmentBeforeTime": iso(cfg.gate_closure + 1800),
        "startAfterTime": iso(cfg.delivery_start), "startBeforeTime": iso(cfg.slot_start(2)),
        "numSecondsPerInterval": 900,
        "flexOfferProfileConstraints": [
            {"minDuration": 1, "maxDuration": 1, "energyConstraintList": [{"lower": lo, "upper": hi}]}
            for lo, hi in [(0.0, 0.5), (-0.25, 1.25), (0.1, 2.5)]],
        "totalEnergyConstraint": {"lower": 0.1, "upper": 3.5},
        "defaultSchedule": {"startTime": iso(cfg.delivery_start), "energyAmounts": [1.0, 1.2, 0.75]},
        "flexLedger": {"roundId": rid, "assetId": asset_id, "reservationPrice": 1500, "activationPrice": 120000},
    }


def test_aau_document_round_trips_through_the_chain_unchanged(world):
    rid, cfg = open_round(world)
    doc = aau_doc(rid, cfg, world.asset)
    offer = from_aau(copy.deepcopy(doc))
    oid = world.ledger.market.submit_offer(world.actors.fsp, offer)
    ev = world.ledger.index.last("OfferSubmitted", offerId=oid)
    from_chain = FlexOffer.unpack(ev["roundId"], ev["data"])
    assert to_aau(from_chain) == doc
    assert offer.slices[1].min_wh == -250 and offer.total_max_wh == 3500


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d["flexOfferProfileConstraints"][0]["energyConstraintList"][0].update(upper=0.0005),
     r"flexOfferProfileConstraints\[0\].upper: 0.0005 kWh is not a whole number of Wh"),
    (lambda d: d.update(numSecondsPerInterval=3600), "numSecondsPerInterval"),
    (lambda d: d.update(startAfterTime="tomorrow"), "startAfterTime"),
    (lambda d: d.pop("totalEnergyConstraint"), "missing field 'totalEnergyConstraint'"),
    (lambda d: d["flexOfferProfileConstraints"][1].update(maxDuration=2), "one-interval slices"),
])
def test_malformed_aau_documents_are_refused_naming_the_field(world, mutate, message):
    rid, cfg = open_round(world)
    doc = aau_doc(rid, cfg, world.asset)
    mutate(doc)
    with pytest.raises(OfferInvalid, match=message):
        from_aau(doc)


def test_usef_view_of_an_offer_uses_uftp_names(world):
    rid, cfg = open_round(world)
    offer = from_aau(aau_doc(rid, cfg, world.asset))
    msg = flex_offer_to_uftp(offer, cfg, offer_id=7)
    assert msg["MessageType"] == "FlexOffer" and msg["ISP-Duration"] == "PT15M"
    assert msg["ISPs"][1] == {"Start": 2, "Duration": 1, "MinPower": -1000, "MaxPower": 5000}
