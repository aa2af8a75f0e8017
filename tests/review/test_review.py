"""The plan in the team's workflow: PR comment, SARIF, JUnit, and the change-freeze gate."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tradeplane import estate as est
from tradeplane.cli import main
from tradeplane.review import changed_desks, freeze

ROOT = Path(__file__).resolve().parents[2]
CT = ZoneInfo("America/Chicago")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference estate with the CME order router scaled from 2 to 3 (a futures-desk change)."""
    out = tmp_path_factory.mktemp("estate") / "dv-trading"
    shutil.copytree(ROOT / "examples/dv-trading", out)
    text = (out / "workloads.yaml").read_text()
    (out / "workloads.yaml").write_text(text.replace("machine_type: c2-standard-30\n    count: 2",
                                                     "machine_type: c2-standard-30\n    count: 3", 1))
    return out


def test_changed_desks_follow_the_path(changed: Path) -> None:
    desks = changed_desks(est.load(ROOT / "examples/dv-trading"), est.load(changed))
    assert desks == {"futures": ["workload:cme-order-router"]}


def test_freeze_while_globex_trades_and_not_in_the_daily_halt(changed: Path) -> None:
    old, new = est.load(ROOT / "examples/dv-trading"), est.load(changed)
    touched = changed_desks(old, new)
    trading = freeze(new, touched, datetime(2026, 12, 1, 10, 0, tzinfo=CT))  # Tuesday morning
    assert [(v.desk, v.open_venues) for v in trading] == [("futures", ("cme-globex",))]
    assert trading[0].reopens == "2026-12-01T16:00:00-06:00"
    assert freeze(new, touched, datetime(2026, 12, 1, 16, 30, tzinfo=CT)) == []  # the daily halt
    assert freeze(new, touched, datetime(2026, 12, 5, 12, 0, tzinfo=CT)) == []  # Saturday


def test_plan_strict_refuses_a_frozen_change_unless_emergency(capsys: pytest.CaptureFixture[str],
                                                              changed: Path) -> None:
    base = str(ROOT / "examples/dv-trading")
    code, out, _ = run(capsys, "plan", str(changed), "--against", base, "--at", "2026-12-01T10:00:00-06:00",
                       "--json")
    data = json.loads(out)
    assert data["freeze"] == ["change freeze: desk futures is trading on cme-globex and this change touches "
                              "workload:cme-order-router; the window opens at 2026-12-01T16:00:00-06:00"]
    code, out, _ = run(capsys, "plan", str(changed), "--against", base, "--at", "2026-12-01T10:00:00-06:00",
                       "--emergency", "INC-42 stuck order router", "--json")
    data = json.loads(out)
    assert data["freeze"] == [] and data["emergency"][0].startswith("EMERGENCY (INC-42 stuck order router)")
    code, _, err = run(capsys, "plan", str(changed), "--at", "tomorrow")
    assert code == 2 and "--at 'tomorrow'" in err
    code, _, err = run(capsys, "plan", str(changed), "--format", "pdf")
    assert code == 2 and "--format 'pdf'" in err


def test_sarif_markdown_and_junit(capsys: pytest.CaptureFixture[str]) -> None:
    base = str(ROOT / "examples/dv-trading")
    _, out, _ = run(capsys, "plan", base, "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    assert run_["tool"]["driver"]["name"] == "tradeplane"
    for result in run_["results"]:
        assert result["ruleId"] == run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"]
        for loc in result.get("locations", []):
            assert loc["physicalLocation"]["artifactLocation"]["uri"].startswith("examples/dv-trading/")
    _, out, _ = run(capsys, "plan", base, "--format", "markdown")
    assert out.startswith("### tradeplane plan: `dv-trading`")
    _, out, _ = run(capsys, "plan", base, "--format", "junit")
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root}
    assert int(suites["verify"].get("tests")) >= 60  # type: ignore[arg-type]
