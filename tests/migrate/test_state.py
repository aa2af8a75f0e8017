"""Runbooks, the state file and `tradeplane migrate` on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tradeplane import estate as est
from tradeplane import migrate
from tradeplane.cli import main
from tradeplane.errors import InputError, UnsupportedError
from tradeplane.migrate import MigrationPlan, open_recording
from tradeplane.migrate.compare import compare_readers

from . import mdp
from .conftest import REFERENCE, Edit, workload

AT = datetime(2026, 12, 7, 22, 40, tzinfo=UTC)  # Mon 16:40 CST: inside wave 1's window (the 16:00-17:00 halt)
AT2 = datetime(2026, 12, 25, 22, 30, tzinfo=UTC)  # Fri 16:30 CST: inside wave 2's weekend (after the December roll;
# Christmas, a holiday, closes from Thu 2026-12-24 16:00 CST to Sun 2026-12-27 17:00 CST)
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
    # The Terraform step renders the estate as it is after the wave (not the estate before it).
    assert "tradeplane migrate render examples/dv-trading --wave 1 -o tf-wave-1" in cut
    assert "tradeplane terraform render" not in cut
    assert "tradeplane migrate compare aur-mdh-a-colo.pcap aur-mdh-a-gcp.pcap --estate examples/dv-trading" in cut
    assert "- [x] network:" in cut and "latency p99 <= 6,000 µs" in cut
    assert "- add `gcp/30-compute google_compute_instance.aur_mdh_a__us_central1_a`" in cut
    back = migrate.rollback_runbook(reference_estate, reference_plan, 2, "examples/dv-trading")
    assert "Start no later than Sun 2026-12-27 16:30 CST" in back
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


def _one_line(exc: pytest.ExceptionInfo[UnsupportedError]) -> str:
    lines = exc.value.lines()
    assert len(lines) == 1, lines
    return lines[0]


def test_advance_keeps_the_soak_and_the_window(tmp_path: Path, reference_estate: est.Estate,
                                              reference_plan: MigrationPlan) -> None:
    e, p = reference_estate, reference_plan
    crit = e.colocation.migration.criteria if e.colocation and e.colocation.migration else None
    good = migrate.compare(*_recordings(tmp_path), crit)
    empty = migrate.State(e.name)
    # Before the migration's first window (the trial: recorded on 12-01): refused, saying when it may proceed.
    with pytest.raises(UnsupportedError) as exc:
        migrate.advance(e, p, empty, 1, datetime(2026, 12, 1, 7, 40, tzinfo=UTC), good)
    assert _one_line(exc).startswith("start: wave 1 may be recorded from daily halt Mon 2026-12-07 16:00 CST to Mon "
                                     "2026-12-07 17:00 CST: the migration starts 2026-12-07 (now is Tue 2026-12-01 "
                                     "01:40 CST)")
    with pytest.raises(UnsupportedError) as exc:  # the start day, before its halt
        migrate.advance(e, p, empty, 1, datetime(2026, 12, 7, 15, 0, tzinfo=UTC), good)
    assert _one_line(exc).startswith("window: wave 1 may be recorded from daily halt Mon 2026-12-07 16:00 CST to Mon "
                                     "2026-12-07 17:00 CST: now (Mon 2026-12-07 09:00 CST) is not inside a "
                                     "weekend/daily-halt window of cme-globex it fits (60 min, outside declared "
                                     "events) (hint: record it in its window, or give --outside-window REASON")
    s1 = migrate.advance(e, p, empty, 1, AT, good)
    # Two seconds later, wave 2: the 1-day soak has not elapsed.
    with pytest.raises(UnsupportedError) as exc:
        migrate.advance(e, p, s1, 2, AT + timedelta(seconds=2), good)
    assert _one_line(exc).startswith("soak_days: wave 2 may be recorded from weekend Thu 2026-12-24 16:00 CST to "
                                     "Sun 2026-12-27 17:00 CST: wave 1's 1-day soak runs until Tue 2026-12-08 16:40 CST")
    # After the soak, inside a weekend of the December roll (an event): refused, no window there.
    with pytest.raises(UnsupportedError, match="may be recorded from weekend Thu 2026-12-24 16:00 CST"):
        migrate.advance(e, p, s1, 2, datetime(2026, 12, 12, 12, 0, tzinfo=UTC), good)
    # Mid-week between halts: refused. In a daily halt: too short for wave 2's 100 min. Christmas Eve before
    # its 16:00 close: the market still trades.
    for t in (datetime(2026, 12, 22, 15, 0, tzinfo=UTC), datetime(2026, 12, 22, 22, 30, tzinfo=UTC),
              datetime(2026, 12, 24, 21, 30, tzinfo=UTC)):
        with pytest.raises(UnsupportedError, match="is not inside a weekend/daily-halt window"):
            migrate.advance(e, p, s1, 2, t, good)
    # From the Christmas Eve close (Thu 16:30 CST) the window is open; the state records the time given.
    eve = datetime(2026, 12, 24, 22, 30, tzinfo=UTC)
    assert migrate.advance(e, p, s1, 2, eve, good).done[2].done_at == eve.isoformat()
    s2 = migrate.advance(e, p, s1, 2, AT2, good)
    assert s2.done[2].done_at == AT2.isoformat() and not s2.done[2].outside_window


def test_a_long_wave_is_judged_by_its_whole_window(tmp_path: Path,
                                                   variant: Callable[[Edit], Path]) -> None:
    """A wave needing more than a day (2,950 min) recorded half an hour into the Christmas close it was planned
    for (4,380 min): the window is the whole close, not the day after ``at`` (it was cut there: 1,470 min,
    refused, and called a 'holiday')."""
    def long_cutover(colo: dict[str, Any]) -> None:
        workload(colo, "aur-ogw")["cutover_minutes"] = 2880

    e = est.load(variant(long_cutover))
    p = migrate.plan(e)
    w2 = p.wave(2).slot
    assert w2.needs_minutes == 2950 and w2.label == "weekend Thu 2026-12-24 16:00 CST"
    crit = e.colocation.migration.criteria if e.colocation and e.colocation.migration else None
    good = migrate.compare(*_recordings(tmp_path), crit)
    s1 = migrate.advance(e, p, migrate.State(e.name), 1, AT, good)
    for at in (datetime(2026, 12, 24, 22, 30, tzinfo=UTC), datetime(2026, 12, 27, 12, 0, tzinfo=UTC)):
        assert migrate.advance(e, p, s1, 2, at, good).done[2].done_at == at.isoformat()
    # An ordinary weekend (2,940 min) stays too short, from its first minute to its last.
    for at in (datetime(2027, 1, 8, 22, 30, tzinfo=UTC), datetime(2027, 1, 10, 22, 30, tzinfo=UTC)):
        with pytest.raises(UnsupportedError, match="is not inside a weekend/daily-halt window"):
            migrate.advance(e, p, s1, 2, at, good)


def test_recording_outside_the_window_needs_a_reason_that_the_state_keeps(
        tmp_path: Path, reference_estate: est.Estate, reference_plan: MigrationPlan) -> None:
    e, p = reference_estate, reference_plan
    crit = e.colocation.migration.criteria if e.colocation and e.colocation.migration else None
    good = migrate.compare(*_recordings(tmp_path), crit)
    late = AT + timedelta(minutes=30)  # 17:10 CST: the cutover ran in the halt, the record is made after it
    s = migrate.advance(e, p, migrate.State(e.name), 1, late, good, outside_window="recorded after the 16:00 halt")
    path = tmp_path / "state.json"
    migrate.save_state(path, s)
    assert json.loads(path.read_text())["waves"][0]["outside_window"] == "recorded after the 16:00 halt"
    waves, _ = migrate.status(p, migrate.load_state(path, e.name))
    assert waves[0].detail == f"done at {late.isoformat()} (outside a cutover window: recorded after the 16:00 halt)"
    # The soak has no override.
    with pytest.raises(UnsupportedError, match="1-day soak runs until"):
        migrate.advance(e, p, s, 2, late + timedelta(hours=1), good, outside_window="hurry")


def test_a_recording_compared_with_itself_cannot_record_a_wave(tmp_path: Path, reference_estate: est.Estate,
                                                              reference_plan: MigrationPlan) -> None:
    left, _ = _recordings(tmp_path)
    with pytest.raises(InputError, match="are the same file"):
        migrate.compare(left, left)
    # Even a comparison made another way (two readers of one file) is refused at the gate.
    same = compare_readers(open_recording(left), open_recording(left))
    assert same.passed  # it "passes": which is why it must not count
    with pytest.raises(UnsupportedError, match="are the same file: a recording compared with itself proves nothing"):
        migrate.advance(reference_estate, reference_plan, migrate.State(reference_estate.name), 1, AT, same)


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


def test_cli_advance_refuses_with_one_line_and_records_the_override(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeplane.cli import migrate as cli_migrate

    left, right = _recordings(tmp_path)
    state = tmp_path / "s.json"
    base = ["migrate", "advance", str(REFERENCE), "1", "--state", str(state)]
    monkeypatch.setattr(cli_migrate, "now", lambda: AT)
    # The same file on both sides, and a byte-for-byte copy: nothing proven, nothing written.
    copy = tmp_path / "copy.pcap"
    copy.write_bytes(left.read_bytes())
    for other, why in ((left, "the same file"), (copy, "the same content")):
        assert main([*base, "--left", str(left), "--right", str(other)]) == 2
        err = capsys.readouterr().err
        assert f"are {why}: a recording compared with itself proves nothing" in err
        assert len(err.strip().splitlines()) == 1, err
    assert not state.exists()
    # Too early: one line saying when it may proceed; nothing written.
    monkeypatch.setattr(cli_migrate, "now", lambda: datetime(2026, 12, 1, 7, 40, tzinfo=UTC))
    assert main([*base, "--left", str(left), "--right", str(right)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("start: wave 1 may be recorded from daily halt Mon 2026-12-07 16:00 CST")
    assert len(err.strip().splitlines()) == 1 and not state.exists()
    # In its window: recorded. Wave 2 two seconds later: the soak refuses it.
    monkeypatch.setattr(cli_migrate, "now", lambda: AT)
    assert main([*base, "--left", str(left), "--right", str(right)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(cli_migrate, "now", lambda: AT + timedelta(seconds=2))
    assert main(["migrate", "advance", str(REFERENCE), "2", "--state", str(state), "--left", str(left), "--right",
                 str(right)]) == 2
    assert "wave 1's 1-day soak runs until Tue 2026-12-08 16:40 CST" in capsys.readouterr().err
    # Wave 2 outside its window, with a reason: recorded, and the audit trail shows it.
    monkeypatch.setattr(cli_migrate, "now", lambda: AT2 + timedelta(days=3))  # Mon 2026-12-28 16:30 CST: a halt
    assert main(["migrate", "advance", str(REFERENCE), "2", "--state", str(state), "--left", str(left), "--right",
                 str(right), "--outside-window", "cutover ran Sunday; recorded Monday"]) == 0
    assert "recorded outside a cutover window: cutover ran Sunday; recorded Monday" in capsys.readouterr().out
    assert main(["migrate", "status", str(REFERENCE), "--state", str(state), "--json"]) == 0
    waves = json.loads(capsys.readouterr().out)["waves"]
    assert waves[1]["detail"].endswith("(outside a cutover window: cutover ran Sunday; recorded Monday)")


def test_the_runbooks_terraform_step_renders_the_wave(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      reference_estate: est.Estate,
                                                      reference_plan: MigrationPlan) -> None:
    from tradeplane import placement
    from tradeplane.migrate.tfdiff import resource_blocks
    from tradeplane.plan import render_terraform

    # The command the runbook prints, run as printed (output under tmp_path).
    cut = migrate.cutover_runbook(reference_estate, reference_plan, 2, str(REFERENCE))
    line = next(x for x in cut.splitlines() if x.startswith("tradeplane migrate render"))
    argv = line.split("#")[0].split()[1:]
    argv[argv.index("-o") + 1] = str(tmp_path / "tf-wave-2")
    assert main(argv) == 0
    assert "wave 2 against the estate before it: terraform +10 ~0 -0" in capsys.readouterr().out
    written = {str(f.relative_to(tmp_path / "tf-wave-2")): f.read_text() for f in (tmp_path / "tf-wave-2").rglob("*.tf")}
    blocks = resource_blocks(SimpleNamespace(files=written))  # type: ignore[arg-type]  # only .files is read
    w2 = reference_plan.wave(2)
    assert w2.terraform.added and set(w2.terraform.added) <= set(blocks)
    assert "gcp/30-compute google_compute_instance.aur_ogw__us_central1_a" in blocks
    # The estate without the wave (what the old step rendered) has none of them; wave 1 and 2 differ by the wave.
    assert not set(w2.terraform.added) & set(resource_blocks(render_terraform(reference_estate)))
    before = resource_blocks(render_terraform(*migrate.after_wave(reference_estate, reference_plan, 1)))
    assert sorted(blocks.keys() - before.keys()) == list(w2.terraform.added)
    # Wave 0, the estate before the migration (where rolling wave 1 back returns), is terraform render --place's.
    back = migrate.rollback_runbook(reference_estate, reference_plan, 1, str(REFERENCE))
    assert f"`tradeplane migrate render {REFERENCE} --wave 0 -o tf-wave-0`" in back
    zero = resource_blocks(render_terraform(*migrate.after_wave(reference_estate, reference_plan, 0)))
    solved = resource_blocks(render_terraform(reference_estate, placement.solved_zones(reference_estate)))
    assert zero == solved
    one = resource_blocks(render_terraform(*migrate.after_wave(reference_estate, reference_plan, 1)))
    assert sorted(one.keys() - zero.keys()) == list(reference_plan.wave(1).terraform.added)
    assert main(["migrate", "render", str(REFERENCE), "--wave", "9", "-o", str(tmp_path / "x")]) == 2
    assert "the plan has no wave 9" in capsys.readouterr().err
