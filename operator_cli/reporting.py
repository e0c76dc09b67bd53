"""The demo scenario's reporter, rendered with rich."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable

from operations.demo import Table


class RichReporter:
    def __init__(self, console: Console | None = None):
        self.console = console or Console()

    def step(self, n: int, title: str) -> None:
        self.console.rule(f"[bold]{n}. {title}")

    def say(self, text: str) -> None:
        self.console.print(text)

    def table(self, table: Table) -> None:
        t = RichTable(*table.columns, title=table.title or None)
        for row in table.rows:
            t.add_row(*row)
        self.console.print(t)

    def done(self) -> None:
        self.console.rule("[bold green]done")
