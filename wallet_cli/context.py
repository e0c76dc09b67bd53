"""How a command reaches the ledger and which key it signs with (shared by every command)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.accounts import dev_account
from ledger.ledger import Ledger

DEFAULT_MANIFEST = Path("var/manifest.json")


def attach(rpc: str, manifest: Path) -> Ledger:
    if not manifest.exists():
        raise typer.BadParameter(f"no deployment manifest at {manifest}: run `flexledger deploy` first")
    return Ledger.attach(rpc, manifest)


def signer(dev: int | None, keystore: Path | None) -> LocalAccount:
    """A development account by index, or an encrypted keystore (password in FLEXLEDGER_PASSWORD)."""
    if keystore is not None:
        password = os.environ.get("FLEXLEDGER_PASSWORD")
        if password is None:
            raise typer.BadParameter("set FLEXLEDGER_PASSWORD to unlock the keystore")
        try:
            return Account.from_key(Account.decrypt(json.loads(keystore.read_text()), password))
        except ValueError as exc:
            raise typer.BadParameter(f"cannot unlock {keystore}: {exc}") from None
    if dev is None:
        raise typer.BadParameter("name a key: --keystore PATH or --dev-account N (development chains only)")
    return dev_account(dev)


def emit(data, as_json: bool, render) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        render(data)
