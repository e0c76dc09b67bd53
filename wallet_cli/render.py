"""Output of the wallet: `--json` (sorted keys, a stable shape per command) or a Rich table."""

from __future__ import annotations

from typing import Any, Sequence

from rich.table import Table

from cli_common.output import console, emit

EURO = 1_000_000


def eur(units: int) -> str:
    return f"{units / EURO:,.6f}"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> Table:
    t = Table(*columns, title=title or None)
    for r in rows:
        t.add_row(*(_cell(r.get(c)) for c in columns))
    return t


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v)) or "-"
    return str(v)


def show(data: Any, as_json: bool, columns: Sequence[str] | None = None, title: str = "",
         rows_key: str | None = None) -> None:
    """Print `data` as JSON, or its rows (`data[rows_key]` or `data` itself) as a table."""
    def render(d: Any) -> None:
        if columns is None:
            t = Table("field", "value", title=title or None)
            for k, v in d.items():
                if not isinstance(v, (list, dict)):
                    t.add_row(k, _cell(v))
            console.print(t)
        else:
            rows = d[rows_key] if rows_key else d
            console.print(table(rows, columns, title) if rows else f"{title or 'nothing'}: none")
    emit(data, as_json, render)


def short(leaf: str) -> str:
    return leaf[:12]
