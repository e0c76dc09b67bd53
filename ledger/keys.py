"""Encrypted JSON keystores (Web3 Secret Storage, via eth-account): the one place a key is
created, unlocked or read, for the wallet, the operator's CLI and the device agent alike.

The password comes from a file (its first line) or, when no file is named, from the
environment variable FLEXLEDGER_PASSWORD.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_utils import to_checksum_address

from ledger.errors import KeystoreError
from ledger.signer import Signer

PASSWORD_ENV = "FLEXLEDGER_PASSWORD"


def read_password(password_file: str | Path | None = None) -> str:
    """Password from `password_file` (first line, trailing newline stripped) or FLEXLEDGER_PASSWORD."""
    if password_file is not None:
        try:
            lines = Path(password_file).read_text().splitlines()
        except OSError as exc:
            raise KeystoreError(f"cannot read password file {password_file}: {exc.strerror or exc}") from exc
        return lines[0] if lines else ""
    pw = os.environ.get(PASSWORD_ENV)
    if pw is None:
        raise KeystoreError(f"no password: give --password-file or set {PASSWORD_ENV}")
    return pw


def create_keystore(path: str | Path, password: str, *, private_key: bytes | str | None = None,
                    kdf: str = "scrypt", iterations: int | None = None) -> str:
    """Create an encrypted keystore at `path` (mode 0600, refuses to overwrite); returns the address.

    A fresh key is generated unless `private_key` is given. `kdf="pbkdf2"` with low
    `iterations` makes test keystores fast; production keeps scrypt defaults.
    """
    path = Path(path)
    if path.exists():
        raise KeystoreError(f"{path} already exists; refusing to overwrite a key")
    account = Account.from_key(private_key) if private_key is not None else Account.create()
    data = Account.encrypt(account.key, password, kdf=kdf, iterations=iterations)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    return account.address


def _read(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except OSError as exc:
        raise KeystoreError(f"cannot read keystore {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise KeystoreError(f"cannot read keystore {path}: not JSON ({exc})") from exc


def load_key(path: str | Path, password: str) -> bytes:
    """Decrypt a keystore to its private key; KeystoreError on a wrong password or a bad file."""
    data = _read(path)
    try:
        return bytes(Account.decrypt(data, password))
    except (ValueError, KeyError, TypeError) as exc:
        raise KeystoreError(f"cannot decrypt keystore {path}: {exc}") from exc


def unlock(path: str | Path, password_file: str | Path | None = None) -> Signer:
    """The signer held in keystore `path`, unlocked with the password from `read_password`."""
    return Account.from_key(load_key(path, read_password(password_file)))


def keystore_address(path: str | Path) -> str:
    """The address stored (unencrypted) in a keystore, without the password."""
    data = _read(path)
    try:
        return to_checksum_address("0x" + data["address"].removeprefix("0x"))
    except (KeyError, AttributeError, ValueError) as exc:
        raise KeystoreError(f"cannot read keystore {path}: no address ({exc})") from exc


__all__ = ["PASSWORD_ENV", "create_keystore", "keystore_address", "load_key", "read_password", "unlock"]
