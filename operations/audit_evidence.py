"""Stage 1 of the auditor's trace (`operations.audit`): gather what a node's index says into a JSON
evidence bundle — events, and the readings' signatures from the transactions that carried them.

The bundle is untrusted: `operations.audit.verify_bundle` checks every item of it against the chain.
"""

from __future__ import annotations

import json
from typing import Any

from eth_abi import decode as abi_decode

from domain.award import Award, AwardTree
from ledger.messages.flex_offer import FlexOffer
from operations.audit_money import BASELINE_DAYS, DAY
from operations.audit_recompute import recompute_clearing
from operations.errors import OperationsError

FORMAT = "flexledger-audit/1"
METER_INTERVAL = 900
READING_TUPLE = "(uint64,uint64,int64,uint64,bytes)[]"


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def _b(h: str) -> bytes:
    return bytes.fromhex(h.removeprefix("0x"))


def _ev(ev) -> dict:
    """An index event as evidence: where it claims to come from, and its (JSON-safe) arguments."""
    return {"name": ev.name, "address": ev.address, "tx": ev.tx_hash, "log_index": ev.log_index, "block": ev.block,
            "args": _jsonable(ev.args)}


def _jsonable(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return _hex(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v



# ---- stage 1: gather what the node's index says ----------------------------------------------

def gather_round(ledger, round_id: int) -> dict:
    """The round-level evidence: opening, every offer and request posting, grid inputs, spec, commitment."""
    ledger.sync()
    idx = ledger.index
    opened = idx.last("RoundOpened", roundId=round_id)
    if opened is None:
        raise OperationsError(f"round {round_id}: no RoundOpened event in the index")
    commits = idx.events("RoundCommitted", roundId=round_id)
    if not commits:
        raise OperationsError(f"round {round_id} has no commitment to trace")
    commit = commits[-1]
    spec_ev = idx.last("ClearingSpecPublished", specHash=commit["specHash"])
    names = ("OfferSubmitted", "OfferUpdated", "RequestPosted", "ZoneLimitsPosted", "SensitivityPosted")
    return {"round_id": round_id, "opened": _ev(opened), "commitment": _ev(commit),
            "spec": _ev(spec_ev) if spec_ev else None,
            "postings": [_ev(e) for e in idx if e.name in names and e.args.get("roundId") == round_id],
            "attestations": [_ev(e) for e in idx.events("AuditorAttested", roundId=round_id)],
            "disputes": [_ev(e) for e in idx.events("AuditorDisputed", roundId=round_id)]}


def gather_award(ledger, award: Award, tree: AwardTree) -> dict:
    """One award's evidence: its publication and proof, escrow, activation, readings, settlement, transfers."""
    idx, leaf = ledger.index, award.leaf
    by_leaf = {n: idx.last(n, leaf=leaf) for n in ("AwardPublished", "AwardConfirmed", "EscrowLocked",
                                                 "CollateralLocked", "ActivationRequested", "ActivationAccepted",
                                                 "IncapacityDeclared", "ActivationOptedOut", "ActivationBlocked",
                                                 "Settled", "CollateralReleased")}
    ev = {k: _ev(v) for k, v in by_leaf.items() if v is not None}
    out: dict[str, Any] = {"leaf": _hex(leaf), "award": _jsonable(award.to_chain()),
                           "proof": [_hex(p) for p in tree.proof(award)], "events": ev, "readings": [],
                           "transfers": {}}
    offer_ev = [e for e in idx if e.name in ("OfferSubmitted", "OfferUpdated") and e.args.get("offerId") == award.offer_id]
    out["offer"] = _ev(offer_ev[-1]) if offer_ev else None
    req = idx.last("RequestPosted", requestId=award.request_id)
    out["request"] = _ev(req) if req else None
    act = by_leaf["ActivationRequested"]
    if act is not None and out["offer"] is not None:
        asset = FlexOffer.unpack(award.round_id, by_event_data(out["offer"])).asset_id
        cfg = _config(ledger, award.round_id)
        for i in range(act["firstSlice"], act["firstSlice"] + act["count"]):
            start = cfg["deliveryStart"] + (award.start_slot + i) * cfg["slotLen"]
            for t in range(start, start + cfg["slotLen"], METER_INTERVAL):
                out["readings"].append(_gather_reading(ledger, asset, t))
                out.setdefault("baselines", []).append(_gather_baseline(ledger, asset, t))
    for name in ("EscrowLocked", "Settled"):
        e = by_leaf[name]
        if e is not None:
            out["transfers"][name] = [_ev(x) for x in idx if x.name == "Transfer" and x.tx_hash == e.tx_hash]
    return out


def by_event_data(ev: dict) -> bytes:
    return _b(ev["args"]["data"])


def _config(ledger, round_id: int) -> dict:
    return ledger.market.c.call("round", round_id)["config"]


def _gather_reading(ledger, asset: int, t: int) -> dict:
    rec = ledger.index.last("ReadingRecorded", assetId=asset, slotStart=t)
    if rec is None:
        return {"asset_id": asset, "slot_start": t, "missing": True}
    tx = ledger.chain.get_transaction(_b(rec.tx_hash))
    data = bytes(tx["input"] if not isinstance(tx["input"], str) else _b(tx["input"]))
    sig = None
    try:
        (rows,) = abi_decode([READING_TUPLE], data[4:])
        for a, s, e, q, signature in rows:
            if (a, s, e, q) == (asset, t, rec["energyWh"], rec["seq"]):
                sig = _hex(signature)
    except Exception:  # not a submitReadings call: the signature cannot be shown
        sig = None
    return {"asset_id": asset, "slot_start": t, "energy_wh": rec["energyWh"], "seq": rec["seq"], "signature": sig,
            "device_key": ledger.registry.device_signer_at(asset, t),  # shown for independent checkers; re-read on verify
            "event": _ev(rec)}


def _gather_baseline(ledger, asset: int, t: int) -> dict:
    """The interval's baseline as the index shows it: METERING's attestation, or the asset's own readings at
    the same interval on the previous BASELINE_DAYS days (the metered baseline's inputs)."""
    att = ledger.index.last("BaselineAttested", assetId=asset, intervalStart=t)
    if att is not None:
        return {"asset_id": asset, "interval_start": t, "attested": _ev(att)}
    history = []
    for d in range(1, BASELINE_DAYS + 1):
        if d * DAY > t:
            break
        rec = ledger.index.last("ReadingRecorded", assetId=asset, slotStart=t - d * DAY)
        if rec is not None:
            history.append({"slot_start": t - d * DAY, "energy_wh": rec["energyWh"], "event": _ev(rec)})
    return {"asset_id": asset, "interval_start": t, "history": history}


def gather(ledger, round_id: int, leaves: list[bytes] | None = None, recompute: bool = True) -> dict:
    """The evidence bundle for a round (every published award, or only `leaves`)."""
    round_ev = gather_round(ledger, round_id)
    attempt = round_ev["commitment"]["args"]["attempt"]
    published = [Award.from_chain(e["award"]) for e in ledger.index.events("AwardPublished", roundId=round_id)
                 if e["attempt"] == attempt]
    tree = AwardTree(published)
    chosen = [a for a in tree.awards if leaves is None or a.leaf in leaves]
    if not chosen:
        raise OperationsError(f"round {round_id}: no published award to trace")
    bundle = {"format": FORMAT, "chain_id": ledger.chain.chain_id,
              "manifest": json.loads(ledger.manifest.to_json()), "round": round_ev,
              "awards": [gather_award(ledger, a, tree) for a in chosen]}
    if recompute:
        try:
            bundle["clearing"] = recompute_clearing(ledger, round_id)
        except Exception as exc:  # a rigged index cannot even be rebuilt: that is the finding, not a crash
            bundle["clearing"] = {"error": f"{type(exc).__name__}: {exc}"}
    return bundle
