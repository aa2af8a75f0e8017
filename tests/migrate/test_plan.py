"""The migration plan of the reference estate, and what it says when a move cannot be made safely."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tradeplane import estate as est
from tradeplane import migrate
from tradeplane.errors import EstateError
from tradeplane.migrate import MigrationPlan
from tradeplane.migrate.proof import finding_key
from tradeplane.migrate.units import build_units
from tradeplane.placement import Routes

from .conftest import ROOT, Edit, workload


def test_reference_waves_in_dependency_order(reference_plan: MigrationPlan, reference_estate: est.Estate) -> None:
    p = reference_plan
    assert [w.wave.workloads for w in p.waves] == [
        ("aur-dropcopy", "aur-mdh-a", "aur-mdh-b"),
        ("aur-ogw", "aur-risk", "aur-strat-spread"),
        ("aur-mon",),
    ]
    assert p.ok and all(w.ok for w in p.waves)
    # Nothing a workload needs moves after it.
    wave_of = {n: w.number for w in p.waves for n in w.wave.workloads}
    colo = reference_estate.colocation
    assert colo is not None
    for w in colo.workloads:
        for d in w.depends_on:
            if w.name in wave_of and d.workload in wave_of:
                assert wave_of[d.workload] <= wave_of[w.name], (w.name, d.workload)


def test_cycles_move_groups_and_physics_glue_units(reference_plan: MigrationPlan) -> None:
    reasons = {u.members: u.reasons for u in reference_plan.units}
    order = reasons[("aur-ogw", "aur-risk", "aur-strat-spread")]
    assert any(r.startswith("dependency cycle aur-ogw -> aur-risk -> aur-ogw") for r in order)
    physics = [r for r in order if "cannot cross the Interconnect" in r]
    assert len(physics) == 2 and all("floor 7,258 µs (along the route" in r and "chi metro" in r for r in physics)
    assert reasons[("aur-mdh-a", "aur-mdh-b")][0].startswith("move-group md-feeds")


def test_workloads_that_cannot_move_are_findings(reference_plan: MigrationPlan) -> None:
    blocked = {b.workload: b for b in reference_plan.blocked}
    assert set(blocked) == {"aur-ptp-gm", "aur-strat-queue"}
    assert blocked["aur-ptp-gm"].reason.startswith("no GCP target: GPS-disciplined")
    queue = blocked["aur-strat-queue"]
    assert "no feasible target" in queue.reason and "budget of 50 µs" in queue.reason
    assert queue.where.endswith("colocation.yaml:141:42")


def test_windows_come_from_the_venue_hours(reference_plan: MigrationPlan) -> None:
    w1, w2, w3 = reference_plan.waves
    assert w1.slot.window is not None and w1.slot.window.kind == "daily-halt"
    # CME's daily halt: 16:00-17:00 Central (CST = UTC-6 in December).
    assert w1.slot.window.start == datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
    assert w1.slot.needs_minutes == 60 and "fits" in w1.slot.reason
    assert w2.slot.window is not None and w2.slot.window.kind == "weekend"
    # The weekends of Dec 11 and Dec 18 fall in the estate's roll-2026-12 event (venues.yaml: Dec 10-18):
    # wave 2 takes the first weekend after it, and says so. Christmas (Fri 2026-12-25, a holiday) closes its
    # whole trading date, so that weekend opens at Thursday's 16:00 CST halt and runs to Sunday 17:00 CST.
    assert w2.slot.window.start == datetime(2026, 12, 24, 22, 0, tzinfo=UTC)
    assert w2.slot.window.end == datetime(2026, 12, 27, 23, 0, tzinfo=UTC)
    assert w2.slot.label == "weekend Thu 2026-12-24 16:00 CST"
    assert "100 min, longer than the 60 min daily halt, so the weekend window fits" in w2.slot.reason
    assert w2.slot.notes == ("not in cme-globex event roll-2026-12 (2026-12-10 to 2026-12-18: December roll and "
                             "expiry): 2 window(s) inside it skipped, from Fri 2026-12-11 16:00 CST",)
    assert w2.slot.notes[0] in w2.slot.reason and not w2.slot.late
    assert w3.slot.window is not None and w3.slot.window.start == datetime(2026, 12, 28, 22, 0, tzinfo=UTC)


def _with_venue_events(root: Path, events: list[dict[str, str]]) -> Path:
    path = root / "venues.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cme = next(v for v in data["venues"] if v["name"] == "cme-globex")
    cme["hours"]["events"] = events
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def test_no_wave_lands_in_a_declared_event(variant: Callable[[Edit], Path], reference_plan: MigrationPlan) -> None:
    for w in reference_plan.waves:  # the reference: every window clear of every declared event
        assert w.slot.window is not None
        assert not [b.name for b in reference_plan.blackouts if b.overlaps(w.slot.window)], w.number
    # An event over wave 1's day (an expiry on Mon 2026-12-07) moves wave 1 to the first halt after it.
    root = _with_venue_events(variant(lambda c: None), [
        {"name": "expiry-test", "start": "2026-12-07", "end": "2026-12-08", "reason": "a test expiry"}])
    p = migrate.plan(est.load(root))
    w1 = p.waves[0]
    assert w1.slot.window is not None and w1.slot.window.start == datetime(2026, 12, 9, 22, 0, tzinfo=UTC)
    assert ("not in cme-globex event expiry-test (2026-12-07 to 2026-12-08: a test expiry): 2 window(s) inside it "
            "skipped, from Mon 2026-12-07 16:00 CST") in w1.slot.reason
    assert all(not b.overlaps(w.slot.window) for w in p.waves if w.slot.window for b in p.blackouts)


def test_a_wave_that_waits_too_long_is_flagged_and_a_clock_change_is_named(variant: Callable[[Edit], Path]) -> None:
    def long_cutover(colo: dict) -> None:
        workload(colo, "aur-ogw")["cutover_minutes"] = 2880  # wave 2: 2,920 + 30 = 2,950 min > a 2,940 min weekend

    root = variant(long_cutover)
    # Without the holidays (whose Thursday-to-Sunday closes, 4,380 min, would take it at Christmas), the only
    # weekend long enough within the horizon is the autumn clock change (CDT -> CST: 3,000 min).
    p = migrate.plan(est.load(root))
    assert p.waves[1].slot.label == "weekend Thu 2026-12-24 16:00 CST" and not p.waves[1].slot.late
    _without_holidays(root)
    p = migrate.plan(est.load(root))
    w2 = p.waves[1]
    assert w2.slot.window is not None and w2.slot.window.start == datetime(2027, 11, 5, 21, 0, tzinfo=UTC)
    assert w2.slot.window.minutes == 3000
    assert ("it fits only because the clocks change inside it (CDT -> CST on Sun 2027-11-07): 3000 min closed "
            "instead of the usual 2940; any other such window is 10 min too short") in w2.slot.notes
    assert w2.slot.late.startswith("the first window long enough, Fri 2027-11-05 16:00 CDT, is ")
    assert "more than the 28-day bound" in w2.slot.late
    assert not w2.ok and any(b.startswith("window: the first window long enough") for b in w2.blocking)
    assert "BLOCKED" in p.summary_lines()[2]


def test_the_floor_is_one_figure_with_its_basis_everywhere(reference_plan: MigrationPlan,
                                                           reference_estate: est.Estate) -> None:
    """Aurora -> us-central1: placement's floor along the route through the Interconnect metro, the same text
    in the plan's findings, its units' reasons, the crossing budgets and docs/migrate.md."""
    floor = Routes(reference_estate).rtt("us-central1-a", "cme-globex").floor_text()
    assert floor == "7,258 µs (along the route: 6,745 µs + 512 µs, each leg's own floor)"
    queue = next(b for b in reference_plan.blocked if b.workload == "aur-strat-queue")
    assert f"no path beats the floor, {floor}" in queue.reason
    text = json.dumps(reference_plan.to_json(), ensure_ascii=False)
    assert "4,247" not in text and "of fibre" not in text and "bound " not in text
    assert text.count(f"floor {floor}") >= 3  # two unit reasons and wave 1's crossing budget
    docs = (ROOT / "docs" / "migrate.md").read_text(encoding="utf-8")
    assert "at least 7,258 µs" in docs and "6,234" not in docs and "4,247" not in docs


def test_each_stage_is_proven(reference_plan: MigrationPlan) -> None:
    w1 = reference_plan.waves[0]
    names = [c.name for c in w1.checks]
    assert names == ["placement", "network", "latency across the Interconnect", "link capacity", "window"]
    # The colo strategy still reads the moved handler across the Interconnect: budget judged on the metro path.
    (c,) = w1.proof.crossings
    assert (c.workload, c.to, c.met) == ("aur-strat-spread", "aur-mdh-a", True)
    assert "chi metro" in c.basis and c.bound_us < c.rtt_us < c.budget_us
    assert w1.proof.cross_mbps == 805
    # Terraform: the moved handlers appear as instances in the zones of their targets.
    assert "gcp/30-compute google_compute_instance.aur_mdh_a__us_central1_a" in w1.terraform.added
    assert not w1.terraform.removed
    # Both sides cost money until a rack is empty: rack aur-r2 is released after the last wave.
    assert reference_plan.baseline.colo_monthly == 19_000
    assert reference_plan.waves[-1].proof.colo_monthly == 9_500
    assert w1.proof.cloud_monthly > reference_plan.baseline.cloud_monthly


def test_a_blocked_crossing_flow_fails_the_network_check(variant: Callable[[Edit], Path]) -> None:
    def no_tags(colo: dict) -> None:  # the firewall admits colo traffic only to instances tagged cme
        workload(colo, "aur-mdh-a")["target"]["tags"] = ["md"]

    root = variant(no_tags)
    e = est.load(root)
    base = {finding_key(f) for f in migrate.prove(e, ()).findings}
    proof = migrate.prove(e, ["aur-dropcopy", "aur-mdh-a", "aur-mdh-b"], base)
    net = next(c for c in proof.checks if c.name == "network")
    assert not net.ok
    # The fix location is gcp-trading's firewall rules (the implied ingress deny dropped the flow);
    # found from the file, so lines added above it elsewhere do not break the test.
    lines = (root / "networks-gcp.yaml").read_text(encoding="utf-8").splitlines()
    rules_line = next(i for i, text in enumerate(lines, 1) if text.strip() == "firewall_rules:")
    assert any("172.16.2.13/32 does not reach aur-mdh-a" in p and "[dependency aur-strat-spread -> aur-mdh-a" in p
               and f"networks-gcp.yaml:{rules_line}:" in p for p in net.problems), net.problems
    dropped = [f for f in proof.findings if "172.16.2.13/32 does not reach aur-mdh-a" in f.title]
    assert dropped and all(t.disposition == "dropped" and t.hops[-1].action == "firewall ingress denied"
                           for t in dropped[0].traces)


def _without_holidays(root: Path) -> None:
    venues = root / "venues.yaml"
    text = venues.read_text(encoding="utf-8")
    assert 'holidays: ["2026-12-25", "2027-01-01"]' in text
    venues.write_text(text.replace('holidays: ["2026-12-25", "2027-01-01"]', "holidays: []"), encoding="utf-8")


def test_capacity_and_windows_block_waves(variant: Callable[[Edit], Path]) -> None:
    def heavy(colo: dict) -> None:
        workload(colo, "aur-mdh-a")["flows"][0]["mbps"] = 40_000
        workload(colo, "aur-mon")["cutover_minutes"] = 2880
        colo["migration"]["rollback_minutes"] = 200  # 3,080 min: longer than any weekend close (3,000 min at the
        # autumn clock change)
        # Waves 1 and 2 (230 and 270 min with that rollback) need weekends too: started two weekends before the
        # December roll, they take those, and the holiday closes are left for wave 3.
        colo["migration"]["start"] = "2026-11-27"

    root = variant(heavy)
    # CME's holidays (Fri 2026-12-25, Fri 2027-01-01) close their whole trading date: Thursday 16:00 to Sunday
    # 17:00 CT (4,380 min), the only closes long enough; wave 3 takes Christmas, the first after the roll.
    p = migrate.plan(est.load(root))
    w1 = p.waves[0]
    assert not w1.ok and any(b.startswith("link capacity: 40,405 Mb/s crosses") for b in w1.blocking)
    assert [w.slot.label for w in p.waves[:2]] == ["weekend Fri 2026-11-27 16:00 CST", "weekend Fri 2026-12-04 16:00 CST"]
    w3 = p.waves[-1]
    assert w3.slot.label == "weekend Thu 2026-12-24 16:00 CST" and w3.slot.window is not None
    assert w3.slot.window.minutes == 4380 and w3.slot.needs_minutes == 3080 and not w3.slot.late
    # without them, no close is long enough
    _without_holidays(root)
    p = migrate.plan(est.load(root))
    w3 = p.waves[-1]
    assert w3.slot.window is None and any(b.startswith("window: no weekend/daily-halt window") for b in w3.blocking)
    assert "BLOCKED" in p.summary_lines()[3]


def test_a_cycle_is_one_move_group_shown_as_written(variant: Callable[[Edit], Path]) -> None:
    def cycle(colo: dict) -> None:
        workload(colo, "aur-mdh-a").setdefault("depends_on", []).append({"workload": "aur-mon", "ports": [9090]})

    units = build_units(est.load(variant(cycle)))
    (unit,) = [u for u in units.units if "aur-mon" in u.members]
    assert {"aur-mon", "aur-mdh-a", "aur-mdh-b"} <= set(unit.members)
    assert any("dependency cycle" in r and "aur-mon" in r and "aur-mdh-a" in r for r in unit.reasons)


@pytest.mark.parametrize(("edit", "message", "line_of"), [
    (lambda c: c["racks"][0]["hosts"][0].update(address="10.9.9.9"), "outside site aurora-colo's cidrs", "address"),
    (lambda c: workload(c, "aur-ogw").update(hosts=["aur-r9-h01"]), "unknown colocation host 'aur-r9-h01'", "hosts"),
    (lambda c: workload(c, "aur-mon")["target"].update(network="aws-use1-shared"), "the colocation moves into GCP",
     "network"),
    (lambda c: workload(c, "aur-ptp-gm").pop("stays"), "has no GCP target", "target"),
])
def test_bad_inventory_is_a_located_error(variant: Callable[[Edit], Path], edit: Edit, message: str,
                                          line_of: str) -> None:
    with pytest.raises(EstateError) as exc:
        est.load(variant(edit))
    lines = [p.render() for p in exc.value.problems]
    hit = [x for x in lines if message in x]
    assert hit, lines
    assert "colocation.yaml:" in hit[0]


def test_an_estate_without_a_colocation_says_so(small_estate: est.Estate) -> None:
    with pytest.raises(EstateError, match="declares no colocation migration"):
        migrate.plan(small_estate)
