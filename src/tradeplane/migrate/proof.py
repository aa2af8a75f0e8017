"""Proving one intermediate state safe, with the engines tradeplane already has.

For the estate of a stage (``stage.stage``: moved workloads in GCP, the rest in the colo):

- **network** (``tradeplane.net.verify``, every built-in check but the latency one): each
  dependency and flow across the Interconnect/VPN is reachable with its replies, desk
  segmentation holds, and each hybrid flow survives any single link element failing. Only
  findings the stage *adds* to the current estate count against it.
- **placement and capacity** (``tradeplane.placement.solve`` then ``check_budgets``): every
  workload, moved ones included, fits the zones' capacity, the guardrails and its budgets.
- **latency across the Interconnect** (``crossing.crossing_rtt``): each budget between a
  colocation end and a cloud end holds on the real path through the Interconnect metro.
- **link capacity**: the data flows crossing between the sides fit the site's Interconnect with
  its largest attachment failed.
- **cost** (``tradeplane.finops.estimate``): the cloud side, plus the colocation racks still
  holding a workload: what running both sides costs a month.
- **terraform** (``tradeplane.terraform.render``, in the solver's zones): the resources of the
  state, for the per-wave diff.

Latency verdicts reach ``net`` through the composer, never by net calling placement: this module
runs placement itself and excludes net's latency check.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import tradeplane.net.checks  # noqa: F401 - registers net's built-in checks in net.CHECKS
from tradeplane import finops, net, placement, terraform
from tradeplane.errors import TradeplaneError
from tradeplane.estate import Estate, Interconnect
from tradeplane.migrate.crossing import crossing_rtt
from tradeplane.migrate.incremental import (
    EndpointClass,
    RemainingCapacity,
    crossing_intents,
    endpoint_class,
    wave_scope,
)
from tradeplane.migrate.stage import cross_flows, stage
from tradeplane.migrate.tfdiff import resource_blocks
from tradeplane.migrate.units import target_place

__all__ = ["UNPLACEABLE", "CheckResult", "CrossingBudget", "StageProof", "finding_key", "net_checks", "prove", "prove_next"]

BLOCKING = ("critical", "high")
LATENCY_CHECK = "latency-budgets"
UNPLACEABLE = "no placement"
"""How the summary of a stage's placement check starts when the solver finds none."""


def net_checks() -> list[net.Check]:
    """net's built-in checks without the latency one (the composer supplies latency verdicts)."""
    return [c for c in net.CHECKS if c.id != LATENCY_CHECK]


def finding_key(f: net.Finding) -> tuple[str, str]:
    return (f.check, f.title)


@dataclass(frozen=True)
class CheckResult:
    """One family of checks on one stage: passed or not, and each problem on one line."""

    name: str
    ok: bool
    summary: str
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "summary": self.summary, "problems": list(self.problems)}


@dataclass(frozen=True)
class CrossingBudget:
    workload: str
    to: str
    budget_us: float
    rtt_us: float
    bound_us: float
    basis: str

    @property
    def met(self) -> bool:
        return self.rtt_us <= self.budget_us

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.workload, "to": self.to, "budget_us": self.budget_us,
                "rtt_us": round(self.rtt_us, 1), "bound_us": round(self.bound_us, 1), "met": self.met,
                "basis": self.basis}


@dataclass
class StageProof:
    moved: tuple[str, ...]
    checks: list[CheckResult]
    crossings: list[CrossingBudget]
    cross_mbps: float
    cloud_monthly: float
    colo_monthly: float
    findings: list[net.Finding] = field(default_factory=list)  # every net finding of the stage
    resources: dict[str, str] = field(default_factory=dict)
    zones: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What the next wave's incremental proof builds on:
    usage: dict[str, tuple[tuple[str, str, int], ...]] = field(default_factory=dict)  # (zone, family, vCPUs)
    intents: dict[str, tuple[str, str]] = field(default_factory=dict)  # crossing intents: name -> (src, dst)
    classes: frozenset[EndpointClass] = frozenset()  # endpoint classes of the cloud workloads
    mode: str = "whole stage"  # or "incremental": how the stage was proven
    seconds: float = 0.0  # wall time of the proof (benchmarks); not part of the JSON

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def blocking(self) -> list[str]:
        return [f"{c.name}: {p}" for c in self.checks if not c.ok for p in c.problems]

    def to_json(self) -> dict[str, Any]:
        return {"moved": list(self.moved), "ok": self.ok, "checks": [c.to_json() for c in self.checks],
                "crossing_budgets": [c.to_json() for c in self.crossings],
                "cross_mbps": self.cross_mbps, "cost": {"cloud_monthly": round(self.cloud_monthly, 2),
                                                        "colo_monthly": round(self.colo_monthly, 2),
                                                        "total_monthly": round(self.cloud_monthly
                                                                               + self.colo_monthly, 2)},
                "mode": self.mode}


def _crossings(estate: Estate, moved: set[str], zones: dict[str, tuple[str, ...]]) -> list[CrossingBudget]:
    colo = estate.colocation
    assert colo is not None
    cloud_names = {w.name for w in estate.workloads} | moved
    colo_names = {w.name for w in colo.workloads}
    out: list[CrossingBudget] = []
    for w in colo.workloads:
        for b in w.latency_budgets:
            ends = (w.name in cloud_names, b.to in cloud_names)
            if b.to not in cloud_names | colo_names or ends[0] == ends[1]:
                continue
            cloud_end = w.name if ends[0] else b.to
            places = zones.get(cloud_end) or ()
            if not places and cloud_end in colo_names:
                p = target_place(estate, colo.workload(cloud_end))
                places = (p,) if p else ()
            worst = None
            for place in sorted(set(places)):
                c = crossing_rtt(estate, colo.site, place)
                if c is not None and (worst is None or c.rtt_us > worst.rtt_us):
                    worst = c
            if worst is None:
                out.append(CrossingBudget(w.name, b.to, b.rtt_us, float("inf"), float("inf"),
                                          f"no Interconnect from {colo.site} to reach {cloud_end}"))
                continue
            out.append(CrossingBudget(w.name, b.to, b.rtt_us, worst.rtt_us, worst.bound_us, worst.basis))
    return sorted(out, key=lambda c: (c.workload, c.to))


def _link_capacity_mbps(estate: Estate, site: str) -> tuple[float, str]:
    """What the site's Interconnects carry with the largest attachment failed."""
    sizes = [a.bandwidth_gbps * 1000.0 for link in estate.links_of(Interconnect) if link.site == site
             for a in link.attachments]
    if not sizes:
        return 0.0, f"no Interconnect at {site}"
    return sum(sizes) - max(sizes), f"{len(sizes)} attachments, {sum(sizes) / 1000:,.0f} Gb/s, one failed"


def _colo_monthly(estate: Estate, moved: set[str]) -> float:
    colo = estate.colocation
    assert colo is not None
    hosts = colo.hosts()
    busy = {hosts[h][0].name for w in colo.workloads if w.name not in moved for h in w.hosts if h in hosts}
    return sum(r.monthly_usd for r in colo.racks if r.name in busy)


def _place(s: Estate, capacity: placement.Capacity | None = None
           ) -> tuple[CheckResult, dict[str, tuple[str, ...]], dict[str, tuple[tuple[str, str, int], ...]]]:
    """Placement, capacity and the budgets placement can judge; the zones and the vCPUs each workload uses."""
    problem = placement.build_problem(s, capacity or placement.default_capacity())
    placed = placement.solve_problem(problem, s.name, placement.SolverOptions())
    if not placed.feasible:
        return (CheckResult("placement", False, f"{UNPLACEABLE} ({placed.status})",
                            tuple(x.render() for x in placed.explanations)), {}, {})
    zones: dict[str, tuple[str, ...]] = placement.zones_by_workload(placed)
    unmet = [b for b in placement.check_budgets(s, placed) if not b.met]
    probs = tuple(f"{b.workload} -> {b.to}: {b.rtt_us:,.0f} µs against {b.budget_us:,.0f} µs ({b.basis})"
                  for b in unmet)
    sole = {m for g in problem.groups if g.strategy == "sole_tenant" for m in g.members}
    items = {i.name: i for i in problem.items}
    usage = {wp.workload: tuple((z, items[wp.workload].family, items[wp.workload].vcpus) for z in wp.zones)
             for wp in placed.workloads if wp.workload in items and wp.workload not in sole}
    return (CheckResult("placement", not probs, f"{len(placed.workloads)} workloads placed ({placed.status}), "
                        f"{len(unmet)} budget(s) unmet", probs), zones, usage)


def _network(s: Estate, findings: list[net.Finding], passed: list[str], baseline: set[tuple[str, str]] | None,
             how: str) -> CheckResult:
    new = [f for f in findings if f.severity in BLOCKING and (baseline is None or finding_key(f) not in baseline)]
    why = {i.name: i.reason.removeprefix("migration: ") for i in s.intents if i.name.startswith("migrate-")}

    def explain(title: str) -> str:
        return "".join(f" [{text}]" for name, text in why.items() if f"'{name}'" in title)

    probs = tuple(f"{f.severity}: {f.title}{explain(f.title)}"
                  + (f" (fix at {f.fix_location})" if f.fix_location else "") for f in new)
    migrate_passes = sum(1 for p in passed if "migrate-" in p or "single failure" in p)
    return CheckResult("network", not probs, f"{len(passed)} properties proved {how}"
                       f"({migrate_passes} about crossing flows), {len(new)} new blocking finding(s)", probs)


def _about(f: net.Finding, removed: dict[str, tuple[str, str]]) -> bool:
    """Is this finding about one of the ``removed`` crossing intents (by name, or its flow's text)?"""
    return any(f"'{name}'" in f.title or f.title.startswith(f"{src} -> {dst} ")
               for name, (src, dst) in removed.items())


def _finish(estate: Estate, s: Estate, moved_set: set[str], checks: list[CheckResult],
            zones: dict[str, tuple[str, ...]]) -> tuple[list[CrossingBudget], float, float, float]:
    """The checks that read the whole stage cheaply: latency across the Interconnect, link capacity, cost."""
    crossings = _crossings(estate, moved_set, zones)
    bad = tuple(f"{c.workload} -> {c.to}: {c.rtt_us:,.0f} µs against {c.budget_us:,.0f} µs ({c.basis})"
                for c in crossings if not c.met)
    checks.append(CheckResult("latency across the Interconnect", not bad,
                              f"{len(crossings)} budget(s) cross, {len(bad)} unmet", bad))

    colo = estate.colocation
    assert colo is not None
    flows = cross_flows(estate, moved_set)
    mbps = sum(c.mbps for c in flows)
    cap, how = _link_capacity_mbps(estate, colo.site)
    over = () if mbps <= cap else (f"{mbps:,.0f} Mb/s crosses but the Interconnect carries {cap:,.0f} Mb/s "
                                   f"({how})",)
    checks.append(CheckResult("link capacity", not over, f"{mbps:,.0f} Mb/s across, {cap:,.0f} Mb/s available "
                              f"({how})", over))

    try:
        cloud = finops.estimate(s).total_monthly
    except TradeplaneError as exc:
        cloud = float("nan")
        checks.append(CheckResult("cost", False, "cannot price the stage", tuple(exc.lines())))
    return crossings, mbps, cloud, _colo_monthly(estate, moved_set)


def prove(estate: Estate, moved: Iterable[str], baseline: set[tuple[str, str]] | None = None) -> StageProof:
    """Run every check on the whole stage with ``moved`` in GCP. ``baseline``: net finding keys the
    current estate already has (they do not count against a wave); ``None`` counts every finding."""
    started = time.perf_counter()
    moved_set = set(moved)
    s = stage(estate, moved_set)
    place, zones, usage = _place(s)
    report = net.verify(s, checks=net_checks())
    checks = [place, _network(s, report.findings, report.passed, baseline, "")]
    crossings, mbps, cloud, colo_cost = _finish(estate, s, moved_set, checks, zones)
    rendered = terraform.render(s, zones=zones or None)
    return StageProof(tuple(sorted(moved_set)), checks, crossings, mbps, cloud, colo_cost, report.findings,
                      resource_blocks(rendered), zones, usage, crossing_intents(s),
                      frozenset(endpoint_class(w) for w in s.workloads), "whole stage",
                      time.perf_counter() - started)


def prove_next(estate: Estate, previous: StageProof, wave: Iterable[str],
               baseline: set[tuple[str, str]] | None = None) -> StageProof:
    """The stage with ``wave`` moved on top of ``previous``, proving only what the wave changes
    (``incremental``): the same verdicts as ``prove(estate, previous.moved + wave, baseline)``."""
    started = time.perf_counter()
    new = set(wave)
    moved_set = set(previous.moved) | new
    s = stage(estate, moved_set)
    scope = wave_scope(estate, s, previous.moved, sorted(new), previous.intents, previous.classes, previous.zones)

    # Placement: the wave (and its pinned neighbours) in what the earlier-moved workloads leave free.
    keep = set(scope.pinned)
    used: Counter[tuple[str, str]] = Counter()
    for name, reps in previous.usage.items():
        if name not in keep:
            for z, fam, vcpus in reps:
                used[z, fam] += vcpus
    place, zones_now, usage_now = _place(scope.placement_estate,
                                         RemainingCapacity.less(placement.default_capacity(), used))
    before = next(c for c in previous.checks if c.name == "placement")
    inside = {w.name for w in scope.placement_estate.workloads}
    carried = tuple(p for p in before.problems if p.split(" -> ", 1)[0] not in inside) if zones_now else ()
    if carried:  # unmet budgets of workloads the wave does not touch still stand
        place = CheckResult("placement", False, place.summary, (*place.problems, *carried))
    zones = {**previous.zones, **zones_now}  # a wave with no placement leaves the earlier zones as they were
    usage = {**previous.usage, **usage_now}

    # Network: what the wave changes, unless it brings an endpoint class the cloud has not had.
    if scope.new_classes:
        report = net.verify(s, checks=net_checks())
        findings, passed = report.findings, report.passed
        how = f"on the whole stage ({len(scope.new_classes)} new endpoint class(es)) "
    else:
        report = net.verify(scope.net_estate, checks=net_checks())
        merged = {finding_key(f): f for f in previous.findings if not _about(f, scope.removed_intents)}
        merged.update({finding_key(f): f for f in report.findings})
        findings = sorted(merged.values(), key=net.Finding.sort_key)
        passed = report.passed
        how = f"on what the wave changes ({scope.summary}) "
    checks = [place, _network(s, findings, passed, baseline, how)]
    crossings, mbps, cloud, colo_cost = _finish(estate, s, moved_set, checks, zones)

    # Terraform: the wave's resources; every other resource is the previous stage's.
    render_zones = {w.name: zones[w.name] for w in scope.render_estate.workloads if w.name in zones}
    rendered = terraform.render(scope.render_estate, zones=render_zones or None)
    resources = {**previous.resources, **resource_blocks(rendered)}
    classes = previous.classes | {endpoint_class(w) for w in s.workloads if w.name in new}
    return StageProof(tuple(sorted(moved_set)), checks, crossings, mbps, cloud, colo_cost, findings, resources,
                      zones, usage, crossing_intents(s), classes, "incremental" if not scope.new_classes
                      else "incremental (network on the whole stage)", time.perf_counter() - started)
