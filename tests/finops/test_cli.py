from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeplane.cli import main

from .conftest import REFERENCE


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_report_json_and_files(capsys, generated_dir: Path, tmp_path: Path) -> None:
    out = _json(capsys, ["cost", "report", str(REFERENCE), "-b", str(generated_dir), "--json",
                         "--html", str(tmp_path / "r.html"), "--csv", str(tmp_path / "a.csv")])
    assert out["synthetic"] is True and out["total"] > 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "a.csv").exists()


def test_report_tables(capsys, generated_dir: Path) -> None:
    assert main(["cost", "report", str(REFERENCE), "-b", str(generated_dir)]) == 0
    text = capsys.readouterr().out
    assert "GENERATED DATA" in text and "budgets 2026-11" in text and "untagged" in text


def test_anomalies_and_commitments(capsys, generated_dir: Path) -> None:
    out = _json(capsys, ["cost", "anomalies", str(REFERENCE), "-b", str(generated_dir), "--json"])
    assert {a["desk"] for a in out["anomalies"]} == {"research", "crypto"}
    out = _json(capsys, ["cost", "commitments", str(REFERENCE), "-b", str(generated_dir), "--json",
                         "-u", str(generated_dir / "utilisation.csv")])
    assert out["commitments"] and out["rightsizing"]
    assert main(["cost", "commitments", str(REFERENCE), "-b", str(generated_dir)]) == 0
    assert "coverage" in capsys.readouterr().out


def test_estimate_and_against(capsys) -> None:
    out = _json(capsys, ["cost", "estimate", str(REFERENCE), "--json"])
    assert out["total_monthly"] > 0 and out["prices"]["as_of"]
    # The AWS side of the cross-cloud link is in the estimate: a 10G Direct Connect port per leg.
    ports = {x["id"]: x["monthly"] for x in out["lines"] if x["id"].startswith("cross-cloud.xc-gcp.dx-")}
    assert ports == {"cross-cloud.xc-gcp.dx-a": 1642.5, "cross-cloud.xc-gcp.dx-b": 1642.5,
                     "cross-cloud.xc-gcp.dx-data": 200.0}
    assert out["total_monthly"] == 75204.31 and out["by_desk"]["platform"] == 21300.71
    out = _json(capsys, ["cost", "estimate", str(REFERENCE), "--against", str(REFERENCE), "--json"])
    assert out["diff"]["delta"] == 0 and out["diff"]["changes"] == []
    assert main(["cost", "estimate", str(REFERENCE)]) == 0
    text = capsys.readouterr().out
    flat = " ".join(text.split())
    assert "total $75,204.31 a month (everything the estate bills" in flat and "platform $21,300.71" in flat
    assert text.count("$1,642.50") == 6  # 10G Direct Connect ports: 4 at the sites, 2 for cross-cloud legs


def test_generate_and_sql(capsys, tmp_path: Path) -> None:
    out = _json(capsys, ["cost", "generate", str(REFERENCE), str(tmp_path), "--end", "2026-05-31", "--days", "3",
                         "--json"])
    assert out["synthetic"] is True and len(out["files"]) == 2  # one month, two clouds
    assert main(["cost", "sql", str(REFERENCE), "--dialect", "bigquery"]) == 0
    assert "focus_normalised" in capsys.readouterr().out


def test_user_errors_exit_2(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["cost", "report", str(REFERENCE), "-b", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "BilledCost" in err and "Traceback" not in err
    assert main(["cost", "report", str(REFERENCE), "-b", str(tmp_path), "--since", "nope"]) == 2
    assert main(["cost", "sql", str(REFERENCE), "--dialect", "oracle"]) == 2
    assert main(["cost", "report", str(REFERENCE), "-b", str(bad), "--memory-limit", "lots"]) == 2
    assert "memory limit 'lots'" in capsys.readouterr().err


def test_memory_limit_too_small_is_a_clear_error(capsys, generated_dir: Path) -> None:
    assert main(["cost", "report", str(REFERENCE), "-b", str(generated_dir), "--memory-limit", "1MB"]) == 2
    err = capsys.readouterr().err
    assert "memory" in err and "--memory-limit" in err and "Traceback" not in err
