"""GCP exports -> Estate: ``gcloud compute ... list --format=json`` as the CLI prints it.

Files read from the export directory (docs/net.md has the commands):

  networks.json, subnets.json                          (required)
  routes.json, firewall-rules.json, instances.json,
  routers.json (Cloud NAT regions)                     (optional)

Subnet routes are implicit (the model derives them from the subnets); static
routes keep their priority and tags; VPN-tunnel next hops become an on-premises
site per tunnel holding the ranges routed to it. Firewall rules keep priority,
direction, allow/deny, ranges, tags and service accounts; a rule with several
protocol entries becomes one rule per entry. Anything malformed, unknown or
dangling raises ``InputError`` naming the file, line and name; anything valid
the model cannot express is listed in the result's notes.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from tradeplane.estate.model import (
    CloudRouter,
    Desk,
    Estate,
    FirewallRule,
    GcpRoute,
    GcpSubnet,
    GcpVpc,
    Site,
    Vpn,
    VpnTunnel,
    Workload,
)
from tradeplane.inventory.exports import ExportDirectory, ExportFile, ImportResult, JsonPath
from tradeplane.inventory.naming import estate_name, label_name
from tradeplane.inventory.policy import open_policy

__all__ = ["GCP_FILES", "import_gcp"]


GCP_FILES = {
    "networks": "networks.json",
    "subnets": "subnets.json",
    "routes": "routes.json",
    "firewalls": "firewall-rules.json",
    "instances": "instances.json",
    "routers": "routers.json",
}
REQUIRED = ("networks", "subnets")
_PROTOCOLS = {"all": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp"}


def _last(url: Any) -> str:
    return str(url).rstrip("/").rsplit("/", 1)[-1]


def _project(url: Any) -> str:
    parts = str(url).split("/")
    return parts[parts.index("projects") + 1] if "projects" in parts else "unknown"


def _net_key(url: Any) -> str:
    """``projects/P/global/networks/N`` from a full or partial URL."""
    text = str(url)
    i = text.find("projects/")
    return text[i:] if i >= 0 else text


def _v4(values: Any) -> tuple[list[IPv4Network], list[str]]:
    good, skipped = [], []
    for v in values or []:
        try:
            good.append(IPv4Network(str(v), strict=False))
        except ValueError:
            skipped.append(str(v))
    return good, skipped


def _gcloud_command(key: str, name: str) -> str:
    noun = "firewall-rules" if key == "firewalls" else name.removesuffix(".json").replace("-", " ")
    return f"gcloud compute {noun} list --format=json"


class _GcpImport(ExportDirectory):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory, GCP_FILES, REQUIRED, _gcloud_command)

    def items(self, key: str) -> list[tuple[ExportFile, JsonPath, dict[str, Any]]]:
        return self.file_items(key, None)

    def kind(self, f: ExportFile, p: JsonPath, item: dict[str, Any], expected: str, ident: str) -> None:
        k = item.get("kind")
        if k is not None and k != expected:
            raise f.error(p, ident, f"unknown resource kind {k!r} (expected {expected!r})",
                          "this file should hold the output of the matching gcloud list command")

    def run(self) -> ImportResult:
        nets: dict[str, tuple[ExportFile, JsonPath, dict[str, Any], str]] = {}
        names_seen: dict[str, int] = defaultdict(int)
        for f, p, n in self.items("networks"):
            name = f.need(n, p, "name", "network")
            self.kind(f, p, n, "compute#network", name)
            names_seen[name] += 1
        for f, p, n in self.items("networks"):
            name = n["name"]
            key = _net_key(n.get("selfLink") or f"projects/{_project(n.get('selfLink'))}/global/networks/{name}")
            est = estate_name(name if names_seen[name] == 1 else f"{_project(key)}-{name}")
            nets[key] = (f, p, n, est)

        def net_of(f: ExportFile, p: JsonPath, url: Any, ident: str) -> str:
            key = _net_key(url)
            if key in nets:
                return key
            matches = [k for k in nets if k.endswith(f"/networks/{_last(url)}")]
            if len(matches) == 1:
                return matches[0]
            raise f.error(p, ident, f"network {url} is not in {GCP_FILES['networks']}")

        subnets: dict[str, list[GcpSubnet]] = defaultdict(list)
        subnet_of_url: dict[str, tuple[str, str]] = {}
        sub_items: list[tuple[ExportFile, JsonPath, dict[str, Any], str]] = []
        for f, p, s in self.items("subnets"):
            name = f.need(s, p, "name", "subnet")
            self.kind(f, p, s, "compute#subnetwork", name)
            nk = net_of(f, p, f.need(s, p, "network", name), name)
            sub_items.append((f, p, s, nk))
            subnet_of_url[_net_key(s.get("selfLink") or f"{_project(nk)}/regions/{_last(s.get('region'))}/subnetworks/{name}")] = (nk, name)

        workloads, desks, external = self._instances(subnet_of_url, nets)
        for f, p, s, nk in sub_items:
            name = s["name"]
            cidr_text = f.need(s, p, "ipCidrRange", name)
            cidrs, bad = _v4([cidr_text])
            if bad:
                raise f.error(p, name, f"ipCidrRange {cidr_text!r} is not an IPv4 CIDR")
            secondary = {}
            for i, r in enumerate(s.get("secondaryIpRanges", []) or []):
                rc, rbad = _v4([r.get("ipCidrRange")])
                if rbad or not r.get("rangeName"):
                    raise f.error((*p, "secondaryIpRanges", i), name, "secondary range needs rangeName and an IPv4 ipCidrRange")
                secondary[str(r["rangeName"])] = rc[0]
            if s.get("purpose", "PRIVATE") not in ("PRIVATE", "PRIVATE_RFC_1918"):
                self.note(f, p, f"subnet {name}: purpose {s.get('purpose')} (proxy/PSC ranges) imported as a plain subnet")
            tier = "public" if (nk, name) in external else "private"
            subnets[nk].append(self.reg(GcpSubnet(
                name=estate_name(name), region=_last(f.need(s, p, "region", name)), cidr=cidrs[0],
                secondary_ranges=secondary, private_google_access=bool(s.get("privateIpGoogleAccess", False)),
                tier=tier), f, p, name))

        routes, sites, vpns, routers = self._routes(nets, net_of, subnets)
        rules = self._firewalls(net_of)
        nat_regions = self._nat_regions(net_of)
        networks = []
        for key in sorted(nets, key=lambda k: nets[k][3]):
            f, p, n, est = nets[key]
            mode = str((n.get("routingConfig") or {}).get("routingMode", "REGIONAL"))
            if mode not in ("GLOBAL", "REGIONAL"):
                raise f.error(p, n["name"], f"routingConfig.routingMode {mode!r} is not GLOBAL or REGIONAL")
            if n.get("networkFirewallPolicyEnforcementOrder") == "BEFORE_CLASSIC_FIREWALL":
                self.note(f, p, f"network {n['name']}: BEFORE_CLASSIC_FIREWALL order; no network policies are imported")
            mtu = int(n.get("mtu") or 1460)
            vpc = GcpVpc(cloud="gcp", name=est, project=estate_name(_project(key)), routing_mode=mode,
                         mtu=max(1300, min(mtu, 8896)), subnets=tuple(sorted(subnets[key], key=lambda s: s.name)),
                         routes=tuple(sorted(routes[key], key=lambda r: r.name)),
                         firewall_rules=tuple(sorted(rules[key], key=lambda r: r.name)),
                         cloud_nat_regions=tuple(sorted(nat_regions[key])))
            networks.append(self.reg(vpc, f, p, n["name"]))
        estate = Estate(name=estate_name(f"gcp-{self.dir.resolve().name}"),
                        description=f"imported from GCP exports in {self.dir}", sites=tuple(sites),
                        networks=tuple(networks), links=(*routers, *vpns),
                        desks=tuple(sorted(desks, key=lambda d: d.name)), workloads=tuple(workloads))
        estate.attach_sources(self.src.where, self.src.paths)
        counts = {"networks": len(networks), "subnets": sum(len(v) for v in subnets.values()),
                  "routes": sum(len(v) for v in routes.values()),
                  "firewall rules": sum(len(v) for v in rules.values()), "instances": len(workloads),
                  "vpn tunnels": len(vpns)}
        return ImportResult(estate, sorted(self.notes), counts)

    def _instances(self, subnet_of_url: dict[str, tuple[str, str]], nets: dict[str, Any]) -> tuple[
            list[Workload], list[Desk], set[tuple[str, str]]]:
        workloads: list[Workload] = []
        teams: dict[str, set[str]] = defaultdict(set)
        external: set[tuple[str, str]] = set()
        seen: set[str] = set()
        for f, p, inst in self.items("instances"):
            name = f.need(inst, p, "name", "instance")
            self.kind(f, p, inst, "compute#instance", name)
            status = inst.get("status", "RUNNING")
            if status in ("TERMINATED", "STOPPED", "SUSPENDED"):
                self.note(f, p, f"instance {name}: skipped, {status}")
                continue
            nics = f.need(inst, p, "networkInterfaces", name)
            if not nics:
                raise f.error(p, name, "no networkInterfaces")
            if len(nics) > 1:
                self.note(f, p, f"instance {name}: {len(nics)} interfaces; nic0 is modelled")
            nic = nics[0]
            sub_url = f.need(nic, (*p, "networkInterfaces", 0), "subnetwork", name)
            key = _net_key(sub_url)
            if key not in subnet_of_url:
                raise f.error(p, name, f"subnetwork {sub_url} is not in {GCP_FILES['subnets']}")
            nk, sub = subnet_of_url[key]
            if any(a.get("natIP") or a.get("type") == "ONE_TO_ONE_NAT" for a in nic.get("accessConfigs", []) or []):
                external.add((nk, sub))
                self.note(f, p, f"instance {name} has an external IP: subnet {sub} is treated as public")
            labels = inst.get("labels") or {}
            desk, team = label_name(labels.get("desk")), label_name(labels.get("team"))
            teams[desk].add(team)
            wname = estate_name(name)
            if wname in seen:
                wname = estate_name(f"{name}-{_last(inst.get('zone', 'zone'))}")
            seen.add(wname)
            sas = inst.get("serviceAccounts") or []
            w = Workload(name=wname, desk=desk, team=team, network=nets[nk][3], subnet=estate_name(sub),
                         machine_type=_last(inst.get("machineType", "unknown")),
                         tags=tuple(sorted((inst.get("tags") or {}).get("items", []) or [])),
                         service_account=sas[0].get("email") if sas else None)
            workloads.append(self.reg(w, f, p, name))
        desks = [Desk(name=d, owner="unknown", cost_centre="unknown", teams=tuple(sorted(t))) for d, t in teams.items()]
        desks = open_policy(desks)
        return sorted(workloads, key=lambda w: w.name), desks, external

    def _routes(self, nets: dict[str, Any], net_of: Any, subnets: dict[str, list[GcpSubnet]]) -> tuple[
            dict[str, list[GcpRoute]], list[Site], list[Vpn], list[CloudRouter]]:
        routes: dict[str, list[GcpRoute]] = defaultdict(list)
        tunnels: dict[tuple[str, str, str], list[IPv4Network]] = defaultdict(list)
        tunnel_src: dict[tuple[str, str, str], tuple[ExportFile, JsonPath]] = {}
        for f, p, r in self.items("routes"):
            name = f.need(r, p, "name", "route")
            self.kind(f, p, r, "compute#route", name)
            nk = net_of(f, p, f.need(r, p, "network", name), name)
            dests, bad = _v4([f.need(r, p, "destRange", name)])
            if bad:
                self.note(f, p, f"route {name}: destination {bad[0]} (IPv6) not imported")
                continue
            dest = dests[0]
            prio = int(r.get("priority", 1000))
            tags = tuple(sorted(r.get("tags", []) or []))
            common = {"name": estate_name(name), "destination": dest, "priority": prio, "tags": tags}
            if r.get("nextHopNetwork"):
                if not any(s.cidr == dest or dest in s.secondary_ranges.values() for s in subnets[nk]):
                    self.note(f, p, f"route {name}: subnet route {dest} matches no exported subnet; not imported")
                continue
            if r.get("nextHopGateway"):
                if not str(r["nextHopGateway"]).endswith("default-internet-gateway"):
                    raise f.error(p, name, f"unknown nextHopGateway {r['nextHopGateway']}")
                routes[nk].append(self.reg(GcpRoute(next_hop="internet", **common), f, p, name))
            elif r.get("nextHopVpnTunnel"):
                url = str(r["nextHopVpnTunnel"])
                region = url.split("/regions/")[1].split("/")[0] if "/regions/" in url else "unknown"
                t = (nk, region, _last(url))
                tunnels[t].append(dest)
                tunnel_src.setdefault(t, (f, p))
                routes[nk].append(self.reg(GcpRoute(next_hop="vpn_tunnel", via=estate_name(_last(url)), **common),
                                           f, p, name))
            elif r.get("nextHopInstance") or r.get("nextHopIp") or r.get("nextHopIlb"):
                hop = "ilb" if r.get("nextHopIlb") else "instance"
                via = _last(r.get("nextHopInstance") or r.get("nextHopIlb") or r.get("nextHopIp"))
                self.note(f, p, f"route {name}: next hop {hop} {via} is an appliance; traffic it takes is not followed")
                routes[nk].append(self.reg(GcpRoute(next_hop=hop, via=estate_name(via), **common), f, p, name))
            elif r.get("nextHopPeering") or r.get("nextHopHub"):
                self.note(f, p, f"route {name}: peering/hub route not imported (GCP peering is not modelled)")
            else:
                raise f.error(p, name, "route has no next hop the importer knows",
                              "expected nextHopGateway, nextHopNetwork, nextHopVpnTunnel, nextHopInstance, "
                              "nextHopIp, nextHopIlb or nextHopPeering")
        sites: list[Site] = []
        vpns: list[Vpn] = []
        routers: dict[tuple[str, str], CloudRouter] = {}
        for (nk, region, tunnel), dests in sorted(tunnels.items()):
            f, p = tunnel_src[(nk, region, tunnel)]
            net = nets[nk][3]
            rkey = (net, region)
            if rkey not in routers:
                routers[rkey] = CloudRouter(kind="cloud_router", name=estate_name(f"cr-{net}-{region}"), network=net,
                                            region=region, asn=64512)
            site = estate_name(f"onprem-{tunnel}")
            sites.append(self.reg(Site(name=site, location="unknown", kind="datacenter",
                                       cidrs=tuple(sorted(set(dests)))), f, p, tunnel))
            vpns.append(self.reg(Vpn(kind="vpn", name=estate_name(f"vpn-{tunnel}"), type="classic", network=net,
                                     remote=site, router=routers[rkey].name, remote_asn=65000,
                                     tunnels=(VpnTunnel(name=estate_name(tunnel), peer_address="exported"),)),
                                 f, p, tunnel))
        return routes, sites, vpns, list(routers.values())

    def _firewalls(self, net_of: Any) -> dict[str, list[FirewallRule]]:
        out: dict[str, list[FirewallRule]] = defaultdict(list)
        for f, p, r in self.items("firewalls"):
            name = f.need(r, p, "name", "firewall rule")
            self.kind(f, p, r, "compute#firewall", name)
            nk = net_of(f, p, f.need(r, p, "network", name), name)
            if r.get("disabled"):
                self.note(f, p, f"firewall rule {name}: disabled; not imported")
                continue
            direction = str(r.get("direction", "INGRESS")).lower()
            if direction not in ("ingress", "egress"):
                raise f.error(p, name, f"direction {r.get('direction')!r} is not INGRESS or EGRESS")
            if ("allowed" in r and "denied" in r) or not (r.get("allowed") or r.get("denied")):
                raise f.error(p, name, "a firewall rule has exactly one non-empty 'allowed' or 'denied' list")
            action = "allow" if r.get("allowed") else "deny"
            entries: list[dict[str, Any]] = r.get("allowed") or r.get("denied") or []
            sources, bad_src = _v4(r.get("sourceRanges"))
            dests, bad_dst = _v4(r.get("destinationRanges"))
            for b in bad_src + bad_dst:
                self.note(f, p, f"firewall rule {name}: range {b} (IPv6) not imported")
            if r.get("sourceServiceAccounts"):
                self.note(f, p, f"firewall rule {name}: sourceServiceAccounts are not modelled")
            src_tags = tuple(sorted(r.get("sourceTags", []) or []))
            if direction == "ingress" and not sources and not src_tags:
                if r.get("sourceServiceAccounts") or bad_src:
                    self.note(f, p, f"firewall rule {name}: no IPv4 source left; not imported")
                    continue
                sources = [IPv4Network("0.0.0.0/0")]  # the API's default
            if direction == "egress" and not dests:
                if bad_dst:
                    self.note(f, p, f"firewall rule {name}: no IPv4 destination left; not imported")
                    continue
                dests = [IPv4Network("0.0.0.0/0")]  # the API's default
            for i, e in enumerate(entries):
                proto = _PROTOCOLS.get(str(e.get("IPProtocol", "")).lower())
                if proto is None:
                    self.note(f, p, f"firewall rule {name}: protocol {e.get('IPProtocol')} is not modelled; entry skipped")
                    continue
                ports = tuple(str(x) for x in e.get("ports", []) or []) if proto in ("tcp", "udp") else ()
                rule_name = estate_name(name if len(entries) == 1 else f"{name}-{i}")
                try:
                    rule = FirewallRule(name=rule_name, direction=direction, action=action,
                                        priority=int(r.get("priority", 1000)), protocol=proto,
                                        ports=ports, sources=tuple(sources) if direction == "ingress" else (),
                                        source_tags=src_tags if direction == "ingress" else (),
                                        destinations=tuple(dests) if direction == "egress" else (),
                                        target_tags=tuple(sorted(r.get("targetTags", []) or [])),
                                        target_service_accounts=tuple(sorted(r.get("targetServiceAccounts", []) or [])),
                                        description=r.get("description") or f"imported {name}",
                                        log=bool((r.get("logConfig") or {}).get("enable", False)))
                except ValueError as exc:
                    raise f.error(p, name, f"invalid rule: {exc}") from None
                out[nk].append(self.reg(rule, f, p, name))
        return out

    def _nat_regions(self, net_of: Any) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for f, p, r in self.items("routers"):
            name = f.need(r, p, "name", "router")
            self.kind(f, p, r, "compute#router", name)
            nk = net_of(f, p, f.need(r, p, "network", name), name)
            if r.get("nats"):
                out[nk].add(_last(f.need(r, p, "region", name)))
        return out


def import_gcp(directory: str | Path) -> ImportResult:
    """Read a directory of gcloud exports and build an ``Estate`` (raise ``InputError`` on bad exports)."""
    return _GcpImport(Path(directory)).run()
