"""Canonical, hashable clearing result.

Design reasoning
- One award row per (offer, request) pair that received energy:
  ``(round_id, offer_id, request_id, start_slot, schedule, portion, res_price, act_price)``;
  ``schedule`` is the offer's whole awarded per-slice energy (int Wh, length n_slices,
  the same in every row of that offer), ``portion`` the request's share (same signs,
  portions of one offer sum exactly to its schedule). Rows are ordered by
  (offer_id, request_id).
- Everything is an integer; the JSON form has sorted keys, no whitespace and no floats
  (non-integral option values are written as their ``repr`` string), so two processes
  produce the same bytes and the same keccak.
- The award type, its value formula and the slice packing are `domain.award` /
  `domain.packing`; the round's total cost is the sum of award values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
from eth_utils import keccak

from domain.award import Award

__all__ = ["CanonicalResult", "canonicalise"]


def _award_doc(a: Award) -> dict[str, Any]:
    """An award in the result's JSON (field names as in the engine's input)."""
    return {"round_id": a.round_id, "offer_id": a.offer_id, "request_id": a.request_id, "start_slot": a.start_slot,
            "schedule": list(a.schedule), "portion": list(a.portion), "res_price": a.reservation_price,
            "act_price": a.activation_price}


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (bool, np.bool_)) or v is None or isinstance(v, str):
        return bool(v) if isinstance(v, np.bool_) else v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return int(v) if float(v).is_integer() and abs(v) < 2**53 else repr(float(v))
    if hasattr(v, "as_dict"):
        return _plain(v.as_dict())
    raise TypeError(f"not canonical: {type(v).__name__}")


def _dumps(obj: Any) -> bytes:
    return json.dumps(_plain(obj), sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


@dataclass(eq=False)
class CanonicalResult:
    round_id: int
    slot_len: int
    awards: list[Award]
    requests: list[dict[str, Any]]  # request_id, price, met, unmet (per slot)
    total_cost: int
    clearing_spec: dict[str, Any]
    aggregation: dict[str, int] | None
    excluded_offers: list[int]
    info: dict[str, Any] = field(default_factory=dict)  # solver diagnostics, not hashed

    def spec_hash(self) -> bytes:
        return keccak(self.spec_bytes())

    def spec_bytes(self) -> bytes:
        """The clearing specification as canonical JSON: the data published on the ledger, hashed by specHash."""
        return _dumps(self.clearing_spec)

    def awards_hash(self) -> bytes:
        return keccak(b"".join(a.packed() for a in self.awards))

    def to_dict(self) -> dict[str, Any]:
        doc = _plain({"round_id": self.round_id, "requests": self.requests, "total_cost": self.total_cost,
                      "clearing_spec": self.clearing_spec, "spec_hash": "0x" + self.spec_hash().hex(),
                      "aggregation": self.aggregation, "excluded_offers": self.excluded_offers})
        doc["awards"] = [_award_doc(a) for a in self.awards]  # already plain ints (built via tolist)
        return doc

    def to_json_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def clearing_spec(opts: dict[str, Any]) -> dict[str, Any]:
    h = highspy.Highs()
    spec_opts = {k: v for k, v in opts.items() if k not in ("pricing", "tolerances")}
    return {"solver": "highs", "solver_version": h.version(), "threads": 1, "options": spec_opts,
            "pricing": opts["pricing"], "aggregation_tolerances": opts["tolerances"].as_dict()
            if opts["aggregate"] else None, "format": "flexledger-clearing/1"}


def canonicalise(rnd, aw, agg, opts, res_price, act_price, req_price) -> CanonicalResult:
    """Group flat integer awards (``awards.Awards``) into canonical (offer, request) rows."""
    o, q = rnd.offers, rnd.requests
    oid, rid = o.offer_id[aw.offer], q.request_id[aw.request]
    awards: list[Award] = []
    total = 0
    if len(oid):
        order = np.lexsort([aw.slice, rid, oid])
        oid, rid, sl = oid[order], rid[order], aw.slice[order]
        off, req, e = aw.offer[order], aw.request[order], aw.energy[order]
        rp, ap, st = res_price[order], act_price[order], aw.start[order]
        pair_start = np.flatnonzero(np.r_[True, (oid[1:] != oid[:-1]) | (rid[1:] != rid[:-1])])
        mark = np.zeros(len(oid), np.int64)
        mark[pair_start] = 1
        pair = np.cumsum(mark) - 1
        W = o.width
        portion = np.zeros((len(pair_start), W), np.int64)
        np.add.at(portion, (pair, sl), e)
        first_of_offer = np.r_[True, oid[pair_start][1:] != oid[pair_start][:-1]]
        og = np.cumsum(first_of_offer) - 1
        sched = np.zeros((int(og[-1]) + 1, W), np.int64)
        np.add.at(sched, og, portion)
        ns = o.n_slices[off[pair_start]]
        plist, slist = portion.tolist(), sched.tolist()
        per_kwh = rp[pair_start] * 3600 // rnd.slot_len + ap[pair_start]
        values = per_kwh * np.abs(portion).sum(1) // 1000
        total = int(values.sum())
        for p, (a_oid, a_rid, g, n, s0, r0, a0) in enumerate(zip(
                oid[pair_start].tolist(), rid[pair_start].tolist(), og.tolist(), ns.tolist(),
                st[pair_start].tolist(), rp[pair_start].tolist(), ap[pair_start].tolist())):
            awards.append(Award(rnd.round_id, a_oid, a_rid, s0, tuple(slist[g][:n]), tuple(plist[p][:n]), r0, a0))
    reqs = []
    for r in range(q.n):
        ln = int(q.length[r])
        met = aw.met[r, :ln]
        reqs.append({"request_id": int(q.request_id[r]), "price": int(req_price[r]),
                     "first_slot": int(q.first_slot[r]), "met": met.tolist(),
                     "unmet": (aw.need[r, :ln] - met).tolist()})
    reqs.sort(key=lambda d: d["request_id"])
    agg_loss = None
    if agg is not None:
        agg_loss = {"aggregates": int(agg.offers.n), "members": int(len(agg.member_index)),
                    "energy_loss_wh": int(agg.energy_loss.sum()), "energy_range_wh": int(agg.energy_range),
                    "time_loss_slots": int(agg.time_loss.sum()), "time_range_slots": int(agg.time_range)}
    return CanonicalResult(rnd.round_id, rnd.slot_len, awards, reqs, total, clearing_spec(opts), agg_loss,
                           sorted(int(x) for x in o.offer_id[aw.excluded]),
                           {**aw.info, "status": aw.status, "objective": aw.objective})
