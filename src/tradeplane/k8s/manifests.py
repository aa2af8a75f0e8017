"""Kubernetes manifests per GKE cluster, compiled from the estate and the placement solve.

For every ``gke_node_pool`` workload that declares ``pods``, per cluster:

- a ``Namespace`` per desk and the two ``PriorityClass``es (latency-critical pods are preempted
  last: ``tradeplane-latency-critical`` 1,000,000, ``tradeplane-standard`` 100,000);
- a ``Deployment`` pinned to its own node pool (required node affinity on
  ``cloud.google.com/gke-nodepool``) with tolerations for exactly the pool's taints
  (``tradeplane.estate.scheduling``); latency-critical pods in Guaranteed QoS (CPU and memory
  requests = limits, whole CPUs) so the kubelet's static CPU manager gives them exclusive cores;
  other pods with a CPU request and no CPU limit (the firm's standard: no CFS throttling);
- redundant legs (``placement.anti_affinity``) as required pod anti-affinity on the zone, plus a
  ``topologySpreadConstraint`` for multi-replica workloads;
- a ``PodDisruptionBudget`` per redundancy group (``maxUnavailable: 1`` over all its legs), so an
  upgrade or a drain never takes two legs at once.

Pure: Estate and the solver's zones in, documents out; sorted and stable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tradeplane.estate import Estate, Workload
from tradeplane.estate.scheduling import LATENCY_LABEL, NODEPOOL_LABEL, latency_class, node_taints

__all__ = ["ClusterManifests", "Document", "pod_workloads", "redundancy_groups", "render"]

Document = dict[str, Any]
ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"
PRIORITY = {"critical": "tradeplane-latency-critical", "standard": "tradeplane-standard"}


@dataclass
class ClusterManifests:
    """One cluster's documents, grouped by the file they are written to."""

    cluster: str
    files: dict[str, list[Document]] = field(default_factory=dict)

    def documents(self) -> list[Document]:
        return [d for name in sorted(self.files) for d in self.files[name]]


def pod_workloads(estate: Estate) -> list[Workload]:
    return sorted((w for w in estate.workloads if w.kind == "gke_node_pool" and w.gke_cluster and w.pods),
                  key=lambda w: w.name)


def redundancy_groups(workloads: list[Workload]) -> dict[str, str]:
    """Workload -> its redundancy group (the first name of its anti-affinity component); only
    workloads with anti-affinity to another pod workload have one."""
    names = {w.name for w in workloads}
    parent = {n: n for n in names}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    linked: set[str] = set()
    for w in workloads:
        for other in w.placement.anti_affinity:
            if other in names:
                linked |= {w.name, other}
                a, b = sorted((find(w.name), find(other)))
                parent[b] = a
    return {n: find(n) for n in sorted(linked)}


def _labels(w: Workload, group: str | None) -> dict[str, str]:
    labels = {"app.kubernetes.io/name": w.name, "tradeplane.io/desk": w.desk, "tradeplane.io/team": w.team,
              LATENCY_LABEL: latency_class(w)}
    if group:
        labels["tradeplane.io/redundancy-group"] = group
    return labels


def _resources(w: Workload) -> dict[str, Any]:
    assert w.pods is not None
    memory = f"{round(w.pods.memory_gib * 1024)}Mi"
    if latency_class(w) == "critical":
        exact = {"cpu": str(w.pods.cpu), "memory": memory}
        return {"requests": dict(exact), "limits": dict(exact)}
    return {"requests": {"cpu": str(w.pods.cpu), "memory": memory}, "limits": {"memory": memory}}


def _deployment(w: Workload, group: str | None, anti: list[Workload], zones: tuple[str, ...]) -> Document:
    assert w.pods is not None
    labels = _labels(w, group)
    affinity: dict[str, Any] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": NODEPOOL_LABEL, "operator": "In", "values": [w.name]}]}]}}}
    if anti:
        terms = []
        for topology in (ZONE, HOST):
            term: dict[str, Any] = {"labelSelector": {"matchExpressions": [{
                "key": "app.kubernetes.io/name", "operator": "In", "values": sorted(o.name for o in anti)}]},
                "topologyKey": topology}
            namespaces = sorted({o.desk for o in anti} | {w.desk})
            if namespaces != [w.desk]:
                term["namespaces"] = namespaces
            terms.append(term)
        affinity["podAntiAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": terms}
    container: dict[str, Any] = {"name": w.name, "image": w.pods.image, "resources": _resources(w)}
    if w.pods.ports:
        container["ports"] = [{"containerPort": p, "protocol": "TCP"} for p in sorted(w.pods.ports)]
    spec: dict[str, Any] = {
        "priorityClassName": PRIORITY[latency_class(w)],
        "affinity": affinity,
        "tolerations": [{"key": k, "operator": "Equal", "value": v, "effect": e} for k, v, e in node_taints(w)],
        "containers": [container],
    }
    if w.pods.replicas > 1:
        spread = [{"maxSkew": 1, "topologyKey": HOST, "whenUnsatisfiable": "DoNotSchedule",
                   "labelSelector": {"matchLabels": {"app.kubernetes.io/name": w.name}}}]
        if len(zones) > 1:
            spread.insert(0, {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
                              "labelSelector": {"matchLabels": {"app.kubernetes.io/name": w.name}}})
        spec["topologySpreadConstraints"] = spread
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": w.name, "namespace": w.desk, "labels": labels,
                     "annotations": {"tradeplane.io/zones": ",".join(zones)}},
        "spec": {"replicas": w.pods.replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": w.name}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0 if anti else 1,
                                                                         "maxSurge": 1}},
                 "template": {"metadata": {"labels": labels}, "spec": spec}},
    }


def render(estate: Estate, zones: Mapping[str, tuple[str, ...]]) -> list[ClusterManifests]:
    """Manifests for every cluster that has pod workloads, sorted by cluster name.

    ``zones`` maps a workload to the zone of each of its replicas (nodes), as the placement
    solver chose them (``placement.zones_by_workload``).
    """
    workloads = pod_workloads(estate)
    groups = redundancy_groups(workloads)
    by_name = {w.name: w for w in workloads}
    out: list[ClusterManifests] = []
    for cluster in sorted({w.gke_cluster for w in workloads if w.gke_cluster}):
        members = [w for w in workloads if w.gke_cluster == cluster]
        m = ClusterManifests(cluster)
        m.files["00-namespaces.yaml"] = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": desk, "labels": {"tradeplane.io/desk": desk}}}
            for desk in sorted({w.desk for w in members})]
        m.files["01-priority-classes.yaml"] = [
            {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": PRIORITY["critical"]},
             "value": 1_000_000, "globalDefault": False, "preemptionPolicy": "PreemptLowerPriority",
             "description": "pods with latency budgets: scheduled first, evicted last"},
            {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": PRIORITY["standard"]},
             "value": 100_000, "globalDefault": False, "preemptionPolicy": "PreemptLowerPriority",
             "description": "the firm's other workloads"}]
        for w in members:
            anti_names = ({o for o in w.placement.anti_affinity if o in by_name}
                          | {o.name for o in workloads if w.name in o.placement.anti_affinity})
            anti = [by_name[n] for n in sorted(anti_names)]
            m.files[f"{w.desk}/{w.name}.yaml"] = [_deployment(w, groups.get(w.name), anti,
                                                               tuple(sorted(set(zones.get(w.name, ())))))]
        budgets = []
        for group in sorted({g for n, g in groups.items() if by_name[n].gke_cluster == cluster}):
            legs = sorted(n for n, g in groups.items() if g == group)
            desks = sorted({by_name[n].desk for n in legs})
            for desk in desks:  # a PDB selects within its namespace
                budgets.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                                "metadata": {"name": f"{group}-legs", "namespace": desk,
                                             "annotations": {"tradeplane.io/legs": ",".join(legs)}},
                                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {
                                    "tradeplane.io/redundancy-group": group}}}})
        for w in members:
            if w.name not in groups and w.pods and w.pods.replicas > 1:
                budgets.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                                "metadata": {"name": w.name, "namespace": w.desk},
                                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {
                                    "app.kubernetes.io/name": w.name}}}})
        if budgets:
            m.files["02-disruption-budgets.yaml"] = budgets
        out.append(m)
    return out
