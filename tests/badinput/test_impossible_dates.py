"""An unquoted value that looks like a date but is none (``2026-12-32``, ``2026-13-01``).

YAML resolves such a plain scalar as a timestamp and PyYAML's constructor then raises a bare
``ValueError`` ("day is out of range for month"): the trial of 2026-12-01 saw a traceback from
``estate validate``, ``plan``, ``security check --keys`` and ``request file``, and HTTP 500 on every
page of the console. The one YAML reader (``tradeplane.estate.yamlpos``) now refuses it at
file:line:column with the field, so every loader reports it the same way: exit 2, never a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tradeplane.cli import main
from tradeplane.console import create_app
from tradeplane.estate.yamlpos import YamlError, parse

ROOT = Path(__file__).resolve().parents[2]
DV = ROOT / "examples" / "dv-trading"
HOLIDAYS = '      holidays: ["2026-12-25", "2027-01-01"]\n'


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ValueError" not in err, err
    return code, err


@pytest.fixture
def bad_estate(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the reference estate whose first venue has ``holidays: [2026-12-32]``; the location
    the error must name."""
    estate = tmp_path / "examples-copy"
    shutil.copytree(DV, estate)
    venues = estate / "venues.yaml"
    text = venues.read_text()
    line = text[:text.index(HOLIDAYS)].count("\n") + 1
    venues.write_text(text.replace(HOLIDAYS, "      holidays: [2026-12-32]\n", 1))
    return estate, f"{venues}:{line}:18: venues[0].hours.holidays[0]: not a date (2026-12-32: day is out of range"


@pytest.mark.parametrize("command", [("estate", "validate"), ("plan",)])
def test_estate_validate_and_plan_name_the_line(capsys: pytest.CaptureFixture[str], bad_estate: tuple[Path, str],
                                                command: tuple[str, ...]) -> None:
    estate, where = bad_estate
    code, err = run(capsys, *command, str(estate))
    assert code == 2
    assert where in err, err


def test_security_check_keys_names_the_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    keys.write_text("keys:\n  - {name: k, venue: binance, created: 2026-13-01}\n")
    code, err = run(capsys, "security", "check", str(DV), "--keys", str(keys))
    assert code == 2
    assert f"{keys}:2:40: keys[0].created: not a date (2026-13-01: month must be in 1..12)" in err, err


def test_request_file_names_the_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    req = tmp_path / "req.yaml"
    req.write_text("kind: budget\ndesk: futures\namount: 5\nreason: 2026-12-32\n")
    code, err = run(capsys, "request", "file", str(req), str(DV), "--state", str(tmp_path / "state"))
    assert code == 2
    assert f"{req}:4:9: reason: not a date (2026-12-32: day is out of range for month)" in err, err
    assert not (tmp_path / "state" / "requests").exists()


def test_console_pages_show_the_located_error(bad_estate: tuple[Path, str]) -> None:
    estate, where = bad_estate
    with TestClient(create_app(estate)) as c:
        for path in ("/", "/topology", "/network", "/placement", "/terraform", "/cost", "/migration",
                     "/api/overview", "/api/placement"):
            assert c.get(path).status_code == 200, path
        data = c.get("/api/overview").json()
        assert data["verdict"] == "invalid"
        assert any(where in line for line in data["errors"]), data["errors"]


@pytest.mark.parametrize(("text", "message"), [
    ("when: 2026-02-29\n", "1:7: when: not a date (2026-02-29: day is out of range for month)"),
    ("at: 2026-12-01T25:00:00Z\n", "1:5: at: not a date (2026-12-01T25:00:00Z: hour must be in 0..23)"),
    ("days:\n  2026-13-01: closed\n", "2:3: days: not a date (2026-13-01: month must be in 1..12)"),
    ("n: !!int twelve\n", "1:4: n: not an integer (twelve: "),
    ("x: !!float lots\n", "1:4: x: not a number (lots: "),
])
def test_every_scalar_that_cannot_be_built_is_located(text: str, message: str) -> None:
    with pytest.raises(YamlError) as info:
        parse(text, "f.yaml")
    assert info.value.problems[0].render().startswith(f"f.yaml:{message}"), info.value


def test_real_dates_and_quoted_ones_still_load() -> None:
    data, _, problems = parse('a: 2026-12-31\nb: "2026-12-32"\nc: 2026-12-01T10:00:00Z\n', "f.yaml")
    assert not problems
    assert str(data["a"]) == "2026-12-31" and data["b"] == "2026-12-32"
    assert data["c"].hour == 10
