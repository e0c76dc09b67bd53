"""Import and export of the AAU (Aalborg University / GOFLEX) FlexOffer JSON format, read as AAU
defines it.

AAU energies are ABSOLUTE energies per interval in AAU's signed convention (GOFLEX: positive =
energy consumed by the prosumer, negative = energy it produces); the default schedule lies within
each slice's bounds. FlexLedger stores signed flexibility RELATIVE to the baseline (positive = UP =
more injection or less consumption) and a baseline that is the asset's metered energy in its own
kind (consumption for a CONSUMPTION asset, production for a PRODUCTION asset). With `e` an AAU
energy and `b` the default schedule of the same interval (both signed, Wh):

| FlexLedger | from AAU |
|---|---|
| slices[i].min_wh (most DOWN) | b - upper (consuming more than the schedule is DOWN) |
| slices[i].max_wh (most UP) | b - lower |
| slices[i].baseline_wh | b for a CONSUMPTION asset, -b for a PRODUCTION asset |
| total_min_wh / total_max_wh | sum(b) - totalEnergyConstraint.upper / sum(b) - .lower (else the slices' sums) |
| earliest_start / latest_start | startAfterTime / startBeforeTime |
| accept_before / assign_before | acceptBeforeTime / assignmentBeforeTime |
| round, asset, prices | the caller (command line or profile), else a `flexLedger` extension block |

So a consumption asset scheduled at 1.0 kWh with bounds [0.4, 1.5] kWh offers 600 Wh UP (draw
0.4) and 500 Wh DOWN (draw 1.5): the slice [-500, 600], baseline 1000. A production asset
scheduled at -2.0 kWh (producing 2) with bounds [-3.0, -1.0] offers [-1000, 1000], baseline 2000.

Slices spanning several intervals (minDuration = maxDuration = d > 1) become d one-interval slices
with the slice's energy spread evenly (constant power over the slice, as AAU reads it); a
schedule slice of duration d likewise. Anything that cannot be mapped exactly is refused with
`OfferInvalid` naming the field — never dropped or rounded: a variable duration, several energy
constraints in one slice, tariffs or prices (FlexLedger's prices come from the caller), units
other than energy, a schedule outside the bounds, energies that are not whole Wh per interval,
and any field this module does not know. The descriptive fields `id`, `offeredById`,
`locationId`, `creationTime`, `state` (and `stateReason`, `internalId`, `flexOfferType`) are kept
in `AauImport.meta` and written back by `to_aau`. Timestamps are read in AAU's pattern
(`2026-11-22T16:00:00.000+0000`) or ISO-8601 with `Z` / `+00:00`, and written in AAU's pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.enums import AssetKind
from ledger.messages.flex_offer import FlexOffer, OfferInvalid, Slice

__all__ = ["AauImport", "from_aau", "parse_aau", "to_aau", "unwrap", "aau_time", "parse_time"]

KEPT = ("id", "offeredById", "locationId", "creationTime", "state", "stateReason", "internalId", "flexOfferType")
MAPPED = ("acceptBeforeTime", "assignmentBeforeTime", "startAfterTime", "startBeforeTime", "numSecondsPerInterval",
          "flexOfferProfileConstraints", "totalEnergyConstraint", "defaultSchedule", "flexLedger", "unit",
          "multiplier", "flexOfferProfilType", "flexOfferProfileType", "assignment")
MULTIPLIERS = {"k": 1000, "1": 1, "": 1, "M": 1_000_000}
_TZ = re.compile(r"([+-])(\d{2})(\d{2})$")


@dataclass(frozen=True)
class AauImport:
    """An AAU document read: the FlexLedger offer and the AAU fields kept for export."""

    offer: FlexOffer
    meta: dict[str, Any] = field(default_factory=dict)


# ---- time ------------------------------------------------------------------------------------------
def aau_time(ts: int) -> str:
    """Unix seconds in AAU's timestamp pattern, e.g. 2026-11-22T16:00:00.000+0000."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_time(value: Any, where: str) -> int:
    """AAU's `...000+0000`, or ISO-8601 with Z / +hh:mm; a zone is required, whole seconds only."""
    text = str(value).strip()
    iso = _TZ.sub(r"\1\2:\3", text[:-1] + "+00:00" if text.endswith("Z") else text)
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        raise OfferInvalid(f"{where}: {value!r} is not a timestamp like 2026-11-22T16:00:00.000+0000") from None
    if dt.tzinfo is None:
        raise OfferInvalid(f"{where}: {value!r} has no time zone (AAU writes +0000)")
    if dt.microsecond:
        raise OfferInvalid(f"{where}: {value!r} is not a whole second")
    return int(dt.timestamp())


# ---- energy ----------------------------------------------------------------------------------------
def _wh(amount: Any, where: str, scale: int, parts: int = 1) -> int:
    """`amount` (in the document's unit) as whole Wh, divided over `parts` intervals exactly."""
    try:
        d = Decimal(str(amount)) * scale
    except (InvalidOperation, ValueError):
        raise OfferInvalid(f"{where}: {amount!r} is not a number") from None
    if isinstance(amount, bool) or not d.is_finite():
        raise OfferInvalid(f"{where}: {amount!r} is not a number")
    if d % parts or (d / parts) != (d / parts).to_integral_value():
        per = "" if parts == 1 else f" over {parts} intervals"
        raise OfferInvalid(f"{where}: {amount} is not a whole number of Wh{per} (never rounded)")
    return int(d / parts)


def _kwh(wh: int) -> float | int:
    v = Decimal(wh) / 1000
    return int(v) if v == v.to_integral_value() else float(v)


# ---- import ----------------------------------------------------------------------------------------
def unwrap(doc: Any) -> list[dict[str, Any]]:
    """The offers of an AAU document: `{"flexOffer": [...]}`, `{"flexOffer": {...}}`, a list or one offer."""
    if isinstance(doc, dict) and "flexOffer" in doc:
        extra = set(doc) - {"flexOffer"}
        if extra:
            raise OfferInvalid(f"{sorted(extra)[0]}: unknown field beside flexOffer (not mapped)")
        doc = doc["flexOffer"]
    items = doc if isinstance(doc, list) else [doc]
    if not items or not all(isinstance(d, dict) for d in items):
        raise OfferInvalid("flexOffer: expected an AAU FlexOffer object or a list of them")
    return items


def _expand_profile(profile: Any, scale: int) -> list[tuple[int, int]]:
    if not isinstance(profile, list) or not profile:
        raise OfferInvalid("flexOfferProfileConstraints: expected a non-empty list of slices")
    out = []
    for i, pc in enumerate(profile):
        where = f"flexOfferProfileConstraints[{i}]"
        if not isinstance(pc, dict):
            raise OfferInvalid(f"{where}: expected an object")
        for key in pc:
            if key not in ("minDuration", "maxDuration", "energyConstraintList"):
                raise OfferInvalid(f"{where}.{key}: cannot be mapped to a FlexLedger slice (refused, not dropped)")
        lo_d, hi_d = pc.get("minDuration", 1), pc.get("maxDuration", pc.get("minDuration", 1))
        if lo_d != hi_d:
            raise OfferInvalid(f"{where}: minDuration {lo_d} != maxDuration {hi_d}; FlexLedger slices have a "
                               "fixed length (one interval each)")
        if not isinstance(lo_d, int) or lo_d < 1:
            raise OfferInvalid(f"{where}.minDuration: {lo_d!r} is not a positive number of intervals")
        ec = pc.get("energyConstraintList")
        if not isinstance(ec, list) or len(ec) != 1 or not isinstance(ec[0], dict):
            raise OfferInvalid(f"{where}.energyConstraintList: exactly one energy constraint per slice can be mapped")
        c = ec[0]
        lo_key = "lower" if "lower" in c else "lowerBound"
        hi_key = "upper" if "upper" in c else "upperBound"
        if lo_key not in c or hi_key not in c or set(c) - {lo_key, hi_key}:
            raise OfferInvalid(f"{where}.energyConstraintList[0]: expected exactly lower and upper")
        lo = _wh(c[lo_key], f"{where}.energyConstraintList[0].{lo_key}", scale, lo_d)
        hi = _wh(c[hi_key], f"{where}.energyConstraintList[0].{hi_key}", scale, lo_d)
        if lo > hi:
            raise OfferInvalid(f"{where}.energyConstraintList[0]: lower {c[lo_key]} is above upper {c[hi_key]}")
        out += [(lo, hi)] * lo_d
    return out


def _expand_schedule(sched: Any, n: int, scale: int, meta: dict) -> list[int]:
    if sched is None:
        raise OfferInvalid("defaultSchedule: missing; FlexLedger needs the baseline the bounds lie around")
    if not isinstance(sched, dict) or set(sched) - {"startTime", "scheduleSlices"}:
        extra = sorted(set(sched) - {"startTime", "scheduleSlices"}) if isinstance(sched, dict) else ["(not an object)"]
        raise OfferInvalid(f"defaultSchedule.{extra[0]}: cannot be mapped (refused, not dropped)")
    if "startTime" in sched:
        meta["defaultScheduleStartTime"] = sched["startTime"]
    out: list[int] = []
    for j, s in enumerate(sched.get("scheduleSlices") or []):
        where = f"defaultSchedule.scheduleSlices[{j}]"
        if not isinstance(s, dict) or "energyAmount" not in s or set(s) - {"duration", "energyAmount"}:
            bad = sorted(set(s) - {"duration", "energyAmount"}) if isinstance(s, dict) else []
            raise OfferInvalid(f"{where}{'.' + bad[0] if bad else ''}: expected energyAmount and an optional "
                               "duration only (tariffs are not mapped; prices come from the command line)")
        d = s.get("duration", 1)
        if not isinstance(d, int) or d < 1:
            raise OfferInvalid(f"{where}.duration: {d!r} is not a positive number of intervals")
        out += [_wh(s["energyAmount"], f"{where}.energyAmount", scale, d)] * d
    if len(out) != n:
        raise OfferInvalid(f"defaultSchedule.scheduleSlices: cover {len(out)} intervals, the profile {n}")
    return out


def _sign(kind: AssetKind | None) -> int:
    if kind is None:
        raise OfferInvalid("asset kind unknown: AAU energies are absolute, so the asset's kind (consumption or "
                           "production) is needed to map them")
    return 1 if AssetKind(kind) == AssetKind.CONSUMPTION else -1


def from_aau(doc: dict[str, Any], *, kind: AssetKind | None = None, slot_len: int = 900,
             round_id: int | None = None, asset_id: int | None = None, reservation_price: int | None = None,
             activation_price: int | None = None) -> FlexOffer:
    """The FlexLedger offer of one AAU FlexOffer document (see `parse_aau` for the kept fields)."""
    return parse_aau(doc, kind=kind, slot_len=slot_len, round_id=round_id, asset_id=asset_id,
                     reservation_price=reservation_price, activation_price=activation_price).offer


def parse_aau(doc: Any, *, kind: AssetKind | None, slot_len: int = 900, round_id: int | None = None,
              asset_id: int | None = None, reservation_price: int | None = None,
              activation_price: int | None = None) -> AauImport:
    """Read one AAU FlexOffer (a `{"flexOffer": ...}` wrapper holding one is unwrapped).

    Round, asset and prices (which AAU lacks) come from the arguments, else from an optional
    `flexLedger` block; `kind` is the asset's kind. Raises OfferInvalid naming the field."""
    items = unwrap(doc)
    if len(items) != 1:
        raise OfferInvalid(f"flexOffer: {len(items)} offers in one document; read them one by one (unwrap)")
    d = items[0]
    for key in d:
        if key not in KEPT and key not in MAPPED:
            raise OfferInvalid(f"{key}: cannot be mapped to a FlexLedger offer (refused, not dropped)")
    sign = _sign(kind)
    if d.get("unit", "Wh") != "Wh":
        raise OfferInvalid(f"unit: {d['unit']!r}; only active energy in Wh can be mapped")
    if d.get(prof := ("flexOfferProfilType" if "flexOfferProfilType" in d else "flexOfferProfileType"),
             "activeEnergy") != "activeEnergy":
        raise OfferInvalid(f"{prof}: {d[prof]!r}; only activeEnergy can be mapped")
    if d.get("assignment", "obligatory") != "obligatory":
        raise OfferInvalid(f"assignment: {d['assignment']!r}; FlexLedger awards are obligatory once confirmed")
    mult = d.get("multiplier", "k")
    if mult not in MULTIPLIERS:
        raise OfferInvalid(f"multiplier: {mult!r} is not one of k, 1, M")
    scale = MULTIPLIERS[mult]
    interval = d.get("numSecondsPerInterval", 900)
    if interval != slot_len:
        raise OfferInvalid(f"numSecondsPerInterval: {interval} is not the round's slot length {slot_len}")
    meta = {k: d[k] for k in KEPT if k in d}
    bounds = _expand_profile(d.get("flexOfferProfileConstraints"), scale)
    base = _expand_schedule(d.get("defaultSchedule"), len(bounds), scale, meta)
    slices = []
    for i, ((lo, hi), b) in enumerate(zip(bounds, base)):
        if not lo <= b <= hi:
            raise OfferInvalid(f"defaultSchedule: interval {i} is scheduled at {_kwh(b)} kWh, outside the slice's "
                               f"bounds [{_kwh(lo)}, {_kwh(hi)}] kWh")
        slices.append(Slice(min_wh=b - hi, max_wh=b - lo, baseline_wh=sign * b))
    total_b = sum(base)
    if "totalEnergyConstraint" in d:
        t = d["totalEnergyConstraint"]
        if not isinstance(t, dict) or set(t) != {"lower", "upper"}:
            raise OfferInvalid("totalEnergyConstraint: expected exactly lower and upper")
        t_lo = _wh(t["lower"], "totalEnergyConstraint.lower", scale)
        t_hi = _wh(t["upper"], "totalEnergyConstraint.upper", scale)
        total_min, total_max = total_b - t_hi, total_b - t_lo
    else:
        total_min, total_max = sum(s.min_wh for s in slices), sum(s.max_wh for s in slices)
    ext = d.get("flexLedger") or {}
    chosen = {"round": (round_id, "roundId"), "asset": (asset_id, "assetId"),
              "reservation price": (reservation_price, "reservationPrice"),
              "activation price": (activation_price, "activationPrice")}
    values = {}
    for what, (given, key) in chosen.items():
        values[what] = given if given is not None else ext.get(key)
        if values[what] is None:
            raise OfferInvalid(f"{what}: AAU has no {what}; give it on the command line or in the profile")
    missing = [k for k in ("startBeforeTime",) if k not in d]
    if missing:
        raise OfferInvalid(f"missing field {missing[0]!r}")
    earliest = parse_time(d.get("startAfterTime", d.get("creationTime")), "startAfterTime")
    latest = parse_time(d["startBeforeTime"], "startBeforeTime")
    accept = parse_time(d["acceptBeforeTime"], "acceptBeforeTime") if "acceptBeforeTime" in d else None
    assign = parse_time(d["assignmentBeforeTime"], "assignmentBeforeTime") if "assignmentBeforeTime" in d else earliest
    if accept is None:
        raise OfferInvalid("acceptBeforeTime: missing; FlexLedger needs the acceptance deadline")
    if "defaultScheduleStartTime" in meta:
        st = parse_time(meta["defaultScheduleStartTime"], "defaultSchedule.startTime")
        if not earliest <= st <= latest:
            raise OfferInvalid("defaultSchedule.startTime: outside [startAfterTime, startBeforeTime]")
    try:
        offer = FlexOffer(round_id=values["round"], asset_id=values["asset"], earliest_start=earliest,
                          latest_start=latest, slices=tuple(slices), total_min_wh=total_min, total_max_wh=total_max,
                          reservation_price=values["reservation price"], activation_price=values["activation price"],
                          accept_before=accept, assign_before=assign)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError: name the rule
        raise OfferInvalid(f"offer: {_first_error(exc)}") from None
    return AauImport(offer, meta)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        e = errors()[0]
        return f"{'.'.join(map(str, e['loc'])) or 'document'}: {e['msg']}"
    return str(exc)


# ---- export ----------------------------------------------------------------------------------------
AAU_STATES = {"OFFERED": "Offered", "WITHDRAWN": "Canceled", "AWARDED": "Assigned", "ACTIVATED": "Assigned",
              "SETTLED": "Executed", "REJECTED": "Rejected", "EXPIRED": "Invalid", "OPTED_OUT": "Canceled"}


def to_aau(offer: FlexOffer, *, kind: AssetKind | None = None, offer_id: int | None = None,
           slot_len: int = 900, meta: dict[str, Any] | None = None, state: str | None = None,
           offered_by: str | None = None) -> dict[str, Any]:
    """One AAU FlexOffer for `offer`: absolute energies (kWh, AAU's signs) per the asset's `kind`.

    `meta` (from `parse_aau`) puts back the descriptive fields of the imported document; `state`
    (an OfferStatus name or an AAU state) is used only where `meta` has none. A `flexLedger` block
    carries the round, asset, prices and offer id, so the document can be read back as it is."""
    sign = _sign(kind)
    meta = dict(meta or {})
    base = [sign * s.baseline_wh for s in offer.slices]  # AAU signed energy of the schedule
    doc: dict[str, Any] = {
        "id": meta.pop("id", None if offer_id is None else str(offer_id)),
        "offeredById": meta.pop("offeredById", offered_by or ""),
        "state": meta.pop("state", AAU_STATES.get((state or "").upper(), state or "Offered")),
    }
    sched_start = meta.pop("defaultScheduleStartTime", None)
    doc.update(meta)
    doc.update({
        "acceptBeforeTime": aau_time(offer.accept_before),
        "assignmentBeforeTime": aau_time(offer.assign_before),
        "startAfterTime": aau_time(offer.earliest_start),
        "startBeforeTime": aau_time(offer.latest_start),
        "numSecondsPerInterval": slot_len,
        "flexOfferProfileConstraints": [
            {"minDuration": 1, "maxDuration": 1,
             "energyConstraintList": [{"lower": _kwh(b - s.max_wh), "upper": _kwh(b - s.min_wh)}]}
            for s, b in zip(offer.slices, base)],
        "totalEnergyConstraint": {"lower": _kwh(sum(base) - offer.total_max_wh),
                                  "upper": _kwh(sum(base) - offer.total_min_wh)},
        "defaultSchedule": {"startTime": sched_start or aau_time(offer.earliest_start),
                            "scheduleSlices": [{"duration": 1, "energyAmount": _kwh(b)} for b in base]},
        "flexLedger": {"roundId": offer.round_id, "assetId": offer.asset_id, "offerId": offer_id,
                       "reservationPrice": offer.reservation_price, "activationPrice": offer.activation_price},
    })
    return doc
