"""`flexwallet balance | history | collateral approve`: the wallet's money on the ledger."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cli_common.errors import BadInput
from domain.enums import Phase
from wallet_cli import node_awards
from wallet_cli.awards import my_awards
from wallet_cli.context import Wallet, wallet_command
from wallet_cli.render import EURO, eur, show

OPEN = (Phase.CONFIRMED, Phase.ACTIVATED, Phase.ACCEPTED, Phase.INCAPABLE, Phase.OPTED_OUT, Phase.BLOCKED)
ZERO = "0x" + "00" * 20


def register(app: typer.Typer) -> None:
    @wallet_command(app, "balance")
    def balance_cmd(w: Wallet, address: Annotated[Optional[str], typer.Argument(
            help="default: the wallet's own address")] = None) -> None:
        """Tokens, escrow locked for this wallet's open awards, collateral locked, paid, penalties, held
        payout and the reliability record (of ADDRESS if given; escrow and collateral only for the wallet).

        Example: flexwallet balance --json
        """
        if w.node:
            return node_awards.balance(w, address)
        ledger = w.ledger
        ledger.sync()
        own = address is None
        address = w.address if own else address
        escrowed = collateral = 0
        if own:
            for a in my_awards(w):
                rec = ledger.settlement.award(a.leaf)
                if Phase(rec["phase"]) in OPEN:
                    escrowed += rec["reservationValue"] + rec["activationValue"]
                    collateral += rec["collateral"]
        settled = ledger.index.events("Settled", fsp=address)
        rel = ledger.settlement.reliability(address)
        data = {"address": address, "balance": ledger.token.balance(address), "escrowed": escrowed,
                "collateral_locked": collateral, "paid": sum(e["paidToFsp"] for e in settled),
                "penalties": sum(e["penalty"] for e in settled), "held_payout": ledger.settlement.held_payout(address),
                "reliability": dict(rel)}
        if w.json:
            show(data, True)
            return
        show({"address": address, "tokens (flxEUR)": eur(data["balance"]), "escrowed for it": eur(escrowed),
              "collateral locked": eur(collateral), "paid": eur(data["paid"]), "penalties": eur(data["penalties"]),
              "held payout": eur(data["held_payout"]),
              "reliability": f"delivered {rel['deliveredWh']} of {rel['requestedWh']} Wh over {rel['settlements']} "
                             f"settlements, {rel['failures']} failures, {rel['optOuts']} opt-outs"}, False)

    @wallet_command(app, "history")
    def history_cmd(w: Wallet) -> None:
        """Every token payment to or from this wallet, with its transaction.

        Example: flexwallet history --json
        """
        if w.node:
            return node_awards.history(w)
        ledger = w.ledger
        ledger.sync()
        me = w.address
        names = {ledger.settlement.address: "Settlement", ZERO: "mint", ledger.clearing.address: "ClearingHouse"}
        rows = []
        for e in ledger.index.events("Transfer", address=ledger.token.address):
            if me not in (e["from"], e["to"]):
                continue
            incoming = e["to"] == me
            other = e["from"] if incoming else e["to"]
            amount = e["value"] if incoming else -e["value"]
            rows.append({"block": e.block, "tx": e.tx_hash, "counterparty": names.get(other, other),
                         "amount": amount, "eur": f"{amount / EURO:+.6f}"})
        show(rows, w.json, ["block", "counterparty", "eur", "tx"], title=f"payments of {me}")

    @wallet_command(app, "approve-collateral")
    def approve_cmd(w: Wallet, euros: Annotated[float, typer.Argument(help="how much the Settlement contract may "
                                                                      "lock as collateral, in euros")]) -> None:
        """Let the Settlement contract lock up to EUROS of this wallet's tokens as award collateral.

        Example: flexwallet approve-collateral 500
        """
        if euros < 0:
            raise BadInput("approve-collateral: a non-negative amount")
        if w.node:
            return node_awards.approve_collateral(w, int(round(euros * EURO)))
        tx = w.ledger.token.approve(w.signer(), w.ledger.settlement.address, int(round(euros * EURO)))
        show({"spender": w.ledger.settlement.address, "amount": int(round(euros * EURO)), "tx": tx.tx_hash}, w.json)
