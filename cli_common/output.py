"""Output shared by the command lines: JSON or a rich rendering, balances, settlement outcomes."""

from __future__ import annotations

import json
from typing import Any, Callable

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        render(data)


def balance(ledger, address: str) -> dict:
    """Settlement-token balance and reliability record of `address`."""
    return {"address": address, "balance": ledger.token.balance(address),
            "reliability": ledger.settlement.reliability(address)}


def render_balance(d: dict) -> None:
    rel = d["reliability"]
    console.print(f"{d['address']}: {d['balance'] / 1e6:.6f} flxEUR; delivered {rel['deliveredWh']} of "
                  f"{rel['requestedWh']} Wh requested over {rel['settlements']} settlements, {rel['failures']} "
                  f"failures, {rel['optOuts']} opt-outs")


def render_outcomes(rows: list[dict]) -> None:
    t = Table("offer", "request", "status", "paid", "refunded", "penalty")
    for r in rows:
        t.add_row(str(r["offer_id"]), str(r["request_id"]), r["status"], f"{r['paid'] / 1e6:.6f}",
                  f"{r['refunded'] / 1e6:.6f}", f"{r['penalty'] / 1e6:.6f}")
    console.print(t)
