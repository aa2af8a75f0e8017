"""Transit gateways: route tables (routes from ``search-transit-gateway-routes``), attachments.

VPC, VPN and Direct Connect gateway attachments are modelled (a VPN or DX gateway attachment
becomes an on-premises site holding the prefixes the TGW routes to it; a DX gateway's allowed
prefixes come from ``describe-direct-connect-gateway-associations`` when exported). An attachment
with no associated route table is kept: it still receives traffic, and what enters the TGW from it
is dropped. A peering attachment whose peer transit gateway is in the exports (both regions'
exports in one directory) becomes a ``TgwPeering`` followed across into the peer's route table
associated with its side of the attachment; AWS does not propagate routes over TGW peering, so
only the static routes of the exported tables send traffic over it (AWS Transit Gateway guide,
"Transit gateway peering attachments"). A peering to a transit gateway that is not exported,
Connect and other attachments are listed in the notes, and routes to them become blackholes with a
note (traffic they take is not followed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from tradeplane.errors import InputError, Location
from tradeplane.estate.model import (
    DirectConnect,
    Site,
    TgwAttachment,
    TgwPeering,
    TgwRoute,
    TgwRouteTable,
    TransitGateway,
    Vpn,
    VpnTunnel,
)
from tradeplane.inventory.aws.common import AWS_FILES, TGW_ROUTES_DIR, AwsExports, cidr
from tradeplane.inventory.aws.dx import dx_link
from tradeplane.inventory.aws.vpcs import vpc_cidrs
from tradeplane.inventory.exports import ExportFile, Row
from tradeplane.inventory.naming import account_name, estate_name

__all__ = ["Transit", "read_transit_gateways"]

_MODELLED = ("vpc", "vpn", "direct-connect-gateway", "peering")


@dataclass(frozen=True)
class HybridAttachment:
    """A VPN or Direct Connect gateway attachment, before its link object is built."""

    kind: str  # "vpn" | "dx"
    link: str
    site: Site
    row: Row
    resource: str


@dataclass
class Transit:
    gateways: list[TransitGateway]
    links: list[Vpn | DirectConnect | TgwPeering]
    sites: list[Site]
    peerings: dict[frozenset[str], TgwPeering] = field(default_factory=dict)  # the two TGW ids -> link


def read_transit_gateways(x: AwsExports) -> Transit:
    out = Transit([], [], [])
    tgw_rows = x.rows("tgws", "TransitGateways", "TransitGatewayId")
    if not tgw_rows:
        return out
    for key in ("tgw_attachments", "tgw_route_tables"):
        if key not in x.files:
            raise InputError.single(f"transit gateways are exported but {AWS_FILES[key]} is missing",
                                    location=Location(str(x.dir / AWS_FILES[key])),
                                    hint="run the transit gateway export commands of docs/net.md")
    vpc_subnets: dict[str, list[str]] = {}
    for va in x.rows("tgw_vpc_attachments", "TransitGatewayVpcAttachments", "TransitGatewayAttachmentId"):
        if not va.has("SubnetIds"):
            raise va.error("missing field 'SubnetIds'", field="SubnetIds")
        vpc_subnets[va.ident] = [x.subnet(va, s, "SubnetIds") for s in va.strings("SubnetIds")]
    tables: dict[str, list[Row]] = defaultdict(list)
    for t in x.rows("tgw_route_tables", "TransitGatewayRouteTables", "TransitGatewayRouteTableId"):
        tables[t.text("TransitGatewayId")].append(t)
    atts: dict[str, list[Row]] = defaultdict(list)
    for a in x.rows("tgw_attachments", "TransitGatewayAttachments", "TransitGatewayAttachmentId"):
        atts[a.text("TransitGatewayId")].append(a)
    for t in tgw_rows:
        _one(x, t, tables[t.ident], atts[t.ident], vpc_subnets, out)
    return out


def _one(x: AwsExports, t: Row, tables: list[Row], atts: list[Row], vpc_subnets: dict[str, list[str]],
         out: Transit) -> None:
    tid = t.ident
    not_followed: dict[str, str] = {}  # attachment id -> why its routes are blackholes
    live: dict[str, Row] = {}
    for a in atts:
        state = a.opt_text("State", "available")
        kind = a.text("ResourceType")
        if state != "available":
            x.note_row(a, f"{a.ident}: skipped, state {state}")
            not_followed[a.ident] = f"state {state}"
        elif kind == "peering" and a.opt_text("ResourceId") not in x.tgw_ids:
            x.note_row(a, f"{a.ident}: peering attachment to {a.opt_text('ResourceId', '?')} is not followed: "
                          f"that transit gateway is not in {AWS_FILES['tgws']} (export its region and account "
                          "into the same directory); routes to it are imported as blackholes")
            not_followed[a.ident] = f"peering to {a.opt_text('ResourceId', '?')} (not exported), not followed"
        elif kind not in _MODELLED:
            x.note_row(a, f"{a.ident}: {kind} attachment to {a.opt_text('ResourceId', '?')} is not followed "
                          "(TGW Connect is not modelled); routes to it are imported as blackholes")
            not_followed[a.ident] = f"{kind} attachment, not followed"
        else:
            live[a.ident] = a
    routes_of: dict[str, list[TgwRoute]] = {}
    prefixes_to: dict[str, set[IPv4Network]] = defaultdict(set)
    for tr in tables:
        routes_of[tr.ident] = _routes(x, tr, live, not_followed, prefixes_to)
    attachments: list[TgwAttachment] = []
    hybrid: list[HybridAttachment] = []
    vpcs_here: list[str] = []
    for aid, a in live.items():
        assoc = a.sub("Association").opt_text("TransitGatewayRouteTableId")
        if assoc and a.sub("Association").opt_text("State", "associated") != "associated":
            assoc = None
        if not assoc:
            x.note_row(a, f"{aid}: not associated with a route table; it receives traffic, but what enters "
                          f"{tid} from it is dropped")
        elif assoc not in routes_of:
            raise a.error(f"associated route table {assoc} is not in {AWS_FILES['tgw_route_tables']}")
        kind = a.text("ResourceType")
        rid = a.text("ResourceId")
        table = estate_name(assoc) if assoc else None
        if kind == "vpc":
            if rid not in x.vpcs:
                raise a.error(f"attached VPC {rid} is not in {AWS_FILES['vpcs']}", field="ResourceId")
            if aid not in vpc_subnets:
                raise a.error(f"subnets unknown: {AWS_FILES['tgw_vpc_attachments']} lacks it",
                              "run aws ec2 describe-transit-gateway-vpc-attachments")
            vpcs_here.append(rid)
            att = TgwAttachment(name=estate_name(aid), kind="vpc", target=estate_name(rid),
                                subnets=tuple(estate_name(s) for s in vpc_subnets[aid]), route_table=table)
        elif kind == "peering":
            pair = frozenset((tid, rid))
            link = out.peerings.get(pair)
            if link is None:
                a_tgw, b_tgw = sorted(pair)
                link = x.reg_row(TgwPeering(kind="tgw_peering", name=estate_name(aid), a=estate_name(a_tgw),
                                            b=estate_name(b_tgw)), a)
                out.peerings[pair] = link
                out.links.append(link)
            att = TgwAttachment(name=estate_name(aid), kind="peering", target=link.name, route_table=table)
        else:
            site = x.reg_row(Site(name=estate_name(f"onprem-{rid}"), kind="datacenter",
                                  cidrs=tuple(sorted(prefixes_to.get(aid, set())))), a, rid)
            out.sites.append(site)
            if kind == "vpn":
                h = HybridAttachment("vpn", estate_name(rid), site, a, rid)
                att = TgwAttachment(name=estate_name(aid), kind="vpn", target=h.link, route_table=table)
            else:
                h = HybridAttachment("dx", estate_name(f"dxgw-{rid}"), site, a, rid)
                att = TgwAttachment(name=estate_name(aid), kind="direct_connect", target=h.link, route_table=table)
            hybrid.append(h)
        attachments.append(x.reg_row(att, a, aid))
    rts = []
    for tr in sorted(tables, key=lambda r: r.ident):
        rts.append(x.reg_row(TgwRouteTable(name=estate_name(tr.ident), routes=tuple(routes_of[tr.ident])), tr))
    if not rts:
        raise t.error(f"no route tables in {AWS_FILES['tgw_route_tables']}")
    arn = t.opt_text("TransitGatewayArn", "arn:aws:ec2:unknown:") or ""
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 and parts[3] else "unknown"
    asn = t.sub("Options").integer("AmazonSideAsn", 1, 4_294_967_295, default=64512, what="an ASN")
    out.gateways.append(x.reg_row(TransitGateway(
        kind="transit_gateway", name=estate_name(tid), account=account_name(t.opt_text('OwnerId')),
        region=region, asn=asn, route_tables=tuple(rts), attachments=tuple(attachments)), t))
    vpc_prefixes = sorted({c for v in vpcs_here for c in vpc_cidrs(x.vpcs[v])})
    for h in hybrid:
        out.links.append(x.reg_row(_link(x, h, tid, vpcs_here, asn, vpc_prefixes, account_name(t.opt_text("OwnerId"))),
                                   h.row, h.resource))


def _link(x: AwsExports, h: HybridAttachment, tid: str, vpcs_here: list[str], asn: int,
          vpc_prefixes: list[IPv4Network], account: str) -> Vpn | DirectConnect:
    if h.kind == "vpn":
        return Vpn(kind="vpn", name=h.link, type="classic",
                   network=estate_name(vpcs_here[0]) if vpcs_here else "unknown", remote=h.site.name,
                   transit_gateway=estate_name(tid), remote_asn=65000,
                   tunnels=(VpnTunnel(name=f"{h.link}-t0"[:63], peer_address="exported"),
                            VpnTunnel(name=f"{h.link}-t1"[:63], interface=1, peer_address="exported")))
    assoc = x.dx_associations.get((h.resource, tid))
    if assoc is not None:
        allowed = assoc.allowed
    else:
        allowed = tuple(vpc_prefixes)
        x.note_row(h.row, f"{h.resource}: no association with {tid} in {AWS_FILES['dx_associations']}; its allowed "
                          "prefixes are taken as the CIDRs of the VPCs attached to the transit gateway")
    return dx_link(h.link, h.site.name, asn, allowed, h.site.cidrs, account=account)


def _routes(x: AwsExports, tr: Row, live: dict[str, Row], not_followed: dict[str, str],
            prefixes_to: dict[str, set[IPv4Network]]) -> list[TgwRoute]:
    rtb = tr.ident
    path = x.dir / TGW_ROUTES_DIR / f"{rtb}.json"
    if not path.is_file():
        raise tr.error(f"its routes are not exported ({path} is missing)",
                       f"run `aws ec2 search-transit-gateway-routes --transit-gateway-route-table-id {rtb} "
                       f"--filters Name=state,Values=active,blackhole --output json > {path}`")
    rf = ExportFile.read(path)
    routes: list[TgwRoute] = []
    for rp, item in rf.items("Routes"):
        r = rf.row(rp, item, f"{rtb}: Routes[{rp[-1]}]")
        if not r.has("DestinationCidrBlock"):
            x.note_row(r, f"{rtb}: route to {r.item.get('PrefixListId', 'an IPv6 or prefix-list destination')} "
                          "not imported (IPv6 and prefix lists are not modelled)")
            continue
        dest = cidr(r, "DestinationCidrBlock")
        if r.opt_text("State") == "blackhole":
            routes.append(x.reg_row(TgwRoute(destination=dest, blackhole=True), r, f"{rtb}/{dest}"))
            continue
        for ta in r.subs("TransitGatewayAttachments"):
            aid = ta.text("TransitGatewayAttachmentId")
            if aid in not_followed:
                x.note_row(r, f"{rtb}: route {dest} -> {aid} ({not_followed[aid]}) imported as a blackhole")
                routes.append(x.reg_row(TgwRoute(destination=dest, blackhole=True), r, f"{rtb}/{dest}"))
                continue
            if aid not in live:
                raise r.error(f"route {dest} -> {aid}: attachment not in {AWS_FILES['tgw_attachments']}")
            routes.append(x.reg_row(TgwRoute(destination=dest, attachment=estate_name(aid)), r, f"{rtb}/{dest}"))
            prefixes_to[aid].add(dest)
    return routes
