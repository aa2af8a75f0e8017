"""Scheduling classes of workloads: the one rule Terraform's node pools and the Kubernetes
manifests both follow, so a pod's node affinity and tolerations always match its pool.

- Latency class: ``critical`` for a workload with any latency budget (its round trips are
  promised by the placement solver), ``standard`` otherwise.
- Node labels: ``tradeplane.io/desk``, ``tradeplane.io/latency-class`` (GKE adds
  ``cloud.google.com/gke-nodepool`` with the pool's name, which is the workload's name).
- Node taints (``NoSchedule``): ``tradeplane.io/desk=<desk>`` on every pool, so other desks'
  pods never land there; ``tradeplane.io/latency-class=critical`` on critical pools, so only
  pods that tolerate it share those cores.
"""

from __future__ import annotations

from typing import Literal

from tradeplane.estate.model import Workload

__all__ = ["DESK_LABEL", "LATENCY_LABEL", "NODEPOOL_LABEL", "latency_class", "node_labels", "node_taints"]

DESK_LABEL = "tradeplane.io/desk"
LATENCY_LABEL = "tradeplane.io/latency-class"
NODEPOOL_LABEL = "cloud.google.com/gke-nodepool"

LatencyClass = Literal["critical", "standard"]


def latency_class(workload: Workload) -> LatencyClass:
    return "critical" if workload.latency_budgets else "standard"


def node_labels(workload: Workload) -> dict[str, str]:
    return {DESK_LABEL: workload.desk, LATENCY_LABEL: latency_class(workload)}


def node_taints(workload: Workload) -> list[tuple[str, str, str]]:
    """``(key, value, effect)`` per taint, in the order they are applied."""
    taints = [(DESK_LABEL, workload.desk, "NoSchedule")]
    if latency_class(workload) == "critical":
        taints.append((LATENCY_LABEL, "critical", "NoSchedule"))
    return taints
