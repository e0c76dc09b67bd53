"""Wallet CLI fixtures: a throw-away wallet directory (config, keys) and `fw(...)`, which runs the
real `flexwallet` app in process through `run_cli` (the entry point's own error mapping).

Keys are made with a cheap scrypt work factor through the test-only variable
FLEXWALLET_INSECURE_TEST_SCRYPT_N; production keystores use eth-account's default cost.
"""

from __future__ import annotations

import pytest

import wallet_cli.context
import wallet_cli.main
from tests.cli_fixtures import Result, run_app

PASSWORD = "correct horse battery staple"


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
        return run_app(capsys, wallet_cli.main.app, "flexwallet", args)
    return run


@pytest.fixture
def on_world(world, monkeypatch):
    """Point the wallet's `attach` at the module's embedded-chain world (it has no URL)."""
    monkeypatch.setattr(wallet_cli.context, "attach", lambda rpc, manifest: world.ledger)
    return world
