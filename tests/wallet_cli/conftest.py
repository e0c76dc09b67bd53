"""Wallet CLI fixtures: a throw-away wallet directory (config, keys) and `fw(...)`, which runs the
real `flexwallet` app in process through `run_cli` (the entry point's own error mapping).

Keys are made with a cheap scrypt work factor through the test-only variable
FLEXWALLET_INSECURE_TEST_SCRYPT_N; production keystores use eth-account's default cost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

import wallet_cli.context
import wallet_cli.main
from cli_common.errors import run_cli

PASSWORD = "correct horse battery staple"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)

    def one_line(self) -> str:
        """The single stderr line of a failed command (and no traceback anywhere)."""
        assert "Traceback" not in self.out + self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


@pytest.fixture
def wallet_home(tmp_path, monkeypatch):
    home = tmp_path / "flexwallet"
    monkeypatch.setenv("FLEXWALLET_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("FLEXWALLET_INSECURE_TEST_SCRYPT_N", "16")
    monkeypatch.setenv("FLEXLEDGER_PASSWORD", PASSWORD)
    for var in ("FLEXWALLET_PROFILE", "FLEXLEDGER_RPC", "FLEXLEDGER_MANIFEST", "FLEXWALLET_NODE", "FLEXWALLET_KEY",
                "FLEXWALLET_NEW_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def fw(wallet_home, capsys):
    """fw(*args) -> Result: the real flexwallet, in process."""
    def run(*args) -> Result:
        capsys.readouterr()
        code = run_cli(wallet_cli.main.app, [str(a) for a in args], prog_name="flexwallet")
        out, err = capsys.readouterr()
        return Result(code, out, err)
    return run


@pytest.fixture
def on_world(world, monkeypatch):
    """Point the wallet's `attach` at the module's embedded-chain world (it has no URL)."""
    monkeypatch.setattr(wallet_cli.context, "attach", lambda rpc, manifest: world.ledger)
    return world
