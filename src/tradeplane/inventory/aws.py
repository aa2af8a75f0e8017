"""AWS exports -> Estate: ``aws ec2 describe-*`` JSON (and TGW route searches) as the CLI prints it.

Files read from the export directory (docs/net.md has the commands):

  describe-vpcs.json, describe-subnets.json, describe-route-tables.json,
  describe-security-groups.json                                 (required)
  describe-network-acls.json, describe-internet-gateways.json, describe-nat-gateways.json,
  describe-vpc-peering-connections.json, describe-instances.json,
  describe-transit-gateways.json, describe-transit-gateway-attachments.json,
  describe-transit-gateway-vpc-attachments.json, describe-transit-gateway-route-tables.json,
  search-transit-gateway-routes/<tgw-rtb-id>.json              (optional; needed when referenced)

Transit gateway routes come from ``search-transit-gateway-routes`` (static and propagated, as
deployed) and are imported as the route tables' routes. A VPN or Direct Connect gateway
attachment becomes an on-premises site holding the prefixes the TGW routes to it.
Anything malformed, unknown or dangling raises ``InputError`` naming the file, line and id;
anything valid that the model cannot express is listed in the result's notes.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from tradeplane.errors import InputError, Location
from tradeplane.estate.model import (
    AwsRoute,
    AwsRouteTable,
    AwsSubnet,
    AwsVpc,
    Desk,
    DirectConnect,
    DxConnection,
    DxVirtualInterface,
    Estate,
    Nacl,
    NaclRule,
    NatGateway,
    RouteTarget,
    SecurityGroup,
    SgPeer,
    SgRule,
    Site,
    TgwAttachment,
    TgwRoute,
    TgwRouteTable,
    TransitGateway,
    VpcPeering,
    Vpn,
    VpnTunnel,
    Workload,
)
from tradeplane.inventory.exports import ExportDirectory, ExportFile, ImportResult, JsonPath
from tradeplane.inventory.naming import estate_name, label_name
from tradeplane.inventory.policy import open_policy

__all__ = ["AWS_FILES", "import_aws"]


AWS_FILES = {
    "vpcs": "describe-vpcs.json",
    "subnets": "describe-subnets.json",
    "route_tables": "describe-route-tables.json",
    "security_groups": "describe-security-groups.json",
    "nacls": "describe-network-acls.json",
    "igws": "describe-internet-gateways.json",
    "nats": "describe-nat-gateways.json",
    "peerings": "describe-vpc-peering-connections.json",
    "instances": "describe-instances.json",
    "tgws": "describe-transit-gateways.json",
    "tgw_attachments": "describe-transit-gateway-attachments.json",
    "tgw_vpc_attachments": "describe-transit-gateway-vpc-attachments.json",
    "tgw_route_tables": "describe-transit-gateway-route-tables.json",
}
REQUIRED = ("vpcs", "subnets", "route_tables", "security_groups")
TGW_ROUTES_DIR = "search-transit-gateway-routes"

_PROTOCOLS = {"-1": "all", "all": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp",
              "1": "icmp"}
_UNMODELLED_TARGETS = ("InstanceId", "NetworkInterfaceId", "CarrierGatewayId", "LocalGatewayId",
                       "CoreNetworkArn", "EgressOnlyInternetGatewayId")


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value")) for t in item.get("Tags", []) or [] if isinstance(t, dict)}


def _cidr(f: ExportFile, path: JsonPath, text: Any, ident: str) -> IPv4Network:
    try:
        return IPv4Network(str(text), strict=False)
    except ValueError:
        raise f.error(path, ident, f"not an IPv4 CIDR: {text!r}") from None


class _AwsImport(ExportDirectory):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory, AWS_FILES, REQUIRED,
                         lambda key, name: f"aws ec2 {name.removesuffix('.json')} --output json")

    def items(self, key: str, field: str) -> list[tuple[ExportFile, JsonPath, dict[str, Any]]]:
        return self.file_items(key, field)

    # ------------------------------------------------------------------ run

    def run(self) -> ImportResult:
        vpc_items = {}
        for f, p, v in self.items("vpcs", "Vpcs"):
            vid = f.need(v, p, "VpcId", "vpc")
            vpc_items[vid] = (f, p, v)
        subnets_by_vpc: dict[str, list[tuple[ExportFile, JsonPath, dict[str, Any]]]] = defaultdict(list)
        subnet_vpc: dict[str, str] = {}
        for f, p, s in self.items("subnets", "Subnets"):
            sid = f.need(s, p, "SubnetId", "subnet")
            vid = f.need(s, p, "VpcId", sid)
            if vid not in vpc_items:
                raise f.error(p, sid, f"VpcId {vid} is not in {AWS_FILES['vpcs']}")
            subnets_by_vpc[vid].append((f, p, s))
            subnet_vpc[sid] = vid
        igw_vpcs: set[str] = set()
        igw_of: dict[str, str] = {}
        for f, p, g in self.items("igws", "InternetGateways"):
            gid = f.need(g, p, "InternetGatewayId", "internet gateway")
            for att in g.get("Attachments", []) or []:
                if att.get("VpcId"):
                    igw_vpcs.add(att["VpcId"])
                    igw_of[gid] = att["VpcId"]
        nats: dict[str, tuple[str, str]] = {}
        for f, p, n in self.items("nats", "NatGateways"):
            nid = f.need(n, p, "NatGatewayId", "NAT gateway")
            if n.get("State") in ("deleted", "deleting", "failed"):
                self.note(f, p, f"{nid}: skipped, state {n.get('State')}")
                continue
            sid = f.need(n, p, "SubnetId", nid)
            if sid not in subnet_vpc:
                raise f.error(p, nid, f"SubnetId {sid} is not in {AWS_FILES['subnets']}")
            nats[nid] = (subnet_vpc[sid], sid)
        peerings = self._peerings(vpc_items)
        tgw_ids = {t.get("TransitGatewayId") for _, _, t in self.items("tgws", "TransitGateways")}
        tables_by_vpc: dict[str, list[tuple[ExportFile, JsonPath, dict[str, Any]]]] = defaultdict(list)
        for f, p, rt in self.items("route_tables", "RouteTables"):
            rid = f.need(rt, p, "RouteTableId", "route table")
            vid = f.need(rt, p, "VpcId", rid)
            if vid not in vpc_items:
                raise f.error(p, rid, f"VpcId {vid} is not in {AWS_FILES['vpcs']}")
            tables_by_vpc[vid].append((f, p, rt))
        nacl_of_subnet: dict[str, str] = {}
        nacls_by_vpc: dict[str, list[Nacl]] = defaultdict(list)
        for f, p, a in self.items("nacls", "NetworkAcls"):
            aid = f.need(a, p, "NetworkAclId", "network ACL")
            vid = f.need(a, p, "VpcId", aid)
            if vid not in vpc_items:
                raise f.error(p, aid, f"VpcId {vid} is not in {AWS_FILES['vpcs']}")
            nacls_by_vpc[vid].append(self._nacl(f, p, a, aid))
            for assoc in a.get("Associations", []) or []:
                sid = assoc.get("SubnetId")
                if sid not in subnet_vpc:
                    raise f.error(p, aid, f"associated SubnetId {sid} is not in {AWS_FILES['subnets']}")
                nacl_of_subnet[sid] = aid
        sgs_by_vpc: dict[str, list[tuple[ExportFile, JsonPath, dict[str, Any]]]] = defaultdict(list)
        sg_vpc: dict[str, str] = {}
        for f, p, g in self.items("security_groups", "SecurityGroups"):
            gid = f.need(g, p, "GroupId", "security group")
            vid = f.need(g, p, "VpcId", gid)
            if vid not in vpc_items:
                raise f.error(p, gid, f"VpcId {vid} is not in {AWS_FILES['vpcs']}")
            sgs_by_vpc[vid].append((f, p, g))
            sg_vpc[gid] = vid

        workloads, desks = self._instances(subnet_vpc, sg_vpc)
        tgws, extra_links, sites, _tgw_routes_by_vpc = self._tgws(vpc_items, subnet_vpc)

        networks = []
        for vid in sorted(vpc_items):
            f, p, v = vpc_items[vid]
            cidrs = self._vpc_cidrs(f, p, v, vid)
            tables, table_of_subnet, main, public_tables = self._route_tables(
                vid, tables_by_vpc[vid], igw_of, nats, peerings, tgw_ids, cidrs)
            subnets = []
            for sf, sp, s in sorted(subnets_by_vpc[vid], key=lambda t: t[2]["SubnetId"]):
                sid = s["SubnetId"]
                table = table_of_subnet.get(sid, main)
                if table is None:
                    raise sf.error(sp, sid, "no route table is associated and the VPC has no main route table",
                                   f"include {vid}'s route tables in {AWS_FILES['route_tables']}")
                tier = _tags(s).get("tier", "")
                if tier not in ("public", "private", "trading", "data"):
                    tier = "public" if table in public_tables else "private"
                zone = s.get("AvailabilityZoneId") or sf.need(s, sp, "AvailabilityZone", sid)
                subnets.append(self.reg(AwsSubnet(
                    name=estate_name(sid), zone=str(zone), cidr=_cidr(sf, sp, sf.need(s, sp, "CidrBlock", sid), sid),
                    route_table=estate_name(table), tier=tier,
                    nacl=estate_name(nacl_of_subnet[sid]) if sid in nacl_of_subnet else None), sf, sp, sid))
            sgs = [self._sg(gf, gp, g, sg_vpc, vid) for gf, gp, g in sorted(sgs_by_vpc[vid], key=lambda t: t[2]["GroupId"])]
            region = self._region(subnets_by_vpc[vid])
            tags = _tags(v)
            vpc = AwsVpc(cloud="aws", name=estate_name(vid), account=estate_name(f"acct-{v.get('OwnerId', 'unknown')}"),
                         region=region, cidrs=tuple(cidrs), desk=label_name(tags.get("desk"), "") or None,
                         internet_gateway=vid in igw_vpcs,
                         nat_gateways=tuple(NatGateway(name=estate_name(n), subnet=estate_name(s))
                                            for n, (nv, s) in sorted(nats.items()) if nv == vid),
                         route_tables=tuple(tables), subnets=tuple(subnets), security_groups=tuple(sgs),
                         nacls=tuple(sorted(nacls_by_vpc[vid], key=lambda a: a.name)))
            networks.append(self.reg(vpc, f, p, vid))
        for d in sorted({n.desk for n in networks if n.desk} - {d.name for d in desks}):
            desks.append(Desk(name=d, owner="unknown", cost_centre="unknown", teams=("unassigned",)))
        desks = open_policy(desks)
        links = [*tgws, *extra_links, *peerings.values()]
        estate = Estate(name=estate_name(f"aws-{self.dir.resolve().name}"),
                        description=f"imported from AWS exports in {self.dir}", sites=tuple(sites),
                        networks=tuple(networks), links=tuple(links),
                        desks=tuple(sorted(desks, key=lambda d: d.name)), workloads=tuple(workloads))
        estate.attach_sources(self.src.where, self.src.paths)
        counts = {"vpcs": len(networks), "subnets": sum(len(n.subnets) for n in networks),
                  "route tables": sum(len(n.route_tables) for n in networks),
                  "security groups": sum(len(n.security_groups) for n in networks),
                  "network ACLs": sum(len(n.nacls) for n in networks), "instances": len(workloads),
                  "transit gateways": len(tgws), "peerings": len(peerings)}
        return ImportResult(estate, sorted(self.notes), counts)

    # ------------------------------------------------------------------ pieces

    def _region(self, subnets: list[tuple[ExportFile, JsonPath, dict[str, Any]]]) -> str:
        for _, _, s in subnets:
            az = str(s.get("AvailabilityZone", ""))
            if az and az[-1].isalpha():
                return az[:-1]
        return "unknown"

    def _vpc_cidrs(self, f: ExportFile, p: JsonPath, v: dict[str, Any], vid: str) -> list[IPv4Network]:
        cidrs: list[IPv4Network] = []
        assoc = v.get("CidrBlockAssociationSet")
        if assoc:
            for i, a in enumerate(assoc):
                if (a.get("CidrBlockState") or {}).get("State", "associated") == "associated":
                    cidrs.append(_cidr(f, (*p, "CidrBlockAssociationSet", i), a.get("CidrBlock"), vid))
        if not cidrs:
            cidrs.append(_cidr(f, p, f.need(v, p, "CidrBlock", vid), vid))
        return cidrs

    def _peerings(self, vpcs: dict[str, Any]) -> dict[str, VpcPeering]:
        out: dict[str, VpcPeering] = {}
        for f, p, pc in self.items("peerings", "VpcPeeringConnections"):
            pid = f.need(pc, p, "VpcPeeringConnectionId", "peering")
            status = (pc.get("Status") or {}).get("Code", "")
            if status != "active":
                self.note(f, p, f"{pid}: skipped, status {status or 'unknown'}")
                continue
            a = str((f.need(pc, p, "RequesterVpcInfo", pid) or {}).get("VpcId"))
            b = str((f.need(pc, p, "AccepterVpcInfo", pid) or {}).get("VpcId"))
            for side in (a, b):
                if side not in vpcs:
                    raise f.error(p, pid, f"peer VPC {side} is not in {AWS_FILES['vpcs']}",
                                  "export both sides of the peering (each account and region)")
            out[pid] = self.reg(VpcPeering(kind="vpc_peering", name=estate_name(pid), a=estate_name(a),
                                           b=estate_name(b)), f, p, pid)
        return out

    def _route_tables(self, vid: str, items: list[tuple[ExportFile, JsonPath, dict[str, Any]]],
                      igw_of: dict[str, str], nats: dict[str, tuple[str, str]], peerings: dict[str, VpcPeering],
                      tgw_ids: set[Any], cidrs: list[IPv4Network]) -> tuple[list[AwsRouteTable], dict[str, str], str | None,
                                                                      set[str]]:
        tables: list[AwsRouteTable] = []
        of_subnet: dict[str, str] = {}
        main = None
        public: set[str] = set()
        for f, p, rt in sorted(items, key=lambda t: t[2]["RouteTableId"]):
            rid = rt["RouteTableId"]
            for a in rt.get("Associations", []) or []:
                if a.get("Main"):
                    main = rid
                elif a.get("SubnetId"):
                    of_subnet[a["SubnetId"]] = rid
            routes = []
            for i, r in enumerate(rt.get("Routes", []) or []):
                rp = (*p, "Routes", i)
                route = self._route(f, rp, r, rid, vid, igw_of, nats, peerings, tgw_ids, cidrs)
                if route is not None:
                    routes.append(self.reg(route, f, rp, f"{rid}/{route.destination}"))
                    if route.target is RouteTarget.IGW and route.destination.prefixlen == 0:
                        public.add(rid)
            tables.append(self.reg(AwsRouteTable(name=estate_name(rid), routes=tuple(routes)), f, p, rid))
        return tables, of_subnet, main, public

    def _route(self, f: ExportFile, p: JsonPath, r: dict[str, Any], rid: str, vid: str, igw_of: dict[str, str],
               nats: dict[str, tuple[str, str]], peerings: dict[str, VpcPeering], tgw_ids: set[Any],
               cidrs: list[IPv4Network]) -> AwsRoute | None:
        if "DestinationCidrBlock" not in r:
            other = "DestinationIpv6CidrBlock" if "DestinationIpv6CidrBlock" in r else "DestinationPrefixListId"
            if other in r:
                self.note(f, p, f"{rid}: route to {r[other]} not imported (IPv6 and prefix lists are not modelled)")
                return None
            raise f.error(p, rid, "route without DestinationCidrBlock")
        dest = _cidr(f, p, r["DestinationCidrBlock"], rid)
        gw = str(r.get("GatewayId", ""))
        if gw == "local":
            if not any(dest.subnet_of(c) or dest == c for c in cidrs):
                self.note(f, p, f"{rid}: local route {dest} outside the VPC CIDRs; the VPC CIDRs are used")
            return None
        if r.get("State") == "blackhole":
            return AwsRoute(destination=dest, target=RouteTarget.BLACKHOLE)
        if gw.startswith("igw-"):
            if igw_of.get(gw) != vid:
                raise f.error(p, rid, f"route {dest} -> {gw}: internet gateway not attached to {vid} in "
                                      f"{AWS_FILES['igws']}", "export describe-internet-gateways")
            return AwsRoute(destination=dest, target=RouteTarget.IGW)
        if gw.startswith("vgw-"):
            return AwsRoute(destination=dest, target=RouteTarget.VGW)
        if r.get("NatGatewayId"):
            nid = r["NatGatewayId"]
            if nid not in nats or nats[nid][0] != vid:
                raise f.error(p, rid, f"route {dest} -> {nid}: NAT gateway not in {AWS_FILES['nats']} for {vid}",
                              "export describe-nat-gateways")
            return AwsRoute(destination=dest, target=RouteTarget.NAT, via=estate_name(nid))
        if r.get("TransitGatewayId"):
            tid = r["TransitGatewayId"]
            if tid not in tgw_ids:
                raise f.error(p, rid, f"route {dest} -> {tid}: transit gateway not in {AWS_FILES['tgws']}",
                              "export the transit gateway files (docs/net.md)")
            return AwsRoute(destination=dest, target=RouteTarget.TGW, via=estate_name(tid))
        if r.get("VpcPeeringConnectionId"):
            pid = r["VpcPeeringConnectionId"]
            if pid not in peerings:
                raise f.error(p, rid, f"route {dest} -> {pid}: no active peering in {AWS_FILES['peerings']}",
                              "export describe-vpc-peering-connections")
            return AwsRoute(destination=dest, target=RouteTarget.PEERING, via=estate_name(pid))
        for key in _UNMODELLED_TARGETS:
            if r.get(key):
                self.note(f, p, f"{rid}: route {dest} -> {r[key]} ({key}) is not modelled; treated as a blackhole")
                return AwsRoute(destination=dest, target=RouteTarget.BLACKHOLE)
        if gw.startswith("vpce-"):
            self.note(f, p, f"{rid}: route {dest} -> {gw} (gateway endpoint) is treated as a blackhole")
            return AwsRoute(destination=dest, target=RouteTarget.BLACKHOLE)
        raise f.error(p, rid, f"route {dest} has an unknown target {sorted(k for k in r if k.endswith('Id'))}",
                      "supported: local, igw-, vgw-, NAT, transit gateway, peering, blackhole")

    def _protocol(self, f: ExportFile, p: JsonPath, value: Any, ident: str) -> str | None:
        proto = _PROTOCOLS.get(str(value).lower())
        if proto is None:
            self.note(f, p, f"{ident}: protocol {value} is not modelled; rule not imported")
        return proto

    def _nacl(self, f: ExportFile, p: JsonPath, a: dict[str, Any], aid: str) -> Nacl:
        ingress: list[NaclRule] = []
        egress: list[NaclRule] = []
        for i, e in enumerate(a.get("Entries", []) or []):
            ep = (*p, "Entries", i)
            number = int(f.need(e, ep, "RuleNumber", aid))
            if number >= 32767:
                continue  # the default deny every NACL ends with; the model applies it implicitly
            if "CidrBlock" not in e:
                self.note(f, ep, f"{aid} rule {number}: IPv6 rule not imported")
                continue
            proto = self._protocol(f, ep, f.need(e, ep, "Protocol", aid), f"{aid} rule {number}")
            if proto is None:
                continue
            pr = e.get("PortRange")
            ports = f"{pr['From']}-{pr['To']}" if pr and proto in ("tcp", "udp") else None
            action = str(f.need(e, ep, "RuleAction", aid))
            if action not in ("allow", "deny"):
                raise f.error(ep, aid, f"rule {number}: RuleAction {action!r} is not allow or deny")
            rule = self.reg(NaclRule(number=number, action=action, protocol=proto, ports=ports,
                                     cidr=_cidr(f, ep, e["CidrBlock"], aid)), f, ep, f"{aid}#{number}")
            (egress if f.need(e, ep, "Egress", aid) else ingress).append(rule)
        return self.reg(Nacl(name=estate_name(aid), ingress=tuple(ingress), egress=tuple(egress)), f, p, aid)

    def _sg(self, f: ExportFile, p: JsonPath, g: dict[str, Any], sg_vpc: dict[str, str], vid: str) -> SecurityGroup:
        gid = g["GroupId"]
        rules: dict[str, list[SgRule]] = {"IpPermissions": [], "IpPermissionsEgress": []}
        for key in rules:
            for i, perm in enumerate(g.get(key, []) or []):
                pp = (*p, key, i)
                proto = self._protocol(f, pp, f.need(perm, pp, "IpProtocol", gid), gid)
                if proto is None:
                    continue
                lo, hi = perm.get("FromPort"), perm.get("ToPort")
                ports = () if proto not in ("tcp", "udp") or lo in (None, -1) or (lo, hi) == (0, 65535) \
                    else (f"{lo}-{hi}",)
                peers, desc = [], ""
                for r in perm.get("IpRanges", []) or []:
                    peers.append(SgPeer(cidr=_cidr(f, pp, r.get("CidrIp"), gid)))
                    desc = desc or r.get("Description", "")
                for pair in perm.get("UserIdGroupPairs", []) or []:
                    ref = pair.get("GroupId")
                    if sg_vpc.get(ref) == vid:
                        peers.append(SgPeer(security_group=estate_name(ref)))
                        desc = desc or pair.get("Description", "")
                    else:
                        self.note(f, pp, f"{gid}: reference to security group {ref} outside {vid} not imported")
                for other in ("Ipv6Ranges", "PrefixListIds"):
                    if perm.get(other):
                        self.note(f, pp, f"{gid}: {other} peers not imported (not modelled)")
                if not peers:
                    continue
                rule = SgRule(protocol=proto, ports=ports, peers=tuple(peers),
                              description=desc or f"imported from {gid}")
                rules[key].append(self.reg(rule, f, pp, f"{gid}/{key}[{i}]"))
        return self.reg(SecurityGroup(name=estate_name(gid), description=g.get("Description") or g.get("GroupName") or gid,
                                      ingress=tuple(rules["IpPermissions"]),
                                      egress=tuple(rules["IpPermissionsEgress"])), f, p, gid)

    def _instances(self, subnet_vpc: dict[str, str], sg_vpc: dict[str, str]) -> tuple[list[Workload], list[Desk]]:
        workloads: list[Workload] = []
        teams: dict[str, set[str]] = defaultdict(set)
        f = self.files.get("instances")
        if f is None:
            return [], []
        for rp, res in f.items("Reservations"):
            for i, inst in enumerate(res.get("Instances", []) or []):
                ip = (*rp, "Instances", i)
                iid = f.need(inst, ip, "InstanceId", "instance")
                state = (inst.get("State") or {}).get("Name", "")
                if state in ("terminated", "shutting-down"):
                    self.note(f, ip, f"{iid}: skipped, {state}")
                    continue
                sid = f.need(inst, ip, "SubnetId", iid)
                if sid not in subnet_vpc:
                    raise f.error(ip, iid, f"SubnetId {sid} is not in {AWS_FILES['subnets']}")
                groups = []
                for g in inst.get("SecurityGroups", []) or []:
                    if g.get("GroupId") not in sg_vpc:
                        raise f.error(ip, iid, f"security group {g.get('GroupId')} is not in "
                                               f"{AWS_FILES['security_groups']}")
                    groups.append(estate_name(g["GroupId"]))
                tags = _tags(inst)
                desk, team = label_name(tags.get("desk")), label_name(tags.get("team"))
                teams[desk].add(team)
                w = Workload(name=estate_name(iid), desk=desk, team=team, network=estate_name(subnet_vpc[sid]),
                             subnet=estate_name(sid), machine_type=str(inst.get("InstanceType", "unknown")),
                             security_groups=tuple(sorted(set(groups))))
                workloads.append(self.reg(w, f, ip, iid))
        desks = [Desk(name=d, owner="unknown", cost_centre="unknown", teams=tuple(sorted(t))) for d, t in teams.items()]
        desks = open_policy(desks)
        return sorted(workloads, key=lambda w: w.name), desks

    def _tgws(self, vpcs: dict[str, Any], subnet_vpc: dict[str, str]) -> tuple[
            list[TransitGateway], list[object], list[Site], dict[str, list[str]]]:
        tgw_items = self.items("tgws", "TransitGateways")
        if not tgw_items:
            return [], [], [], {}
        for key in ("tgw_attachments", "tgw_route_tables"):
            if key not in self.files:
                raise InputError.single(f"transit gateways are exported but {AWS_FILES[key]} is missing",
                                        location=Location(str(self.dir / AWS_FILES[key])),
                                        hint="run the transit gateway export commands of docs/net.md")
        vpc_subnets: dict[str, list[str]] = {}
        for f, p, va in self.items("tgw_vpc_attachments", "TransitGatewayVpcAttachments"):
            aid = f.need(va, p, "TransitGatewayAttachmentId", "VPC attachment")
            subs = list(f.need(va, p, "SubnetIds", aid))
            for s in subs:
                if s not in subnet_vpc:
                    raise f.error(p, aid, f"SubnetId {s} is not in {AWS_FILES['subnets']}")
            vpc_subnets[aid] = subs
        tables: dict[str, list[tuple[ExportFile, JsonPath, dict[str, Any]]]] = defaultdict(list)
        for f, p, t in self.items("tgw_route_tables", "TransitGatewayRouteTables"):
            tid = f.need(t, p, "TransitGatewayId", f.need(t, p, "TransitGatewayRouteTableId", "TGW route table"))
            tables[tid].append((f, p, t))
        atts: dict[str, list[tuple[ExportFile, JsonPath, dict[str, Any]]]] = defaultdict(list)
        for f, p, a in self.items("tgw_attachments", "TransitGatewayAttachments"):
            aid = f.need(a, p, "TransitGatewayAttachmentId", "TGW attachment")
            atts[f.need(a, p, "TransitGatewayId", aid)].append((f, p, a))
        out: list[TransitGateway] = []
        links: list[object] = []
        sites: list[Site] = []
        for f, p, t in tgw_items:
            tid = f.need(t, p, "TransitGatewayId", "transit gateway")
            routes_of: dict[str, list[TgwRoute]] = {}
            prefixes_to: dict[str, set[IPv4Network]] = defaultdict(set)
            known_atts = {a["TransitGatewayAttachmentId"] for _, _, a in atts[tid]}
            for tf, tp, rt in tables[tid]:
                rtb = rt["TransitGatewayRouteTableId"]
                path = self.dir / TGW_ROUTES_DIR / f"{rtb}.json"
                if not path.is_file():
                    raise tf.error(tp, rtb, f"its routes are not exported ({path} is missing)",
                                   f"run `aws ec2 search-transit-gateway-routes --transit-gateway-route-table-id "
                                   f"{rtb} --filters Name=state,Values=active,blackhole --output json > {path}`")
                rf = ExportFile.read(path)
                routes: list[TgwRoute] = []
                for rp, r in rf.items("Routes"):
                    if "DestinationCidrBlock" not in r:
                        self.note(rf, rp, f"{rtb}: route without an IPv4 destination not imported")
                        continue
                    dest = _cidr(rf, rp, r["DestinationCidrBlock"], rtb)
                    if r.get("State") == "blackhole":
                        routes.append(self.reg(TgwRoute(destination=dest, blackhole=True), rf, rp, f"{rtb}/{dest}"))
                        continue
                    for ta in r.get("TransitGatewayAttachments", []) or []:
                        aid = ta.get("TransitGatewayAttachmentId")
                        if aid not in known_atts:
                            raise rf.error(rp, rtb, f"route {dest} -> {aid}: attachment not in "
                                                    f"{AWS_FILES['tgw_attachments']}")
                        routes.append(self.reg(TgwRoute(destination=dest, attachment=estate_name(aid)), rf, rp,
                                               f"{rtb}/{dest}"))
                        prefixes_to[aid].add(dest)
                routes_of[rtb] = routes
            attachments: list[TgwAttachment] = []
            vpcs_here: list[str] = []
            for af, ap, a in atts[tid]:
                aid = a["TransitGatewayAttachmentId"]
                if a.get("State") not in (None, "available"):
                    self.note(af, ap, f"{aid}: skipped, state {a.get('State')}")
                    continue
                assoc = (a.get("Association") or {}).get("TransitGatewayRouteTableId")
                if not assoc:
                    self.note(af, ap, f"{aid}: not associated with a route table; traffic from it is dropped")
                    continue
                if assoc not in routes_of:
                    raise af.error(ap, aid, f"associated route table {assoc} is not in "
                                            f"{AWS_FILES['tgw_route_tables']}")
                kind = af.need(a, ap, "ResourceType", aid)
                rid = str(af.need(a, ap, "ResourceId", aid))
                if kind == "vpc":
                    if rid not in vpcs:
                        raise af.error(ap, aid, f"attached VPC {rid} is not in {AWS_FILES['vpcs']}")
                    if aid not in vpc_subnets:
                        raise af.error(ap, aid, f"subnets unknown: {AWS_FILES['tgw_vpc_attachments']} lacks it",
                                       "run aws ec2 describe-transit-gateway-vpc-attachments")
                    vpcs_here.append(rid)
                    att = TgwAttachment(name=estate_name(aid), kind="vpc", target=estate_name(rid),
                                        subnets=tuple(estate_name(s) for s in vpc_subnets[aid]),
                                        route_table=estate_name(assoc))
                elif kind in ("vpn", "direct-connect-gateway"):
                    site_name = estate_name(f"onprem-{rid}")
                    cidrs = tuple(sorted(prefixes_to.get(aid, set())))
                    sites.append(self.reg(Site(name=site_name, location="unknown", kind="datacenter", cidrs=cidrs),
                                          af, ap, rid))
                    if kind == "vpn":
                        link_name = estate_name(rid)
                        links.append(("vpn", link_name, site_name, tid, af, ap, rid))
                        att = TgwAttachment(name=estate_name(aid), kind="vpn", target=link_name,
                                            route_table=estate_name(assoc))
                    else:
                        link_name = estate_name(f"dxgw-{rid}")
                        links.append(("dx", link_name, site_name, tid, af, ap, rid))
                        att = TgwAttachment(name=estate_name(aid), kind="direct_connect", target=link_name,
                                            route_table=estate_name(assoc))
                else:
                    raise af.error(ap, aid, f"attachment ResourceType {kind!r} is not supported",
                                   "supported: vpc, vpn, direct-connect-gateway")
                attachments.append(self.reg(att, af, ap, aid))
            rts = tuple(self.reg(TgwRouteTable(name=estate_name(rtb), routes=tuple(r)), tf, tp, rtb)
                        for rtb, r in sorted(routes_of.items())
                        for tf, tp, _ in [next(x for x in tables[tid] if x[2]["TransitGatewayRouteTableId"] == rtb)])
            if not rts:
                raise f.error(p, tid, f"no route tables in {AWS_FILES['tgw_route_tables']}")
            region = str(t.get("TransitGatewayArn", "arn:aws:ec2:unknown:")).split(":")[3] or "unknown"
            asn = int((t.get("Options") or {}).get("AmazonSideAsn", 64512))
            out.append(self.reg(TransitGateway(kind="transit_gateway", name=estate_name(tid),
                                               account=estate_name(f"acct-{t.get('OwnerId', 'unknown')}"),
                                               region=region, asn=asn, route_tables=rts,
                                               attachments=tuple(attachments)), f, p, tid))
            vpc_cidrs = sorted({IPv4Network(c) for v in vpcs_here
                                for c in [vpcs[v][2].get("CidrBlock")] if c})
            for kind, name, site, _tid, af, ap, rid in [x for x in links if isinstance(x, tuple) and x[3] == tid]:
                if kind == "vpn":
                    obj: object = Vpn(kind="vpn", name=name, type="classic", network=estate_name(vpcs_here[0]) if vpcs_here
                                      else "unknown", remote=site, transit_gateway=estate_name(tid), remote_asn=65000,
                                      tunnels=(VpnTunnel(name=f"{name}-t0"[:63], peer_address="exported"),
                                               VpnTunnel(name=f"{name}-t1"[:63], interface=1, peer_address="exported")))
                else:
                    obj = DirectConnect(kind="direct_connect", name=name, account="imported", site=site,
                                        gateway_asn=asn, connections=(DxConnection(name="connection", location=site,
                                                                                   device="exported"),),
                                        virtual_interfaces=(DxVirtualInterface(
                                            name="vif", connection="connection", vlan=1, customer_asn=65000,
                                            advertised_prefixes=next(s.cidrs for s in sites if s.name == site)),),
                                        allowed_prefixes=tuple(vpc_cidrs))
                links[links.index(next(x for x in links if isinstance(x, tuple) and x[1] == name))] = \
                    self.reg(obj, af, ap, rid)
        return out, links, sites, {}


def import_aws(directory: str | Path) -> ImportResult:
    """Read a directory of AWS exports and build an ``Estate`` (raise ``InputError`` on bad exports)."""
    return _AwsImport(Path(directory)).run()
