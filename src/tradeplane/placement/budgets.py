"""Check every latency budget of an estate against a placement: the findings ``net verify`` reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradeplane.estate.model import Estate
from tradeplane.placement.latency import estimate_rtt
from tradeplane.placement.paths import Routes
from tradeplane.placement.result import PlacementResult

__all__ = ["BudgetFinding", "check_budgets"]


@dataclass(frozen=True, order=True)
class BudgetFinding:
    """One latency budget of one workload, at its worst replica (pair)."""

    workload: str
    to: str
    budget_us: float
    rtt_us: float
    met: bool
    zone: str  # the workload's replica zone of the worst round trip
    to_place: str  # the venue/site's catalog place, or the other workload's zone
    basis: str
    where: str = ""
    kind: str = ""  # the estimate's kind (measured, fabric, fitted, path, ...): ``Estimate.kind``
    confidence: str = ""  # how far to trust the estimate: high, medium or low (``Estimate.confidence``)

    @property
    def name(self) -> str:
        """An intent-like name: ``latency-<workload>-to-<target>``."""
        return f"latency-{self.workload}-to-{self.to}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "workload": self.workload, "to": self.to, "budget_us": self.budget_us,
                "rtt_us": round(self.rtt_us, 1), "met": self.met, "zone": self.zone, "to_place": self.to_place,
                "basis": self.basis, "where": self.where, "kind": self.kind, "confidence": self.confidence}


def check_budgets(estate: Estate, result: PlacementResult) -> list[BudgetFinding]:
    """Every budget of every placed workload: met or not, the worst round trip and its basis.

    A venue/site budget is estimated along the declared path (``paths.Routes``: the estate's Direct
    Connect / Interconnect exits, and the physical path the budget names in ``via``). A budget to a
    workload holds when every replica is within it of every replica of the other; two
    replicas in one zone and one cluster placement group / compact policy count at the group figure.
    Budgets of workloads the result does not place are skipped (an infeasible result places none).
    """
    placed = {w.workload: w for w in result.workloads}
    venues = {v.name: v.location for v in estate.venues}
    sites = {s.name: s.location for s in estate.sites if s.location}
    routes = Routes(estate)
    out: list[BudgetFinding] = []
    for w in estate.workloads:
        p = placed.get(w.name)
        if p is None or not p.zones:
            continue
        for b in w.latency_budgets:
            loc = estate.where(b, "rtt_us") or estate.where(b)
            where = str(loc) if loc else estate.path_of(b)
            if b.to in venues or b.to in sites:
                place = venues.get(b.to) or sites[b.to]
                est = max((routes.rtt(z, b.to, b.via) for z in sorted(set(p.zones))), key=lambda e: (e.rtt_us, e.a))
                out.append(BudgetFinding(w.name, b.to, b.rtt_us, est.rtt_us, est.rtt_us <= b.rtt_us, est.a, place,
                                         est.basis, where, est.kind, est.confidence))
                continue
            other = placed.get(b.to)
            if other is None or not other.zones:
                continue
            same = p.group is not None and p.group == other.group and p.strategy in ("cluster", "compact")
            pairs = [(estimate_rtt(z1, z2, same and z1 == z2), z1, z2)
                     for z1 in sorted(set(p.zones)) for z2 in sorted(set(other.zones))]
            est, z1, z2 = max(pairs, key=lambda t: (t[0].rtt_us, t[1], t[2]))
            out.append(BudgetFinding(w.name, b.to, b.rtt_us, est.rtt_us, est.rtt_us <= b.rtt_us, z1, z2,
                                     est.basis, where, est.kind, est.confidence))
    return sorted(out)
