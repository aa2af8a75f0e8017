"""Runbooks, the state file and `tradeplane migrate` on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane import migrate
from tradeplane.cli import main
from tradeplane.errors import InputError, UnsupportedError
from tradeplane.migrate import MigrationPlan

from . import mdp
from .conftest import REFERENCE

AT = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
T0 = 1_765_000_000_000_000_000


def _recordings(tmp_path: Path, lose: int | None = None) -> tuple[Path, Path]:
    pk = [(i, T0 + i * 1000) for i in range(1, 200)]
    left = mdp.write(tmp_path / "colo.pcap", pk, delay_ns=5_000)
    right = mdp.write(tmp_path / "gcp.pcap", [p for p in pk if p[0] != lose], delay_ns=4_005_000)
    return left, right


def test_runbooks_of_a_wave(reference_estate: est.Estate, reference_plan: MigrationPlan) -> None:
    cut = migrate.cutover_runbook(reference_estate, reference_plan, 1, "examples/dv-trading")
    assert cut.startswith("# Wave 1 cutover: aur-dropcopy, aur-mdh-a, aur-mdh-b")
    assert "Start: Mon 2026-12-07 16:00 CST; go/no-go decision by Mon 2026-12-07 16:30 CST; rollback must start " \
           "by Mon 2026-12-07 16:30 CST" in cut
    assert "tradeplane migrate plan examples/dv-trading --wave 1" in cut
    assert "tradeplane migrate compare aur-mdh-a-colo.pcap aur-mdh-a-gcp.pcap --estate examples/dv-trading" in cut
    assert "- [x] network:" in cut and "latency p99 <= 6,000 µs" in cut
    assert "- add `gcp/30-compute google_compute_instance.aur_mdh_a__us_central1_a`" in cut
    back = migrate.rollback_runbook(reference_estate, reference_plan, 2, "examples/dv-trading")
    assert "Start no later than Sun 2026-12-13 16:30 CST" in back
    # Reverse order: the strategy (which needs the gateway) is rolled back first.
    assert back.index("**aur-strat-spread**") < back.index("**aur-ogw**")
    assert "log the GCP iLink session out" in back


def test_advance_records_a_wave_only_when_its_checks_pass(tmp_path: Path, reference_estate: est.Estate,
                                                          reference_plan: MigrationPlan) -> None:
    e, p = reference_estate, reference_plan
    path = tmp_path / "state.json"
    s = migrate.load_state(path, e.name)
    with pytest.raises(UnsupportedError, match="cannot be done before wave"):
        migrate.advance(e, p, s, 2, AT)
    with pytest.raises(UnsupportedError, match="give the parallel-run recordings"):
        migrate.advance(e, p, s, 1, AT)
    crit = e.colocation.migration.criteria if e.colocation and e.colocation.migration else None
    bad = migrate.compare(*_recordings(tmp_path, lose=50), crit)
    with pytest.raises(UnsupportedError, match="fails its cutover criteria: missing: 1 > 0"):
        migrate.advance(e, p, s, 1, AT, bad)
    good = migrate.compare(*_recordings(tmp_path), crit)
    s = migrate.advance(e, p, s, 1, AT, good)
    migrate.save_state(path, s)
    assert [x.name for x in tmp_path.iterdir() if x.name.startswith(".")] == []  # no temporary left behind
    data = json.loads(path.read_text())
    assert data["waves"][0]["wave"] == 1 and data["waves"][0]["compare"]["verdict"] == "pass"
    waves, warnings = migrate.status(p, migrate.load_state(path, e.name))
    assert [w.state for w in waves] == ["done", "next", "pending"] and not warnings
    with pytest.raises(UnsupportedError, match="already recorded done"):
        migrate.advance(e, p, migrate.load_state(path, e.name), 1, AT, good)


def test_a_corrupt_state_file_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"waves": [\n  {"wave": 1,\n}')
    with pytest.raises(InputError) as exc:
        migrate.load_state(path, "x")
    assert f"{path}:3:1" in str(exc.value)


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "plan", str(REFERENCE), "--wave", "3", "--json"]) == 0
    out3 = json.loads(capsys.readouterr().out)
    assert out3["workloads"] == ["aur-mon"] and out3["proof"]["mode"].startswith("incremental")
    assert main(["migrate", "plan", str(REFERENCE), "--wave", "3", "--whole", "--json"]) == 0
    whole3 = json.loads(capsys.readouterr().out)
    assert whole3["proof"]["mode"] == "whole stage"
    assert [(c["name"], c["ok"], c["problems"]) for c in whole3["checks"]] == [
        (c["name"], c["ok"], c["problems"]) for c in out3["checks"]]
    left, right = _recordings(tmp_path, lose=7)
    assert main(["migrate", "compare", str(left), str(right), "--estate", str(REFERENCE)]) == 1
    assert "verdict: fail" in capsys.readouterr().out
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(left.read_bytes()[:-9])
    assert main(["migrate", "compare", str(left), str(cut)]) == 2
    assert "truncated pcap record" in capsys.readouterr().err
    out = tmp_path / "runbooks"
    assert main(["migrate", "runbook", str(REFERENCE), "2", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["wave-2-cutover.md", "wave-2-rollback.md"]
    state = tmp_path / "s.json"
    assert main(["migrate", "advance", str(REFERENCE), "3", "--state", str(state)]) == 2
    assert "cannot be done before wave(s) 1, 2" in capsys.readouterr().err
    assert not state.exists()
    assert main(["migrate", "status", str(REFERENCE), "--state", str(state), "--json"]) == 0
    assert [w["state"] for w in json.loads(capsys.readouterr().out)["waves"]] == ["next", "pending", "pending"]
