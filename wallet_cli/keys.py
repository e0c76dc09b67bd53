"""`flexwallet key ...`: identities as Ethereum V3 keystores (scrypt), files owner-only (0600).

Keystores live in `keys/` beside the config file (~/.config/flexwallet/keys/NAME.json). The
passphrase is asked without echo on a terminal, or read from --password-file / FLEXLEDGER_PASSWORD
for automation. Device keys for agents are made the same way (`flexwallet key new meter-1`).
scrypt runs at eth-account's default cost (n = 2**18); only tests lower it, through the
test-only variable FLEXWALLET_INSECURE_TEST_SCRYPT_N.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from eth_account import Account

from cli_common.errors import BadInput, CliApp
from ledger.errors import KeystoreError
from ledger.keys import create_keystore, keystore_address, load_key
from wallet_cli.context import Wallet, ask_password, key_path, scrypt_work_factor, wallet_command
from wallet_cli.profiles import keys_dir
from wallet_cli.render import show

key_app = CliApp(help="Identities: encrypted keystores (scrypt), one file per key, owner-only.")

Name = Annotated[str, typer.Argument(help="identity name, e.g. fsp or meter-1")]
NewPassword = Annotated[Optional[Path], typer.Option("--new-password-file", help="file whose first line is the new "
                                                     "passphrase (else FLEXWALLET_NEW_PASSWORD, else a prompt)")]


def _new_password(new_password_file: Path | None) -> str:
    if new_password_file is None and "FLEXWALLET_NEW_PASSWORD" in os.environ:
        return os.environ["FLEXWALLET_NEW_PASSWORD"]
    if new_password_file is not None:
        return ask_password(new_password_file)
    return ask_password(None, "New passphrase", confirm=True)


def _write(path: Path, password: str, private_key: bytes | str | None) -> str:
    if not password:
        raise BadInput("refusing an empty passphrase")
    return create_keystore(path, password, private_key=private_key, kdf="scrypt", iterations=scrypt_work_factor())


def _info(name: str, path: Path) -> dict:
    data = json.loads(path.read_text())
    crypto = data.get("crypto") or data.get("Crypto") or {}
    return {"name": name, "address": keystore_address(path), "path": str(path), "kdf": crypto.get("kdf"),
            "mode": oct(path.stat().st_mode & 0o777)}


@wallet_command(key_app, "new")
def key_new(w: Wallet, name: Name) -> None:
    """Create a new identity NAME (a fresh key, encrypted with a passphrase).

    Example: FLEXLEDGER_PASSWORD=... flexwallet key new fsp
    """
    path = key_path(name)
    address = _write(path, ask_password(w.password_file, "New passphrase", confirm=True), None)
    show({"name": name, "address": address, "path": str(path)}, w.json)


@wallet_command(key_app, "import")
def key_import(w: Wallet, name: Name,
               source: Annotated[Path, typer.Argument(help="file holding a hex private key, or a V3 keystore")],
               new_password_file: NewPassword = None) -> None:
    """Import a key as identity NAME from a hex private-key file or another V3 keystore.

    A hex key is encrypted with the passphrase from --password-file / FLEXLEDGER_PASSWORD / a prompt; a
    keystore is unlocked with that passphrase and keeps it unless --new-password-file is given.

    Example: flexwallet key import fsp ./fsp.key --password-file ./pw
    """
    text = source.read_text().strip()
    if text.startswith("{"):
        password = ask_password(w.password_file, f"Passphrase of {source.name}")
        key: bytes | str = load_key(source, password)
        if new_password_file is not None or "FLEXWALLET_NEW_PASSWORD" in os.environ:
            password = _new_password(new_password_file)
    else:
        try:
            key = Account.from_key(text).key
        except Exception:  # eth-account raises several types for a malformed key
            raise BadInput(f"{source}: not a hex private key or a V3 keystore") from None
        password = ask_password(w.password_file, "New passphrase", confirm=True)
    address = _write(key_path(name), password, key)
    show({"name": name, "address": address, "path": str(key_path(name))}, w.json)


@wallet_command(key_app, "list")
def key_list(w: Wallet) -> None:
    """List the identities in the wallet's key directory.

    Example: flexwallet key list --json
    """
    d = keys_dir()
    rows = [_info(p.stem, p) for p in sorted(d.glob("*.json"))] if d.exists() else []
    show(rows, w.json, ["name", "address", "kdf", "mode", "path"], title=f"keys in {d}")


@wallet_command(key_app, "show")
def key_show(w: Wallet, name: Name) -> None:
    """Show one identity: address, file, KDF and file mode (no passphrase needed).

    Example: flexwallet key show fsp
    """
    path = key_path(name)
    if not path.exists():
        raise BadInput(f"no key named {name!r} in {keys_dir()}")
    show(_info(name, path), w.json)


@wallet_command(key_app, "export-address")
def key_export_address(w: Wallet, name: Name) -> None:
    """Print only the address of NAME (for scripts and for registration by the admin).

    Example: ADDR=$(flexwallet key export-address fsp)
    """
    path = key_path(name)
    if not path.exists():
        raise BadInput(f"no key named {name!r} in {keys_dir()}")
    address = keystore_address(path)
    typer.echo(json.dumps({"address": address}) if w.json else address)


@wallet_command(key_app, "rotate-passphrase")
def key_rotate(w: Wallet, name: Name, new_password_file: NewPassword = None) -> None:
    """Re-encrypt NAME under a new passphrase (same key and address; the old file is replaced atomically).

    Example: flexwallet key rotate-passphrase fsp --password-file old.txt --new-password-file new.txt
    """
    path = key_path(name)
    if not path.exists():
        raise BadInput(f"no key named {name!r} in {keys_dir()}")
    key = load_key(path, ask_password(w.password_file, f"Current passphrase for {name}"))
    tmp = path.with_name(f".{path.name}.new")
    tmp.unlink(missing_ok=True)
    try:
        address = _write(tmp, _new_password(new_password_file), key)
        os.replace(tmp, path)
    except (KeystoreError, BadInput):
        tmp.unlink(missing_ok=True)
        raise
    show({"name": name, "address": address, "path": str(path)}, w.json)
