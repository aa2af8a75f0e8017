"""Printing for the CLI: Rich for people, ``--json`` for programs. Nothing else."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

# emoji=False: Rich would print "estate.yaml:100:44" as "estate.yaml💯44" (":100:" is an emoji code).
console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)


def print_json(data: Any) -> None:
    """Deterministic JSON: sorted keys, two-space indent, one trailing newline."""
    console.file.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
