"""Printing for the CLI: Rich for people, ``--json`` for programs. Nothing else."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

# emoji=False: Rich would print "estate.yaml:100:44" as "estate.yaml💯44" (":100:" is an emoji code).
console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)

TABLE_ROWS = 200
"""Rows a table (or tree) prints before it stops and says how many more there are: a 20,000-row table
is unreadable on a terminal and took 24 s of CPU to print (docs/plan.md); ``--json`` lists every one."""


def more(total: int, shown: int, what: str) -> None:
    """Say how many of ``total`` ``what`` a table left out after ``shown`` rows (nothing when none)."""
    if total > shown:
        console.print(f"... {total - shown:,} more {what} not shown ({total:,} in all; --json lists every one)",
                      soft_wrap=True)


def print_json(data: Any) -> None:
    """Deterministic JSON: sorted keys, two-space indent, one trailing newline."""
    console.file.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
