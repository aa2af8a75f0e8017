"""Cross-object checks: unique names, references that resolve, places the catalog knows.

Pydantic checks each object alone; this module checks the estate as a whole.
Every problem points at the field that holds the bad name, with a "did you
mean" drawn from the names that do exist.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Collection, Iterable, Mapping
from ipaddress import IPv4Network, ip_network

from tradeplane.errors import Problem, UnsupportedError
from tradeplane.estate import catalog
from tradeplane.estate.model import (
    AwsRoute,
    AwsVpc,
    CloudRouter,
    Control,
    CrossCloud,
    DirectConnect,
    Estate,
    GcpNextHop,
    GcpVpc,
    Interconnect,
    PhysicalPath,
    PrivateEndpoint,
    RouteTarget,
    TgwPeering,
    TransitGateway,
    VpcPeering,
    Vpn,
    Workload,
)
from tradeplane.estate.prices.gcp_machines import gcp_machine


class _Checker:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.problems: list[Problem] = []

    def add(self, obj: object, field: str, message: str, hint: str = "") -> None:
        path = self.estate.path_of(obj)
        self.problems.append(Problem(message, self.estate.where(obj, field), f"{path}.{field}" if path else field,
                                     hint))

    def need(self, obj: object, field: str, value: str | None, pool: Collection[str], what: str) -> bool:
        """``value`` must name one of ``pool``; say what exists when it does not."""
        if value is None or value in pool:
            return True
        names = sorted(set(pool))
        close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif names:
            shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
            hint = f"known: {shown}"
        else:
            hint = f"none is declared; declare '{value}' first"
        head, _, scope = what.partition(" of ")
        self.add(obj, field, f"unknown {head} '{value}'" + (f" of {scope}" if scope else ""), hint)
        return False

    def unique(self, items: Iterable[object], what: str, key: str = "name") -> None:
        seen: dict[str, object] = {}
        for item in items:
            name = getattr(item, key)
            if name in seen:
                first = self.estate.where(seen[name])
                self.add(item, key, f"duplicate {what} name '{name}'",
                         f"the first is at {first}; names must be unique" if first else "names must be unique")
            else:
                seen[name] = item


def check(estate: Estate) -> list[Problem]:
    """Every cross-reference problem of the estate, sorted by where it was written."""
    c = _Checker(estate)
    _organisation(c)
    _sites_and_desks(c)
    _networks(c)
    _links(c)
    _workloads(c)
    _venues(c)
    _governance(c)
    _oncall(c)
    _observability(c)
    _colocation(c)
    _cost_allocation(c)
    return sorted(c.problems, key=Problem.sort_key)


def _organisation(c: _Checker) -> None:
    e = c.estate
    desks = [d.name for d in e.desks]
    aws = e.organisation.aws
    if aws is not None:
        c.unique(aws.ous, "OU")
        c.unique([a for ou in aws.ous for a in ou.accounts], "AWS account")
        c.unique([a for ou in aws.ous for a in ou.accounts], "AWS account id", key="account_id")
        ou_names = [o.name for o in aws.ous]
        for ou in aws.ous:
            c.need(ou, "parent", ou.parent, ou_names, "OU")
            for acct in ou.accounts:
                c.need(acct, "desk", acct.desk, desks, "desk")
    gcp = e.organisation.gcp
    if gcp is not None:
        c.unique(gcp.folders, "folder")
        c.unique(gcp.projects, "project")
        c.unique(gcp.projects, "project id", key="project_id")
        folders = [f.name for f in gcp.folders]
        hosts = [p.name for p in gcp.projects if p.shared_vpc_host]
        for folder in gcp.folders:
            c.need(folder, "parent", folder.parent, folders, "folder")
        for p in gcp.projects:
            c.need(p, "folder", p.folder, folders, "folder")
            c.need(p, "desk", p.desk, desks, "desk")
            c.need(p, "shared_vpc_host_project", p.shared_vpc_host_project, hosts, "Shared VPC host project")


def _accounts(e: Estate) -> list[str]:
    return [a.name for ou in e.organisation.aws.ous for a in ou.accounts] if e.organisation.aws else []


def _projects(e: Estate) -> list[str]:
    return [p.name for p in e.organisation.gcp.projects] if e.organisation.gcp else []


def _sites_and_desks(c: _Checker) -> None:
    e = c.estate
    desks = [d.name for d in e.desks]
    c.unique(e.sites, "site")
    c.unique(e.desks, "desk")
    for s in e.sites:
        c.need(s, "location", s.location, catalog.SITES, "catalog site")
        c.need(s, "desk", s.desk, desks, "desk")
    workloads = {w.name for w in e.workloads}
    for d in e.desks:
        for other in d.may_talk_to:
            c.need(d, "may_talk_to", other, desks, "desk")
        for svc in d.shared_services:
            c.need(d, "shared_services", svc, workloads, "workload")


def _networks(c: _Checker) -> None:
    e = c.estate
    c.unique(e.networks, "network")
    desks = [d.name for d in e.desks]
    aws_regions = [r.name for r in catalog.REGIONS.values() if r.cloud == "aws"]
    gcp_regions = [r.name for r in catalog.REGIONS.values() if r.cloud == "gcp"]
    links = _LinkNames({link.name: link for link in e.links})
    tunnels = [t.name for v in e.links_of(Vpn) for t in v.tunnels]
    for n in e.networks:
        c.need(n, "desk", n.desk, desks, "desk")
        if isinstance(n, AwsVpc):
            c.need(n, "account", n.account, _accounts(e), "AWS account")
            if c.need(n, "region", n.region, aws_regions, "AWS region"):
                zones = [z.name for z in catalog.zones_of(n.region)]
                for s in n.subnets:
                    c.need(s, "zone", s.zone, zones, f"zone id of {n.region}")
            _aws_vpc(c, n, links)
        else:
            c.need(n, "project", n.project, _projects(e), "GCP project")
            for gs in n.subnets:
                c.need(gs, "region", gs.region, gcp_regions, "GCP region")
            for sp in n.shared_vpc_service_projects:
                c.need(n, "shared_vpc_service_projects", sp, _projects(e), "GCP project")
            c.unique(n.subnets, "subnet")
            c.unique(n.routes, "route")
            c.unique(n.firewall_rules, "firewall rule")
            _no_overlaps(c, n, [(s, s.cidr) for s in n.subnets])
            for r in n.routes:
                if r.next_hop is GcpNextHop.VPN_TUNNEL:
                    c.need(r, "via", r.via, tunnels, "VPN tunnel")
            for region in n.cloud_nat_regions:
                c.need(n, "cloud_nat_regions", region, gcp_regions, "GCP region")
            for sub in n.cloud_nat_subnets:
                c.need(n, "cloud_nat_subnets", sub, [s.name for s in n.subnets], f"subnet of {n.name}")
            c.unique(n.psc_endpoints, "Private Service Connect endpoint")
    c.unique(e.firewall_policies, "firewall policy")
    folders = [f.name for f in e.organisation.gcp.folders] if e.organisation.gcp else []
    folders += [f for n in e.gcp_vpcs for f in n.folders]
    for fp in e.firewall_policies:
        pool = [n.name for n in e.gcp_vpcs] if fp.kind == "network" else [*folders, "organization"]
        for target in fp.attached_to:
            c.need(fp, "attached_to", target, pool, "GCP network" if fp.kind == "network" else "folder")
        for rule in fp.rules:
            for net in rule.target_networks:
                c.need(rule, "target_networks", net, [n.name for n in e.gcp_vpcs], "GCP network")


def _aws_vpc(c: _Checker, n: AwsVpc, links: _LinkNames) -> None:
    c.unique(n.subnets, "subnet")
    c.unique(n.route_tables, "route table")
    c.unique(n.security_groups, "security group")
    c.unique(n.nacls, "NACL")
    c.unique(n.nat_gateways, "NAT gateway")
    tables = [t.name for t in n.route_tables]
    nacls = [a.name for a in n.nacls]
    subnets = [s.name for s in n.subnets]
    for s in n.subnets:
        c.need(s, "route_table", s.route_table, tables, "route table")
        c.need(s, "nacl", s.nacl, nacls, "NACL")
        if not any(s.cidr.subnet_of(block) for block in n.cidrs):
            c.add(s, "cidr", f"subnet {s.cidr} is outside the VPC's CIDR blocks "
                  f"({', '.join(map(str, n.cidrs))})", "pick a range inside the VPC or add a CIDR block")
    _no_overlaps(c, n, [(s, s.cidr) for s in n.subnets])
    for nat in n.nat_gateways:
        c.need(nat, "subnet", nat.subnet, subnets, "subnet")
    sgs = [g.name for g in n.security_groups]
    for g in n.security_groups:
        # CreateSecurityGroup: "Constraints: Up to 255 characters in length. Cannot start with sg-." (EC2 API
        # reference); Name already keeps length and characters within what AWS accepts. Checked on the estate,
        # not in the model: an imported group is keyed by its id, which does start with sg-.
        if g.name.lower().startswith("sg-"):
            c.add(g, "name", f"AWS refuses security group names starting with 'sg-'; rename '{g.name}'",
                  f"e.g. '{g.name[3:]}-sg', and every reference to it")
        for rule in (*g.ingress, *g.egress):
            for peer in rule.peers:
                c.need(peer, "security_group", peer.security_group, sgs, "security group")
    for t in n.route_tables:
        for r in t.routes:
            _aws_route(c, n, r, links)


class _LinkNames:
    """The link names a route may name, by kind, read once per estate (a scan of every link per
    route made the check grow with routes x links)."""

    def __init__(self, links: Mapping[str, object]) -> None:
        self.tgws = {k for k, v in links.items() if isinstance(v, TransitGateway)}
        self.endpoints = {k for k, v in links.items() if isinstance(v, PrivateEndpoint)}
        self.peerings: dict[str, set[str]] = {}  # network -> the peerings it is a side of
        for k, v in links.items():
            if isinstance(v, VpcPeering):
                for side in (v.a, v.b):
                    self.peerings.setdefault(side, set()).add(k)


def _aws_route(c: _Checker, n: AwsVpc, r: AwsRoute, links: _LinkNames) -> None:
    if r.target is RouteTarget.IGW and not n.internet_gateway:
        c.add(r, "target", "route to the internet gateway, but the VPC has none",
              "set 'internet_gateway: true' on the VPC or remove the route")
    elif r.target is RouteTarget.NAT:
        c.need(r, "via", r.via, [g.name for g in n.nat_gateways], "NAT gateway")
    elif r.target is RouteTarget.TGW:
        c.need(r, "via", r.via, links.tgws, "transit gateway")
    elif r.target is RouteTarget.PEERING:
        c.need(r, "via", r.via, links.peerings.get(n.name, set()), f"VPC peering of {n.name}")
    elif r.target is RouteTarget.ENDPOINT:
        c.need(r, "via", r.via, links.endpoints, "private endpoint")


def _no_overlaps(c: _Checker, n: object, ranges: list[tuple[object, IPv4Network]]) -> None:
    ordered = sorted(ranges, key=lambda item: (int(item[1].network_address), item[1].prefixlen))
    for (a_obj, a), (b_obj, b) in itertools.pairwise(ordered):
        if a.overlaps(b):
            name = getattr(a_obj, "name", str(a))
            c.add(b_obj, "cidr", f"{b} overlaps {a} of subnet '{name}' in the same network",
                  "subnets of one network must not overlap")


def _links(c: _Checker) -> None:
    e = c.estate
    c.unique(e.links, "link")
    networks = {n.name: n for n in e.networks}
    aws_nets = [n.name for n in e.aws_vpcs]
    gcp_nets = [n.name for n in e.gcp_vpcs]
    sites = [s.name for s in e.sites]
    accounts = _accounts(e)
    tgws = [t.name for t in e.links_of(TransitGateway)]
    routers = [r.name for r in e.links_of(CloudRouter)]
    metros = sorted(catalog.INTERCONNECT_METROS)
    gcp_regions = [r.name for r in catalog.REGIONS.values() if r.cloud == "gcp"]
    aws_regions = [r.name for r in catalog.REGIONS.values() if r.cloud == "aws"]
    by_kind: dict[str, list[str]] = {
        "vpc": aws_nets,
        "vpn": [v.name for v in e.links_of(Vpn)],
        "direct_connect": [d.name for d in e.links_of(DirectConnect)],
        "peering": [p.name for p in e.links_of(TgwPeering)],
        "cross_cloud": [x.name for x in e.links_of(CrossCloud)],
    }
    for link in e.links:
        if isinstance(link, VpcPeering):
            ok = c.need(link, "a", link.a, networks, "network") & c.need(link, "b", link.b, networks, "network")
            if ok and networks[link.a].cloud != networks[link.b].cloud:
                c.add(link, "b", "VPC peering joins networks of one cloud only",
                      "use a cross_cloud link between AWS and GCP")
        elif isinstance(link, TransitGateway):
            c.need(link, "account", link.account, accounts, "AWS account")
            c.need(link, "region", link.region, aws_regions, "AWS region")
            c.unique(link.route_tables, "transit gateway route table")
            c.unique(link.attachments, "transit gateway attachment")
            table_names = [t.name for t in link.route_tables]
            attachments = [a.name for a in link.attachments]
            for a in link.attachments:
                if c.need(a, "target", a.target, by_kind[a.kind], _ATTACHMENT_TARGET[a.kind]) \
                        and a.kind == "vpc":
                    vpc = networks[a.target]
                    for s in a.subnets:
                        c.need(a, "subnets", s, [x.name for x in vpc.subnets], f"subnet of {vpc.name}")
                if a.route_table is not None:
                    c.need(a, "route_table", a.route_table, table_names, "transit gateway route table")
                for p in a.propagate_to:
                    c.need(a, "propagate_to", p, table_names, "transit gateway route table")
            for table in link.route_tables:
                for r in table.routes:
                    c.need(r, "attachment", r.attachment, attachments, "transit gateway attachment")
        elif isinstance(link, TgwPeering):
            c.need(link, "a", link.a, tgws, "transit gateway")
            c.need(link, "b", link.b, tgws, "transit gateway")
        elif isinstance(link, DirectConnect):
            c.need(link, "account", link.account, accounts, "AWS account")
            c.need(link, "site", link.site, sites, "site")
            if link.network is not None:
                c.need(link, "network", link.network, aws_nets, "AWS network")
            c.unique(link.connections, "Direct Connect connection")
            conns = [x.name for x in link.connections]
            for conn in link.connections:
                c.need(conn, "location", conn.location, sites, "site")
            for vif in link.virtual_interfaces:
                c.need(vif, "connection", vif.connection, conns, "Direct Connect connection")
        elif isinstance(link, Interconnect):
            c.need(link, "network", link.network, gcp_nets, "GCP network")
            c.need(link, "site", link.site, sites, "site")
            c.unique(link.attachments, "VLAN attachment")
            for att in link.attachments:
                c.need(att, "metro", att.metro, metros, "interconnect metro")
                c.need(att, "region", att.region, gcp_regions, "GCP region")
                c.need(att, "router", att.router, routers, "Cloud Router")
        elif isinstance(link, CloudRouter):
            c.need(link, "network", link.network, gcp_nets, "GCP network")
            c.need(link, "region", link.region, gcp_regions, "GCP region")
        elif isinstance(link, Vpn):
            c.need(link, "network", link.network, networks, "network")
            c.need(link, "remote", link.remote, [*sites, *networks], "site or network")
            c.need(link, "router", link.router, routers, "Cloud Router")
            c.need(link, "transit_gateway", link.transit_gateway, tgws, "transit gateway")
            c.need(link, "backup_for", link.backup_for, [x.name for x in e.links], "link")
            c.unique(link.tunnels, "VPN tunnel")
            net = networks.get(link.network)
            if isinstance(net, GcpVpc) and link.router is None:
                c.add(link, "router", "a GCP VPN needs the Cloud Router that runs its BGP sessions",
                      "add 'router: <cloud router name>'")
        elif isinstance(link, CrossCloud):
            c.need(link, "gcp_network", link.gcp_network, gcp_nets, "GCP network")
            c.need(link, "gcp_router", link.gcp_router, routers, "Cloud Router")
            c.need(link, "aws_transit_gateway", link.aws_transit_gateway, tgws, "transit gateway")
            c.need(link, "metro", link.metro, metros, "interconnect metro")
        elif isinstance(link, PrivateEndpoint):
            if c.need(link, "network", link.network, networks, "network"):
                subnets = [s.name for s in networks[link.network].subnets]
                for s in link.subnets:
                    c.need(link, "subnets", s, subnets, f"subnet of {link.network}")
            c.need(link, "venue", link.venue, [v.name for v in e.venues], "venue")
        elif isinstance(link, PhysicalPath):
            _path(c, link)


def _path(c: _Checker, link: PhysicalPath) -> None:
    """A physical path: ends that are places, a fallback between the same ends, figures physics allows."""
    e = c.estate
    sites = {s.name: s.location for s in e.sites}
    ends: list[str] = []
    for end in ("a", "b"):
        name = getattr(link, end)
        place = sites.get(name) or (name if name in catalog.SITES else None)
        if name in sites and place is None:
            _unplaced(c, link, end, name, "a path's end")
        elif place is None:
            c.need(link, end, name, [*sites, *catalog.SITES], "estate or catalog site")
        else:
            ends.append(place)
    if len(ends) < 2:
        return
    if ends[0] == ends[1]:
        c.add(link, "b", f"path '{link.name}' starts and ends at {ends[0]}",
              "a path joins two different sites; a cross-connect inside one building is not a path")
        return
    km = catalog.distance_km(ends[0], ends[1])
    if link.route_km is not None and link.route_km < km:
        c.add(link, "route_km", f"route_km {link.route_km:,.1f} is shorter than the great circle between "
              f"{ends[0]} and {ends[1]} ({km:,.1f} km)", "give the route's real length (at least the great circle)")
    floor = 2 * km / catalog.C_VACUUM_KM_PER_S * 1e6
    if link.rtt_us is not None and link.rtt_us < floor:
        c.add(link, "rtt_us", f"rtt_us {link.rtt_us:,.0f} is below the physical floor between {ends[0]} and "
              f"{ends[1]}: {floor:,.0f} µs ({km:,.0f} km at the speed of light in vacuum)",
              "check the figure: no medium beats light in vacuum")
    paths = {p.name: p for p in e.links_of(PhysicalPath)}
    if c.need(link, "fallback", link.fallback, [n for n in paths if n != link.name], "path"):
        fb = paths.get(link.fallback or "")
        if fb is not None and {fb.a, fb.b} != {link.a, link.b}:
            c.add(link, "fallback", f"fallback '{fb.name}' joins {fb.a} and {fb.b}, not {link.a} and {link.b}",
                  "a fallback carries the same traffic: it must join the same two ends")


_ATTACHMENT_TARGET = {
    "vpc": "AWS VPC",
    "vpn": "VPN",
    "direct_connect": "Direct Connect link",
    "peering": "transit gateway peering",
    "cross_cloud": "cross-cloud link",
}


def _unplaced(c: _Checker, obj: object, field: str, site: str, what: str) -> None:
    """``site`` has no catalog location, so it has no distance: it cannot be ``what``."""
    c.add(obj, field, f"site '{site}' has no catalog location, so it cannot be {what}",
          "give the site a 'location' from the catalog (e.g. equinix-ny4)")


def _workloads(c: _Checker) -> None:
    e = c.estate
    c.unique(e.workloads, "workload")
    desks = {d.name: d for d in e.desks}
    networks = {n.name: n for n in e.networks}
    workloads = {w.name for w in e.workloads}
    targets = workloads | {v.name for v in e.venues} | {s.name for s in e.sites}
    paths = [p.name for p in e.links_of(PhysicalPath)]  # once: links_of scans every link
    unplaced = {s.name for s in e.sites if s.location is None}
    for w in e.workloads:
        if c.need(w, "desk", w.desk, desks, "desk"):
            c.need(w, "team", w.team, desks[w.desk].teams, f"team of desk {w.desk}")
        if c.need(w, "network", w.network, networks, "network"):
            net = networks[w.network]
            c.need(w, "subnet", w.subnet, [s.name for s in net.subnets], f"subnet of {net.name}")
            if isinstance(net, AwsVpc):
                for g in w.security_groups:
                    c.need(w, "security_groups", g, [x.name for x in net.security_groups],
                           f"security group of {net.name}")
            elif w.security_groups:
                c.add(w, "security_groups", "security groups are AWS only; this workload is on GCP",
                      "use 'tags' and firewall rules on GCP")
        for b in w.latency_budgets:
            c.need(b, "to", b.to, targets, "workload, venue or site")
            if b.to in unplaced:
                _unplaced(c, b, "to", b.to, "a latency budget's target")
            c.need(b, "via", b.via, paths, "path")
            if b.via is not None and b.to in workloads:
                c.add(b, "via", f"a budget to workload '{b.to}' cannot name a path",
                      "paths join sites: use via on budgets to venues and sites")
        for d in w.depends_on:
            c.need(d, "workload", d.workload, workloads, "workload")
        for v in w.venues:
            c.need(w, "venues", v, [x.name for x in e.venues], "venue")
        keys = [k.name for x in e.venues if x.name in w.venues for k in x.api_keys]
        for key_name in w.api_keys:
            c.need(w, "api_keys", key_name, keys, "API key of its venues")
        for z in w.placement.zones:
            c.need(w.placement, "zones", z, catalog.ZONES, "catalog zone")
        for other in w.placement.anti_affinity:
            c.need(w.placement, "anti_affinity", other, workloads, "workload")
        if w.kind == "gke_node_pool" and w.gke_cluster is None:
            c.add(w, "gke_cluster", "a GKE node pool needs the cluster it belongs to", "add 'gke_cluster: <name>'")
        if w.network in networks:
            _placement_fits_cloud(c, w.name, w, networks[w.network].cloud)
            if isinstance(networks[w.network], GcpVpc):
                _gcp_machine_type(c, w, f"workload '{w.name}'", w.machine_type)
    _groups_in_one_cloud(c, networks)


def _gcp_machine_type(c: _Checker, obj: object, who: str, machine_type: str) -> None:
    """A GCP machine type must be one GCP offers (``estate.prices.gcp_machines``): Terraform renders any name
    and GCP refuses the VM at apply. Series the table does not know are left to ``plan``, which asks for a
    price."""
    try:
        gcp_machine(machine_type)
    except UnsupportedError as exc:
        hint = exc.problems[0].hint if exc.problems else ""
        c.add(obj, "machine_type", f"{who}: {exc.message}", hint)


# Placement strategies per cloud (AWS placement groups: cluster, spread, partition; GCP: compact
# placement policies and sole-tenant node groups; spread is offered on both).
_AWS_STRATEGIES = frozenset({"none", "cluster", "spread", "partition"})
_GCP_STRATEGIES = frozenset({"none", "compact", "spread", "sole_tenant"})


def _placement_fits_cloud(c: _Checker, name: str, w: Workload, cloud: str) -> None:
    """The rules ``place`` enforces, checked where ``estate validate`` sees them."""
    strategy = w.placement.strategy.value
    allowed = _AWS_STRATEGIES if cloud == "aws" else _GCP_STRATEGIES
    if strategy not in allowed:
        other = "cluster, spread or partition" if cloud == "aws" else "compact, spread or sole_tenant"
        c.add(w.placement, "strategy", f"workload '{name}' is on {cloud} but asks for placement strategy "
              f"'{strategy}'", f"on {cloud} use {other}")
    if w.kind == "sole_tenant" and cloud != "gcp":
        c.add(w, "kind", f"workload '{name}' is sole_tenant but on {cloud}",
              "sole-tenant nodes are GCP; use dedicated hosts outside tradeplane")


def _groups_in_one_cloud(c: _Checker, networks: Mapping[str, AwsVpc | GcpVpc]) -> None:
    """A placement group lives in one cloud: members naming one group must share it."""
    first: dict[str, tuple[str, Workload]] = {}
    for w in c.estate.workloads:
        group, net = w.placement.group, networks.get(w.network)
        if group is None or net is None:
            continue
        seen = first.setdefault(group, (net.cloud, w))
        if seen[0] != net.cloud:
            c.add(w.placement, "group", f"placement group '{group}' has members on {seen[0]} "
                  f"({seen[1].name}) and {net.cloud} ({w.name}); a group is in one cloud",
                  "split the group per cloud")


def _venues(c: _Checker) -> None:
    e = c.estate
    c.unique(e.venues, "venue")
    c.unique(e.security.chains, "chain")
    carriers = [*(x.name for x in e.links), *(s.name for s in e.sites)]
    for v in e.venues:
        c.need(v, "location", v.location, catalog.PLACES, "catalog place")
        c.unique(v.api_keys, "API key")
        for conn in v.connectivity:
            c.need(conn, "via", conn.via, carriers, "link or site")
        for key in v.api_keys:
            if "withdraw" in key.permissions and not key.ip_restricted:
                c.add(key, "ip_restricted", "a key with withdraw permission must be IP-restricted",
                      "set 'ip_restricted: true' (Binance refuses API withdrawals otherwise)")


def _governance(c: _Checker) -> None:
    e = c.estate
    desks = [d.name for d in e.desks]
    c.unique(e.guardrails, "guardrail")
    scopes = ["root"]
    if e.organisation.aws:
        scopes += [o.name for o in e.organisation.aws.ous]
    if e.organisation.gcp:
        scopes += [f.name for f in e.organisation.gcp.folders]
    scope_exempt = [*_accounts(e), *_projects(e)]
    for g in e.guardrails:
        for s in g.applies_to:
            c.need(g, "applies_to", s, scopes, "OU or folder")
        for x in g.exempt:
            c.need(g, "exempt", x, scope_exempt, "account or project")
        if g.control is Control.RESTRICT_REGIONS:
            if not g.regions:
                c.add(g, "regions", "restrict_regions needs the list of allowed regions", "add 'regions: [...]'")
            for r in g.regions:
                c.need(g, "regions", r, catalog.REGIONS, "catalog region")
        elif g.regions:
            c.add(g, "regions", f"'regions' only applies to restrict_regions, not {g.control.value}", "remove it")
    _external_ips(c)
    for field in ("log_archive_account", "security_account"):
        c.need(e.audit, field, getattr(e.audit, field), _accounts(e), "AWS account")
    c.unique(e.budgets, "budget for desk", key="desk")
    for b in e.budgets:
        c.need(b, "desk", b.desk, desks, "desk")
    c.unique(e.intents, "intent")
    endpoints = _endpoint_names(e)
    for i in e.intents:
        for field in ("src", "dst"):
            value = getattr(i, field)
            if value not in endpoints and not _is_cidr(value):
                c.need(i, field, value, endpoints, "desk, workload, network, subnet, site or venue")


def _scope_chain(e: Estate, network: AwsVpc | GcpVpc) -> tuple[str, set[str]]:
    """The account or project of ``network`` and the scopes above it: its OU or folder, their parents,
    and 'root' (SCPs and organisation policies hold for everything below where they attach)."""
    parents: dict[str, str | None] = {}
    start: str | None = None
    if isinstance(network, AwsVpc):
        owner = network.account
        if e.organisation.aws:
            for ou in e.organisation.aws.ous:
                parents[ou.name] = ou.parent
                if any(a.name == owner for a in ou.accounts):
                    start = ou.name
    else:
        owner = network.project
        if e.organisation.gcp:
            parents = {f.name: f.parent for f in e.organisation.gcp.folders}
            start = next((p.folder for p in e.organisation.gcp.projects if p.name == owner), None)
    chain = {"root"}
    while start is not None and start not in chain:
        chain.add(start)
        start = parents.get(start)
    return owner, chain


def _external_ips(c: _Checker) -> None:
    """A workload asking for a public IP (``public_ip: true``) where a no_external_ips guardrail applies to
    its account or project (and does not exempt it) is refused: the SCP / organisation policy would deny
    the launch (terraform/guardrails.py renders the guardrail)."""
    e = c.estate
    guards = [g for g in e.guardrails if g.control is Control.NO_EXTERNAL_IPS]
    if not guards:
        return
    nets = {n.name: n for n in e.networks}
    for w in e.workloads:
        n = nets.get(w.network)
        if w.public_ip is not True or n is None:
            continue
        owner, chain = _scope_chain(e, n)
        g = next((g for g in guards if owner not in g.exempt and chain & set(g.applies_to)), None)
        if g is not None:
            c.add(w, "public_ip", f"guardrail '{g.name}' (no_external_ips) forbids external IPs in "
                  f"{'account' if isinstance(n, AwsVpc) else 'project'} '{owner}' of workload '{w.name}'",
                  "remove 'public_ip: true' (egress goes through NAT), or exempt the account or project "
                  "in the guardrail with a reason")


def _observability(c: _Checker) -> None:
    e = c.estate
    o = e.observability
    desks = {d.name: d for d in e.desks}
    workloads = [w.name for w in e.workloads]
    venues = [v.name for v in e.venues]
    c.unique(o.services, "metric service")
    for svc in o.services:
        c.unique(svc.metrics, f"metric of service {svc.name}")
        for w in svc.workloads:
            c.need(svc, "workloads", w, workloads, "workload")
    for r in o.routes:
        if c.need(r, "desk", r.desk, desks, "desk") and r.team is not None:
            c.need(r, "team", r.team, desks[r.desk].teams, f"team of desk {r.desk}")
    for kind in type(o.builtin).model_fields:
        b = getattr(o.builtin, kind)
        if c.need(b, "desk", b.desk, desks, "desk") and b.desk is not None and b.team is not None:
            c.need(b, "team", b.team, desks[b.desk].teams, f"team of desk {b.desk}")
    c.unique(o.slos, "SLO")
    for slo in o.slos:
        if c.need(slo, "desk", slo.desk, desks, "desk"):
            c.need(slo, "team", slo.team, desks[slo.desk].teams, f"team of desk {slo.desk}")
        if slo.calendar is not None:
            for v in slo.calendar.venues:
                c.need(slo.calendar, "venues", v, venues, "venue")


def _endpoint_names(e: Estate) -> set[str]:
    names = {"internet"}
    names |= {d.name for d in e.desks} | {w.name for w in e.workloads}
    names |= {s.name for s in e.sites} | {v.name for v in e.venues} | {n.name for n in e.networks}
    names |= {f"{n.name}/{s.name}" for n in e.networks for s in n.subnets}
    return names


def _is_cidr(text: str) -> bool:
    try:
        ip_network(text, strict=True)
    except ValueError:
        return False
    return "/" in text


def _oncall(c: _Checker) -> None:
    e = c.estate
    oc = e.oncall
    desks = [d.name for d in e.desks]
    teams = sorted({t for d in e.desks for t in d.teams})
    contacts = [x.name for x in oc.contacts]
    c.unique(oc.contacts, "contact")
    c.unique(oc.rotations, "rotation for team", key="team")
    c.unique(oc.policies, "escalation policy for desk", key="desk")
    c.need(oc, "infrastructure_desk", oc.infrastructure_desk, desks, "desk")
    rotated = [r.team for r in oc.rotations]
    for r in oc.rotations:
        c.need(r, "team", r.team, teams, "team")
        for m in r.members:
            c.need(r, "members", m, contacts, "contact")
    for p in oc.policies:
        c.need(p, "desk", p.desk, desks, "desk")
        for level in p.levels:
            for target in level.notify:
                kind, _, name = target.partition(":")
                if kind == "contact":
                    c.need(level, "notify", name, contacts, "contact")
                else:  # oncall:TEAM and team:TEAM page the team's rotation
                    c.need(level, "notify", name, rotated, "team with a rotation")
def _colocation(c: _Checker) -> None:
    """The colocation inventory: its site, hosts inside the site's prefixes, every name it uses."""
    e = c.estate
    colo = e.colocation
    if colo is None:
        return
    sites = {s.name: s for s in e.sites}
    if c.need(colo, "site", colo.site, sites, "site"):
        site = sites[colo.site]
        if site.kind != "colocation":
            c.add(colo, "site", f"site '{site.name}' is a {site.kind}, not a colocation",
                  "name a site of kind colocation")
        if site.location is None:
            _unplaced(c, colo, "site", site.name, "the colocation site (migration measures from it)")
        for rack in colo.racks:
            for h in rack.hosts:
                if site.cidrs and not any(h.address in n for n in site.cidrs):
                    c.add(h, "address", f"host address {h.address} is outside site {site.name}'s cidrs "
                                        f"({', '.join(str(n) for n in site.cidrs)})",
                          "give an address inside the site's prefixes, or add the prefix to the site")
    c.unique(colo.racks, "rack")
    c.unique([h for r in colo.racks for h in r.hosts], "host")
    c.unique([h for r in colo.racks for h in r.hosts], "host address", key="address")
    c.unique(colo.workloads, "colocation workload")
    estate_workloads = {w.name for w in e.workloads}
    for w in colo.workloads:
        if w.name in estate_workloads:
            c.add(w, "name", f"colocation workload '{w.name}' has the name of an estate workload",
                  "once moved it becomes a workload of that name; rename one of them")
    colo_names = {w.name for w in colo.workloads}
    hosts = {h.name for r in colo.racks for h in r.hosts}
    desks = {d.name: d for d in e.desks}
    venues = {v.name for v in e.venues}
    workloads = colo_names | estate_workloads
    networks = {n.name: n for n in e.networks}
    for w in colo.workloads:
        if c.need(w, "desk", w.desk, desks, "desk"):
            c.need(w, "team", w.team, desks[w.desk].teams, f"team of desk {w.desk}")
        for host in w.hosts:
            c.need(w, "hosts", host, hosts, "colocation host")
        for d in w.depends_on:
            c.need(d, "workload", d.workload, workloads, "workload")
        for f in w.flows:
            c.need(f, "to", f.to, workloads | venues, "workload or venue")
        for b in w.latency_budgets:
            c.need(b, "to", b.to, workloads | venues | set(sites), "workload, venue or site")
        for v in w.venues:
            c.need(w, "venues", v, venues, "venue")
        t = w.target
        if t is None:
            if not w.stays:
                c.add(w, "target", f"colocation workload '{w.name}' has no GCP target",
                      "give 'target:' (network, subnet, machine_type) or say why it stays with 'stays:'")
            continue
        if not c.need(t, "network", t.network, networks, "network"):
            continue
        net = networks[t.network]
        if not isinstance(net, GcpVpc):
            c.add(t, "network", f"network '{net.name}' is on {net.cloud}; the colocation moves into GCP",
                  "name a GCP network")
            continue
        _gcp_machine_type(c, t, f"colocation workload '{w.name}' target", t.machine_type)
        subnets = {s.name: s for s in net.subnets}
        subnet_ok = c.need(t, "subnet", t.subnet, subnets, f"subnet of {net.name}")
        if subnet_ok and t.zone is not None and c.need(t, "zone", t.zone, catalog.ZONES, "catalog zone"):
            region = catalog.region_of(t.zone)
            if region != subnets[t.subnet].region:
                c.add(t, "zone", f"zone {t.zone} is in {region} but subnet {t.subnet} is in "
                                 f"{subnets[t.subnet].region}", "pick a zone of the subnet's region")
        for other in t.placement.anti_affinity:
            c.need(t.placement, "anti_affinity", other, workloads, "workload")
    m = colo.migration
    if m is None:
        return
    c.need(m, "venue", m.venue, venues, "venue")
    c.unique(m.move_groups, "move group")
    for g in m.move_groups:
        for name in g.workloads:
            c.need(g, "workloads", name, colo_names, "colocation workload")


def _cost_allocation(c: _Checker) -> None:
    """Shared-cost rules name desks and accounts of this estate; rule names are unique."""
    ca = c.estate.cost_allocation
    if ca is None:
        return
    e = c.estate
    desks = [d.name for d in e.desks]
    accounts = [*_accounts(e), *_projects(e)]
    c.unique(ca.shared, "shared-cost rule")
    for rule in ca.shared:
        for d in rule.desks:
            c.need(rule, "desks", d, desks, "desk")
        for d in sorted(rule.shares):
            c.need(rule, "shares", d, desks, "desk")
        for m in (rule.match, rule.usage):
            for a in (m.accounts if m is not None else ()):
                c.need(m, "accounts", a, accounts, "AWS account or GCP project")
