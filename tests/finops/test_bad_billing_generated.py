"""Generated bad FOCUS billing files: never a traceback, always a located line (issue 11)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeplane import estate as est
from tradeplane import finops
from tradeplane.errors import InputError

from .conftest import REFERENCE

GOOD = Path(__file__).parent / "cases" / "multi-currency" / "billing.csv"
ROWS = list(csv.reader(GOOD.open(newline="")))
HEADER, DATA = ROWS[0], ROWS[1:]

_values = st.one_of(
    st.sampled_from(["", "NULL", "null", "inf", "-inf", "NaN", "1e308", "-1e400", "abc", "12,5", "{", "[1, 2]",
                     '{"desk": 3}', "2026-13-01", "0x10", "  ", '"', "\x00", "é", "USD ", "usd", "Refund"]),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def _bad_file(draw: st.DrawFn) -> tuple[str, str]:
    """A FOCUS CSV with one data row mutated: a cell replaced, dropped or added, or a quote left open."""
    rows = [list(r) for r in DATA]
    i = draw(st.integers(0, len(rows) - 1))
    how = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add", "quote"]))
    col = draw(st.integers(0, len(HEADER) - 1))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for j, r in enumerate(rows):
        if j != i:
            w.writerow(r)
            continue
        if how == "replace":
            r[col] = draw(_values)
        elif how == "drop":
            del r[col]
        elif how == "add":
            r.insert(col, draw(_values))
        if how == "quote":
            line = io.StringIO()
            csv.writer(line, lineterminator="").writerow(r)
            buf.write(line.getvalue()[: -draw(st.integers(1, 20))] + ',"open\n')
        else:
            w.writerow(r)
    return buf.getvalue(), f"{how} {HEADER[col]}"


@pytest.fixture(scope="module")
def estate() -> est.Estate:
    return est.load(REFERENCE)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_bad_file())
def test_bad_billing_is_refused_or_read_never_crashes(tmp_path_factory: pytest.TempPathFactory, estate, case) -> None:
    text, what = case
    path = tmp_path_factory.mktemp("bad") / "billing.csv"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        with finops.open_session(estate, [path]) as s:
            rep = s.report()
    except InputError as exc:
        assert exc.problems, what
        for p in exc.problems:
            # Every problem names the file, and a data row's line (row 1 is line 2).
            assert p.location is not None and p.location.file.endswith("billing.csv"), (what, p.render())
            assert p.location.line >= 2 or p.field, (what, p.render())
        return
    # Accepted: then every amount is a finite number in one currency per figure.
    for cur, v in rep.totals.items():
        assert len(cur) == 3 and abs(v) < 1e16, what
