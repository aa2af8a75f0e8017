"""Proof that redundant legs survive any single zone or node failure, from the rendered manifests.

For every pair of anti-affine pod workloads (the estate's ``placement.anti_affinity``), both
Deployments must carry required pod anti-affinity against each other on the zone and on the
host, and the zones their node pools are pinned to (``tradeplane.io/zones``) must be disjoint.
Then a zone failure, and so a node failure, takes at most one leg. Each failure is a line
naming the pair and the missing guarantee.
"""

from __future__ import annotations

from tradeplane.estate import Estate
from tradeplane.k8s.manifests import HOST, ZONE, ClusterManifests, Document, pod_workloads

__all__ = ["single_failure_violations"]


def _deployments(rendered: list[ClusterManifests]) -> dict[str, Document]:
    return {d["metadata"]["name"]: d for m in rendered for d in m.documents() if d["kind"] == "Deployment"}


def _anti(doc: Document) -> dict[str, set[str]]:
    """topologyKey -> the app names this Deployment's pods refuse to share it with."""
    spec = doc["spec"]["template"]["spec"]
    out: dict[str, set[str]] = {}
    for term in spec.get("affinity", {}).get("podAntiAffinity", {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution", []):
        for expr in term["labelSelector"]["matchExpressions"]:
            if expr["key"] == "app.kubernetes.io/name" and expr["operator"] == "In":
                out.setdefault(term["topologyKey"], set()).update(expr["values"])
    return out


def single_failure_violations(estate: Estate, rendered: list[ClusterManifests]) -> list[str]:
    deployments = _deployments(rendered)
    names = {w.name for w in pod_workloads(estate)}
    pairs = sorted({tuple(sorted((w.name, o))) for w in pod_workloads(estate) for o in w.placement.anti_affinity
                    if o in names})
    out: list[str] = []
    for a, b in pairs:
        da, db = deployments.get(a), deployments.get(b)
        if da is None or db is None:
            out.append(f"{a} / {b}: a leg has no Deployment")
            continue
        for doc, other in ((da, b), (db, a)):
            anti = _anti(doc)
            for key in (ZONE, HOST):
                if other not in anti.get(key, set()):
                    out.append(f"{doc['metadata']['name']} does not refuse {other} on {key}")
        za = set(filter(None, da["metadata"]["annotations"]["tradeplane.io/zones"].split(",")))
        zb = set(filter(None, db["metadata"]["annotations"]["tradeplane.io/zones"].split(",")))
        if not za or not zb:
            out.append(f"{a} / {b}: a leg's node pool has no zone")
        elif za & zb:
            out.append(f"{a} / {b}: both node pools are in {', '.join(sorted(za & zb))}")
    return out
