"""Projections: each event updates the resource tables, in chain order, and names its interest.

`apply(cur, ev)` updates the tables for one decoded event and returns its interest (round, offer,
asset, zone, party), the columns the live stream filters on. Only what the events say is used, so
replaying `events` rebuilds every table exactly (the reindex test checks it).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

from domain.award import Award
from domain.enums import AssetKind, Direction, OfferStatus, Product, RequestStatus
from domain.roles import Role
from ledger.messages.flex_request import FlexRequest, RoundConfig
from ledger.registry import from_b32

from gateway.index.decode import offer_document, offer_fields

ROLE_NAMES = {r.id: r.value for r in Role}


def jsonable(v: Any) -> Any:
    """Decoded ABI values as JSON: bytes as 0x-hex, tuples as lists, dicts recursively."""
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if hasattr(v, "name") and hasattr(v, "args_dict"):  # a nested ContractRevert
        return {"error": v.name, "args": jsonable(v.args_dict)}
    return v


def hx(v: bytes) -> str:
    return "0x" + bytes(v).hex()


@dataclass
class Ev:
    name: str
    args: dict[str, Any]
    block: int
    log_index: int
    tx_hash: str


Interest = tuple[int | None, int | None, int | None, int | None, str | None]
_HANDLERS: dict[str, Callable[[sqlite3.Cursor, Ev], Interest]] = {}


def on(*names: str):
    def register(fn):
        for n in names:
            _HANDLERS[n] = fn
        return fn
    return register


def apply(cur: sqlite3.Cursor, ev: Ev) -> Interest:
    handler = _HANDLERS.get(ev.name)
    if handler is not None:
        return handler(cur, ev)
    a = ev.args
    party = next((a[k] for k in ("account", "owner", "fsp", "buyer", "dso", "operator", "auditor", "to")
                  if isinstance(a.get(k), str)), None)
    return a.get("roundId"), a.get("offerId"), a.get("assetId"), a.get("zoneId"), party


def _one(cur: sqlite3.Cursor, sql: str, *params: Any) -> Any:
    row = cur.execute(sql, params).fetchone()
    return row[0] if row else None


def _asset_zone(cur, asset_id: int | None) -> int | None:
    return _one(cur, "SELECT zone_id FROM assets WHERE asset_id = ?", asset_id) if asset_id else None


def _award_of(cur, leaf: str) -> tuple[int | None, int | None, int | None]:
    """(round, offer, zone) of the latest published award with this leaf."""
    row = cur.execute("SELECT a.round_id, a.offer_id, o.zone_id FROM awards a LEFT JOIN offers o USING (offer_id) "
                      "WHERE a.leaf = ? ORDER BY a.attempt DESC LIMIT 1", (leaf,)).fetchone()
    return tuple(row) if row else (None, None, None)


# ---- registry ------------------------------------------------------------------------------
@on("ParticipantRegistered")
def _participant(cur, ev):
    a = ev.args
    role = ROLE_NAMES.get(bytes(a["role"]), hx(a["role"]))
    cur.execute("INSERT OR REPLACE INTO participants (address, name, eic, role, suspended, registered_block) "
                "VALUES (?, ?, ?, ?, 0, ?)", (a["account"], a["name"], a["eic"], role, ev.block))
    cur.execute("INSERT OR IGNORE INTO participant_roles VALUES (?, ?)", (a["account"], role))
    return None, None, None, None, a["account"]


@on("RoleGranted", "RoleRevoked")
def _role(cur, ev):
    a = ev.args
    role = ROLE_NAMES.get(bytes(a["role"]), hx(a["role"]))
    if ev.name == "RoleGranted":
        cur.execute("INSERT OR IGNORE INTO participant_roles VALUES (?, ?)", (a["account"], role))
    else:
        cur.execute("DELETE FROM participant_roles WHERE address = ? AND role = ?", (a["account"], role))
    return None, None, None, None, a["account"]


@on("ParticipantSuspended", "ParticipantReinstated")
def _suspension(cur, ev):
    a = ev.args
    cur.execute("UPDATE participants SET suspended = ?, suspension_reason = ? WHERE address = ?",
                (int(ev.name == "ParticipantSuspended"), a.get("reason"), a["account"]))
    return None, None, None, None, a["account"]


@on("ZoneDeclared", "ZoneNodesAdded")
def _zone(cur, ev):
    a = ev.args
    nodes = [from_b32(n) for n in a["nodes"]]
    if ev.name == "ZoneDeclared":
        cur.execute("INSERT OR REPLACE INTO zones (zone_id, dso, code, nodes) VALUES (?, ?, ?, ?)",
                    (a["zoneId"], a["dso"], from_b32(a["code"]), json.dumps(nodes)))
        return None, None, None, a["zoneId"], a["dso"]
    old = json.loads(_one(cur, "SELECT nodes FROM zones WHERE zone_id = ?", a["zoneId"]) or "[]")
    cur.execute("UPDATE zones SET nodes = ? WHERE zone_id = ?", (json.dumps(old + nodes), a["zoneId"]))
    return None, None, None, a["zoneId"], None


@on("AssetRegistered")
def _asset(cur, ev):
    a = ev.args
    cur.execute("INSERT OR REPLACE INTO assets (asset_id, owner, zone_id, node, kind, max_up_w, max_down_w, meter_id,"
                " device_signer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a["assetId"], a["owner"], a["zoneId"], from_b32(a["node"]), AssetKind(a["kind"]).name, a["maxUpW"],
                 a["maxDownW"], from_b32(a["meterId"]), a["deviceSigner"]))
    return None, None, a["assetId"], a["zoneId"], a["owner"]


@on("AssetGridPrequalified", "AssetGridPrequalificationRevoked", "AssetSuspended", "AssetReinstated",
    "DeviceSignerRotated", "DeviceSignerSet", "AssetProductPrequalified", "AssetProductPrequalificationRevoked")
def _asset_change(cur, ev):
    a, n, aid = ev.args, ev.name, ev.args["assetId"]
    if n == "AssetGridPrequalified":
        cur.execute("UPDATE assets SET grid_prequalified = 1, limit_up_w = ?, limit_down_w = ? WHERE asset_id = ?",
                    (a["limitUpW"], a["limitDownW"], aid))
    elif n == "AssetGridPrequalificationRevoked":
        cur.execute("UPDATE assets SET grid_prequalified = 0 WHERE asset_id = ?", (aid,))
    elif n in ("AssetSuspended", "AssetReinstated"):
        cur.execute("UPDATE assets SET suspended = ? WHERE asset_id = ?", (int(n == "AssetSuspended"), aid))
    elif n in ("DeviceSignerRotated", "DeviceSignerSet"):
        cur.execute("UPDATE assets SET device_signer = ? WHERE asset_id = ?", (a.get("newSigner") or a["signer"], aid))
    elif n == "AssetProductPrequalified":
        cur.execute("INSERT OR IGNORE INTO asset_products VALUES (?, ?, ?)", (aid, a["buyer"], from_b32(a["product"])))
    else:
        cur.execute("DELETE FROM asset_products WHERE asset_id = ? AND buyer = ? AND product = ?",
                    (aid, a["buyer"], from_b32(a["product"])))
    owner = _one(cur, "SELECT owner FROM assets WHERE asset_id = ?", aid)
    return None, None, aid, _asset_zone(cur, aid), owner


# ---- market ----------------------------------------------------------------------------------
@on("RoundOpened")
def _round(cur, ev):
    a = ev.args
    c = a["config"]
    try:
        config = RoundConfig.from_chain(c).model_dump(mode="json")
    except ValueError:  # a config the Python model would refuse: keep the chain's fields
        config = jsonable(c)
    cur.execute("INSERT OR REPLACE INTO rounds (round_id, opened_by, config, delivery_start, gate_closure, slot_count,"
                " slot_len, opened_block) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (a["roundId"], a["by"], json.dumps(config), c["deliveryStart"], c["gateClosure"], c["slotCount"],
                 c["slotLen"], ev.block))
    return a["roundId"], None, None, None, None


@on("RequestPosted", "RequestCancelled")
def _request(cur, ev):
    a = ev.args
    if ev.name == "RequestCancelled":
        cur.execute("UPDATE requests SET status = ? WHERE request_id = ?", (RequestStatus.CANCELLED.name,
                                                                            a["requestId"]))
        zone = _one(cur, "SELECT zone_id FROM requests WHERE request_id = ?", a["requestId"])
        return a["roundId"], None, None, zone or None, a["buyer"]
    q = a["request"]
    req = FlexRequest.from_chain(q)
    cur.execute("INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a["requestId"], a["roundId"], a["buyer"], req.zone_id, Direction(req.direction).name, req.first_slot,
                 json.dumps(list(req.power_w)), req.max_price, Product(req.product).name, req.ref,
                 hx(a["requestHash"]), RequestStatus.OPEN.name))
    cur.execute("UPDATE rounds SET request_count = request_count + 1 WHERE round_id = ?", (a["roundId"],))
    return a["roundId"], None, None, req.zone_id or None, a["buyer"]


@on("OfferSubmitted", "OfferUpdated")
def _offer(cur, ev):
    a = ev.args
    oid, rid = a["offerId"], a["roundId"]
    offer = offer_fields(rid, a["data"])  # straight from the packed bytes (no model validation)
    doc, asset_id = offer_document(offer), offer["asset_id"]
    zone = _asset_zone(cur, asset_id)
    cur.execute("INSERT OR REPLACE INTO offer_versions VALUES (?, ?, ?, ?, ?, ?)",
                (oid, a["version"], hx(a["offerHash"]), hx(a["data"]), ev.block, ev.tx_hash))
    if ev.name == "OfferSubmitted":
        cur.execute("INSERT OR REPLACE INTO offers (offer_id, round_id, owner, asset_id, zone_id, version, offer_hash,"
                    " status, earliest_start, latest_start, slice_count, offer, submitted_block, updated_block) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (oid, rid, a["owner"], asset_id, zone, a["version"], hx(a["offerHash"]),
                     OfferStatus.OFFERED.name, offer["earliest_start"], offer["latest_start"], len(offer["slices"]),
                     doc, ev.block, ev.block))
    else:
        cur.execute("UPDATE offers SET version = ?, offer_hash = ?, earliest_start = ?, latest_start = ?, "
                    "slice_count = ?, offer = ?, updated_block = ? WHERE offer_id = ?",
                    (a["version"], hx(a["offerHash"]), offer["earliest_start"], offer["latest_start"],
                     len(offer["slices"]), doc, ev.block, oid))
    cur.execute("UPDATE rounds SET offer_count = offer_count + 1 WHERE round_id = ?", (rid,))
    return rid, oid, asset_id, zone, a["owner"]


def _offer_interest(cur, oid: int, party: str | None = None) -> Interest:
    row = cur.execute("SELECT round_id, asset_id, zone_id, owner FROM offers WHERE offer_id = ?", (oid,)).fetchone()
    if row is None:
        return None, oid, None, None, party
    return row[0], oid, row[1], row[2], party or row[3]


@on("OfferStatusChanged", "OfferRejected", "OfferWithdrawn", "OfferOptedOut")
def _offer_status(cur, ev):
    a = ev.args
    if ev.name == "OfferStatusChanged":
        cur.execute("UPDATE offers SET status = ?, updated_block = ? WHERE offer_id = ?",
                    (OfferStatus(a["to"]).name, ev.block, a["offerId"]))
    elif ev.name == "OfferRejected":
        cur.execute("UPDATE offers SET reason = ? WHERE offer_id = ?", (a["reason"], a["offerId"]))
    return _offer_interest(cur, a["offerId"])


# ---- clearing --------------------------------------------------------------------------------
@on("RoundCommitted")
def _commit(cur, ev):
    a = ev.args
    cur.execute("INSERT OR REPLACE INTO commitments (round_id, attempt, operator, awards_root, offer_acc, request_acc,"
                " total_cost, award_count, spec_hash, bond, status, block) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a["roundId"], a["attempt"], a["operator"], hx(a["awardsRoot"]), hx(a["offerAcc"]),
                 hx(a["requestAcc"]), a["totalCost"], a["awardCount"], hx(a["specHash"]), str(a["bond"]), "PENDING",
                 ev.block))
    return a["roundId"], None, None, None, a["operator"]


@on("RoundRejected")
def _rejected(cur, ev):
    a = ev.args
    cur.execute("UPDATE commitments SET status = 'REJECTED', fault = ?, challenger = ? WHERE round_id = ? AND "
                "attempt = ?", (a["fault"], a["challenger"], a["roundId"], a["attempt"]))
    return a["roundId"], a["offerId"] or None, None, None, a["challenger"]


@on("AuditorAttested", "AuditorDisputed")
def _attest(cur, ev):
    a = ev.args
    root = a.get("awardsRoot") or a.get("recomputedRoot")
    cur.execute("INSERT OR REPLACE INTO attestations VALUES (?, ?, ?, ?, ?)",
                (a["roundId"], a["auditor"], int(ev.name == "AuditorAttested"), hx(root), ev.block))
    return a["roundId"], None, None, None, a["auditor"]


@on("AwardPublished")
def _award(cur, ev):
    a = ev.args
    award = Award.from_chain(a["award"])
    cur.execute("INSERT OR REPLACE INTO awards (round_id, attempt, leaf, offer_id, request_id, award) "
                "VALUES (?, ?, ?, ?, ?, ?)", (a["roundId"], a["attempt"], hx(a["leaf"]), a["offerId"], a["requestId"],
                                              json.dumps(award_json(award))))
    return _offer_interest(cur, a["offerId"])


def award_json(award: Award) -> dict:
    return {"round_id": award.round_id, "offer_id": award.offer_id, "request_id": award.request_id,
            "start_slot": award.start_slot, "schedule": list(award.schedule), "portion": list(award.portion),
            "reservation_price": award.reservation_price, "activation_price": award.activation_price}


@on("AwardConfirmed")
def _confirmed(cur, ev):
    a = ev.args
    cur.execute("UPDATE awards SET confirmed = 1, fsp = ?, phase = 'CONFIRMED' WHERE leaf = ?", (a["fsp"], hx(a["leaf"])))
    return _offer_interest(cur, a["offerId"], a["fsp"])


# ---- settlement ------------------------------------------------------------------------------
def _leaf_interest(cur, leaf: str, party: str | None) -> Interest:
    rid, oid, zone = _award_of(cur, leaf)
    asset = _one(cur, "SELECT asset_id FROM offers WHERE offer_id = ?", oid) if oid else None
    return rid, oid, asset, zone, party


@on("EscrowLocked")
def _escrow(cur, ev):
    a = ev.args
    leaf = hx(a["leaf"])
    cur.execute("UPDATE awards SET buyer = ?, fsp = ?, reservation_value = ?, activation_value = ? WHERE leaf = ?",
                (a["buyer"], a["fsp"], a["reservationValue"], a["activationValue"], leaf))
    return _leaf_interest(cur, leaf, a["fsp"])


_ACTIVATION_STATE = {"ActivationAccepted": "ACCEPTED", "ActivationOptedOut": "OPTED_OUT",
                     "IncapacityDeclared": "INCAPABLE", "ActivationBlocked": "BLOCKED"}


@on("ActivationRequested", *_ACTIVATION_STATE)
def _activation(cur, ev):
    a = ev.args
    leaf = hx(a["leaf"])
    if ev.name == "ActivationRequested":
        cur.execute("INSERT OR REPLACE INTO activations VALUES (?, ?, ?, ?, ?, ?, ?, 'REQUESTED', NULL)",
                    (leaf, ev.block, ev.log_index, a["buyer"], a["firstSlice"], a["count"], a["firstSlotStart"]))
        cur.execute("UPDATE awards SET phase = 'ACTIVATED' WHERE leaf = ?", (leaf,))
        return _leaf_interest(cur, leaf, a["buyer"])
    state = _ACTIVATION_STATE[ev.name]
    cur.execute("UPDATE activations SET state = ?, reason = ? WHERE leaf = ? AND block = (SELECT MAX(block) FROM "
                "activations WHERE leaf = ?)", (state, a.get("reason"), leaf, leaf))
    cur.execute("UPDATE awards SET phase = ? WHERE leaf = ?", (state, leaf))
    party = a.get("fsp") or a.get("dso")
    if ev.name == "ActivationOptedOut":
        _reliability(cur, party, opt_outs=1)
    elif ev.name == "IncapacityDeclared":
        _reliability(cur, party, incapacities=1)
    return _leaf_interest(cur, leaf, party)


def _reliability(cur, fsp: str, **add: int) -> None:
    cur.execute("INSERT OR IGNORE INTO reliability (fsp) VALUES (?)", (fsp,))
    sets = ", ".join(f"{k} = {k} + ?" for k in add)
    cur.execute(f"UPDATE reliability SET {sets} WHERE fsp = ?", (*add.values(), fsp))


@on("ReadingRecorded")
def _reading(cur, ev):
    a = ev.args
    cur.execute("INSERT OR REPLACE INTO readings VALUES (?, ?, ?, ?, ?)",
                (a["assetId"], a["slotStart"], a["energyWh"], a["seq"], ev.block))
    owner = _one(cur, "SELECT owner FROM assets WHERE asset_id = ?", a["assetId"])
    return None, None, a["assetId"], _asset_zone(cur, a["assetId"]), owner


@on("Settled")
def _settled(cur, ev):
    a = ev.args
    leaf = hx(a["leaf"])
    cur.execute("INSERT OR REPLACE INTO settlements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (leaf, a["fsp"], a["buyer"], a["paidToFsp"], a["refundedToBuyer"], a["penalty"], a["requestedWh"],
                 a["deliveredWh"], ev.block))
    cur.execute("UPDATE awards SET phase = 'SETTLED' WHERE leaf = ?", (leaf,))
    _reliability(cur, a["fsp"], requested_wh=a["requestedWh"], delivered_wh=a["deliveredWh"], settlements=1,
                 penalised=int(a["penalty"] > 0))
    return _leaf_interest(cur, leaf, a["fsp"])


@on("AwardLapsed")
def _lapsed(cur, ev):
    a = ev.args
    leaf = hx(a["leaf"])
    cur.execute("UPDATE awards SET phase = 'LAPSED' WHERE leaf = ?", (leaf,))
    _reliability(cur, a["fsp"], lapsed=1)
    return _leaf_interest(cur, leaf, a["fsp"])


@on("ZoneTrafficLight")
def _traffic(cur, ev):
    a = ev.args
    cur.execute("UPDATE zones SET red = ?, red_reason = ? WHERE zone_id = ?", (int(a["red"]), a["reason"], a["zoneId"]))
    return None, None, None, a["zoneId"], a["dso"]
