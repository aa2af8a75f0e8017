"""Printing for the CLI: Rich for people, ``--json`` for programs. Nothing else."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Console
from rich.errors import MarkupError
from rich.table import Table as RichTable
from rich.text import Text

# emoji=False: Rich would print "estate.yaml:100:44" as "estate.yaml💯44" (":100:" is an emoji code).
console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)

TABLE_ROWS = 200
"""Rows a table (or tree) prints before it stops and says how many more there are: a 20,000-row table
is unreadable on a terminal and took 24 s of CPU to print (docs/plan.md); ``--json`` lists every one."""


# a number as tables print one: "100000", "-1,642.50", "$90,000.00", "9,555 µs", "99.9%", "2.6x", "40.3 min"
_NUMBER = re.compile(r"^[-+~]?[$€£]?-?\d[\d,]*(\.\d+)?( ?[A-Za-zµ%/]{1,5})?$")
KEY_WHOLE = 40
"""A first column (a row's key) no wider than this stays on one line; a longer one folds like the rest."""


class Table(RichTable):
    """A Rich table that never cuts a value short: Rich's default ends a word wider than its column in an
    ellipsis ("feed-fre…", "$59,575…", as in an 80-column pipe or CI log). Here a number is never split
    (a column of numbers keeps its width, the text columns give it up), the key column stays on one line
    when it is short (``KEY_WHOLE``), each while the table fits; any other word too wide for its column
    folds onto the next line (wrapping at spaces first, as Rich does). A column given its own
    ``overflow`` or ``no_wrap`` keeps it."""

    def __init__(self, *headers: Any, **kwargs: Any) -> None:
        self._chosen: set[int] = set()  # columns whose caller set overflow/no_wrap: left alone
        self._widest: list[int] = []
        self._numbers: list[bool] = []
        super().__init__(*headers, **kwargs)

    def add_column(self, header: Any = "", footer: Any = "", **kwargs: Any) -> None:
        if "overflow" in kwargs or "no_wrap" in kwargs:
            self._chosen.add(len(self.columns))
        kwargs.setdefault("overflow", "fold")
        super().add_column(header, footer, **kwargs)

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*renderables, **kwargs)
        for i, cell in enumerate(renderables):
            if i >= len(self.columns) or i in self._chosen or not isinstance(cell, str):
                continue
            while len(self._widest) <= i:
                self._widest.append(0)
                self._numbers.append(True)
            try:  # what the terminal shows: "[red]NO[/]" is 2 wide
                shown = Text.from_markup(cell)
            except MarkupError:  # not markup after all: printed as written
                shown = Text(cell)
            text = shown.plain.strip()
            self._widest[i] = max(self._widest[i], shown.cell_len)
            if text and not _NUMBER.match(text):
                self._numbers[i] = False

    def __rich_console__(self, console: Any, options: Any) -> Any:
        # a column of numbers, and a short key, are kept on one line while Rich can give them their widest
        # cell (it crops a column that cannot wrap and has no room, the cut this table exists to avoid):
        # given up for the key first, then for the numbers
        ours = [i for i in range(min(len(self._widest), len(self.columns))) if i not in self._chosen
                and self._widest[i] and (self._numbers[i] or (i == 0 and self._widest[i] <= KEY_WHOLE))]
        for drop in ([], [0] if 0 in ours else [], ours):
            keep = [i for i in ours if i not in drop]
            for i in ours:
                column = self.columns[i]
                column.no_wrap = i in keep
                if isinstance(column.header, str):  # a header still wraps at its spaces ("month to" / "date")
                    column.header = Text(column.header, no_wrap=False)
                words = str(column.header).split() or [""]
                column.max_width = max(self._widest[i], *map(len, words)) if i in keep else None
            # Rich's own layout (private, pinned by uv.lock; tests/cli/test_tables.py fails if it changes):
            # the widths it will give the columns, less the borders, as its __rich_console__ does
            room = (self.width if self.width is not None else options.max_width) - self._extra_width
            widths = self._calculate_column_widths(console, options.update_width(room))
            pad = self.padding[1] + self.padding[3]  # a cell's left and right padding
            if all(widths[i] - pad >= self._widest[i] for i in keep):
                break
        return super().__rich_console__(console, options)


__all__ = ["TABLE_ROWS", "Table", "console", "err_console", "more", "print_json"]


def more(total: int, shown: int, what: str) -> None:
    """Say how many of ``total`` ``what`` a table left out after ``shown`` rows (nothing when none)."""
    if total > shown:
        console.print(f"... {total - shown:,} more {what} not shown ({total:,} in all; --json lists every one)",
                      soft_wrap=True)


def print_json(data: Any) -> None:
    """Deterministic JSON: sorted keys, two-space indent, one trailing newline."""
    console.file.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
