"""`flexwallet`: the FSP's wallet; `--json` everywhere.

    flexwallet offer submit F    submit a flex-offer (FlexLedger or AAU JSON), checked locally first
    flexwallet offer show N      one offer, optionally as an AAU document
    flexwallet offer withdraw N  withdraw (or, after an award, opt out of) an offer
    flexwallet award confirm N   confirm this wallet's awards of a final round (escrow locked)
    flexwallet balance [ADDR]    token balance and reliability record (the wallet's own by default)

A key is `--keystore FILE` (password from `--password-file` or FLEXLEDGER_PASSWORD) or
`--dev-account N` on development chains. Errors are one line on stderr with the exit codes of
`cli_common.errors`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli_common.context import attach, json_file, signer
from cli_common.errors import BadInput, CliApp, Refused, main_for
from cli_common.options import DEFAULT_MANIFEST, DEFAULT_RPC, Dev, Json, Keystore, ManifestOpt, PasswordFile, Rpc
from cli_common.output import balance, console, emit, render_balance, render_outcomes
from ledger.errors import OfferInvalid
from ledger.messages import FlexOffer
from ledger.messages.aau import from_aau, to_aau
from operations.settlement_run import confirm_awards

app = CliApp(help="FlexLedger wallet of a flexibility service provider (FSP): offers, awards, balance.")
offer_app = CliApp(help="Flex-offers.")
award_app = CliApp(help="Awards.")
app.add_typer(offer_app, name="offer")
app.add_typer(award_app, name="award")


@offer_app.command("submit")
def offer_submit(file: Path, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
                 aau: Annotated[bool, typer.Option(help="FILE is an AAU FlexOffer document")] = False,
                 dev_account: Dev = None, keystore: Keystore = None, password_file: PasswordFile = None,
                 json_out: Json = False) -> None:
    """Submit the flex-offer in FILE (checked locally before anything is sent)."""
    doc = json_file(file, "offer file")
    try:
        offer = from_aau(doc) if aau else FlexOffer.model_validate(doc)
    except OfferInvalid as exc:  # the document itself is malformed: bad input, not a refusal
        raise BadInput(f"offer file {file}: {exc}") from None
    fsp = signer(dev_account, keystore, password_file)
    offer_id = attach(rpc, manifest).market.submit_offer(fsp, offer)
    emit({"offer_id": offer_id, "offer_hash": "0x" + offer.offer_hash(offer_id).hex()}, json_out,
         lambda d: console.print(f"offer {d['offer_id']} recorded, hash {d['offer_hash']}"))


@offer_app.command("show")
def offer_show(offer_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
               aau: Annotated[bool, typer.Option(help="print as an AAU FlexOffer document")] = False) -> None:
    """Print an offer as recorded on the ledger (FlexLedger JSON, or AAU with --aau)."""
    ledger = attach(rpc, manifest)
    offer, version = ledger.market.offer(offer_id)
    status = ledger.market.offer_status(offer_id).name
    doc = to_aau(offer, offer_id=offer_id, state=status) if aau else {
        "offer_id": offer_id, "version": version, "status": status, **offer.model_dump(mode="json")}
    typer.echo(json.dumps(doc, indent=2))


@offer_app.command("withdraw")
def offer_withdraw(offer_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
                   dev_account: Dev = None, keystore: Keystore = None, password_file: PasswordFile = None) -> None:
    """Withdraw an offer (free before gate closure; an opt-out after an award)."""
    fsp = signer(dev_account, keystore, password_file)
    ledger = attach(rpc, manifest)
    ledger.market.withdraw_offer(fsp, offer_id)
    console.print(f"offer {offer_id}: {ledger.market.offer_status(offer_id).name}")


@award_app.command("confirm")
def award_confirm(round_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
                  dev_account: Dev = None, keystore: Keystore = None, password_file: PasswordFile = None,
                  json_out: Json = False) -> None:
    """Confirm all of this wallet's awards in a final round (locks each buyer's escrow)."""
    fsp = signer(dev_account, keystore, password_file)
    rows = [asdict(o) for o in confirm_awards(attach(rpc, manifest), fsp, round_id)]
    emit(rows, json_out, render_outcomes)
    refused = [r for r in rows if r["status"] != "confirmed"]
    if refused:
        raise Refused(f"{len(refused)} of {len(rows)} awards not confirmed; offer {refused[0]['offer_id']}: "
                      f"{refused[0]['status'].removeprefix('refused: ')}")


@app.command("balance")
def balance_cmd(address: Annotated[Optional[str], typer.Argument(help="default: the wallet's own address")] = None,
                rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST, dev_account: Dev = None,
                keystore: Keystore = None, json_out: Json = False) -> None:
    """Settlement-token balance and reliability record (the wallet's own unless ADDRESS is given)."""
    if address is None:
        address = _own_address(dev_account, keystore)
    emit(balance(attach(rpc, manifest), address), json_out, render_balance)


def _own_address(dev: int | None, keystore: Path | None) -> str:
    from ledger.accounts import dev_account
    from ledger.keys import keystore_address

    if keystore is not None:
        return keystore_address(keystore)  # no password needed to read an address
    if dev is None:
        raise BadInput("name an ADDRESS, or the wallet's key: --keystore PATH or --dev-account N")
    return dev_account(dev).address


main = main_for(app, "flexwallet")

if __name__ == "__main__":
    main()
