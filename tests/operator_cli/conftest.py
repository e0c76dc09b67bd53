"""CLI tests in process: `run_cli` runs the real apps against the module's embedded-chain world.

`attach` (node URL + manifest -> Ledger) is pointed at the world's ledger, since an embedded chain
has no URL; the commands, the use cases and the contracts below them are the real ones.
"""

from __future__ import annotations

import pytest

import operator_cli.main
import wallet_cli.context
import wallet_cli.main
from tests.cli_fixtures import Result, run_app


@pytest.fixture
def cli(world, monkeypatch, capsys):
    """cli("flexledger" | "flexwallet", *args) -> Result, against `world`'s ledger."""
    apps = {"flexledger": operator_cli.main, "flexwallet": wallet_cli.main}
    for module in (*apps.values(), wallet_cli.context):  # flexwallet's commands attach in wallet_cli.context
        monkeypatch.setattr(module, "attach", lambda rpc, manifest: world.ledger)

    def run(prog: str, *args: str) -> Result:
        return run_app(capsys, apps[prog].app, prog, args)
    return run


def one_line_error(result: Result) -> str:
    """The single stderr line of a failed command (and no traceback anywhere)."""
    return result.one_line()
