"""VPCs, subnets, internet and NAT gateways, peerings and VPC route tables.

Route targets (EC2 ``Route``): ``local``, ``igw-``, ``vgw-``, NAT gateway, transit gateway,
peering and gateway VPC endpoints (``vpce-``, exported in ``describe-vpc-endpoints``) are modelled;
a blackhole state is a blackhole; appliance targets (instance, ENI, carrier, local or egress-only
gateways, Cloud WAN) and endpoints that are not exported are noted and become blackholes (traffic
they take is not followed). A prefix-list destination (``DestinationPrefixListId``) is one route
per entry of the list (``prefixes``); an unresolved list and IPv6 destinations are noted and not
imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network

from tradeplane.estate.model import (
    AwsRoute,
    AwsRouteTable,
    AwsSubnet,
    AwsVpc,
    Nacl,
    NatGateway,
    RouteTarget,
    SecurityGroup,
    VpcPeering,
)
from tradeplane.inventory.aws.common import AWS_FILES, AwsExports, cidr, tags
from tradeplane.inventory.exports import Row
from tradeplane.inventory.naming import account_name, estate_name, label_name

__all__ = ["VpcTables", "build_vpc", "read_gateways", "read_peerings", "read_route_tables", "read_vpcs"]

_UNMODELLED_TARGETS = ("InstanceId", "NetworkInterfaceId", "CarrierGatewayId", "LocalGatewayId",
                       "CoreNetworkArn", "EgressOnlyInternetGatewayId")


def read_vpcs(x: AwsExports) -> None:
    for v in x.rows("vpcs", "Vpcs", "VpcId"):
        x.vpcs[v.ident] = v
    for s in x.rows("subnets", "Subnets", "SubnetId"):
        vid = x.vpc_of(s)
        x.subnets[s.ident] = s
        x.subnets_by_vpc[vid].append(s)
        x.subnet_vpc[s.ident] = vid


def read_gateways(x: AwsExports) -> None:
    for g in x.rows("igws", "InternetGateways", "InternetGatewayId"):
        for att in g.subs("Attachments"):
            vid = att.opt_text("VpcId")
            if vid:
                x.igw_vpc[g.ident] = vid
    for n in x.rows("nats", "NatGateways", "NatGatewayId"):
        state = n.opt_text("State", "")
        if state in ("deleted", "deleting", "failed"):
            x.note_row(n, f"{n.ident}: skipped, state {state}")
            continue
        sid = x.subnet(n, n.text("SubnetId"))
        x.nats[n.ident] = (x.subnet_vpc[sid], sid)
    for g in x.rows("vpn_gateways", "VpnGateways", "VpnGatewayId"):
        if g.opt_text("State", "available") != "available":
            x.note_row(g, f"{g.ident}: skipped, state {g.opt_text('State')}")
            continue
        for att in g.subs("VpcAttachments"):
            if att.opt_text("State", "attached") == "attached" and att.opt_text("VpcId"):
                x.vgw_vpc[g.ident] = str(att.opt_text("VpcId"))


def read_peerings(x: AwsExports) -> None:
    for pc in x.rows("peerings", "VpcPeeringConnections", "VpcPeeringConnectionId"):
        status = pc.sub("Status").opt_text("Code", "") or ""
        if status != "active":
            x.note_row(pc, f"{pc.ident}: skipped, status {status or 'unknown'}")
            continue
        sides = []
        for key in ("RequesterVpcInfo", "AccepterVpcInfo"):
            info = pc.sub(key)
            if not pc.has(key):
                raise pc.error(f"missing field '{key}'", field=key)
            vid = info.text("VpcId")
            if vid not in x.vpcs:
                raise pc.error(f"peer VPC {vid} is not in {AWS_FILES['vpcs']}",
                               "export both sides of the peering (each account and region)", key)
            sides.append(vid)
        x.peerings[pc.ident] = x.reg_row(VpcPeering(kind="vpc_peering", name=estate_name(pc.ident),
                                                    a=estate_name(sides[0]), b=estate_name(sides[1])), pc)


@dataclass
class VpcTables:
    """One VPC's route tables, which table each subnet uses, and which tables route to an IGW."""

    tables: list[AwsRouteTable]
    of_subnet: dict[str, str]
    main: str | None
    public: set[str]


def read_route_tables(x: AwsExports) -> dict[str, VpcTables]:
    by_vpc: dict[str, list[Row]] = defaultdict(list)
    for rt in x.rows("route_tables", "RouteTables", "RouteTableId"):
        by_vpc[x.vpc_of(rt)].append(rt)
    return {vid: _tables(x, vid, rows) for vid, rows in by_vpc.items()}


def _tables(x: AwsExports, vid: str, rows: list[Row]) -> VpcTables:
    out = VpcTables([], {}, None, set())
    cidrs = vpc_cidrs(x.vpcs[vid])
    for rt in sorted(rows, key=lambda r: r.ident):
        for a in rt.subs("Associations"):
            if a.flag("Main"):
                out.main = rt.ident
            elif a.opt_text("SubnetId"):
                out.of_subnet[x.subnet(a, str(a.opt_text("SubnetId")))] = rt.ident
        routes = []
        for r in rt.subs("Routes"):
            for route in _routes(x, r, vid, cidrs):
                routes.append(x.reg_row(route, r, f"{rt.ident}/{route.destination}"))
                if route.target is RouteTarget.IGW and route.destination.prefixlen == 0:
                    out.public.add(rt.ident)
        out.tables.append(x.reg_row(AwsRouteTable(name=estate_name(rt.ident), routes=tuple(routes)), rt))
    return out


def _routes(x: AwsExports, r: Row, vid: str, cidrs: list[IPv4Network]) -> list[AwsRoute]:
    """The route, or one per entry of its destination prefix list."""
    if r.has("DestinationCidrBlock"):
        route = _route(x, r, vid, cidrs, cidr(r, "DestinationCidrBlock"))
        return [] if route is None else [route]
    if r.has("DestinationIpv6CidrBlock"):
        x.note_row(r, f"{r.ident}: route to {r.opt_text('DestinationIpv6CidrBlock')} (IPv6 destination) not "
                      "imported; IPv6 is not modelled")
        return []
    if r.has("DestinationPrefixListId"):
        pid = r.text("DestinationPrefixListId")
        entries = x.prefix_lists.get(pid)
        if entries is None:
            x.note_row(r, f"{r.ident}: route to prefix list {pid} not imported: its entries are not exported "
                          f"(run `aws ec2 get-managed-prefix-list-entries --prefix-list-id {pid} --output json > "
                          f"get-managed-prefix-list-entries/{pid}.json`); traffic it would take follows the other "
                          "routes")
            return []
        out = []
        for dest in entries:
            route = _route(x, r, vid, cidrs, dest)
            if route is not None:
                out.append(route)
        return out
    raise r.error("route without DestinationCidrBlock")


def _route(x: AwsExports, r: Row, vid: str, cidrs: list[IPv4Network], dest: IPv4Network) -> AwsRoute | None:
    gw = r.opt_text("GatewayId", "") or ""
    if gw == "local":
        if not any(dest.subnet_of(c) for c in cidrs):
            x.note_row(r, f"{r.ident}: local route {dest} outside the VPC CIDRs; the VPC CIDRs are used")
        return None
    if r.opt_text("State") == "blackhole":
        return AwsRoute(destination=dest, target=RouteTarget.BLACKHOLE)
    if gw.startswith("igw-"):
        if x.igw_vpc.get(gw) != vid:
            raise r.error(f"route {dest} -> {gw}: internet gateway not attached to {vid} in {AWS_FILES['igws']}",
                          "export describe-internet-gateways")
        return AwsRoute(destination=dest, target=RouteTarget.IGW)
    if gw.startswith("vgw-"):
        if not x.vgw_vpns.get(gw) and not x.vgw_dx.get(gw):
            x.note_row(r, f"{r.ident}: route {dest} -> {gw}: no VPN connection on this virtual private gateway in "
                          f"{AWS_FILES['vpn_connections']} and no Direct Connect gateway associated with it in "
                          f"{AWS_FILES['dx_associations']}; traffic routed to it is dropped")
        return AwsRoute(destination=dest, target=RouteTarget.VGW)
    # targets named by their own id field: (field, target, is the id known, what is wrong, the hint)
    by_id: tuple[tuple[str, RouteTarget, Callable[[str], bool], str, str], ...] = (
        ("NatGatewayId", RouteTarget.NAT, lambda i: i in x.nats and x.nats[i][0] == vid,
         f"NAT gateway not in {AWS_FILES['nats']} for {vid}", "export describe-nat-gateways"),
        ("TransitGatewayId", RouteTarget.TGW, lambda i: i in x.tgw_ids,
         f"transit gateway not in {AWS_FILES['tgws']}", "export the transit gateway files (docs/net.md)"),
        ("VpcPeeringConnectionId", RouteTarget.PEERING, lambda i: i in x.peerings,
         f"no active peering in {AWS_FILES['peerings']}", "export describe-vpc-peering-connections"),
    )
    for fld, target, known, wrong, hint in by_id:
        ident = r.opt_text(fld)
        if ident:
            if not known(ident):
                raise r.error(f"route {dest} -> {ident}: {wrong}", hint)
            return AwsRoute(destination=dest, target=target, via=estate_name(ident))
    for key in _UNMODELLED_TARGETS:
        if r.has(key):
            x.note_row(r, f"{r.ident}: route {dest} -> {r.item[key]} ({key}) is an appliance next hop, not modelled; "
                          "treated as a blackhole")
            return AwsRoute(destination=dest, target=RouteTarget.BLACKHOLE)
    if gw.startswith("vpce-"):
        if x.gateway_endpoints.get(gw) == vid:
            return AwsRoute(destination=dest, target=RouteTarget.GATEWAY_ENDPOINT, via=estate_name(gw))
        x.note_row(r, f"{r.ident}: route {dest} -> {gw}: no available gateway endpoint of {vid} in "
                      f"{AWS_FILES['vpc_endpoints']}; treated as a blackhole")
        return AwsRoute(destination=dest, target=RouteTarget.BLACKHOLE)
    raise r.error(f"route {dest} has an unknown target {sorted(k for k in r.item if k.endswith('Id'))}",
                  "supported: local, igw-, vgw-, NAT, transit gateway, peering, blackhole")


def vpc_cidrs(v: Row) -> list[IPv4Network]:
    out: list[IPv4Network] = []
    for a in v.subs("CidrBlockAssociationSet"):
        if a.sub("CidrBlockState").opt_text("State", "associated") == "associated":
            out.append(cidr(a, "CidrBlock"))
    if not out:
        out.append(cidr(v, "CidrBlock"))
    return out


def _region(subnets: list[Row]) -> str:
    for s in subnets:
        az = s.opt_text("AvailabilityZone", "") or ""
        if az and az[-1].isalpha():
            return az[:-1]
    return "unknown"


def build_vpc(x: AwsExports, vid: str, rt: VpcTables, nacl_of_subnet: dict[str, str],
              sgs: list[SecurityGroup], nacls: list[Nacl]) -> AwsVpc:
    """The VPC with its subnets. A subnet is public-tier (unless tagged ``tier``) when it routes
    0.0.0.0/0 to an internet gateway (AWS's definition of a public subnet); whether the internet
    reaches an instance in it still depends on the instance's own public address."""
    v = x.vpcs[vid]
    subnets = []
    for s in sorted(x.subnets_by_vpc[vid], key=lambda r: r.ident):
        sid = s.ident
        table = rt.of_subnet.get(sid, rt.main)
        if table is None:
            raise s.error("no route table is associated and the VPC has no main route table",
                          f"include {vid}'s route tables in {AWS_FILES['route_tables']}")
        tier = tags(s).get("tier", "")
        if tier not in ("public", "private", "trading", "data"):
            s.flag("MapPublicIpOnLaunch")  # type-checked; exposure itself is per instance (Workload.public_ip)
            tier = "public" if table in rt.public else "private"
        zone = s.opt_text("AvailabilityZoneId") or s.text("AvailabilityZone")
        nacl = nacl_of_subnet.get(sid)
        subnets.append(x.reg_row(AwsSubnet(
            name=estate_name(sid), zone=zone, cidr=cidr(s, "CidrBlock"), route_table=estate_name(table), tier=tier,
            nacl=estate_name(nacl) if nacl else None), s))
    vt = tags(v)
    vpc = AwsVpc(cloud="aws", name=estate_name(vid), account=account_name(v.opt_text("OwnerId")),
                 region=_region(x.subnets_by_vpc[vid]), cidrs=tuple(vpc_cidrs(v)),
                 desk=label_name(vt.get("desk"), "") or None, internet_gateway=vid in x.igw_vpc.values(),
                 nat_gateways=tuple(NatGateway(name=estate_name(n), subnet=estate_name(s))
                                    for n, (nv, s) in sorted(x.nats.items()) if nv == vid),
                 route_tables=tuple(rt.tables), subnets=tuple(subnets), security_groups=tuple(sgs),
                 nacls=tuple(sorted(nacls, key=lambda a: a.name)))
    return x.reg_row(vpc, v)
