"""Running the real CLI apps in process for tests: `run_app` runs an app through `run_cli` (the entry
points' own error mapping) and captures what it printed; used by tests/operator_cli and tests/wallet_cli."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cli_common.errors import run_cli


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err

    @property
    def json(self):
        return json.loads(self.out)

    def one_line(self) -> str:
        """The single stderr line of a failed command (and no traceback anywhere)."""
        assert "Traceback" not in self.all
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


def run_app(capsys, app: Any, prog: str, args) -> Result:
    """`prog args...` run in process; its exit code and what it printed to stdout and stderr."""
    capsys.readouterr()
    code = run_cli(app, [str(a) for a in args], prog_name=prog)
    out, err = capsys.readouterr()
    return Result(code, out, err)
