"""CLI tables never cut a value short at 80 columns (a pipe or a CI log): a column too narrow for a word
folds it onto the next line instead of ending it in an ellipsis."""

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
    text = _render(t, 50)
    assert "…" not in text
    rows: list[list[str]] = []  # each row's cells, their folded lines joined again
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.split("│")[1:-1]]
            if cells[0].startswith("feed-") or not rows:
                rows.append(cells)
            else:
                rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
    assert [r[0] for r in rows] == names
    assert all(r[1] == "$59,575,123.45" for r in rows)


def test_an_explicit_overflow_is_kept() -> None:
    t = Table(title="x")
    t.add_column("a", overflow="ellipsis", max_width=5)
    t.add_row("abcdefghij")
    assert "…" in _render(t)


def test_a_number_is_never_split_and_a_short_key_stays_whole() -> None:
    """The trial's `| cat` cases: '$90,000.0' / '0' and '100000' / '9' split over two lines."""
    t = Table("stream", "state", "ask", "budget", "note")
    for i in range(3):
        t.add_row(f"book/BTCUSDT-{i}", "live", "1000009", "$90,000.00", "a fairly long note that wraps " * 3)
    lines = _render(t, 60).splitlines()
    for i in range(3):
        assert any(f"book/BTCUSDT-{i}" in line for line in lines)
    assert sum("1000009" in line for line in lines) == 3
    assert sum("$90,000.00" in line for line in lines) == 3
