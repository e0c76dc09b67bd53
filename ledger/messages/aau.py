"""Import and export of the public AAU (Aalborg University / GOFLEX) FlexOffer JSON format.

Mapping (one FlexLedger slice per AAU profile constraint, which must have minDuration =
maxDuration = 1 interval):

| AAU field | FlexLedger |
|---|---|
| startAfterTime / startBeforeTime | earliest_start / latest_start (ISO-8601 UTC) |
| numSecondsPerInterval | the round's slot length (must match) |
| flexOfferProfileConstraints[i].energyConstraintList[0].lower/upper | slices[i].min_wh/max_wh (kWh → Wh) |
| totalEnergyConstraint.lower/upper | total_min_wh / total_max_wh (kWh → Wh) |
| defaultSchedule.energyAmounts[i] | slices[i].baseline_wh (kWh → Wh) |
| acceptBeforeTime / assignmentBeforeTime | accept_before / assign_before |
| flexLedger.{roundId, assetId, reservationPrice, activationPrice} | FlexLedger extension block |

Energies must be whole Wh (at most three decimals of kWh); anything else is refused with
a message naming the field, never rounded silently. Signs follow FlexLedger's direction
convention (positive = UP).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ledger.messages.flex_offer import FlexOffer, OfferInvalid, Slice


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ts(value: Any, field: str) -> int:
    try:
        return int(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        raise OfferInvalid(f"{field}: {value!r} is not an ISO-8601 UTC time like 2026-01-01T00:00:00Z") from None


def _wh(kwh: Any, field: str) -> int:
    d = Decimal(str(kwh)) * 1000
    if d != d.to_integral_value():
        raise OfferInvalid(f"{field}: {kwh} kWh is not a whole number of Wh")
    return int(d)


def _kwh(wh: int) -> float:
    return float(Decimal(wh) / 1000)


def to_aau(offer: FlexOffer, *, offer_id: int | None = None, slot_len: int = 900, offered_by: str = "",
           state: str = "Offered") -> dict[str, Any]:
    return {
        "id": offer_id,
        "offeredById": offered_by,
        "state": state,
        "acceptBeforeTime": _iso(offer.accept_before),
        "assignmentBeforeTime": _iso(offer.assign_before),
        "startAfterTime": _iso(offer.earliest_start),
        "startBeforeTime": _iso(offer.latest_start),
        "numSecondsPerInterval": slot_len,
        "flexOfferProfileConstraints": [
            {"minDuration": 1, "maxDuration": 1,
             "energyConstraintList": [{"lower": _kwh(s.min_wh), "upper": _kwh(s.max_wh)}]}
            for s in offer.slices
        ],
        "totalEnergyConstraint": {"lower": _kwh(offer.total_min_wh), "upper": _kwh(offer.total_max_wh)},
        "defaultSchedule": {"startTime": _iso(offer.earliest_start),
                            "energyAmounts": [_kwh(s.baseline_wh) for s in offer.slices]},
        "flexLedger": {"roundId": offer.round_id, "assetId": offer.asset_id,
                       "reservationPrice": offer.reservation_price, "activationPrice": offer.activation_price},
    }


def from_aau(doc: dict[str, Any], *, slot_len: int = 900) -> FlexOffer:
    """Parse an AAU FlexOffer document; raise OfferInvalid naming the offending field."""
    try:
        if int(doc["numSecondsPerInterval"]) != slot_len:
            raise OfferInvalid(f"numSecondsPerInterval: {doc['numSecondsPerInterval']} is not the round's {slot_len}")
        ext = doc["flexLedger"]
        profile = doc["flexOfferProfileConstraints"]
        baseline = doc.get("defaultSchedule", {}).get("energyAmounts") or [0] * len(profile)
        if len(baseline) != len(profile):
            raise OfferInvalid("defaultSchedule.energyAmounts: length differs from flexOfferProfileConstraints")
        slices = []
        for i, pc in enumerate(profile):
            if pc.get("minDuration", 1) != 1 or pc.get("maxDuration", 1) != 1:
                raise OfferInvalid(f"flexOfferProfileConstraints[{i}]: only one-interval slices are supported")
            ec = pc["energyConstraintList"]
            if len(ec) != 1:
                raise OfferInvalid(f"flexOfferProfileConstraints[{i}].energyConstraintList: exactly one entry expected")
            slices.append(Slice(min_wh=_wh(ec[0]["lower"], f"flexOfferProfileConstraints[{i}].lower"),
                                max_wh=_wh(ec[0]["upper"], f"flexOfferProfileConstraints[{i}].upper"),
                                baseline_wh=_wh(baseline[i], f"defaultSchedule.energyAmounts[{i}]")))
        total = doc["totalEnergyConstraint"]
        return FlexOffer(
            round_id=ext["roundId"], asset_id=ext["assetId"],
            earliest_start=_ts(doc["startAfterTime"], "startAfterTime"),
            latest_start=_ts(doc["startBeforeTime"], "startBeforeTime"),
            slices=tuple(slices),
            total_min_wh=_wh(total["lower"], "totalEnergyConstraint.lower"),
            total_max_wh=_wh(total["upper"], "totalEnergyConstraint.upper"),
            reservation_price=ext["reservationPrice"], activation_price=ext["activationPrice"],
            accept_before=_ts(doc["acceptBeforeTime"], "acceptBeforeTime"),
            assign_before=_ts(doc["assignmentBeforeTime"], "assignmentBeforeTime"),
        )
    except KeyError as exc:
        raise OfferInvalid(f"missing field {exc.args[0]!r}") from None
