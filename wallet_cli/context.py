"""What every `flexwallet` command shares: the connection and identity options, resolved through
the profile (wallet_cli/profiles.py), and the `Wallet` a command works with.

`wallet_command(app, name)` registers a function taking `w: Wallet` plus its own parameters and
adds the shared options to its signature (--profile, --rpc, --manifest, --node, --key,
--keystore, --password-file, --dev-account, --json), so every command accepts them in one spelling.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from cli_common.context import attach
from cli_common.errors import BadInput
from cli_common.options import DEFAULT_MANIFEST, DEFAULT_RPC
from ledger.accounts import dev_account
from ledger.keys import PASSWORD_ENV, keystore_address, load_key, read_password
from ledger.signer import Signer
from wallet_cli.profiles import Config, keys_dir

TEST_SCRYPT_ENV = "FLEXWALLET_INSECURE_TEST_SCRYPT_N"  # tests only: a cheap scrypt work factor


def ask_password(password_file: Path | None, prompt: str = "Passphrase", *, confirm: bool = False) -> str:
    """--password-file (first line), else FLEXLEDGER_PASSWORD, else a prompt without echo on a terminal."""
    if password_file is not None or PASSWORD_ENV in os.environ:
        return read_password(password_file)
    if sys.stdin.isatty():
        return typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return read_password(None)  # KeystoreError naming the variable


def scrypt_work_factor() -> int | None:
    """None (eth-account's default scrypt cost, n = 2**18) unless the test-only variable lowers it."""
    value = os.environ.get(TEST_SCRYPT_ENV)
    if not value:
        return None
    n = int(value)
    if n < 2 or n & (n - 1):
        raise BadInput(f"{TEST_SCRYPT_ENV}={value}: not a power of two")
    return n


def key_path(name: str) -> Path:
    """The keystore of identity `name` in the wallet's key directory."""
    if not name or "/" in name or name.startswith("."):
        raise BadInput(f"key name {name!r}: use letters, digits, - and _")
    return keys_dir() / f"{name}.json"


@dataclass
class Wallet:
    """One command's settings, resolved (flag > environment > profile > default), and its chain."""

    profile: str | None
    rpc: str
    manifest: Path
    node: str | None
    key: str | None
    keystore: Path | None
    password_file: Path | None
    dev_account: int | None
    json: bool
    settings: dict[str, Any]
    _ledger: Any = None

    _api: Any = None

    @property
    def ledger(self):
        if self._ledger is None:
            if self.node:
                from typer._click.globals import get_current_context

                ctx = get_current_context(silent=True)
                what = ctx.command_path if ctx is not None else "this command"
                raise BadInput(f"--node {self.node}: `{what}` is not served through a node's API (see docs/wallet.md, "
                               "node mode); use --rpc URL with --manifest FILE (or a profile holding them)")
            self._ledger = attach(self.rpc, self.manifest)
        return self._ledger

    @property
    def api(self):
        """The session with the node (--node): signed in on first use, the token kept in memory for this run."""
        if self._api is None:
            from wallet_cli.node import Node

            self._api = Node(self.node, self.address, self.signer)
        return self._api

    def keystore_file(self) -> Path | None:
        if self.keystore is not None:
            return self.keystore
        if self.key is not None:
            path = key_path(self.key)
            if not path.exists():
                raise BadInput(f"no key named {self.key!r} in {keys_dir()} (see `flexwallet key list`)")
            return path
        return None

    def signer(self) -> Signer:
        """The wallet's unlocked key (its passphrase asked for now), or a development account."""
        from eth_account import Account

        path = self.keystore_file()
        if path is not None:
            return Account.from_key(load_key(path, ask_password(self.password_file, f"Passphrase for {path.name}")))
        if self.dev_account is not None:
            return dev_account(self.dev_account)
        raise BadInput("name a key: --key NAME (see `flexwallet key list`), --keystore FILE, a profile's key, "
                       "or --dev-account N (development chains only)")

    @property
    def address(self) -> str:
        """The wallet's address, read without the passphrase."""
        path = self.keystore_file()
        if path is not None:
            return keystore_address(path)
        if self.dev_account is not None:
            return dev_account(self.dev_account).address
        raise BadInput("name a key: --key NAME, --keystore FILE, a profile's key, or --dev-account N")

    def default(self, name: str, given: Any) -> Any:
        """A command's own option, else the profile's setting of the same name."""
        return given if given is not None else self.settings.get(name)


# ---- the shared options ------------------------------------------------------------------------------
def _opt(*names: str, help: str, envvar: str | None = None) -> Any:
    return typer.Option(*names, help=help, envvar=envvar, show_default=False)


SHARED: list[tuple[str, Any]] = [
    ("profile", Annotated[Optional[str], _opt("--profile", help="profile of the config file", envvar="FLEXWALLET_PROFILE")]),
    ("rpc", Annotated[Optional[str], _opt("--rpc", help=f"JSON-RPC URL of the ledger (default {DEFAULT_RPC})",
                                          envvar="FLEXLEDGER_RPC")]),
    ("manifest", Annotated[Optional[Path], _opt("--manifest", help=f"deployment manifest (default {DEFAULT_MANIFEST})",
                                                envvar="FLEXLEDGER_MANIFEST")]),
    ("node", Annotated[Optional[str], _opt("--node", help="a FlexLedger node's API URL instead of --rpc",
                                           envvar="FLEXWALLET_NODE")]),
    ("key", Annotated[Optional[str], _opt("--key", help="identity name (see `flexwallet key list`)",
                                          envvar="FLEXWALLET_KEY")]),
    ("keystore", Annotated[Optional[Path], _opt("--keystore", help="encrypted key file")]),
    ("password_file", Annotated[Optional[Path], _opt("--password-file", help="file whose first line unlocks the key "
                                                     "(else FLEXLEDGER_PASSWORD, else a prompt)")]),
    ("dev_account", Annotated[Optional[int], _opt("--dev-account", help="development key index (dev chains only)")]),
    ("json_out", Annotated[bool, typer.Option("--json", help="machine-readable output (stable shape)")]),
]
SHARED = [(f"wallet_{n}", a) for n, a in SHARED]  # never clash with a command's own parameter names
SHARED_NAMES = [n for n, _ in SHARED]


def resolve(profile: str | None = None, rpc: str | None = None, manifest: Path | None = None,
            node: str | None = None, key: str | None = None, keystore: Path | None = None,
            password_file: Path | None = None, dev_account: int | None = None, json_out: bool = False) -> Wallet:
    name, prof = Config.load().profile(profile)
    explicit_key = key is not None or keystore is not None or dev_account is not None
    return Wallet(
        profile=name,
        rpc=rpc or prof.get("rpc") or DEFAULT_RPC,
        manifest=manifest or Path(prof.get("manifest") or DEFAULT_MANIFEST).expanduser(),
        node=node or (prof.get("node") if not rpc else None),
        key=key if explicit_key else prof.get("key"),
        keystore=keystore if explicit_key else (Path(prof["keystore"]).expanduser() if prof.get("keystore") else None),
        password_file=password_file, dev_account=dev_account, json=json_out, settings=prof)


def wallet_command(app: typer.Typer, name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(w: Wallet, ...)` as `name` with the shared options added to its parameters."""
    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn, eval_str=True)
        own = [p for p in sig.parameters.values() if p.name != "w"]
        shared = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a,
                                    default=False if n == "wallet_json_out" else None) for n, a in SHARED]

        @functools.wraps(fn)
        def command(**params: Any) -> Any:
            w = resolve(**{n.removeprefix("wallet_"): params.pop(n) for n in SHARED_NAMES})
            return fn(w, **params)
        command.__signature__ = sig.replace(parameters=[p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
                                                        for p in own] + shared)
        command.__annotations__ = {p.name: p.annotation for p in own + shared}
        app.command(name, **kwargs)(command)
        return fn
    return decorator
