"""Egress addresses: the public source address a venue sees when a workload calls it.

Venues that allow-list API keys by source IP (Binance refuses API withdrawals otherwise)
must list exactly the addresses the firm's traffic leaves from. This follows each workload's
forwarding to the venue through the estate's own tables, as the clouds do:

- AWS: the subnet's route table, longest prefix match for the venue's address (its first
  cidr, else the internet 0.0.0.0/0). A ``nat`` route leaves through that NAT gateway's
  Elastic IPs (AWS docs, "NAT gateways": the source is the EIP); an ``igw`` route leaves from
  each instance's own public IP (per instance, unknown here); ``tgw``/``peering``/``vgw``
  leave the VPC, so the addresses are decided elsewhere (reported as not traced).
- Only venues reached over the internet (a ``connectivity`` of kind ``internet``) are
  followed; a cross-connect or Interconnect carries private addresses.
- GCP: a static route to the venue with another next hop wins (not traced); otherwise Cloud
  NAT in the subnet's region, with the reserved addresses the estate declares
  (Cloud NAT docs: with manual allocation, the source is one of the NAT IP addresses).

Pure: Estate in, :class:`Egress` per (workload, venue) out, sorted.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from tradeplane.estate import AwsVpc, Estate, GcpVpc, Venue, Workload

__all__ = ["Egress", "egress_addresses"]

INTERNET = IPv4Network("0.0.0.0/0")


@dataclass(frozen=True)
class Egress:
    """Where a workload's traffic to a venue leaves the firm.

    ``addresses`` are the public source IPs (sorted); ``known`` is False when the path leaves
    through something whose address is not in the estate (an instance public IP, a transit hop,
    a NAT with no declared address); ``via`` names the hop that decides, for the trace.
    """

    workload: str
    venue: str
    addresses: tuple[str, ...]
    via: str
    known: bool

    def to_json(self) -> dict[str, object]:
        return {"workload": self.workload, "venue": self.venue, "addresses": list(self.addresses),
                "via": self.via, "known": self.known}


def _destination(venue: Venue) -> IPv4Address:
    return venue.cidrs[0].network_address if venue.cidrs else IPv4Address("8.8.8.8")


def _aws(vpc: AwsVpc, workload: Workload, venue: Venue) -> Egress:
    subnet = next(s for s in vpc.subnets if s.name == workload.subnet)
    table = next((t for t in vpc.route_tables if t.name == subnet.route_table), None)
    target = _destination(venue)
    routes = [r for r in (table.routes if table else ()) if target in r.destination]
    if not routes:
        return Egress(workload.name, venue.name, (), f"{vpc.name}/{subnet.route_table}: no route", False)
    route = max(routes, key=lambda r: r.destination.prefixlen)
    hop = f"{vpc.name}/{subnet.route_table}: {route.destination} -> {route.target.value}"
    if route.target.value == "nat":
        nat = next((n for n in vpc.nat_gateways if n.name == route.via), None)
        ips = tuple(sorted(str(ip) for ip in nat.public_ips)) if nat else ()
        return Egress(workload.name, venue.name, ips, f"{hop} {route.via}", bool(ips))
    if route.target.value == "igw":
        return Egress(workload.name, venue.name, (), f"{hop}: each instance's own public IP", False)
    return Egress(workload.name, venue.name, (), f"{hop} {route.via or ''}: leaves the VPC (not traced)".strip(),
                  False)


def _gcp(vpc: GcpVpc, workload: Workload, venue: Venue) -> Egress:
    subnet = next(s for s in vpc.subnets if s.name == workload.subnet)
    target = _destination(venue)
    routes = [r for r in vpc.routes if target in r.destination and (not r.tags or set(r.tags) & set(workload.tags))]
    if routes:
        route = max(routes, key=lambda r: (r.destination.prefixlen, -r.priority))
        if route.next_hop.value != "internet":
            return Egress(workload.name, venue.name, (), f"{vpc.name}/{route.name}: {route.destination} -> "
                          f"{route.next_hop.value} (not traced)", False)
    if subnet.region not in vpc.cloud_nat_regions and subnet.name not in vpc.cloud_nat_subnets:
        return Egress(workload.name, venue.name, (), f"{vpc.name}: no Cloud NAT in {subnet.region}", False)
    declared = [a for a in vpc.cloud_nat_addresses if a.region == subnet.region]
    ips = tuple(sorted(str(ip) for a in declared for ip in a.addresses))
    return Egress(workload.name, venue.name, ips, f"{vpc.name}: Cloud NAT in {subnet.region}", bool(ips))


def egress_addresses(estate: Estate) -> list[Egress]:
    """The internet egress of every workload to every venue it reaches over the internet, sorted."""
    venues = {v.name: v for v in estate.venues if any(c.kind == "internet" for c in v.connectivity)}
    out: list[Egress] = []
    for workload in sorted(estate.workloads, key=lambda w: w.name):
        network = estate.network(workload.network)
        for name in sorted(set(workload.venues) & set(venues)):
            venue = venues[name]
            out.append(_aws(network, workload, venue) if isinstance(network, AwsVpc) else _gcp(network, workload, venue))
    return out
