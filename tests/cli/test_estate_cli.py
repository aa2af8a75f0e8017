"""The estate commands as a user runs them: exit codes, JSON output, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "estate", "validate", str(ROOT / "examples/dv-trading"), "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["valid"] is True and data["estate"] == "dv-trading"
    assert data["counts"]["desks"] == 5


def test_show_json_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "estate", "show", str(ROOT / "examples/dv-trading"), "--json")
    second = run(capsys, "estate", "show", str(ROOT / "examples/dv-trading"), "--json")
    assert first == second
    data = json.loads(first[1])
    assert data["by_cloud"]["gcp"]["networks"] == 1
    assert [n["name"] for n in data["networks"]] == sorted(
        (n["name"] for n in data["networks"]), key=lambda name: (not name.startswith("aws"), name))


def test_show_prints_a_tree(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "estate", "show", str(ROOT / "examples/small"))
    assert code == 0
    assert "aws-trading (aws, trading-prod / us-east-2, desk futures)" in out
    assert "trading-a 10.1.0.0/24 use2-az1" in out


def test_schema_in_docs_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "estate", "schema")
    assert code == 0
    assert out == (ROOT / "docs/estate.schema.json").read_text(encoding="utf-8"), (
        "regenerate with: ./dev tp estate schema -o docs/estate.schema.json")
    assert out == est.json_schema()


def test_missing_directory_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "estate", "validate", str(tmp_path / "nope"))
    assert code == 2 and out == ""
    assert err == f"{tmp_path / 'nope'}: no estate at '{tmp_path / 'nope'}' (hint: give a directory of estate " \
                  "YAML files, e.g. examples/dv-trading)\n"


def test_empty_directory_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "estate", "validate", str(tmp_path))
    assert code == 2
    assert "holds no .yaml or .yml files" in err and "Traceback" not in err


def test_unreadable_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"name: \xff\xfe")
    code, _, err = run(capsys, "estate", "validate", str(tmp_path))
    assert code == 2 and "cannot read" in err and "bad.yaml" in err


def test_missing_name_points_at_the_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("desks: []\n")
    code, _, err = run(capsys, "estate", "validate", str(tmp_path))
    assert code == 2
    assert err.splitlines()[1] == (f"{tmp_path}: name: missing required field 'name' "
                                   "(hint: give the estate a name in one of its files, e.g. 'name: my-firm')")


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "estate", "validate")
    assert code == 2 and "Missing argument" in err
    # one line naming what is missing and where to look, never click's usage block
    lines = [x for x in err.splitlines() if x.strip()]
    assert lines == ["Missing argument 'path'. (hint: see 'tradeplane estate validate --help')"], err
    code, _, err = run(capsys, "estate", "validate", "--no-such-option")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "No such option" in err and "Usage" not in err


def test_plan_runs_on_the_reference_estate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", str(ROOT / "examples/dv-trading"))
    assert code == 0, err
    assert "estate dv-trading" in out
