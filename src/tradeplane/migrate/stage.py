"""Intermediate estates: the colocation workloads of a wave set moved into GCP, the rest still in the colo.

``stage(estate, moved)`` returns an ordinary ``Estate`` that every analysis takes as it is:

- each moved colocation workload becomes a ``Workload`` on its GCP target (network, subnet, zone,
  machine type, placement) with its venues, its budgets and dependencies on other cloud workloads;
- each dependency or data flow between a workload in the colocation and one in a cloud becomes a
  ``reachable`` intent from/to the colocation host's address (a /32 of the site's prefix), so
  ``net verify`` proves it across the Interconnect or VPN and, through its single-failure check,
  that it survives any one hybrid link element failing;
- budgets between a colocation end and a cloud end are left to ``crossing`` (the path goes through
  the Interconnect metro, which the site-to-zone estimate does not know).

Objects of the original estate keep their file:line; new ones have none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tradeplane.estate import (
    ColoWorkload,
    Dependency,
    Estate,
    Intent,
    LatencyBudget,
    Placement,
    PortRange,
    Protocol,
    Workload,
)

__all__ = ["CrossFlow", "cross_flows", "host_cidrs", "stage"]


@dataclass(frozen=True)
class CrossFlow:
    """Traffic between a colocation-side and a cloud-side workload in one intermediate state."""

    src: str
    dst: str
    protocol: str
    ports: tuple[PortRange, ...]
    mbps: float
    kind: str  # "dependency" or "flow"

    def spec(self, addresses: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
        """(src, dst) as ``net`` names: a colocation end becomes each of its host /32s."""
        srcs = addresses.get(self.src, (self.src,))
        dsts = addresses.get(self.dst, (self.dst,))
        return [(s, d) for s in srcs for d in dsts]

    def to_json(self) -> dict[str, Any]:
        return {"src": self.src, "dst": self.dst, "protocol": self.protocol,
                "ports": [str(p) for p in self.ports], "mbps": self.mbps, "kind": self.kind}


def host_cidrs(estate: Estate) -> dict[str, tuple[str, ...]]:
    """Colocation workload -> the /32 of each host it runs on."""
    colo = estate.colocation
    if colo is None:
        return {}
    hosts = colo.hosts()
    return {w.name: tuple(f"{hosts[h][1].address}/32" for h in w.hosts if h in hosts) for w in colo.workloads}


def cross_flows(estate: Estate, moved: Iterable[str]) -> list[CrossFlow]:
    """Every dependency and data flow with one end in the colocation and the other in a cloud."""
    colo = estate.colocation
    if colo is None:
        return []
    moved_set = set(moved)
    colo_names = {w.name for w in colo.workloads}
    cloud = {w.name for w in estate.workloads} | moved_set

    def side(name: str) -> str | None:
        if name in cloud:
            return "cloud"
        if name in colo_names:
            return "colo"
        return None  # a venue

    out: set[CrossFlow] = set()
    for w in colo.workloads:
        a = side(w.name)
        for d in w.depends_on:
            b = side(d.workload)
            if a and b and a != b:
                out.add(CrossFlow(w.name, d.workload, d.protocol.value, tuple(d.ports), 0.0, "dependency"))
        for f in w.flows:
            b = side(f.to)
            if a and b and a != b:
                out.add(CrossFlow(w.name, f.to, f.protocol.value, tuple(f.ports), f.mbps, "flow"))
    return sorted(out, key=lambda c: (c.src, c.dst, c.kind, tuple(str(p) for p in c.ports)))


def _workload(w: ColoWorkload, cloud: set[str], venues: set[str], sites: set[str]) -> Workload:
    t = w.target
    assert t is not None
    keep = cloud | venues | sites
    placement = Placement(strategy=t.placement.strategy, group=t.placement.group,
                          zones=(t.zone,) if t.zone else t.placement.zones,
                          anti_affinity=tuple(a for a in t.placement.anti_affinity if a in cloud))
    deps = [Dependency(workload=d.workload, protocol=d.protocol, ports=d.ports)
            for d in w.depends_on if d.workload in cloud]
    return Workload(
        name=w.name, desk=w.desk, team=w.team, env=w.env, kind=t.kind, network=t.network, subnet=t.subnet,
        machine_type=t.machine_type, count=t.count, placement=placement,
        latency_budgets=tuple(LatencyBudget(to=b.to, rtt_us=b.rtt_us) for b in w.latency_budgets if b.to in keep),
        depends_on=tuple(deps), listens_on=w.listens_on, tags=t.tags, service_account=t.service_account,
        venues=w.venues,
    )


def _intent_name(src: str, dst: str, c: CrossFlow) -> str:
    """Stable across stages, so a finding about one flow keeps its title from wave to wave."""
    text = f"{src}|{dst}|{c.protocol}|{','.join(str(p) for p in c.ports)}|{c.kind}"
    return f"migrate-{hashlib.blake2b(text.encode(), digest_size=5).hexdigest()}"


def stage(estate: Estate, moved: Iterable[str]) -> Estate:
    """The estate with ``moved`` colocation workloads in GCP and every other one still in the colo."""
    colo = estate.colocation
    if colo is None:
        return estate
    moved_set = set(moved)
    cloud = {w.name for w in estate.workloads} | moved_set
    venues = {v.name for v in estate.venues}
    sites = {s.name for s in estate.sites}
    new_workloads = [_workload(w, cloud, venues, sites) for w in colo.workloads if w.name in moved_set]
    addresses = host_cidrs(estate)
    intents: list[Intent] = []
    for c in cross_flows(estate, moved_set):
        for src, dst in c.spec({k: v for k, v in addresses.items() if k not in cloud}):
            intents.append(Intent(
                name=_intent_name(src, dst, c), kind="reachable", src=src, dst=dst,
                protocol=Protocol(c.protocol), ports=c.ports,
                reason=f"migration: {c.kind} {c.src} -> {c.dst} crosses between the colocation and the cloud"))
    out = estate.model_copy(update={
        "workloads": (*estate.workloads, *new_workloads),
        "intents": (*estate.intents, *intents),
    })
    return out
