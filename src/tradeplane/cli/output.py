"""Printing for the CLI: Rich for people, ``--json`` for programs. Nothing else."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

# emoji=False: Rich would print "estate.yaml:100:44" as "estate.yaml💯44" (":100:" is an emoji code).
console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)

TABLE_ROWS = 200
"""Rows a table (or tree) prints before it stops and says how many more there are: a 20,000-row table
is unreadable on a terminal and took 24 s of CPU to print (docs/plan.md); ``--json`` lists every one."""


class Table(RichTable):
    """A Rich table that never cuts a value short: Rich's default ends a word wider than its column in an
    ellipsis ("feed-fre…", "$59,575…", as in an 80-column pipe or CI log); here a column too narrow for a
    word folds it onto the next line instead (wrapping at spaces first, as Rich does)."""

    def add_column(self, header: Any = "", footer: Any = "", **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(header, footer, **kwargs)


__all__ = ["TABLE_ROWS", "Table", "console", "err_console", "more", "print_json"]


def more(total: int, shown: int, what: str) -> None:
    """Say how many of ``total`` ``what`` a table left out after ``shown`` rows (nothing when none)."""
    if total > shown:
        console.print(f"... {total - shown:,} more {what} not shown ({total:,} in all; --json lists every one)",
                      soft_wrap=True)


def print_json(data: Any) -> None:
    """Deterministic JSON: sorted keys, two-space indent, one trailing newline."""
    console.file.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
