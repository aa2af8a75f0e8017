"""CLI tables never cut a value short at 80 columns (a pipe or a CI log): the key column stays whole and
other columns fold a long word instead of ending it in an ellipsis."""

from __future__ import annotations

import io

from rich.console import Console

from tradeplane.cli.output import Table


def _render(t: Table, width: int = 80) -> str:
    out = io.StringIO()
    Console(file=out, width=width, highlight=False, emoji=False).print(t)
    return out.getvalue()


def test_no_value_is_cut_at_80_columns() -> None:
    t = Table("slo", "budget", "what", title="slos")
    names = [f"feed-freshness-{v}-{s}" for v in ("binance", "coinbase") for s in ("book", "trades")]
    for n in names:
        t.add_row(n, "$59,575,123.45", "a long description " * 6)
    text = _render(t, 60)
    assert "…" not in text
    lines = text.splitlines()
    for n in names:  # the key on one line, whole
        assert any(n in line for line in lines)
    cells = [line.split("│") for line in lines if line.startswith("│")]
    budget = "".join(c[2].strip() for c in cells)  # the second column, folded onto as many lines as it needs
    assert budget == "$59,575,123.45" * len(names)


def test_an_explicit_overflow_is_kept() -> None:
    t = Table(title="x")
    t.add_column("a", overflow="ellipsis", max_width=5)
    t.add_row("abcdefghij")
    assert "…" in _render(t)
