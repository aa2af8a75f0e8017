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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import tradeplane.net.checks  # noqa: F401 - registers net's built-in checks in net.CHECKS
from tradeplane import finops, net, placement, terraform
from tradeplane.errors import TradeplaneError
from tradeplane.estate import Estate, Interconnect
from tradeplane.migrate.crossing import crossing_rtt
from tradeplane.migrate.stage import cross_flows, stage
from tradeplane.migrate.tfdiff import resource_blocks
from tradeplane.migrate.units import target_place

__all__ = ["CheckResult", "CrossingBudget", "StageProof", "finding_key", "net_checks", "prove"]

BLOCKING = ("critical", "high")
LATENCY_CHECK = "latency-budgets"


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
                                                                               + self.colo_monthly, 2)}}


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


def prove(estate: Estate, moved: Iterable[str], baseline: set[tuple[str, str]] | None = None) -> StageProof:
    """Run every check on the stage with ``moved`` in GCP. ``baseline``: net finding keys the current
    estate already has (they do not count against a wave); ``None`` counts every finding."""
    moved_set = set(moved)
    s = stage(estate, moved_set)
    checks: list[CheckResult] = []

    # Placement, capacity and the budgets placement can judge.
    placed = placement.solve(s)
    zones: dict[str, tuple[str, ...]] = placement.zones_by_workload(placed) if placed.feasible else {}
    if placed.feasible:
        unmet = [b for b in placement.check_budgets(s, placed) if not b.met]
        probs = tuple(f"{b.workload} -> {b.to}: {b.rtt_us:,.0f} µs against {b.budget_us:,.0f} µs ({b.basis})"
                      for b in unmet)
        checks.append(CheckResult("placement", not probs,
                                  f"{len(placed.workloads)} workloads placed ({placed.status}), "
                                  f"{len(unmet)} budget(s) unmet", probs))
    else:
        checks.append(CheckResult("placement", False, f"no placement ({placed.status})",
                                  tuple(x.render() for x in placed.explanations)))

    # Network proofs.
    report = net.verify(s, checks=net_checks())
    new = [f for f in report.findings if f.severity in BLOCKING
           and (baseline is None or finding_key(f) not in baseline)]
    why = {i.name: i.reason.removeprefix("migration: ") for i in s.intents if i.name.startswith("migrate-")}

    def explain(title: str) -> str:
        return "".join(f" [{text}]" for name, text in why.items() if f"'{name}'" in title)

    probs = tuple(f"{f.severity}: {f.title}{explain(f.title)}"
                  + (f" (fix at {f.fix_location})" if f.fix_location else "") for f in new)
    migrate_passes = sum(1 for p in report.passed if "migrate-" in p or "single failure" in p)
    checks.append(CheckResult("network", not probs, f"{len(report.passed)} properties proved "
                              f"({migrate_passes} about crossing flows), {len(new)} new blocking finding(s)",
                              probs))

    # Latency across the Interconnect.
    crossings = _crossings(estate, moved_set, zones)
    bad = tuple(f"{c.workload} -> {c.to}: {c.rtt_us:,.0f} µs against {c.budget_us:,.0f} µs ({c.basis})"
                for c in crossings if not c.met)
    checks.append(CheckResult("latency across the Interconnect", not bad,
                              f"{len(crossings)} budget(s) cross, {len(bad)} unmet", bad))

    # Hybrid link capacity.
    colo = estate.colocation
    assert colo is not None
    flows = cross_flows(estate, moved_set)
    mbps = sum(c.mbps for c in flows)
    cap, how = _link_capacity_mbps(estate, colo.site)
    over = () if mbps <= cap else (f"{mbps:,.0f} Mb/s crosses but the Interconnect carries {cap:,.0f} Mb/s "
                                   f"({how})",)
    checks.append(CheckResult("link capacity", not over, f"{mbps:,.0f} Mb/s across, {cap:,.0f} Mb/s available "
                              f"({how})", over))

    # Cost of running both sides.
    try:
        cloud = finops.estimate(s).total_monthly
    except TradeplaneError as exc:
        cloud = float("nan")
        checks.append(CheckResult("cost", False, "cannot price the stage", tuple(exc.lines())))
    colo_cost = _colo_monthly(estate, moved_set)

    rendered = terraform.render(s, zones=zones or None)
    return StageProof(tuple(sorted(moved_set)), checks, crossings, mbps, cloud, colo_cost, report.findings,
                      resource_blocks(rendered), zones)
