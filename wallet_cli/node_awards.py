"""`flexwallet award | activation | settlement | balance | history | approve-collateral` against a
node's API (`--node URL`).

Award confirmation through a node checks, before the key signs anything: the round's committed
awards root as the node reports it (`GET /rounds/{id}`, latest commitment), that the awards the node
publishes for the round make up exactly that root (the tree is recomputed here), that the award's
leaf is the hash of its own fields, and that its proof (the node's, recomputed here, or `--proof`)
leads to the root. The root itself is the node's word: a node that lies about it can only make the
wallet sign a confirmation the ClearingHouse refuses (it checks the proof against the root stored on
the chain), never move tokens; `--rpc` reads the root from the chain instead.
"""

from __future__ import annotations

import json
from pathlib import Path
import typer

from cli_common.errors import BadInput, Refused
from domain.award import Award, AwardTree
from domain.merkle import verify
from ledger.messages import FlexOffer
from wallet_cli.context import Wallet
from wallet_cli.render import EURO, eur, show

OPEN = ("CONFIRMED", "ACTIVATED", "ACCEPTED", "INCAPABLE", "OPTED_OUT", "BLOCKED")


def to_award(a: dict) -> Award:
    return Award(a["round_id"], a["offer_id"], a["request_id"], a["start_slot"], tuple(a["schedule"]),
                 tuple(a["portion"]), a["reservation_price"], a["activation_price"])


def my_awards(w: Wallet, round_id: int | None = None) -> list[tuple[Award, dict]]:
    """This wallet's awards (the round's latest commitment, as the node publishes them) with the node's rows."""
    api = w.api
    key = ("awards", round_id)
    if key not in api.cache:
        mine = {o["offer_id"] for o in api.pages("/flexoffers", owner=w.address, round=round_id)}
        rounds = [round_id] if round_id is not None else \
            sorted(r["round_id"] for r in api.pages("/rounds") if r["commitments"])
        out = []
        for rid in rounds:
            rows = round_awards(w, rid)
            out += [(to_award(r["award"]), r) for r in rows if r["offer_id"] in mine]
        api.cache[key] = out
    return api.cache[key]


def round_awards(w: Wallet, round_id: int) -> list[dict]:
    key = ("round", round_id)
    if key not in w.api.cache:
        w.api.cache[key] = w.api.get(f"/rounds/{round_id}/awards")
    return w.api.cache[key]


def find_award(w: Wallet, ident: str) -> tuple[Award, dict]:
    ident = ident.lower()
    if not ident.startswith("0x") or len(ident) < 6:
        raise BadInput(f"award id {ident!r}: give its leaf hash, 0x followed by at least 4 hex digits "
                       "(see `flexwallet award list`)")
    found = [(a, r) for a, r in my_awards(w) if r["leaf"].startswith(ident)]
    if len(found) != 1:
        raise BadInput(f"award id {ident}: {'no award of this wallet' if not found else 'ambiguous'} "
                       "(see `flexwallet award list`)")
    return found[0]


def _slot_len(w: Wallet, round_id: int) -> int:
    key = ("slot_len", round_id)
    if key not in w.api.cache:
        w.api.cache[key] = int(w.api.get(f"/rounds/{round_id}")["slot_len"])
    return w.api.cache[key]


def award_list(w: Wallet, round_id: int | None) -> None:
    rows = [{"id": r["leaf"], "round_id": a.round_id, "offer_id": a.offer_id, "request_id": a.request_id,
             "start_slot": a.start_slot, "portion_wh": list(a.portion), "value": a.value(_slot_len(w, a.round_id)),
             "confirmed": r["confirmed"], "phase": r["phase"], "proof": r["proof"], "awards_root": r["awards_root"]}
            for a, r in my_awards(w, round_id)]
    show(rows, w.json, ["id", "round_id", "offer_id", "request_id", "start_slot", "value", "confirmed", "phase"],
         title=f"awards of {w.address} (node {w.api.url})")


def committed_root(w: Wallet, round_id: int) -> bytes:
    """The awards root of the round's latest commitment, as the node reports it."""
    commits = w.api.get(f"/rounds/{round_id}")["commitments"]
    if not commits:
        raise Refused(f"round {round_id}: the node reports no commitment; nothing sent")
    latest = max(commits, key=lambda c: c["attempt"])
    return bytes.fromhex(latest["awards_root"].removeprefix("0x"))


def proof_from_file(proof_file: Path) -> list[bytes]:
    """A Merkle proof given as a file (`--proof`): a JSON list of 0x-hex hashes; BadInput otherwise.
    Used by both the RPC and the node paths of `award confirm`."""
    try:
        return [bytes.fromhex(p.removeprefix("0x")) for p in json.loads(proof_file.read_text())]
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise BadInput(f"proof file {proof_file}: expected a JSON list of 0x-hex hashes ({exc})") from None


def checked_proof(w: Wallet, award: Award, row: dict, proof_file: Path | None) -> list[bytes]:
    """The award's proof, checked here against the committed root read from the node, with the round's
    tree and the proof recomputed from the published awards; Refused (nothing signed) otherwise."""
    rid, short = award.round_id, row["leaf"][:12]
    root = committed_root(w, rid)
    if "0x" + award.leaf.hex() != row["leaf"]:
        raise Refused(f"award {short}: the node's leaf is not the hash of the award's fields; nothing sent")
    tree = AwardTree([to_award(r["award"]) for r in round_awards(w, rid)])
    if tree.root != root:
        raise Refused(f"round {rid}: the awards the node publishes do not make up the committed root 0x{root.hex()} "
                      f"(run `flexledger verify {rid}`); nothing sent")
    if proof_file is not None:
        proof = proof_from_file(proof_file)
    else:
        proof = [bytes.fromhex(p.removeprefix("0x")) for p in row["proof"]]
        if proof != tree.proof(award):
            raise Refused(f"award {short}: the node's Merkle proof differs from the one recomputed here; nothing sent")
    if not verify(root, award.leaf, proof):
        raise Refused(f"award {short}: its Merkle proof does not lead to round {rid}'s committed root "
                      f"0x{root.hex()}; nothing sent")
    return proof


def award_confirm(w: Wallet, ident: str | None, all_: bool, round_id: int | None, proof_file: Path | None) -> None:
    if ident is not None and ident.isdigit():
        all_, round_id = True, int(ident)
    if all_:
        if proof_file is not None:
            raise BadInput("--proof goes with one award ID, not --all")
        awards = [(a, r) for a, r in my_awards(w, round_id) if not r["confirmed"]]
    elif ident is not None:
        awards = [find_award(w, ident)]
    else:
        raise BadInput("name an award ID, or --all")
    checked = [(a, r, checked_proof(w, a, r, proof_file)) for a, r in awards]  # every proof before any signature
    rows = []
    for a, r, proof in checked:
        o = w.api.get(f"/flexoffers/{a.offer_id}")
        offer = FlexOffer.model_validate(o["offer"])
        if o["offer_hash"] != "0x" + offer.offer_hash(a.offer_id, o["version"]).hex():
            raise Refused(f"offer {a.offer_id}: the node's offer data does not hash to its recorded hash; nothing sent")
        row = {"id": r["leaf"], "round_id": a.round_id, "offer_id": a.offer_id, "request_id": a.request_id}
        try:
            out = w.api.relay("ClearingHouse", "confirmAward", a.to_chain(), proof, offer.to_chain())
            rows.append({**row, "status": "confirmed", "tx": out["tx_hash"]})
        except Refused as exc:
            rows.append({**row, "status": f"refused: {exc}", "tx": None})
    show(rows, w.json, ["id", "round_id", "offer_id", "request_id", "status"], title="award confirmation")
    refused = [r for r in rows if r["status"] != "confirmed"]
    if refused:
        raise Refused(f"{len(refused)} of {len(rows)} awards not confirmed; offer {refused[0]['offer_id']}: "
                      f"{refused[0]['status'].removeprefix('refused: ')}")


# ---- activations ------------------------------------------------------------------------------------
def activation_list(w: Wallet) -> None:
    rows = []
    for a, r in my_awards(w):
        for act in w.api.get("/activations", leaf=r["leaf"]):
            rows.append({"id": r["leaf"], "round_id": a.round_id, "offer_id": a.offer_id, "buyer": act["buyer"],
                         "first_slice": act["first_slice"], "count": act["count"],
                         "first_slot_start": act["first_slot_start"], "state": act["state"], "phase": r["phase"]})
    show(rows, w.json, ["id", "round_id", "offer_id", "buyer", "first_slice", "count", "first_slot_start", "phase"],
         title="activations")


def respond(w: Wallet, ident: str, what: str) -> None:
    a, r = find_award(w, ident)
    fn, arg = {"opt-in": ("optIn", a.leaf), "decline": ("declareIncapacity", a.to_chain()),
               "opt-out": ("optOut", a.to_chain())}[what]
    out = w.api.relay("Settlement", fn, arg)
    phase = w.api.get(f"/awards/{r['leaf']}")["phase"]
    data = {"id": r["leaf"], "action": what, "phase": phase, "tx": out["tx_hash"]}
    show(data, w.json) if w.json else typer.echo(f"award {data['id'][:12]}: {what} -> {phase} ({out['tx_hash']})")


# ---- settlements and money ------------------------------------------------------------------------------
def _settlements(w: Wallet) -> list[dict]:
    return list(w.api.pages("/settlements", fsp=w.address))


def settlement_list(w: Wallet) -> None:
    rows = [{"id": s["leaf"], "buyer": s["buyer"], "paid": s["paid_to_fsp"], "refunded": s["refunded_to_buyer"],
             "penalty": s["penalty"], "requested_wh": s["requested_wh"], "delivered_wh": s["delivered_wh"],
             "block": s["block"]} for s in _settlements(w)]
    show(rows, w.json, ["id", "paid", "refunded", "penalty", "requested_wh", "delivered_wh", "block"],
         title="settlements")


def settlement_show(w: Wallet, ident: str) -> None:
    """Totals of one settlement and the readings per slot the node holds; the per-slot baseline, delivered
    energy and penalty share need chain reads the API does not serve (`--rpc`)."""
    a, r = find_award(w, ident)
    s = next((s for s in _settlements(w) if s["leaf"] == r["leaf"]), None)
    if s is None:
        raise BadInput(f"award {r['leaf'][:12]} is not settled yet (phase {r['phase']})")
    slot_len = _slot_len(w, a.round_id)
    rnd = w.api.get(f"/rounds/{a.round_id}")
    asset = w.api.get(f"/flexoffers/{a.offer_id}")["asset_id"]
    readings = {m["slot_start"]: m["energy_wh"] for m in w.api.pages("/measurements", asset=asset)}
    slots = []
    for i, portion in enumerate(a.portion):
        start = rnd["delivery_start"] + (a.start_slot + i) * slot_len
        slots.append({"slot": i, "start": start, "measured_wh": readings.get(start), "awarded_wh": abs(portion)})
    data = {"id": r["leaf"], "round_id": a.round_id, "offer_id": a.offer_id, "paid": s["paid_to_fsp"],
            "refunded": s["refunded_to_buyer"], "penalty": s["penalty"], "requested_wh": s["requested_wh"],
            "delivered_wh": s["delivered_wh"], "block": s["block"], "slots": slots,
            "not_served": ["baseline_wh", "delivered_wh per slot", "penalty per slot", "collateral_returned"]}
    show(data, w.json)
    if not w.json:
        from cli_common.output import console
        from wallet_cli.render import table
        console.print(table(slots, ["slot", "start", "measured_wh", "awarded_wh"],
                            "per slot (baseline and delivered per slot: use --rpc)"))


def _transfers(w: Wallet) -> list[dict]:
    me = w.address
    return [e for e in w.api.pages("/events", name="Transfer")
            if e["contract"] == "SettlementToken" and me in (e["args"]["from"], e["args"]["to"])]


def history(w: Wallet) -> None:
    api, me = w.api, w.address
    names = {api.contract("Settlement"): "Settlement", "0x" + "00" * 20: "mint",
             api.contract("ClearingHouse"): "ClearingHouse"}
    rows = []
    for e in _transfers(w):
        incoming = e["args"]["to"] == me
        other = e["args"]["from"] if incoming else e["args"]["to"]
        amount = int(e["args"]["value"]) * (1 if incoming else -1)
        rows.append({"block": e["block"], "tx": e["tx_hash"], "counterparty": names.get(other, other),
                     "amount": amount, "eur": f"{amount / EURO:+.6f}"})
    show(rows, w.json, ["block", "counterparty", "eur", "tx"], title=f"payments of {me}")


def balance(w: Wallet, address: str | None) -> None:
    """What the node's index holds: the token balance summed from the token's Transfer events, escrow
    for open awards, paid, penalties and reliability. Collateral locked and held payout are contract
    state the API does not serve (`--rpc`); they are reported as not served."""
    if address is not None and address.lower() != w.address.lower():
        raise BadInput(f"balance {address}: through a node, only the wallet's own balance (use --rpc for others)")
    me = w.address
    tokens = sum(int(e["args"]["value"]) * (1 if e["args"]["to"] == me else -1) for e in _transfers(w))
    escrowed = sum((r["reservation_value"] or 0) + (r["activation_value"] or 0)
                   for _, r in my_awards(w) if r["phase"] in OPEN)
    settled = _settlements(w)
    try:
        rel = w.api.get(f"/reliability/{me}")
    except BadInput:  # 404: no settlement yet
        rel = {"requested_wh": 0, "delivered_wh": 0, "settlements": 0, "penalised": 0, "opt_outs": 0}
    data = {"address": me, "balance": tokens, "escrowed": escrowed, "collateral_locked": None,
            "paid": sum(s["paid_to_fsp"] for s in settled), "penalties": sum(s["penalty"] for s in settled),
            "held_payout": None, "reliability": rel, "not_served": ["collateral_locked", "held_payout"]}
    if w.json:
        show(data, True)
        return
    show({"address": me, "tokens (flxEUR)": eur(tokens), "escrowed for it": eur(escrowed),
          "collateral locked": "not served by the node (use --rpc)", "paid": eur(data["paid"]),
          "penalties": eur(data["penalties"]), "held payout": "not served by the node (use --rpc)",
          "reliability": f"delivered {rel['delivered_wh']} of {rel['requested_wh']} Wh over {rel['settlements']} "
                         f"settlements, {rel['penalised']} penalised, {rel['opt_outs']} opt-outs"}, False)


def approve_collateral(w: Wallet, amount: int) -> None:
    spender = w.api.contract("Settlement")
    out = w.api.relay("SettlementToken", "approve", spender, amount)
    show({"spender": spender, "amount": amount, "tx": out["tx_hash"]}, w.json)
