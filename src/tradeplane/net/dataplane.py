"""The data plane built from an estate: endpoints, compiled route tables and filters.

``Dataplane.build(estate, failed=...)`` turns the declarative estate into what
the walk traverses: this module builds it (each VPC's tables, the endpoints);
``net.lookups`` answers the walk's questions (filters, route tables, TGW and
site routes) on first use. ``failed`` names link elements that are down (an interconnect
attachment, a Direct Connect connection or virtual interface, a VPN tunnel, a
cross-cloud leg): their dynamic routes are withdrawn, as BGP would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, partial
from ipaddress import IPv4Network

from tradeplane.errors import InputError
from tradeplane.estate.model import (
    AwsSubnet,
    AwsVpc,
    CrossCloud,
    DirectConnect,
    Estate,
    GcpSubnet,
    GcpVpc,
    Interconnect,
    Nacl,
    NaclRule,
    PrivateEndpoint,
    SecurityGroup,
    Site,
    TgwAttachment,
    TransitGateway,
    Venue,
    Vpn,
    Workload,
)
from tradeplane.net.filters import Filter, FilterRule, Stage, match_space, rule_protocol
from tradeplane.net.lookups import Lookups
from tradeplane.net.routing import PrefixSet, Route, RouteTable
from tradeplane.net.space import Interval, Space, net_interval
from tradeplane.net.trace import RuleRef

__all__ = ["INTERNET_EXCLUDED", "Dataplane", "Endpoint", "check_failed", "failure_elements", "internet_intervals"]

INTERNET_EXCLUDED = tuple(IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
))


def internet_intervals() -> list[Interval]:
    """0.0.0.0/0 minus private, shared, loopback, link-local, multicast and reserved space."""
    out: list[Interval] = []
    cur = 0
    for lo, hi in sorted(net_interval(n) for n in INTERNET_EXCLUDED):
        if lo > cur:
            out.append((cur, lo - 1))
        cur = max(cur, hi + 1)
    if cur <= 2**32 - 1:
        out.append((cur, 2**32 - 1))
    return out


@dataclass(frozen=True)
class Endpoint:
    """Something traffic starts from or ends at.

    ``key`` is stable and unique (``workload:eq-strategy``, ``subnet:net/sub``,
    ``site:aurora-colo``, ``venue:binance``, ``internet``); ``addresses`` are the
    source/destination address intervals it owns (a workload owns its subnet's range).
    """

    key: str
    kind: str
    name: str
    addresses: tuple[Interval, ...]
    network: str = ""
    subnet: str = ""
    desk: str | None = None
    tier: str = ""

    def space(self) -> list[Interval]:
        return list(self.addresses)


def failure_elements(estate: Estate) -> list[tuple[str, str]]:
    """Every link element that can fail alone, with the link it belongs to (sorted)."""
    out: list[tuple[str, str]] = []
    for link in estate.links:
        if isinstance(link, Interconnect):
            out += [(f"{link.name}/{a.name}", link.name) for a in link.attachments]
        elif isinstance(link, DirectConnect):
            out += [(f"{link.name}/{c.name}", link.name) for c in link.connections]
            out += [(f"{link.name}/{v.name}", link.name) for v in link.virtual_interfaces]
        elif isinstance(link, Vpn):
            out += [(f"{link.name}/{t.name}", link.name) for t in link.tunnels]
        elif isinstance(link, CrossCloud):
            legs = ("leg-a", "leg-b") if link.redundant else ("leg-a",)
            out += [(f"{link.name}/{leg}", link.name) for leg in legs]
    return sorted(out)


def check_failed(estate: Estate, names: Iterable[str]) -> frozenset[str]:
    """``--fail`` names, checked against the estate's link elements (``InputError`` naming the known ones)."""
    known = {el for el, _ in failure_elements(estate)}
    for f in names:
        if f not in known:
            raise InputError.single(f"--fail {f!r} is not a link element of {estate.name}",
                                    hint="one of: " + ", ".join(sorted(known)) if known else "the estate has none")
    return frozenset(names)


@dataclass
class AwsVpcTables:
    """One AWS VPC compiled for the walk: its route tables, subnets by name, NACLs as filters (each
    direction), security groups by name, the subnet of each NAT gateway, and its CIDRs as intervals."""

    vpc: AwsVpc
    tables: dict[str, RouteTable]
    subnets: dict[str, AwsSubnet]
    nacl_in: dict[str, Filter]
    nacl_out: dict[str, Filter]
    sgs: dict[str, SecurityGroup]
    nat_subnet: dict[str, str]
    cidrs: list[Interval]


@dataclass
class GcpVpcTables:
    """One GCP VPC compiled for the walk: its subnets by name and the route tables built so far, one per
    (region, route-relevant tags)."""

    vpc: GcpVpc
    subnets: dict[str, GcpSubnet]
    tables: dict[tuple[str, tuple[str, ...]], RouteTable] = field(default_factory=dict)


class Dataplane(Lookups):
    """Compiled, immutable view of an estate's network for the walk: built here (networks, endpoints);
    its lookups (filters, route tables, transit gateway and site routes) are ``net.lookups.Lookups``."""

    def __init__(self, estate: Estate, failed: frozenset[str] = frozenset()) -> None:
        self.estate = estate
        self.failed = failed
        self.internet = internet_intervals()
        self.aws: dict[str, AwsVpcTables] = {}
        self.gcp: dict[str, GcpVpcTables] = {}
        self.tgws: dict[str, TransitGateway] = {n.name: n for n in estate.links_of(TransitGateway)}
        self.links = {link.name: link for link in estate.links}
        self.sites = {s.name: s for s in estate.sites}
        self.workloads = {w.name: w for w in estate.workloads}
        self.endpoints: dict[str, Endpoint] = {}
        self.by_subnet: dict[tuple[str, str], list[Endpoint]] = {}
        self._sg_filters: dict[tuple[str, tuple[str, ...], str], Filter] = {}
        self._gcp_filters: dict[tuple[str, tuple[str, ...], str, str, str], Filter] = {}
        self._site_tables: dict[str, RouteTable] = {}
        self._subnet_tables: dict[str, RouteTable] = {}
        self._advertised: dict[tuple[str, str], tuple[PrefixSet, dict[str, frozenset[int]]]] = {}
        self._attachment_index: dict[str, dict[tuple[str, str], TgwAttachment]] = {}
        self._attachment_names: dict[str, dict[str, TgwAttachment]] = {}
        self._tgw_tables: dict[tuple[str, str], RouteTable] = {}
        self._tag_sources: dict[tuple[str, str], list[Interval]] = {}
        self._sg_members: dict[tuple[str, str], list[Interval]] = {}
        self._build_networks()
        self._build_endpoints()

    @classmethod
    def build(cls, estate: Estate, failed: frozenset[str] = frozenset()) -> Dataplane:
        return cls(estate, failed)

    # ------------------------------------------------------------------ networks

    def _build_networks(self) -> None:
        for n in self.estate.networks:
            if isinstance(n, AwsVpc):
                self.aws[n.name] = self._aws(n)
            else:
                self.gcp[n.name] = GcpVpcTables(n, {s.name: s for s in n.subnets})

    def _aws(self, n: AwsVpc) -> AwsVpcTables:
        tables: dict[str, RouteTable] = {}
        for t in n.route_tables:
            routes = [Route(c, 0, ("local",), self.ref("route", f"{n.name}/{t.name} {c} -> local (implicit)", n, "cidrs"))
                      for c in n.cidrs]
            for r in t.routes:
                hop: tuple[str, ...] = (r.target.value,) if r.via is None else (r.target.value, r.via)
                target = r.target.value + (f" {r.via}" if r.via else "")
                routes.append(Route(r.destination, 1, hop,
                                    self.ref("route", f"{n.name}/{t.name} {r.destination} -> {target}", r)))
            tables[t.name] = RouteTable(f"{n.name}/{t.name}", routes)
        nacl_in = {a.name: self._nacl(n, a, "ingress") for a in n.nacls}
        nacl_out = {a.name: self._nacl(n, a, "egress") for a in n.nacls}
        return AwsVpcTables(n, tables, {s.name: s for s in n.subnets}, nacl_in, nacl_out,
                       {g.name: g for g in n.security_groups}, {g.name: g.subnet for g in n.nat_gateways},
                       [net_interval(c) for c in n.cidrs])

    def _nacl(self, n: AwsVpc, nacl: Nacl, direction: str) -> Filter:
        rules = []
        for r in sorted(getattr(nacl, direction), key=lambda x: x.number):
            ports = [(r.ports.start, r.ports.end)] if r.ports else None
            proto = rule_protocol(r.protocol.value, r.protocol_number)
            m = match_space(src=[r.cidr] if direction == "ingress" else None,
                            dst=[r.cidr] if direction == "egress" else None,
                            protocol=proto, dports=ports)
            rules.append(FilterRule(m, "allow" if r.action.value == "allow" else "deny",
                                    make=partial(self._nacl_rule_ref, n, nacl, direction, proto, r)))
        default = self.ref("nacl", f"{n.name}/{nacl.name} {direction} * deny (implicit)", nacl, direction)
        return Filter(f"nacl {nacl.name}", (Stage(nacl.name, tuple(rules)),), "deny", default)

    def _nacl_rule_ref(self, n: AwsVpc, nacl: Nacl, direction: str, proto: str, r: NaclRule) -> RuleRef:
        text = f"{n.name}/{nacl.name} {direction} #{r.number} {r.action.value} {proto}" \
               f"{' ' + str(r.ports) if r.ports else ''} {r.cidr}"
        return self.ref("nacl", text, r)

    # ------------------------------------------------------------------ exposure

    def has_public_ip(self, ep: Endpoint) -> bool:
        """Does the internet reach this endpoint at a public address? Per instance (``Workload.public_ip``,
        unset: its subnet's tier decides); a bare subnet endpoint stands for an instance of the subnet's tier."""
        w = self.workload(ep)
        if w is not None and w.public_ip is not None:
            return w.public_ip
        return ep.tier == "public"

    # ------------------------------------------------------------------ endpoints

    def _add(self, ep: Endpoint) -> None:
        self.endpoints[ep.key] = ep
        if ep.subnet:
            self.by_subnet.setdefault((ep.network, ep.subnet), []).append(ep)

    def _build_endpoints(self) -> None:
        nets = {n.name: n for n in self.estate.networks}
        for n in self.estate.networks:
            for s in n.subnets:
                self._add(Endpoint(f"subnet:{n.name}/{s.name}", "subnet", f"{n.name}/{s.name}",
                                   (net_interval(s.cidr),), n.name, s.name, n.desk, s.tier))
        for w in self.estate.workloads:
            wn = nets.get(w.network)
            sub = next((x for x in wn.subnets if x.name == w.subnet), None) if wn else None
            if sub is None:
                continue
            self._add(Endpoint(f"workload:{w.name}", "workload", w.name, (net_interval(sub.cidr),), w.network,
                               w.subnet, w.desk, sub.tier))
        for site in self.estate.sites:
            self._add(Endpoint(f"site:{site.name}", "site", site.name, tuple(net_interval(c) for c in site.cidrs),
                               desk=site.desk))
        for gv in self.estate.gcp_vpcs:
            for pe in gv.psc_endpoints:  # its own address only; not in by_subnet (no instance filters)
                ip = int(pe.address)
                self._add(Endpoint(f"psc:{gv.name}/{pe.name}", "psc", pe.name, ((ip, ip),), gv.name, "", gv.desk))
        self._add(Endpoint("internet", "internet", "internet", tuple(self.internet)))
        for v in self.estate.venues:
            self._add(Endpoint(f"venue:{v.name}", "venue", v.name, tuple(self.venue_addresses(v))))

    def venue_addresses(self, v: Venue) -> list[Interval]:
        out: list[Interval] = [net_interval(c) for c in v.cidrs]
        if not v.cidrs and any(c.kind == "internet" for c in v.connectivity):
            out += self.internet
        for pe in self.private_endpoints(v.name):
            info = self.aws.get(pe.network)
            if info:
                out += [net_interval(info.subnets[s].cidr) for s in pe.subnets if s in info.subnets]
        return out

    def private_endpoints(self, venue: str) -> list[PrivateEndpoint]:
        return [p for p in self.estate.links_of(PrivateEndpoint) if p.venue == venue]

    @cached_property
    def psc_by_name(self) -> dict[str, tuple[str, ...]]:
        """The keys of the Private Service Connect endpoints (``psc:NET/NAME``) by NAME, in endpoint
        order (``resolve`` looks names up here instead of scanning every endpoint)."""
        out: dict[str, list[str]] = {}
        for key in self.endpoints:
            if key.startswith("psc:"):
                out.setdefault(key.rsplit("/", 1)[-1], []).append(key)
        return {name: tuple(keys) for name, keys in out.items()}

    @cached_property
    def pe_by_subnet(self) -> dict[tuple[str, str], list[PrivateEndpoint]]:
        out: dict[tuple[str, str], list[PrivateEndpoint]] = {}
        for p in self.estate.links_of(PrivateEndpoint):
            for s in p.subnets:
                out.setdefault((p.network, s), []).append(p)
        return out

    def workload(self, ep: Endpoint) -> Workload | None:
        return self.workloads.get(ep.name) if ep.kind == "workload" else None

    def site(self, name: str) -> Site:
        return self.sites[name]

    def internet_space(self) -> Space:
        return self._internet_space

    @cached_property
    def _internet_space(self) -> Space:
        return Space.build(dst=self.internet)

