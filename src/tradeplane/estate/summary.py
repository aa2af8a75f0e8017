"""A readable summary of an estate: counts by cloud and desk, and its network tree."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tradeplane.estate.model import AwsVpc, Estate


@dataclass(frozen=True)
class NetworkNode:
    name: str
    cloud: str
    where: str  # account/region or project
    desk: str
    cidrs: tuple[str, ...]
    subnets: tuple[tuple[str, str, str], ...]  # (name, cidr, zone or region)


@dataclass(frozen=True)
class Summary:
    name: str
    counts: dict[str, int]
    by_cloud: dict[str, dict[str, int]]
    by_desk: dict[str, dict[str, int]]
    links: dict[str, int]
    networks: tuple[NetworkNode, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "counts": self.counts,
            "by_cloud": self.by_cloud,
            "by_desk": self.by_desk,
            "links": self.links,
            "networks": [
                {"name": n.name, "cloud": n.cloud, "where": n.where, "desk": n.desk, "cidrs": list(n.cidrs),
                 "subnets": [{"name": s[0], "cidr": s[1], "location": s[2]} for s in n.subnets]}
                for n in self.networks
            ],
        }


def summarise(estate: Estate) -> Summary:
    networks = sorted(estate.networks, key=lambda n: (n.cloud, n.name))
    subnets = sum(len(n.subnets) for n in estate.networks)
    counts = {
        "desks": len(estate.desks),
        "networks": len(estate.networks),
        "subnets": subnets,
        "links": len(estate.links),
        "workloads": len(estate.workloads),
        "instances": sum(w.count for w in estate.workloads),
        "venues": len(estate.venues),
        "sites": len(estate.sites),
        "guardrails": len(estate.guardrails),
        "intents": len(estate.intents),
    }
    net_cloud = {n.name: n.cloud for n in estate.networks}
    by_cloud: dict[str, dict[str, int]] = {}
    for cloud in sorted({n.cloud for n in estate.networks}):
        nets = [n for n in estate.networks if n.cloud == cloud]
        wls = [w for w in estate.workloads if net_cloud.get(w.network) == cloud]
        by_cloud[cloud] = {
            "networks": len(nets),
            "subnets": sum(len(n.subnets) for n in nets),
            "workloads": len(wls),
            "instances": sum(w.count for w in wls),
        }
    by_desk: dict[str, dict[str, int]] = {}
    for d in sorted(estate.desks, key=lambda d: d.name):
        wls = [w for w in estate.workloads if w.desk == d.name]
        by_desk[d.name] = {
            "networks": sum(1 for n in estate.networks if n.desk == d.name),
            "workloads": len(wls),
            "instances": sum(w.count for w in wls),
        }
    links: dict[str, int] = dict(sorted(Counter(str(link.kind) for link in estate.links).items()))
    nodes = tuple(
        NetworkNode(
            name=n.name,
            cloud=n.cloud,
            where=f"{n.account} / {n.region}" if isinstance(n, AwsVpc) else n.project,
            desk=n.desk or "-",
            cidrs=tuple(str(c) for c in n.cidrs) if isinstance(n, AwsVpc) else (),
            subnets=tuple(
                sorted(
                    (s.name, str(s.cidr), s.zone if hasattr(s, "zone") else getattr(s, "region", ""))
                    for s in n.subnets
                )
            ),
        )
        for n in networks
    )
    return Summary(estate.name, counts, by_cloud, by_desk, links, nodes)
