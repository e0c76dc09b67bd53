"""The auditor's trace: every payment proven from the ledger alone (issue 12).

Two stages, so the same checks serve a live trace and a re-check of an evidence bundle:
1. `gather_*` (in `operations.audit_evidence`) reads what a node's index says (events, the readings'
   signatures from the transactions that carried them) into a JSON evidence bundle — untrusted;
2. `verify_bundle` checks every item of the bundle against the chain itself: each event against
   the receipt of the transaction it names, each hash against contract storage (eth_call), each
   proof against the committed root, each signature against the device key in force for its slot,
   the clearing recomputed in a fresh process, and the money against the settlement formula
   (`operations.audit_money`) and the token's Transfer events.

A trace walks back from a settlement, link by link (`LINKS`); every check is listed with its
result and the first broken link is named. The result is a plain data structure (`AuditReport`),
so the CLI, the gateway or a test render it as they like. Trust: only the chain the RPC URL
reaches and the manifest's contract addresses; never the operator, the FSP or the node's index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak, to_checksum_address

from domain.award import Award
from domain.eip712 import measurement_digest, recover, settlement_domain
from domain.enums import AssetKind, Phase
from domain.merkle import verify as merkle_verify
from domain.roles import Role
from ledger.abi_codec import decode_log
from ledger.messages.flex_offer import FlexOffer, offer_hash
from ledger.messages.flex_request import FlexRequest
from operations.audit_evidence import FORMAT, METER_INTERVAL, _b, _config, _hex, _jsonable, gather
from operations.audit_money import BASELINE_DAYS, DAY, expected_settlement, metered_baseline
from operations.errors import OperationsError

LINKS = ("settlement", "activation", "award", "commitment", "offer", "request", "grid", "readings", "baseline",
         "clearing", "money")


@dataclass
class Check:
    link: str
    name: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict:
        return {"link": self.link, "name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class Trace:
    """The checks of one award (and its settlement), in link order."""

    leaf: str
    offer_id: int
    request_id: int
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def first_broken(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)

    def as_dict(self) -> dict:
        fb = self.first_broken
        return {"leaf": self.leaf, "offer_id": self.offer_id, "request_id": self.request_id, "ok": self.ok,
                "first_broken_link": fb.link if fb else None, "checks": [c.as_dict() for c in self.checks]}


@dataclass
class AuditReport:
    subject: str
    round_id: int
    traces: list[Trace]
    bundle: dict
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.traces) and all(t.ok for t in self.traces)

    @property
    def first_broken(self) -> Check | None:
        return next((t.first_broken for t in self.traces if not t.ok), None)

    def as_dict(self) -> dict:
        fb = self.first_broken
        return {"subject": self.subject, "round_id": self.round_id, "ok": self.ok, "seconds": round(self.seconds, 3),
                "first_broken_link": fb.link if fb else None, "first_broken": fb.as_dict() if fb else None,
                "traces": [t.as_dict() for t in self.traces]}


# ---- stage 2: verify the evidence against the chain ------------------------------------------

class _Chain:
    """What the verifier trusts: the chain's receipts and contract storage, through `ledger`'s clients."""

    def __init__(self, ledger):
        self.ledger = ledger
        self._receipts: dict[str, list[tuple[int, str, dict]]] = {}

    def logs(self, tx: str) -> list[tuple[int, str, dict, str]]:
        if tx not in self._receipts:
            receipt = self.ledger.chain.wait(_b(tx), timeout=10)
            out = []
            for log in receipt.get("logs", []):
                d = decode_log(dict(log))
                if d is not None:
                    out.append((int(log["logIndex"]), d[0], _jsonable(d[1]), to_checksum_address(log["address"])))
            self._receipts[tx] = out
        return self._receipts[tx]

    def confirms(self, ev: dict | None, only: tuple[str, ...] | None = None) -> bool:
        """The event is in the receipt of the transaction it names, at its index, with these arguments
        (or only these of them)."""
        if not ev:
            return False
        same = (lambda a: a == ev["args"]) if only is None else (lambda a: all(a.get(k) == ev["args"].get(k) for k in only))
        try:
            return any(i == ev["log_index"] and n == ev["name"] and same(a) and addr == ev["address"]
                       for i, n, a, addr in self.logs(ev["tx"]))
        except Exception:
            return False


def verify_bundle(ledger, bundle: dict, subject: str = "", recompute: bool = True) -> AuditReport:
    """Check every item of `bundle` against the chain `ledger` reaches; one Trace per award."""
    t0 = time.perf_counter()
    if bundle.get("format") != FORMAT:
        raise OperationsError(f"not a {FORMAT} bundle")
    chain = _Chain(ledger)
    rnd = bundle["round"]
    rid = rnd["round_id"]
    round_checks = _round_checks(ledger, chain, bundle, recompute)
    traces = []
    for item in bundle["awards"]:
        award = Award.from_chain({k: _b(v) if isinstance(v, str) else v for k, v in item["award"].items()})
        tr = Trace(item["leaf"], award.offer_id, award.request_id)
        tr.checks = _award_checks(ledger, chain, bundle, item, award, round_checks)
        tr.checks.sort(key=lambda c: LINKS.index(c.link))
        traces.append(tr)
    return AuditReport(subject or f"round {rid}", rid, traces, bundle, time.perf_counter() - t0)


def _round_checks(ledger, chain: _Chain, bundle: dict, recompute: bool) -> dict[str, list[Check]]:
    rnd = bundle["round"]
    rid = rnd["round_id"]
    out: dict[str, list[Check]] = {k: [] for k in ("commitment", "offer", "request", "grid", "clearing")}
    c = ledger.clearing.commitment(rid)
    cev = rnd["commitment"]
    a = cev["args"]
    add = lambda link, name, ok, detail="": out[link].append(Check(link, name, bool(ok), detail))  # noqa: E731
    add("commitment", "RoundCommitted is in its transaction's receipt", chain.confirms(cev), cev["tx"])
    add("commitment", "the committed root is the contract's", _b(a["awardsRoot"]) == c.awards_root,
        f"root {a['awardsRoot'][:18]}…")
    add("commitment", "the commitment stands (not rejected) and is final", ledger.clearing.is_final(rid),
        f"status {c.status.name}, attempt {c.attempt}")
    add("commitment", "a bond at least the minimum was posted", a["bond"] >= ledger.clearing.min_bond(),
        f"bond {a['bond']} wei")
    cfg = _config(ledger, rid)
    add("commitment", "the challenge window is over",
        ledger.chain.now() >= c.committed_at + cfg["challengeWindow"],
        f"committed at {c.committed_at}, window {cfg['challengeWindow']} s")
    att = [e for e in rnd["attestations"] if chain.confirms(e) and e["args"]["awardsRoot"] == a["awardsRoot"]]
    disputes = [e for e in rnd["disputes"] if chain.confirms(e)]
    add("commitment", "no auditor's dispute stands (attestations listed)", not disputes,
        f"{len(att)} attestation(s), {len(disputes)} dispute(s)")
    spec = rnd.get("spec")
    spec_ok = bool(spec) and chain.confirms(spec) and keccak(_b(spec["args"]["spec"])) == c.spec_hash \
        and ledger.grid.is_spec(c.spec_hash)
    add("commitment", "the clearing specification is published on the ledger with the committed hash", spec_ok,
        f"specHash {_hex(c.spec_hash)[:18]}…")
    # accumulators: refold every posting the bundle lists (each confirmed by its receipt)
    info = ledger.market.round(rid)
    posts = rnd["postings"]
    unconfirmed = [p for p in posts if not chain.confirms(p)]
    acc = {"offer": b"\0" * 32, "request": b"\0" * 32, "grid": b"\0" * 32}
    bad_hash = {"offer": [], "request": [], "grid": []}
    for p in posts:
        n, x = p["name"], p["args"]
        if n in ("OfferSubmitted", "OfferUpdated"):
            h = offer_hash(x["offerId"], x["version"], rid, _b(x["data"]))
            if h != _b(x["offerHash"]):
                bad_hash["offer"].append(x["offerId"])
            acc["offer"] = keccak(acc["offer"] + h)
        elif n == "RequestPosted":
            h = FlexRequest.from_chain(_unhex(x["request"])).request_hash(x["requestId"], x["buyer"])
            if h != _b(x["requestHash"]):
                bad_hash["request"].append(x["requestId"])
            acc["request"] = keccak(acc["request"] + h)
        else:
            h = _grid_hash(rid, n, x)
            acc["grid"] = keccak(acc["grid"] + h)
            if h != _b(x["inputHash"]):
                bad_hash["grid"].append(x.get("zoneId", x.get("rowId")))
    confirmed = not unconfirmed
    add("offer", "every offer posting is in its transaction's receipt", confirmed or all(
        p["name"] not in ("OfferSubmitted", "OfferUpdated") for p in unconfirmed),
        f"{len(unconfirmed)} unconfirmed" if unconfirmed else "")
    add("offer", "every offer's data re-hashes to its offerHash", not bad_hash["offer"], f"bad: {bad_hash['offer']}")
    add("offer", "the offers refold to the round's offer accumulator (and the commitment's)",
        acc["offer"] == info.offer_acc == c.offer_acc, f"acc {_hex(info.offer_acc)[:18]}…")
    add("request", "every request posting is in its receipt and re-hashes to its requestHash",
        not bad_hash["request"] and all(p["name"] != "RequestPosted" for p in unconfirmed))
    add("request", "the requests refold to the round's request accumulator (and the commitment's)",
        acc["request"] == info.request_acc == c.request_acc, f"acc {_hex(info.request_acc)[:18]}…")
    add("grid", "every grid input is in its receipt and re-hashes to its inputHash",
        not bad_hash["grid"] and all(p["name"] not in ("ZoneLimitsPosted", "SensitivityPosted") for p in unconfirmed))
    add("grid", "the DSOs' grid inputs refold to the round's grid accumulator", acc["grid"] == ledger.grid.grid_acc(rid),
        f"{sum(p['name'] in ('ZoneLimitsPosted', 'SensitivityPosted') for p in posts)} posting(s)")
    cl = bundle.get("clearing")
    if recompute and cl is not None and "error" in cl:
        add("clearing", "the clearing recomputed from the ledger alone, in a fresh process, gives the committed root",
            False, cl["error"])
    elif recompute and cl is not None:
        add("clearing", "the clearing recomputed from the ledger alone, in a fresh process, gives the committed root",
            _b(cl["awards_root"]) == c.awards_root and cl["total_cost"] == c.total_cost
            and cl["award_count"] == c.award_count and _b(cl["spec_hash"]) == c.spec_hash,
            f"recomputed {cl['awards_root'][:18]}… in {cl.get('seconds', 0):.2f} s ({cl.get('source', '')})")
    elif recompute:
        add("clearing", "the clearing was recomputed", False, "the bundle carries no recomputation")
    return out


def _unhex(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _unhex(v) for k, v in d.items()}
    if isinstance(d, str) and d.startswith("0x") and not (len(d) == 42):
        return _b(d)
    return d


def _grid_hash(rid: int, name: str, x: dict) -> bytes:
    from ledger.grid_inputs import sensitivity_hash, zone_limits_hash
    if name == "ZoneLimitsPosted":
        return zone_limits_hash(rid, x["zoneId"], x["dso"], _b(x["upWh"]), _b(x["downWh"]))
    return sensitivity_hash(rid, x["rowId"], x["dso"], x["zoneIds"], x["coeffPpm"], _b(x["limitWh"]))


def _award_checks(ledger, chain: _Chain, bundle: dict, item: dict, award: Award,
                  round_checks: dict[str, list[Check]]) -> list[Check]:
    rid = bundle["round"]["round_id"]
    checks: list[Check] = []
    add = lambda link, name, ok, detail="": checks.append(Check(link, name, bool(ok), detail))  # noqa: E731
    ev = item["events"]
    leaf = _b(item["leaf"])
    settled = ev.get("Settled")
    # settlement
    add("settlement", "the award's leaf is the hash of its data", award.leaf == leaf)
    add("settlement", "a Settled event for this award is in its transaction's receipt",
        chain.confirms(settled, ("leaf", "fsp", "buyer")) and _b(settled["args"]["leaf"]) == leaf, settled["tx"] if settled else "not settled")
    add("settlement", "the Settlement contract records the award as settled",
        ledger.settlement.award(leaf)["phase"] == Phase.SETTLED)
    # activation and the buyer's role at that block
    request_ev = item.get("request")
    buyer = request_ev["args"]["buyer"] if request_ev else None
    act = ev.get("ActivationRequested")
    if act is not None:
        add("activation", "the activation is in its transaction's receipt", chain.confirms(act), act["tx"])
        who = act["args"]["buyer"]
        role_ok = any(ledger.registry.c.call("hasRole", r.id, who, block=act["block"]) for r in (Role.DSO, Role.TSO))
        add("activation", "it was activated by the request's buyer, a DSO or TSO at that block",
            who == buyer and role_ok, f"{who[:10]}… at block {act['block']}")
    else:
        add("activation", "no activation: reservation only", True)
    # the award and its proof
    root = ledger.clearing.commitment(rid).awards_root
    add("award", "its Merkle proof verifies against the committed root",
        merkle_verify(root, leaf, [_b(p) for p in item["proof"]]))
    pub = ev.get("AwardPublished")
    add("award", "it was published on the ledger (AwardPublished) for the committed attempt",
        chain.confirms(pub) and ledger.clearing.is_published(rid, award))
    add("award", "it was confirmed by the asset's owner (AwardConfirmed) and escrow was locked",
        chain.confirms(ev.get("AwardConfirmed")) and chain.confirms(ev.get("EscrowLocked"))
        and ledger.clearing.is_confirmed(award))
    checks += round_checks["commitment"]
    # the offer and the request
    oev = item.get("offer")
    offer = None
    if oev is None:
        add("offer", "the award's offer is in the evidence", False)
    else:
        x = oev["args"]
        data = _b(x["data"])
        h = offer_hash(award.offer_id, x["version"], rid, data)
        add("offer", "the offer's recorded data re-hashes to the hash the Market stores",
            h == ledger.market.offer_hash(award.offer_id) and x["offerId"] == award.offer_id,
            f"offer {award.offer_id} v{x['version']}")
        add("offer", "the offer event is in its transaction's receipt", chain.confirms(oev), oev["tx"])
        offer = FlexOffer.unpack(rid, data)
    checks += round_checks["offer"]
    if request_ev is None:
        add("request", "the award's request is in the evidence", False)
    else:
        q = FlexRequest.from_chain(_unhex(request_ev["args"]["request"]))
        add("request", "the request's data re-hashes to the hash the Market stores",
            q.request_hash(award.request_id, buyer) == ledger.market.c.call("requestHash", award.request_id)
            and chain.confirms(request_ev), f"request {award.request_id} by {buyer[:10]}…")
    checks += round_checks["request"]
    checks += round_checks["grid"]
    # the readings
    dom = settlement_domain(ledger.chain.chain_id, ledger.settlement.address)
    meter: dict[int, int | None] = {}
    for r in item["readings"]:
        t = r["slot_start"]
        if r.get("missing"):
            add("readings", f"asset {r['asset_id']} reading at {t}", True, "no reading recorded (counts as no delivery)")
            meter[t] = None
            continue
        ok_ev = chain.confirms(r["event"]) and r["event"]["args"]["energyWh"] == r["energy_wh"]
        stored = ledger.settlement.reading(r["asset_id"], t)
        key = ledger.registry.device_signer_at(r["asset_id"], t)
        signer = None
        if r.get("signature"):
            try:
                signer = recover(measurement_digest(dom, r["asset_id"], t, r["energy_wh"], r["seq"]),
                                 _b(r["signature"]))
            except Exception:
                signer = None
        add("readings", f"asset {r['asset_id']} reading at {t}: signed by the device key in force for its slot",
            ok_ev and signer == key and stored[0] and stored[1] == r["energy_wh"],
            f"{r['energy_wh']} Wh, signer {str(signer)[:10]}…, key {key[:10]}…")
        meter[t] = r["energy_wh"]
    checks += _baseline_checks(ledger, chain, item, [r["slot_start"] for r in item["readings"]])
    checks += round_checks["clearing"]
    # the money
    checks += _money_checks(ledger, chain, bundle, item, award, offer, meter)
    return checks


def _baseline_checks(ledger, chain: _Chain, item: dict, intervals: list[int]) -> list[Check]:
    """Per activated interval, the baseline settlement used (`baselineAt`) re-derived from the evidence:
    METERING's attestation in its receipt, or the metered baseline recomputed in Python
    (audit_money.metered_baseline) from the asset's own readings of the previous days, each in its receipt."""
    out: list[Check] = []
    given = {b["interval_start"]: b for b in item.get("baselines", [])}
    for t in intervals:
        b = given.get(t)
        if b is None:
            out.append(Check("baseline", f"baseline at {t} is in the evidence", False))
            continue
        present, wh, attested = ledger.settlement.baseline_at(b["asset_id"], t)
        if "attested" in b:
            ev = b["attested"]
            x = ev["args"]
            ok = (chain.confirms(ev) and attested and present and x["baselineWh"] == wh
                  and (x["assetId"], x["intervalStart"]) == (b["asset_id"], t))
            out.append(Check("baseline", f"baseline at {t}: attested by METERING (BaselineAttested) = baselineAt",
                             ok, f"{x['baselineWh']} Wh attested, contract {wh} Wh"))
            continue
        hist = b.get("history", [])
        events_ok = all(chain.confirms(h["event"]) and h["event"]["args"]["energyWh"] == h["energy_wh"]
                        and (h["event"]["args"]["assetId"], h["event"]["args"]["slotStart"])
                        == (b["asset_id"], h["slot_start"]) and 0 < t - h["slot_start"] <= BASELINE_DAYS * DAY
                        and (t - h["slot_start"]) % DAY == 0 for h in hist)
        distinct = len({h["slot_start"] for h in hist}) == len(hist)
        got = metered_baseline([h["energy_wh"] for h in hist])
        out.append(Check("baseline", f"baseline at {t}: metered, recomputed from the asset's readings of the "
                                     f"previous {BASELINE_DAYS} days = baselineAt",
                         events_ok and distinct and not attested and got == (present, wh),
                         f"{len(hist)} days, recomputed {got[1] if got[0] else 'none'} Wh, contract "
                         f"{wh if present else 'none'} Wh"))
    return out


def _money_checks(ledger, chain: _Chain, bundle: dict, item: dict, award: Award, offer: FlexOffer | None,
                  meter: dict[int, int | None]) -> list[Check]:
    out: list[Check] = []
    add = lambda name, ok, detail="": out.append(Check("money", name, bool(ok), detail))  # noqa: E731
    ev = item["events"]
    settled, escrow = ev.get("Settled"), ev.get("EscrowLocked")
    if settled is None or escrow is None or offer is None:
        add("the escrow and the settlement are in the evidence", False)
        return out
    rid = award.round_id
    cfg = _config(ledger, rid)
    rec = ledger.settlement.award(award.leaf)
    asset = ledger.registry.asset(offer.asset_id)
    phase = _phase(ev)
    act = ev.get("ActivationRequested")
    first, count = (act["args"]["firstSlice"], act["args"]["count"]) if act else (0, 0)
    slots, standing = [], []
    for i in range(first, first + count):
        start = cfg["deliveryStart"] + (award.start_slot + i) * cfg["slotLen"]
        ts = range(start, start + cfg["slotLen"], METER_INTERVAL)
        measured = [meter.get(t) for t in ts]
        bases = [ledger.settlement.baseline_at(offer.asset_id, t) for t in ts]
        slots.append((None if any(m is None for m in measured) else sum(measured),
                      None if not all(b[0] for b in bases) else sum(b[1] for b in bases)))
        standing.append(ledger.settlement.activated_wh(offer.asset_id, start))
    exp = expected_settlement(portion=list(award.portion), res_price=award.reservation_price,
                              act_price=award.activation_price, product=rec["product"], slot_len=cfg["slotLen"],
                              tolerance_bps=cfg["toleranceBps"], penalty_per_kwh=cfg["penaltyPerKwh"], phase=phase,
                              act_first=first, act_count=count,
                              consumption=asset.kind == AssetKind.CONSUMPTION,
                              meter=slots, standing_wh=standing)
    s = settled["args"]
    e = escrow["args"]
    add("the escrow locked at confirmation is the award's value (Python formula)",
        chain.confirms(escrow) and e["reservationValue"] + e["activationValue"] == exp.escrow
        and e["reservationValue"] == exp.reservation_value, f"escrow {exp.escrow}")
    add("the settlement paid, refunded and penalised what the formula gives",
        chain.confirms(settled) and (s["paidToFsp"], s["refundedToBuyer"], s["penalty"])
        == (exp.paid_to_fsp, exp.refunded_to_buyer, exp.penalty),
        f"expected paid {exp.paid_to_fsp}, refunded {exp.refunded_to_buyer}, penalty {exp.penalty}; "
        f"event says {s['paidToFsp']}, {s['refundedToBuyer']}, {s['penalty']}")
    token = ledger.token.address
    ins = [t for t in item["transfers"].get("EscrowLocked", []) if chain.confirms(t) and t["address"] == token]
    outs = [t for t in item["transfers"].get("Settled", []) if chain.confirms(t) and t["address"] == token]
    st = ledger.settlement.address
    buyer, fsp = e["buyer"], e["fsp"]
    escrow_in = sum(t["args"]["value"] for t in ins if t["args"]["from"] == buyer and t["args"]["to"] == st)
    to_fsp = sum(t["args"]["value"] for t in outs if t["args"]["from"] == st and t["args"]["to"] == fsp)
    to_buyer = sum(t["args"]["value"] for t in outs if t["args"]["from"] == st and t["args"]["to"] == buyer)
    add("token transfers: escrow in from the buyer equals the award's value", escrow_in == exp.escrow,
        f"{escrow_in} in")
    add("token transfers: payment to the FSP and refund to the buyer equal the formula",
        to_fsp == exp.to_fsp and to_buyer == exp.to_buyer,
        f"FSP {to_fsp} (expected {exp.to_fsp}), buyer {to_buyer} (expected {exp.to_buyer})")
    return out


def _phase(ev: dict) -> str:
    for name, phase in (("ActivationOptedOut", "optedout"), ("ActivationBlocked", "blocked"),
                        ("IncapacityDeclared", "incapable"), ("ActivationAccepted", "accepted"),
                        ("ActivationRequested", "activated")):
        if ev.get(name):
            return phase
    return "confirmed"


# ---- the use cases ---------------------------------------------------------------------------

def trace_round(ledger, round_id: int, recompute: bool = True) -> AuditReport:
    """Trace every settled award of a round (every published award, settled or not, is listed)."""
    t0 = time.perf_counter()
    bundle = gather(ledger, round_id, recompute=recompute)
    report = verify_bundle(ledger, bundle, f"round {round_id}", recompute)
    report.seconds = time.perf_counter() - t0
    return report


def _round_of_leaf(ledger, leaf: bytes) -> int:
    ledger.sync()
    pub = ledger.index.last("AwardPublished", leaf=leaf)
    if pub is None:
        raise OperationsError(f"no published award with leaf {_hex(leaf)}")
    return pub["roundId"]


def trace_award(ledger, leaf: bytes, recompute: bool = True, subject: str = "") -> AuditReport:
    t0 = time.perf_counter()
    rid = _round_of_leaf(ledger, leaf)
    bundle = gather(ledger, rid, [leaf], recompute)
    report = verify_bundle(ledger, bundle, subject or f"award {_hex(leaf)}", recompute)
    report.seconds = time.perf_counter() - t0
    return report


def trace_settlement(ledger, ref: str, recompute: bool = True) -> AuditReport:
    """A settlement by its award leaf or by the transaction hash of its Settled event."""
    ledger.sync()
    b = _b(ref)
    settled = [e for e in ledger.index.events("Settled") if e.tx_hash == _hex(b) or e["leaf"] == b]
    if not settled:
        raise OperationsError(f"no settlement {ref} (give the award leaf or the settlement transaction hash)")
    return trace_award(ledger, settled[-1]["leaf"], recompute, f"settlement {ref}")
