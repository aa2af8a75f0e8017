"""Kubernetes scheduling on GKE compiled from the same solve as the VMs.

Public face: :func:`render` (estate + the solver's zones -> manifests per cluster), :func:`problems`
(what GKE cannot give a workload, located), :func:`single_failure_violations` (the proof that
redundant legs survive one zone or node failure) and :func:`write` (atomic, one folder per cluster).
"""

from tradeplane.k8s.fit import allocatable_cpu, problems
from tradeplane.k8s.manifests import ClusterManifests, Document, pod_workloads, redundancy_groups, render
from tradeplane.k8s.resilience import single_failure_violations
from tradeplane.k8s.write import write

__all__ = [
    "ClusterManifests",
    "Document",
    "allocatable_cpu",
    "pod_workloads",
    "problems",
    "redundancy_groups",
    "render",
    "single_failure_violations",
    "write",
]
