"""What GKE cannot give a workload, explained like the placement solver's budgets are.

Each problem names the workload's estate file:line and the field, and says why:

- compact placement (``strategy: compact``/``cluster``) across more than one zone: a GKE compact
  placement policy puts a node pool's nodes in one zone (GKE docs, "Define compact placement");
- pods that do not fit a node: a pod's whole CPUs must fit the node's allocatable CPU after
  GKE's reservation (6% of the first core, 1% of the next, 0.5% of the next two, 0.25% above
  four: GKE docs, "Node allocatable resources"); latency-critical pods need that many *exclusive*
  cores, so the floor of the allocatable CPUs counts;
- more replicas than the pool has nodes while each pod needs most of a node;
- redundant legs whose pools share a zone (one zone failure would take both).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from tradeplane.errors import Problem
from tradeplane.estate import Estate, PlacementStrategy, Workload
from tradeplane.k8s.manifests import pod_workloads

__all__ = ["allocatable_cpu", "problems"]


def allocatable_cpu(machine_type: str) -> float | None:
    """Allocatable CPUs of a GCE machine type on GKE; ``None`` when the type's size is not in its name."""
    match = re.search(r"-(\d+)$", machine_type)
    if not match:
        return None
    cores = int(match.group(1))
    reserved = 0.06 * min(cores, 1) + 0.01 * min(max(cores - 1, 0), 1) + 0.005 * min(max(cores - 2, 0), 2)
    reserved += 0.0025 * max(cores - 4, 0)
    return cores - reserved


def problems(estate: Estate, zones: Mapping[str, tuple[str, ...]]) -> list[Problem]:
    """Every GKE workload whose request GKE cannot honour, with the reason (sorted)."""
    out: list[Problem] = []

    def add(w: Workload, obj: object, field: str, message: str, hint: str) -> None:
        out.append(Problem(f"{w.name}: {message}", estate.where(obj, field) or estate.where(w),
                           f"{estate.path_of(obj) or estate.path_of(w)}.{field}", hint))

    workloads = pod_workloads(estate)
    by_name = {w.name: w for w in workloads}
    for w in workloads:
        assert w.pods is not None
        placed = sorted(set(zones.get(w.name, ())))
        if w.placement.strategy in (PlacementStrategy.COMPACT, PlacementStrategy.CLUSTER) and len(placed) > 1:
            add(w, w.placement, "strategy", f"compact placement across {', '.join(placed)}",
                "a GKE compact placement policy keeps a node pool in one zone: pin one zone or use 'spread'")
        cpu = allocatable_cpu(w.machine_type)
        if cpu is not None and w.pods.cpu > math.floor(cpu):
            add(w, w.pods, "cpu", f"a pod asks for {w.pods.cpu} whole CPUs but a {w.machine_type} node has "
                f"{math.floor(cpu)} after GKE's reservation ({cpu:.2f} allocatable)",
                "ask for fewer CPUs or a larger machine type")
        elif cpu is not None and w.pods.replicas > w.count and w.pods.cpu > cpu / 2:
            add(w, w.pods, "replicas", f"{w.pods.replicas} pods of {w.pods.cpu} CPUs need one node each but the "
                f"pool has {w.count}", "raise the workload's count or lower replicas")
        for other in w.placement.anti_affinity:
            if other in by_name and w.name < other:
                shared = sorted(set(placed) & set(zones.get(other, ())))
                if shared:
                    add(w, w.placement, "anti_affinity", f"its pool and {other}'s share {', '.join(shared)}: one zone "
                        "failure takes both legs", "pin the legs' pools to different zones")
    return sorted(out, key=Problem.sort_key)
