"""GCP exports -> Estate, the core families: networks (and their peerings), subnets, routes, VPC
firewall rules, instances, Cloud NAT, reserved addresses; the run that joins every family.

Files read from the export directory (docs/net.md has the commands):

  networks.json, subnets.json                          (required)
  routes.json, firewall-rules.json, instances.json,
  instances-PROJECT.json (Shared VPC service projects), shared-vpc/HOST.json,
  routers.json (Cloud NAT), addresses.json             (optional)

and through the other modules of this package the hybrid, policy and service families.

Everything is keyed by the cloud's identity (self links: project, region, name), never by a
display name: an auto-mode network has a subnet called ``default`` in every region, and each
becomes its own estate subnet (``default-us-east1``...); two service projects' instances called
``app`` become ``app-PROJECT``. Subnet routes are implicit (the model derives them from the
subnets; peering routes from the peerings); static routes keep their priority and tags; static
VPN-tunnel next hops become an on-premises site per tunnel holding the ranges routed to it.
Peerings keep both sides' route exchange flags (``ACTIVE`` on both sides only). Cloud NAT keeps the
regions or subnets it translates. Firewall rules keep priority, direction, allow/deny, source and
destination ranges (both directions), source and target tags and service accounts, and any IP
protocol (by name or number); a rule with several protocol entries becomes one rule per entry;
SCTP ports are unresolved. Field types and ranges are the Compute API reference's (priorities
0-65535, ports 0-65535, CIDRs). Anything malformed, unknown or dangling raises ``InputError``
naming the file, line, object and field; anything valid the model cannot express (IPv6 ranges,
appliance next hops, peerings to networks not exported, Private NAT, disabled rules) is listed in
the notes.
"""
from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path

from tradeplane.estate.model import (
    CloudNatAddresses,
    Desk,
    Estate,
    FirewallRule,
    GcpRoute,
    GcpSubnet,
    GcpVpc,
    Interconnect,
    PeeringRoutes,
    PortRange,
    VpcPeering,
    Workload,
)
from tradeplane.inventory.exports import ExportDirectory, ExportFile, ImportResult, Row
from tradeplane.inventory.gcp.fields import port_of, protocol_of, ranges_of
from tradeplane.inventory.gcp.hybrid import read_hybrid
from tradeplane.inventory.gcp.policies import read_ancestry, read_policies
from tradeplane.inventory.gcp.services import read_forwarding_rules
from tradeplane.inventory.naming import estate_name, imported_estate_name, label_name
from tradeplane.inventory.owners import owners
from tradeplane.inventory.policy import open_policy

__all__ = ["GCP_FILES", "import_gcp"]


GCP_FILES = {
    "networks": "networks.json",
    "subnets": "subnets.json",
    "routes": "routes.json",
    "firewalls": "firewall-rules.json",
    "instances": "instances.json",
    "routers": "routers.json",
    "attachments": "interconnect-attachments.json",
    "vpn_tunnels": "vpn-tunnels.json",
    "vpn_gateways": "vpn-gateways.json",
    "forwarding_rules": "forwarding-rules.json",
    "hierarchical_policies": "firewall-policies.json",
    "network_policies": "network-firewall-policies.json",
    "addresses": "addresses.json",
    "interconnects": "interconnects.json",
}
REQUIRED = ("networks", "subnets")
LIVE_STATUSES = ("RUNNING", "PROVISIONING", "STAGING")


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _project(url: str) -> str:
    parts = url.split("/")
    return parts[parts.index("projects") + 1] if "projects" in parts[:-1] else "unknown"


def _key(url: str) -> str:
    """``projects/P/...`` from a full or partial resource URL (the identity the API uses)."""
    i = url.find("projects/")
    return url[i:] if i >= 0 else url


def _gcloud_command(key: str, name: str) -> str:
    noun = "firewall-rules" if key == "firewalls" else name.removesuffix(".json").replace("-", " ")
    return f"gcloud compute {noun} list --format=json"


class GcpImport(ExportDirectory):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory, GCP_FILES, REQUIRED, _gcloud_command)
        self.nets: dict[str, tuple[Row, str]] = {}  # projects/P/global/networks/N -> (row, estate name)
        self.service_projects: dict[str, set[str]] = defaultdict(set)  # network key -> Shared VPC service projects
        self.subnet_of: dict[str, tuple[str, str]] = {}  # subnet self link key -> (network key, estate name)
        self.nat_addresses: dict[str, dict[str, set[IPv4Address]]] = defaultdict(dict)  # network -> region -> IPs
        self._addresses: dict[str, IPv4Address] | None = None
        self._tunnel_regions: dict[str, set[str]] | None = None

    def rows(self, key: str, kind: str, expected: str) -> list[Row]:
        out = []
        for r in self.file_rows(key, None, "name", kind):
            k = r.opt_text("kind")
            if k is not None and k != expected:
                raise r.error(f"unknown resource kind {k!r} (expected {expected!r})",
                              "this file should hold the output of the matching gcloud list command", "kind")
            out.append(r)
        return out

    def net_of(self, row: Row, fld: str = "network") -> str:
        url = row.text(fld)
        key = _key(url)
        if key in self.nets:
            return key
        matches = [k for k in self.nets if k.endswith(f"/networks/{_last(url)}")]
        if len(matches) == 1:
            return matches[0]
        raise row.error(f"{fld} {url} is not in {GCP_FILES['networks']}", field=fld)

    # ------------------------------------------------------------------ run

    def run(self) -> ImportResult:
        net_rows = self.rows("networks", "networks", "compute#network")
        names_seen: dict[str, int] = defaultdict(int)
        for n in net_rows:
            names_seen[n.ident] += 1
        for n in net_rows:
            key = _key(n.opt_text("selfLink") or f"projects/unknown/global/networks/{n.ident}")
            est = estate_name(n.ident if names_seen[n.ident] == 1 else f"{_project(key)}-{n.ident}")
            self.nets[key] = (n, est)

        sub_rows: list[tuple[Row, str, str, str]] = []  # row, network key, region, self-link key
        per_name: dict[tuple[str, str], int] = defaultdict(int)
        for s in self.rows("subnets", "subnets", "compute#subnetwork"):
            nk = self.net_of(s)
            region = _last(s.text("region"))
            link = _key(s.opt_text("selfLink") or f"projects/{_project(nk)}/regions/{region}/subnetworks/{s.ident}")
            sub_rows.append((s, nk, region, link))
            per_name[(nk, s.ident)] += 1
        subnet_of = self.subnet_of  # self link -> (network key, estate subnet name)
        for s, nk, region, link in sub_rows:
            name = s.ident if per_name[(nk, s.ident)] == 1 else f"{s.ident}-{region}"
            subnet_of[link] = (nk, estate_name(name))

        workloads, desks, external = self._instances(subnet_of)
        subnets: dict[str, list[GcpSubnet]] = defaultdict(list)
        for s, nk, region, link in sub_rows:
            name = subnet_of[link][1]
            primary = self._cidr(s, "ipCidrRange", s.text("ipCidrRange"))
            secondary = {}
            for r in s.subs("secondaryIpRanges"):
                rr = r.where(f"secondaryIpRanges[{r.path[-1]}]")
                secondary[rr.text("rangeName")] = self._cidr(rr, "ipCidrRange", rr.text("ipCidrRange"))
            purpose = s.opt_text("purpose", "PRIVATE")
            if purpose not in ("PRIVATE", "PRIVATE_RFC_1918"):
                self.note_row(s, f"subnet {s.ident} ({region}): purpose {purpose} (proxy/PSC ranges) imported as a "
                                 "plain subnet")
            tier = "public" if (nk, name) in external else "private"
            subnets[nk].append(self.reg_row(GcpSubnet(
                name=name, region=region, cidr=primary, secondary_ranges=secondary,
                private_google_access=s.flag("privateIpGoogleAccess"), tier=tier), s, f"{region}/{s.ident}"))

        routes, static_tunnels, tunnel_src = self._routes(subnets)
        hybrid = read_hybrid(self, static_tunnels, tunnel_src)
        rules = self._firewalls()
        nat_regions, nat_subnets = self._cloud_nat()
        peerings = self._peerings()
        policies = read_policies(self)
        psc = read_forwarding_rules(self)
        hosts = self._shared_vpc_hosts()
        has_folder_policies = any(p.kind == "hierarchical" and set(p.attached_to) - {"organization"}
                                  for p in policies)
        networks = []
        for key in sorted(self.nets, key=lambda k: self.nets[k][1]):
            n, est = self.nets[key]
            rc = n.sub("routingConfig")
            mode = rc.opt_text("routingMode", "REGIONAL") or "REGIONAL"
            if mode not in ("GLOBAL", "REGIONAL"):
                raise rc.error(f"routingConfig.routingMode {mode!r} is not GLOBAL or REGIONAL", field="routingMode")
            order = n.opt_text("networkFirewallPolicyEnforcementOrder", "AFTER_CLASSIC_FIREWALL")
            if order not in ("AFTER_CLASSIC_FIREWALL", "BEFORE_CLASSIC_FIREWALL"):
                raise n.error(f"networkFirewallPolicyEnforcementOrder {order!r} is not AFTER_CLASSIC_FIREWALL or "
                              "BEFORE_CLASSIC_FIREWALL", field="networkFirewallPolicyEnforcementOrder")
            mtu = n.integer("mtu", 1300, 8896, default=1460, what="an MTU")
            folders = read_ancestry(self, _project(key))
            if folders is None and has_folder_policies:
                self.note_row(n, f"network {n.ident}: no project-ancestors/{_project(key)}.json; folder firewall "
                                 "policies are not applied to it (run `gcloud projects get-ancestors "
                                 f"{_project(key)} --format=json`)")
            services = self.service_projects[key] | hosts.get(_project(key), set())
            vpc = GcpVpc(cloud="gcp", name=est, project=estate_name(_project(key)), routing_mode=mode, mtu=mtu,
                         subnets=tuple(sorted(subnets[key], key=lambda s: s.name)),
                         routes=tuple(sorted(routes[key], key=lambda r: r.name)),
                         firewall_rules=tuple(sorted(rules[key], key=lambda r: r.name)),
                         cloud_nat_regions=tuple(sorted(nat_regions[key])),
                         cloud_nat_subnets=tuple(sorted(nat_subnets[key] - {
                             s.name for s in subnets[key] if s.region in nat_regions[key]})),
                         cloud_nat_addresses=tuple(
                             CloudNatAddresses(region=reg, addresses=tuple(sorted(ips)))
                             for reg, ips in sorted(self.nat_addresses[key].items())),
                         shared_vpc_service_projects=tuple(sorted(estate_name(p) for p in services)),
                         firewall_policy_order="before_classic" if order == "BEFORE_CLASSIC_FIREWALL"
                         else "after_classic",
                         folders=folders or (), psc_endpoints=tuple(psc.get(key, ())))
            networks.append(self.reg_row(vpc, n))
        org, owner_notes = owners(networks, [*peerings, *hybrid.links], str(self.dir))
        self.notes += owner_notes
        estate = Estate(name=imported_estate_name("gcp", self.dir),
                        description=f"imported from GCP exports in {self.dir}", organisation=org,
                        sites=tuple(sorted(hybrid.sites, key=lambda s: s.name)),
                        networks=tuple(networks), links=(*peerings, *hybrid.links),
                        firewall_policies=tuple(policies),
                        desks=tuple(sorted(desks, key=lambda d: d.name)), workloads=tuple(workloads))
        estate.attach_sources(self.src.where, self.src.paths)
        counts = {"networks": len(networks), "subnets": sum(len(v) for v in subnets.values()),
                  "routes": sum(len(v) for v in routes.values()),
                  "firewall rules": sum(len(v) for v in rules.values()), "instances": len(workloads),
                  "vpn tunnels": hybrid.tunnels, "peerings": len(peerings),
                  "firewall policy rules": sum(len(p.rules) for p in policies),
                  "interconnects": sum(1 for x in hybrid.links if isinstance(x, Interconnect)),
                  "psc endpoints": sum(len(v) for v in psc.values())}
        return ImportResult(estate, sorted(self.notes), counts)

    def _shared_vpc_hosts(self) -> dict[str, set[str]]:
        """Service projects attached to each Shared VPC host project (``shared-vpc/HOST.json``:
        ``gcloud compute shared-vpc associated-projects list HOST --format=json``)."""
        out: dict[str, set[str]] = {}
        base = self.dir / "shared-vpc"
        if not base.is_dir():
            return out
        for path in sorted(base.glob("*.json")):
            f = ExportFile.read(path)
            projects = set()
            for r in f.rows(None, "id", "associated-projects"):
                if (r.opt_text("type", "PROJECT") or "PROJECT") == "PROJECT":
                    projects.add(r.ident)
            out[path.stem] = projects
        return out

    def _cidr(self, row: Row, fld: str, text: str) -> IPv4Network:
        try:
            net = ip_network(text, strict=False)
        except ValueError:
            raise row.error(f"{fld} {text!r} is not a CIDR", field=fld) from None
        if isinstance(net, IPv6Network):
            raise row.error(f"{fld} {text!r} is not an IPv4 CIDR", field=fld)
        return net

    # ------------------------------------------------------------------ instances

    def _instances(self, subnet_of: dict[str, tuple[str, str]]) -> tuple[
            list[Workload], list[Desk], set[tuple[str, str]]]:
        workloads: list[Workload] = []
        teams: dict[str, set[str]] = defaultdict(set)
        external: set[tuple[str, str]] = set()
        rows = self.instance_rows()
        # names are not identities: an instance is projects/P/zones/Z/instances/N; the plain name is kept
        # when it is unique, else the project (and zone) is added
        by_name: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for inst in rows:
            by_name[inst.ident].add((self._inst_project(inst), _last(inst.opt_text("zone", "zone") or "zone")))
        for inst in rows:
            name = inst.ident
            status = inst.opt_text("status", "RUNNING") or "RUNNING"
            if status not in LIVE_STATUSES:
                self.note_row(inst, f"instance {name}: skipped, {status} (not a live endpoint)")
                continue
            if not inst.has("networkInterfaces"):
                raise inst.error("missing field 'networkInterfaces'", field="networkInterfaces")
            nics = inst.subs("networkInterfaces")
            if not nics:
                raise inst.error("no networkInterfaces", field="networkInterfaces")
            for extra in nics[1:]:
                self.note_row(extra, f"instance {name}: interface {extra.opt_text('name', '?')} in "
                                     f"{_last(extra.opt_text('subnetwork', '?') or '?')} not modelled (nic0 is)")
            nic = nics[0].where("networkInterfaces[0]")
            sub_url = nic.text("subnetwork")
            key = _key(sub_url)
            if key not in subnet_of:
                tail = "/".join(key.split("/")[-3:])
                found = [k for k in subnet_of if k.endswith(tail)]
                if len(found) != 1:
                    raise nic.error(f"subnetwork {sub_url} is not in {GCP_FILES['subnets']}", field="subnetwork")
                key = found[0]
            nk, sub = subnet_of[key]
            public = False
            for ac in nic.subs("accessConfigs"):
                if ac.opt_text("natIP") or ac.opt_text("type") == "ONE_TO_ONE_NAT":
                    public = True
            if public:
                external.add((nk, sub))
            labels = inst.sub("labels").item
            desk = label_name(labels.get("desk") if isinstance(labels.get("desk"), str) else None)
            team = label_name(labels.get("team") if isinstance(labels.get("team"), str) else None)
            teams[desk].add(team)
            project, zone = self._inst_project(inst), _last(inst.opt_text("zone", "zone") or "zone")
            places = by_name[name]
            if len(places) == 1:
                wname = estate_name(name)
            elif len({p for p, _ in places}) == len(places):
                wname = estate_name(f"{name}-{project}")
            else:
                wname = estate_name(f"{name}-{project}-{zone}")
            if project != _project(nk):
                self.service_projects[nk].add(project)  # Shared VPC: a service project's instance in a host network
            sas = inst.subs("serviceAccounts")
            w = Workload(name=wname, desk=desk, team=team, network=self.nets[nk][1], subnet=sub,
                         machine_type=_last(inst.opt_text("machineType", "unknown") or "unknown"),
                         tags=tuple(sorted(inst.sub("tags").strings("items"))),
                         service_account=sas[0].opt_text("email") if sas else None, public_ip=public)
            workloads.append(self.reg_row(w, inst, name))
        desks = [Desk(name=d, owner="unknown", cost_centre="unknown", teams=tuple(sorted(t))) for d, t in teams.items()]
        return sorted(workloads, key=lambda w: w.name), open_policy(desks), external

    def instance_rows(self) -> list[Row]:
        """Instances of ``instances.json`` and of ``instances-<project>.json`` (Shared VPC service projects:
        ``gcloud compute instances list --project=P``)."""
        rows = self.rows("instances", "instances", "compute#instance")
        for path in sorted(self.dir.glob("instances-*.json")):
            f = ExportFile.read(path)
            for r in f.rows(None, "name", "instances"):
                k = r.opt_text("kind")
                if k is not None and k != "compute#instance":
                    raise r.error(f"unknown resource kind {k!r} (expected 'compute#instance')", field="kind")
                rows.append(r)
        return rows

    def _inst_project(self, inst: Row) -> str:
        url = inst.opt_text("selfLink") or inst.opt_text("zone") or ""
        return _project(url) if "projects/" in url else "unknown"

    # ------------------------------------------------------------------ routes

    def _routes(self, subnets: dict[str, list[GcpSubnet]]) -> tuple[
            dict[str, list[GcpRoute]], dict[tuple[str, str, str], list[IPv4Network]], dict[tuple[str, str, str], Row]]:
        """Static routes per network, and the destinations routed to each VPN tunnel (network key, region,
        tunnel name) with the first route's row."""
        routes: dict[str, list[GcpRoute]] = defaultdict(list)
        tunnels: dict[tuple[str, str, str], list[IPv4Network]] = defaultdict(list)
        tunnel_src: dict[tuple[str, str, str], Row] = {}
        for r in self.rows("routes", "routes", "compute#route"):
            name = r.ident
            nk = self.net_of(r)
            dest = self._dest(r)
            if dest is None:
                continue
            prio = r.integer("priority", 0, 65535, default=1000, what="a route priority")
            tags = tuple(sorted(r.strings("tags")))
            common = {"name": estate_name(name), "destination": dest, "priority": prio, "tags": tags}
            if r.has("nextHopNetwork"):
                if not any(s.cidr == dest or dest in s.secondary_ranges.values() for s in subnets[nk]):
                    self.note_row(r, f"route {name}: subnet route {dest} matches no exported subnet; not imported")
                continue
            if r.has("nextHopGateway"):
                gw = r.text("nextHopGateway")
                if not gw.endswith("default-internet-gateway"):
                    raise r.error(f"unknown nextHopGateway {gw}", field="nextHopGateway")
                routes[nk].append(self.reg_row(GcpRoute(next_hop="internet", **common), r))
            elif r.has("nextHopVpnTunnel"):
                url = r.text("nextHopVpnTunnel")
                region = url.split("/regions/")[1].split("/")[0] if "/regions/" in url else "unknown"
                t = (nk, region, self.tunnel_name(_last(url), region))
                tunnels[t].append(dest)
                tunnel_src.setdefault(t, r)
                routes[nk].append(self.reg_row(GcpRoute(next_hop="vpn_tunnel", via=self.tunnel_name(_last(url), region),
                                                        **common), r))
            elif r.has("nextHopInstance") or r.has("nextHopIp") or r.has("nextHopIlb"):
                hop = "ilb" if r.has("nextHopIlb") else "instance"
                via = _last(r.opt_text("nextHopInstance") or r.opt_text("nextHopIlb") or r.text("nextHopIp"))
                self.note_row(r, f"route {name}: next hop {hop} {via} is an appliance; traffic it takes is not "
                                 "followed")
                routes[nk].append(self.reg_row(GcpRoute(next_hop=hop, via=estate_name(via), **common), r))
            elif r.has("nextHopPeering"):
                continue  # a route exchanged over a peering: derived from the networks' peerings (lookups)
            elif r.has("nextHopHub"):
                self.note_row(r, f"route {name}: Network Connectivity Center hub route not modelled")
            else:
                raise r.error("route has no next hop the importer knows",
                              "expected nextHopGateway, nextHopNetwork, nextHopVpnTunnel, nextHopInstance, "
                              "nextHopIp, nextHopIlb or nextHopPeering")
        return routes, tunnels, tunnel_src

    def _dest(self, r: Row) -> IPv4Network | None:
        text = r.text("destRange")
        try:
            net = ip_network(text, strict=False)
        except ValueError:
            raise r.error(f"destRange {text!r} is not a CIDR", field="destRange") from None
        if isinstance(net, IPv6Network):
            self.note_row(r, f"route {r.ident}: destination {text} (IPv6) not imported")
            return None
        return net

    # ------------------------------------------------------------------ firewalls

    def _firewalls(self) -> dict[str, list[FirewallRule]]:
        out: dict[str, list[FirewallRule]] = defaultdict(list)
        for r in self.rows("firewalls", "firewall-rules", "compute#firewall"):
            name = r.ident
            nk = self.net_of(r)
            if r.flag("disabled"):
                self.note_row(r, f"firewall rule {name}: disabled; not imported")
                continue
            direction = (r.opt_text("direction", "INGRESS") or "INGRESS").lower()
            if direction not in ("ingress", "egress"):
                raise r.error(f"direction {r.opt_text('direction')!r} is not INGRESS or EGRESS", field="direction")
            allowed, denied = r.subs("allowed"), r.subs("denied")
            if bool(allowed) == bool(denied):
                raise r.error("a firewall rule has exactly one non-empty 'allowed' or 'denied' list")
            action = "allow" if allowed else "deny"
            entries = allowed or denied
            field_of = "allowed" if allowed else "denied"
            sources, src_v6 = ranges_of(r, "sourceRanges")
            dests, dst_v6 = ranges_of(r, "destinationRanges")
            if src_v6 or dst_v6:
                self.note_row(r, f"firewall rule {name}: {src_v6 + dst_v6} IPv6 range(s) not imported "
                                 "(IPv6 is not modelled)")
            src_tags = tuple(sorted(r.strings("sourceTags")))
            src_sas = tuple(sorted(r.strings("sourceServiceAccounts")))
            if direction == "ingress" and not sources and not src_tags and not src_sas:
                if src_v6:
                    self.note_row(r, f"firewall rule {name}: only IPv6 sources; matches no IPv4 traffic, not imported")
                    continue
                sources = [IPv4Network("0.0.0.0/0")]  # the API's default
            if direction == "egress" and not dests:
                if dst_v6:
                    self.note_row(r, f"firewall rule {name}: only IPv6 destinations; matches no IPv4 traffic, "
                                     "not imported")
                    continue
                dests = [IPv4Network("0.0.0.0/0")]  # the API's default
            if (direction == "ingress" and dst_v6 and not dests) or (direction == "egress" and src_v6 and not sources):
                self.note_row(r, f"firewall rule {name}: only IPv6 in its narrowing ranges; matches no IPv4 traffic, "
                                 "not imported")
                continue
            priority = r.integer("priority", 0, 65535, default=1000, what="a firewall priority")
            for e in entries:
                er = e.where(f"{field_of}[{e.path[-1]}]")
                proto, number = self._protocol(er)
                ports: tuple[PortRange, ...] = ()
                unresolved = None
                if proto in ("tcp", "udp") or number == 132:
                    ports = tuple(self._port(er, i, p) for i, p in enumerate(er.strings("ports")))
                    if number == 132:  # SCTP ports: the model's port axis is TCP/UDP only
                        if ports:
                            unresolved = "SCTP ports " + ",".join(str(p) for p in ports)
                        ports = ()
                rule_name = estate_name(name if len(entries) == 1 else f"{name}-{e.path[-1]}")
                rule = FirewallRule(name=rule_name, direction=direction, action=action, priority=priority,
                                    protocol=proto, protocol_number=number, ports=ports, sources=tuple(sources),
                                    source_tags=src_tags if direction == "ingress" else (),
                                    source_service_accounts=src_sas if direction == "ingress" else (),
                                    destinations=tuple(dests),
                                    target_tags=tuple(sorted(r.strings("targetTags"))),
                                    target_service_accounts=tuple(sorted(r.strings("targetServiceAccounts"))),
                                    description=r.opt_text("description") or f"imported {name}",
                                    log=r.sub("logConfig").flag("enable"), unresolved=unresolved)
                out[nk].append(self.reg_row(rule, r, name))
        return out

    def _protocol(self, er: Row) -> tuple[str, int | None]:
        return protocol_of(er, "IPProtocol")

    def _port(self, er: Row, i: int, text: str) -> PortRange:
        return port_of(er, i, text)

    def subnet_name(self, row: Row, url: str, fld: str) -> tuple[str, str]:
        """(network key, estate subnet name) of a subnetwork URL (``InputError`` when it is not exported)."""
        key = _key(url)
        if key not in self.subnet_of:
            tail = "/".join(key.split("/")[-3:])
            found = [k for k in self.subnet_of if k.endswith(tail)]
            if len(found) != 1:
                raise row.error(f"{fld} {url} is not in {GCP_FILES['subnets']}", field=fld)
            key = found[0]
        return self.subnet_of[key]

    def _cloud_nat(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """Cloud NAT gateways on Cloud Routers (Compute API ``routers[].nats[]``): per network, the regions
        whose every subnet is translated and the subnets of a list-of-subnetworks gateway. Only primary
        ranges matter (instances are addressed by them); Private NAT and gateways without addresses are
        noted."""
        regions: dict[str, set[str]] = defaultdict(set)
        subnets: dict[str, set[str]] = defaultdict(set)
        for r in self.rows("routers", "routers", "compute#router"):
            nk = self.net_of(r)
            region = _last(r.text("region"))
            for i, nat in enumerate(r.subs("nats")):
                nr = nat.where(f"nats[{i}]")
                name = nr.opt_text("name", str(i))
                if (nr.opt_text("type", "PUBLIC") or "PUBLIC") != "PUBLIC":
                    self.note_row(nat, f"router {r.ident}: NAT {name} type {nr.opt_text('type')} (Private NAT) "
                                       "not modelled")
                    continue
                option = nr.opt_text("natIpAllocateOption", "AUTO_ONLY") or "AUTO_ONLY"
                if option not in ("AUTO_ONLY", "MANUAL_ONLY"):
                    raise nr.error(f"natIpAllocateOption {option!r} is not AUTO_ONLY or MANUAL_ONLY",
                                   field="natIpAllocateOption")
                if option == "MANUAL_ONLY" and not nr.strings("natIps"):
                    self.note_row(nat, f"router {r.ident}: NAT {name} has no addresses (MANUAL_ONLY, no natIps): "
                                       "translates nothing")
                    continue
                if nr.seq("rules"):
                    self.note_row(nat, f"router {r.ident}: NAT {name} rules (addresses chosen per destination) are "
                                       "not modelled; which subnets are translated is")
                for url in nr.strings("natIps"):  # reserved addresses: what venues allow-list
                    ip = self.addresses().get(_key(url))
                    if ip is None:
                        self.note_row(nat, f"router {r.ident}: NAT {name} address {_last(url)} is not in "
                                           f"{GCP_FILES['addresses']}; its egress address is unknown")
                    else:
                        self.nat_addresses[nk].setdefault(region, set()).add(ip)
                scope = nr.opt_text("sourceSubnetworkIpRangesToNat", "ALL_SUBNETWORKS_ALL_IP_RANGES")
                if scope in ("ALL_SUBNETWORKS_ALL_IP_RANGES", "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES"):
                    regions[nk].add(region)
                elif scope == "LIST_OF_SUBNETWORKS":
                    for j, sn in enumerate(nr.subs("subnetworks")):
                        sr = sn.where(f"nats[{i}].subnetworks[{j}]")
                        snk, sub = self.subnet_name(sr, sr.text("name"), "name")
                        ranges = sr.strings("sourceIpRangesToNat") or ["ALL_IP_RANGES"]
                        bad = [x for x in ranges if x not in ("ALL_IP_RANGES", "PRIMARY_IP_RANGE",
                                                              "LIST_OF_SECONDARY_IP_RANGES")]
                        if bad:
                            raise sr.error(f"sourceIpRangesToNat {bad[0]!r} is not ALL_IP_RANGES, PRIMARY_IP_RANGE "
                                           "or LIST_OF_SECONDARY_IP_RANGES", field="sourceIpRangesToNat")
                        if "ALL_IP_RANGES" in ranges or "PRIMARY_IP_RANGE" in ranges:
                            subnets[snk].add(sub)
                        else:
                            self.note_row(sn, f"router {r.ident}: NAT {name} translates only secondary ranges of "
                                              f"{sub} (alias IPs); its instances' primary addresses are not "
                                              "translated")
                else:
                    raise nr.error(f"sourceSubnetworkIpRangesToNat {scope!r} is not ALL_SUBNETWORKS_ALL_IP_RANGES, "
                                   "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES or LIST_OF_SUBNETWORKS",
                                   field="sourceSubnetworkIpRangesToNat")
        return regions, subnets

    def tunnel_name(self, name: str, region: str) -> str:
        """A VPN tunnel's estate name: its name, with the region when another region has a tunnel of that
        name (tunnel names are unique per project and region only)."""
        if self._tunnel_regions is None:
            self._tunnel_regions = defaultdict(set)
            for t in self.rows("vpn_tunnels", "vpn-tunnels", "compute#vpnTunnel"):
                self._tunnel_regions[t.ident].add(_last(t.opt_text("region") or ""))
            for r in self.rows("routes", "routes", "compute#route"):
                url = r.opt_text("nextHopVpnTunnel") or ""
                if "/regions/" in url:
                    self._tunnel_regions[_last(url)].add(url.split("/regions/")[1].split("/")[0])
        return estate_name(name if len(self._tunnel_regions.get(name, ())) <= 1 else f"{name}-{region}")

    def files_of(self, key: str) -> str:
        return GCP_FILES[key]

    def addresses(self) -> dict[str, IPv4Address]:
        """Reserved addresses by self link (``gcloud compute addresses list --format=json``)."""
        if self._addresses is None:
            self._addresses = {}
            for a in self.rows("addresses", "addresses", "compute#address"):
                text = a.text("address")
                try:
                    ip = ip_address(text)
                except ValueError:
                    raise a.error(f"address {text!r} is not an IP address", field="address") from None
                if isinstance(ip, IPv4Address):
                    region = _last(a.opt_text("region") or "global")
                    link = a.opt_text("selfLink") or f"projects/unknown/regions/{region}/addresses/{a.ident}"
                    self._addresses[_key(link)] = ip
        return self._addresses

    def _peerings(self) -> list[VpcPeering]:
        """VPC peerings from both networks' ``peerings[]`` (Compute API ``NetworkPeering``). A peering is
        active only when both sides are configured (state ACTIVE); one whose peer network is not in the
        export, or that is inactive, is noted."""
        sides: dict[tuple[str, str], tuple[Row, PeeringRoutes]] = {}
        for key, (n, _est) in sorted(self.nets.items()):
            for i, p in enumerate(n.subs("peerings")):
                pr = p.where(f"peerings[{i}]")
                peer_url = pr.text("network")
                peer = _key(peer_url)
                name = pr.text("name")
                if peer not in self.nets:
                    self.note_row(p, f"network {n.ident}: peering {name} to {peer} (not in the export) not "
                                     "modelled; export the peer project's networks")
                    continue
                state = pr.opt_text("state", "ACTIVE")
                if state != "ACTIVE":
                    self.note_row(p, f"network {n.ident}: peering {name} is {state}; carries no traffic")
                    continue
                if pr.opt_text("stackType", "IPV4_ONLY") not in ("IPV4_ONLY", "IPV4_IPV6"):
                    raise pr.error(f"stackType {pr.opt_text('stackType')!r} is not IPV4_ONLY or IPV4_IPV6",
                                   field="stackType")
                sides[(key, peer)] = (p, PeeringRoutes(
                    export_custom_routes=pr.flag("exportCustomRoutes"),
                    import_custom_routes=pr.flag("importCustomRoutes"),
                    export_subnet_routes_with_public_ip=pr.flag("exportSubnetRoutesWithPublicIp", True),
                    import_subnet_routes_with_public_ip=pr.flag("importSubnetRoutesWithPublicIp")))
        out: list[VpcPeering] = []
        for (a, b), (row, a_routes) in sorted(sides.items()):
            if (b, a) not in sides:
                self.note_row(row, f"peering to {b}: the peer network has no matching peering; inactive, not modelled")
                continue
            if a > b:
                continue
            na, nb = self.nets[a][1], self.nets[b][1]
            link = VpcPeering(kind="vpc_peering", name=estate_name(f"peering-{na}-{nb}"), a=na, b=nb,
                              a_routes=a_routes, b_routes=sides[(b, a)][1])
            out.append(self.reg_row(link, row, row.item.get("name", "peering")))
        return out


def import_gcp(directory: str | Path) -> ImportResult:
    """Read a directory of gcloud exports and build an ``Estate`` (raise ``InputError`` on bad exports)."""
    return GcpImport(Path(directory)).run()
