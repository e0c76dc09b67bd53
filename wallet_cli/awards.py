"""`flexwallet award | activation | settlement ...`: the wallet's awards as the ledger published
them (AwardPublished of each round's current commitment), their confirmation with a Merkle proof
checked locally against the committed root before anything is sent, activations, settlements."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cli_common.errors import BadInput, CliApp, Refused
from domain.award import Award, AwardTree
from domain.enums import AssetKind, Phase
from domain.merkle import verify
from ledger.errors import ContractRevert
from wallet_cli import node_awards
from wallet_cli.context import Wallet, wallet_command
from wallet_cli.render import show

award_app = CliApp(help="Awards: list, confirm (proof checked locally first).")
activation_app = CliApp(help="Activations: list, opt-in, decline (before the start, no penalty), opt-out.")
settlement_app = CliApp(help="Settlements: list, show (per slot: baseline, measured, delivered, paid, penalty).")

Id = Annotated[str, typer.Argument(help="award id: its leaf hash (0x..., a unique prefix is enough)")]


def leaf_hex(a: Award) -> str:
    return "0x" + a.leaf.hex()


def my_awards(w: Wallet, round_id: int | None = None) -> list[Award]:
    """This wallet's awards in every round (or `round_id`), from the published awards."""
    ledger = w.ledger
    ledger.sync()
    mine = {e["offerId"] for e in ledger.index.events("OfferSubmitted", owner=w.address)}
    rounds = sorted({e["roundId"] for e in ledger.index.events("AwardPublished")})
    out = []
    for rid in rounds:
        if round_id is None or rid == round_id:
            out += [a for a in ledger.clearing.published_awards(rid) if a.offer_id in mine]
    return out


def find_award(w: Wallet, ident: str) -> Award:
    ident = ident.lower()
    if not ident.startswith("0x") or len(ident) < 6:
        raise BadInput(f"award id {ident!r}: give its leaf hash, 0x followed by at least 4 hex digits "
                       "(see `flexwallet award list`)")
    found = [a for a in my_awards(w) if leaf_hex(a).startswith(ident)]
    if len(found) != 1:
        raise BadInput(f"award id {ident}: {'no award of this wallet' if not found else 'ambiguous'} "
                       "(see `flexwallet award list`)")
    return found[0]


def _row(w: Wallet, a: Award) -> dict[str, Any]:
    ledger = w.ledger
    slot_len = ledger.market.round(a.round_id).config.slot_len
    return {"id": leaf_hex(a), "round_id": a.round_id, "offer_id": a.offer_id, "request_id": a.request_id,
            "start_slot": a.start_slot, "portion_wh": list(a.portion), "value": a.value(slot_len),
            "confirmed": ledger.clearing.is_confirmed(a), "phase": ledger.settlement.phase(a).name}


@wallet_command(award_app, "list")
def award_list(w: Wallet, round_id: Annotated[Optional[int], typer.Option("--round", help="only this round")] = None
               ) -> None:
    """This wallet's awards, read from the ledger's AwardPublished events.

    Example: flexwallet award list --round 3
    """
    if w.node:
        return node_awards.award_list(w, round_id)
    rows = [_row(w, a) for a in my_awards(w, round_id)]
    show(rows, w.json, ["id", "round_id", "offer_id", "request_id", "start_slot", "value", "confirmed", "phase"],
         title=f"awards of {w.address}")


def checked_proof(ledger, award: Award, proof_file: Path | None) -> list[bytes]:
    """The award's proof (from the published awards, or `proof_file`), verified against the round's
    committed root here, before anything is sent."""
    root = ledger.clearing.commitment(award.round_id).awards_root
    if proof_file is not None:
        proof = node_awards.proof_from_file(proof_file)
    else:
        tree = AwardTree(ledger.clearing.published_awards(award.round_id))
        if tree.root != root:
            raise Refused(f"round {award.round_id}: the published awards do not make up the committed root "
                          f"0x{root.hex()} (run `flexledger verify {award.round_id}`); nothing sent")
        proof = tree.proof(award)
    if not verify(root, award.leaf, proof):
        raise Refused(f"award {leaf_hex(award)[:12]}: its Merkle proof does not lead to round {award.round_id}'s "
                      f"committed root 0x{root.hex()}; nothing sent")
    return proof


@wallet_command(award_app, "confirm")
def award_confirm(w: Wallet, ident: Annotated[Optional[str], typer.Argument(
        metavar="[ID|ROUND]", help="an award id (0x leaf prefix); a plain number N confirms all of round N")] = None,
                  all_: Annotated[bool, typer.Option("--all", help="every unconfirmed award (of --round if given)")]
                  = False,
                  round_id: Annotated[Optional[int], typer.Option("--round", help="with --all: only this round")]
                  = None,
                  proof_file: Annotated[Optional[Path], typer.Option("--proof", help="with ID: a proof obtained "
                                                                     "elsewhere (JSON list of hex); checked first")]
                  = None) -> None:
    """Confirm awards (locks the buyer's escrow and this wallet's collateral); each proof is checked
    locally against the committed root before the transaction is signed.

    Example: flexwallet award confirm --all ; flexwallet award confirm 0x3fa2c1
    """
    if w.node:
        return node_awards.award_confirm(w, ident, all_, round_id, proof_file)
    ledger = w.ledger
    if ident is not None and ident.isdigit():
        all_, round_id = True, int(ident)
    if all_:
        awards = [a for a in my_awards(w, round_id) if not ledger.clearing.is_confirmed(a)]
        if proof_file is not None:
            raise BadInput("--proof goes with one award ID, not --all")
    elif ident is not None:
        awards = [find_award(w, ident)]
    else:
        raise BadInput("name an award ID, or --all")
    checked = [(a, checked_proof(ledger, a, proof_file)) for a in awards]  # every proof before any signature
    fsp = w.signer() if checked else None
    rows = []
    for a, proof in checked:
        offer, _ = ledger.market.offer(a.offer_id)
        row = {"id": leaf_hex(a), "round_id": a.round_id, "offer_id": a.offer_id, "request_id": a.request_id}
        try:
            tx = ledger.clearing.confirm_award(fsp, a, proof, offer)
            rows.append({**row, "status": "confirmed", "tx": tx.tx_hash})
        except ContractRevert as exc:
            rows.append({**row, "status": f"refused: {exc}", "tx": exc.tx_hash})
    show(rows, w.json, ["id", "round_id", "offer_id", "request_id", "status"], title="award confirmation")
    refused = [r for r in rows if r["status"] != "confirmed"]
    if refused:
        raise Refused(f"{len(refused)} of {len(rows)} awards not confirmed; offer {refused[0]['offer_id']}: "
                      f"{refused[0]['status'].removeprefix('refused: ')}")


# ---- activations ---------------------------------------------------------------------------------
@wallet_command(activation_app, "list")
def activation_list(w: Wallet) -> None:
    """This wallet's activated awards: what the buyer asked, and whether it was accepted.

    Example: flexwallet activation list --json
    """
    if w.node:
        return node_awards.activation_list(w)
    ledger = w.ledger
    rows = []
    for a in my_awards(w):
        ev = ledger.index.last("ActivationRequested", leaf=a.leaf)
        if ev is None:
            continue
        rows.append({"id": leaf_hex(a), "round_id": a.round_id, "offer_id": a.offer_id, "buyer": ev["buyer"],
                     "first_slice": ev["firstSlice"], "count": ev["count"], "first_slot_start": ev["firstSlotStart"],
                     "phase": ledger.settlement.phase(a).name})
    show(rows, w.json, ["id", "round_id", "offer_id", "buyer", "first_slice", "count", "first_slot_start", "phase"],
         title="activations")


def _respond(w: Wallet, ident: str, what: str) -> None:
    if w.node:
        return node_awards.respond(w, ident, what)
    ledger = w.ledger
    a = find_award(w, ident)
    fsp = w.signer()
    s = ledger.settlement
    tx = {"opt-in": lambda: s.opt_in(fsp, a), "decline": lambda: s.declare_incapacity(fsp, a),
          "opt-out": lambda: s.opt_out(fsp, a)}[what]()
    data = {"id": leaf_hex(a), "action": what, "phase": s.phase(a).name, "tx": tx.tx_hash}
    show(data, w.json) if w.json else typer.echo(f"award {data['id'][:12]}: {what} -> {data['phase']} ({tx.tx_hash})")


@wallet_command(activation_app, "opt-in")
def activation_opt_in(w: Wallet, ident: Id) -> None:
    """Accept an activation (the device must then deliver).

    Example: flexwallet activation opt-in 0x3fa2c1
    """
    _respond(w, ident, "opt-in")


@wallet_command(activation_app, "decline")
def activation_decline(w: Wallet, ident: Id) -> None:
    """Decline an activation before its first slot (incapacity: no penalty, the reservation of those slots refunded).

    Example: flexwallet activation decline 0x3fa2c1
    """
    _respond(w, ident, "decline")


@wallet_command(activation_app, "opt-out")
def activation_opt_out(w: Wallet, ident: Id) -> None:
    """Opt out of an accepted activation (the reservation is forfeited and a penalty applies).

    Example: flexwallet activation opt-out 0x3fa2c1
    """
    _respond(w, ident, "opt-out")


# ---- settlements ---------------------------------------------------------------------------------
def _settled(w: Wallet) -> list:
    w.ledger.sync()
    return w.ledger.index.events("Settled", fsp=w.address)


@wallet_command(settlement_app, "list")
def settlement_list(w: Wallet) -> None:
    """This wallet's settled awards: paid, refunded to the buyer, penalty, energy requested and delivered.

    Example: flexwallet settlement list
    """
    if w.node:
        return node_awards.settlement_list(w)
    rows = [{"id": "0x" + bytes(e["leaf"]).hex(), "buyer": e["buyer"], "paid": e["paidToFsp"],
             "refunded": e["refundedToBuyer"], "penalty": e["penalty"], "requested_wh": e["requestedWh"],
             "delivered_wh": e["deliveredWh"], "block": e.block, "tx": e.tx_hash} for e in _settled(w)]
    show(rows, w.json, ["id", "paid", "refunded", "penalty", "requested_wh", "delivered_wh", "tx"],
         title="settlements")


@wallet_command(settlement_app, "show")
def settlement_show(w: Wallet, ident: Id) -> None:
    """One settlement per slot: baseline, measured, awarded, delivered, paid and penalty (token units).

    Example: flexwallet settlement show 0x3fa2c1
    """
    if w.node:
        return node_awards.settlement_show(w, ident)
    ledger = w.ledger
    a = find_award(w, ident)
    ev = ledger.index.last("Settled", leaf=a.leaf)
    if ev is None:
        raise BadInput(f"award {leaf_hex(a)[:12]} is not settled yet (phase {ledger.settlement.phase(a).name})")
    rec = ledger.settlement.award(a.leaf)
    cfg = ledger.market.round(a.round_id).config
    consumption = ledger.registry.asset(rec["assetId"]).kind == AssetKind.CONSUMPTION
    act_price = a.activation_price if rec["product"] & 2 else 0
    slots, shortfall_total = [], 0
    active = range(rec["actFirst"], rec["actFirst"] + rec["actCount"]) if rec["actCount"] else range(0)
    for i, portion in enumerate(a.portion):
        start = cfg.slot_start(a.start_slot + i)
        has_reading, measured, _seq = ledger.settlement.reading(rec["assetId"], start)
        has_base, baseline, _att = ledger.settlement.baseline_at(rec["assetId"], start)
        awarded = abs(portion) if i in active else 0
        delivered = 0
        if i in active and has_reading and has_base and Phase(rec["phase"]) != Phase.OPTED_OUT:
            up = baseline - measured if consumption else measured - baseline
            dev = up if portion >= 0 else -up
            total = ledger.settlement.activated_wh(rec["assetId"], start) or awarded
            delivered = 0 if dev <= 0 else (awarded if dev >= total else dev * awarded // total)
        ok = delivered * 10_000 >= awarded * (10_000 - cfg.tolerance_bps)
        paid_wh = awarded if ok else delivered
        short = 0 if ok else awarded - delivered
        shortfall_total += short
        slots.append({"slot": i, "start": start, "baseline_wh": baseline if has_base else None,
                      "measured_wh": measured if has_reading else None, "awarded_wh": awarded,
                      "delivered_wh": delivered, "paid": act_price * paid_wh // 1000, "shortfall_wh": short})
    for s in slots:  # the event's penalty, shared by each slot's shortfall
        s["penalty"] = ev["penalty"] * s["shortfall_wh"] // shortfall_total if shortfall_total else 0
    released = ledger.index.last("CollateralReleased", leaf=a.leaf)
    data = {"id": leaf_hex(a), "round_id": a.round_id, "offer_id": a.offer_id, "paid": ev["paidToFsp"],
            "refunded": ev["refundedToBuyer"], "penalty": ev["penalty"], "requested_wh": ev["requestedWh"],
            "delivered_wh": ev["deliveredWh"], "collateral_returned": released["returnedToFsp"] if released else 0,
            "collateral_forfeited": released["forfeitedToBuyer"] if released else 0, "tx": ev.tx_hash,
            "slots": slots}
    show(data, w.json)
    if not w.json:
        from cli_common.output import console
        from wallet_cli.render import table
        console.print(table(slots, ["slot", "start", "baseline_wh", "measured_wh", "awarded_wh", "delivered_wh",
                                    "paid", "penalty"], "per slot (paid: activation; reservation in the total)"))
