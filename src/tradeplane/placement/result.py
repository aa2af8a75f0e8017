"""What the solver decided: per-workload zones per replica, groups, cost, status and gap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tradeplane.estate.prices import HOURS_PER_MONTH
from tradeplane.placement.explanation import Explanation

__all__ = ["GroupPlacement", "PlacementResult", "Status", "WorkloadPlacement", "zones_by_workload"]

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


@dataclass(frozen=True)
class WorkloadPlacement:
    workload: str
    cloud: str
    zones: tuple[str, ...]  # one per replica, sorted
    subnets: tuple[str, ...]  # the subnet of each replica (differs from the estate only with free subnets)
    strategy: str
    group: str | None
    hourly_usd: float  # 0 for members of a sole-tenant group: the group's nodes carry the cost

    @property
    def billed_to(self) -> str | None:
        """The sole-tenant node group whose nodes carry this workload's cost (its own ``hourly_usd`` is
        then 0: Compute Engine bills the nodes, not the VMs on them), or ``None``."""
        return self.group if self.strategy == "sole_tenant" else None

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.workload, "cloud": self.cloud, "zones": list(self.zones),
                "subnets": list(self.subnets), "strategy": self.strategy, "group": self.group,
                "hourly_usd": round(self.hourly_usd, 6), "billed_to": self.billed_to}


@dataclass(frozen=True)
class GroupPlacement:
    """A placement group (AWS cluster/spread/partition), compact policy or sole-tenant node group (GCP)."""

    name: str
    strategy: str
    cloud: str
    zones: tuple[str, ...]
    members: tuple[str, ...]
    instances: int
    rule: str
    node_type: str = ""
    nodes: int = 0
    hourly_usd: float = 0.0
    requirements: tuple[str, ...] = ()  # what the renderer must set, e.g. TERMINATE on host maintenance

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "strategy": self.strategy, "cloud": self.cloud,
                               "zones": list(self.zones), "members": list(self.members),
                               "instances": self.instances, "rule": self.rule,
                               "requirements": list(self.requirements)}
        if self.node_type:
            out |= {"node_type": self.node_type, "nodes": self.nodes, "hourly_usd": round(self.hourly_usd, 6)}
        return out


@dataclass(frozen=True)
class PlacementResult:
    estate: str
    status: Status
    workloads: tuple[WorkloadPlacement, ...]
    groups: tuple[GroupPlacement, ...]
    hourly_usd: float
    bound_hourly_usd: float  # the solver's proven lower bound on cost
    latency_us: float  # sum over replicas of the round trip to each venue/site budget target
    explanations: tuple[Explanation, ...] = ()
    solve_seconds: float = 0.0  # wall time; not part of the JSON (re-runs stay byte-identical)
    free_subnets: bool = False

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def gap(self) -> float:
        """Relative optimality gap on cost: 0 when proven optimal."""
        if not self.feasible:
            return float("nan")
        if self.status == "optimal" or self.hourly_usd <= 0:
            return 0.0
        return max(0.0, (self.hourly_usd - self.bound_hourly_usd) / self.hourly_usd)

    @property
    def monthly_usd(self) -> float:
        return self.hourly_usd * HOURS_PER_MONTH

    @property
    def node_groups(self) -> tuple[GroupPlacement, ...]:
        """The groups that bill by the node (GCP sole-tenant node groups), in the order of ``groups``."""
        return tuple(g for g in self.groups if g.node_type)

    @property
    def workloads_hourly_usd(self) -> float:
        """USD per hour the workloads' own instances cost (sole-tenant members count 0)."""
        return sum(w.hourly_usd for w in self.workloads)

    @property
    def nodes_hourly_usd(self) -> float:
        """USD per hour the sole-tenant nodes cost: ``workloads_hourly_usd + nodes_hourly_usd`` is
        ``hourly_usd``, the headline."""
        return sum(g.hourly_usd for g in self.node_groups)

    def cost_json(self) -> dict[str, Any]:
        """How the headline adds up: the workloads' rows plus the sole-tenant nodes' rows (USD per hour)."""
        return {"workloads_hourly_usd": round(self.workloads_hourly_usd, 6),
                "sole_tenant_nodes_hourly_usd": round(self.nodes_hourly_usd, 6),
                "hourly_usd": round(self.hourly_usd, 6)}

    def workload(self, name: str) -> WorkloadPlacement:
        for w in self.workloads:
            if w.workload == name:
                return w
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "estate": self.estate,
            "status": self.status,
            "gap": None if not self.feasible else round(self.gap, 6),
            "hourly_usd": round(self.hourly_usd, 6),
            "monthly_usd": round(self.monthly_usd, 2),
            "bound_hourly_usd": round(self.bound_hourly_usd, 6),
            "latency_us": round(self.latency_us, 1),
            "cost": self.cost_json(),
            "free_subnets": self.free_subnets,
            "workloads": [w.to_json() for w in self.workloads],
            "groups": [g.to_json() for g in self.groups],
            "explanations": [e.to_json() for e in self.explanations],
        }


def zones_by_workload(result: PlacementResult) -> dict[str, tuple[str, ...]]:
    """Workload name -> the zone of each replica (sorted), for the Terraform renderer."""
    return {w.workload: w.zones for w in sorted(result.workloads, key=lambda w: w.workload)}
