"""No overlapping CIDRs between places that route to each other.

Routing domains follow the walk's semantics: a transit gateway, an interconnect, a VPN, Direct
Connect or a cross-cloud link joins everything attached to it (they transit), but VPC peering is
not transitive: a peering joins exactly its two VPCs. So two spokes peered with one hub may
overlap each other (AWS documents this design, with specific routes in the hub, as supported);
they may not overlap the hub.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from tradeplane.estate.model import (
    AwsVpc,
    CrossCloud,
    DirectConnect,
    Interconnect,
    TgwPeering,
    TransitGateway,
    VpcPeering,
    Vpn,
)
from tradeplane.net.checks.base import Context, Finding, register


class _Domains:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def routing_domains(ctx: Context) -> dict[str, str]:
    """Each network and site, mapped to a representative of its transitive routing domain
    (every link but VPC peering, which ``peered_pairs`` lists)."""
    e = ctx.estate
    d = _Domains()
    for n in e.networks:
        d.find(f"network {n.name}")
    for s in e.sites:
        if s.cidrs:
            d.find(f"site {s.name}")
    for link in e.links:
        if isinstance(link, VpcPeering):
            continue  # not transitive: see peered_pairs
        if isinstance(link, TransitGateway):
            for a in link.attachments:
                if a.kind == "vpc":
                    d.join(f"tgw {link.name}", f"network {a.target}")
        elif isinstance(link, TgwPeering):
            d.join(f"tgw {link.a}", f"tgw {link.b}")
        elif isinstance(link, DirectConnect):
            if link.network:
                d.join(f"network {link.network}", f"site {link.site}")
            for t in e.links_of(TransitGateway):
                if any(a.target == link.name for a in t.attachments):
                    d.join(f"tgw {t.name}", f"site {link.site}")
        elif isinstance(link, Interconnect):
            d.join(f"network {link.network}", f"site {link.site}")
        elif isinstance(link, Vpn):
            remote = f"site {link.remote}" if any(s.name == link.remote for s in e.sites) else f"network {link.remote}"
            d.join(f"network {link.network}", remote)
            if link.transit_gateway:
                d.join(f"tgw {link.transit_gateway}", remote)
        elif isinstance(link, CrossCloud):
            d.join(f"network {link.gcp_network}", f"tgw {link.aws_transit_gateway}")
    return {k: d.find(k) for k in list(d.parent) if not k.startswith("tgw ")}


def peered_pairs(ctx: Context) -> set[frozenset[str]]:
    """Owners joined directly by a VPC peering (and only those two)."""
    return {frozenset((f"network {p.a}", f"network {p.b}")) for p in ctx.estate.links_of(VpcPeering)}


@register("cidr-overlap", severity="high", order=50,
          proves="no two places that route to each other have overlapping prefixes")
def check_overlaps(ctx: Context) -> Iterator[Finding]:
    e = ctx.estate
    domains = routing_domains(ctx)
    peered = peered_pairs(ctx)
    prefixes: list[tuple[IPv4Network, str, object, str]] = []
    for n in e.networks:
        if isinstance(n, AwsVpc):
            prefixes += [(c, f"network {n.name}", n, "cidrs") for c in n.cidrs]
        else:
            for s in n.subnets:
                prefixes += [(c, f"network {n.name}", s, "cidr") for c in (s.cidr, *s.secondary_ranges.values())]
    for site in e.sites:
        prefixes += [(c, f"site {site.name}", site, "cidrs") for c in site.cidrs]
    prefixes.sort(key=lambda p: (int(p[0].network_address), p[0].prefixlen, p[1]))
    seen: set[tuple[str, str, str, str]] = set()
    for i, (a, owner_a, _obj_a, _fa) in enumerate(prefixes):
        for b, owner_b, obj_b, fb in prefixes[i + 1:]:
            if int(b.network_address) > int(a.broadcast_address):
                break
            if owner_a == owner_b:
                continue
            if domains.get(owner_a) != domains.get(owner_b) and frozenset((owner_a, owner_b)) not in peered:
                continue
            key = (str(a), owner_a, str(b), owner_b)
            if key in seen:
                continue
            seen.add(key)
            joined = "in one routing domain" if domains.get(owner_a) == domains.get(owner_b) else "across a peering"
            yield Finding("cidr-overlap", "high", f"{owner_a} {a} overlaps {owner_b} {b} {joined}",
                          (f"{a} <-> {b}",), "overlapping prefixes make routing ambiguous across the domain",
                          f"renumber {owner_b} {b}", ctx.where(obj_b, fb))
    if not seen:
        ctx.note_pass(f"cidr overlap: no overlaps across {len(set(domains.values()))} routing domains")
