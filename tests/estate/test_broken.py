"""Every class of estate error, with the exact lines a user reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane.cli import main

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def test_there_is_a_broken_estate_for_each_error_class() -> None:
    assert len(CASES) >= 5


@pytest.mark.parametrize("case", CASES)
def test_broken_estate_reports_exact_errors(case: str, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN.parents[2])  # messages name paths relative to the repository
    code = main(["estate", "validate", f"tests/estate/broken/{case}/"])
    captured = capsys.readouterr()
    expected = (BROKEN / case / "expected.txt").read_text(encoding="utf-8")
    assert code == 2
    assert captured.err == expected
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_every_problem_line_names_file_line_and_column() -> None:
    for case in CASES:
        lines = (BROKEN / case / "expected.txt").read_text(encoding="utf-8").splitlines()
        for line in lines[1:]:
            where = line.split(": ", 1)[0]
            file, lineno, col = where.rsplit(":", 2)
            assert file.startswith(f"tests/estate/broken/{case}/"), line
            assert int(lineno) > 0 and int(col) > 0, line
