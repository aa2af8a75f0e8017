"""AWS side of a cross-cloud link: Direct Connect LAGs from GCP Cross-Cloud Interconnect into a transit gateway.

Cross-Cloud Interconnect for AWS requires LACP, so each leg's AWS port is a link aggregation group
(LAG) holding one connection, never a bare connection (Google Cloud, "Order AWS ports",
docs.cloud.google.com/network-connectivity/docs/interconnect/how-to/cci/aws/order-aws-ports: "You
must order LAGs, not connections ... Order one LAG for each Cross-Cloud Interconnect connection",
and a redundant pair is two LAGs of one connection each, not one LAG of two). The transit VIF sits
on the LAG (AWS Direct Connect guide, "Link aggregation groups": LAGs carry public, private and
transit VIFs).

The LAG's one connection is rendered as an ``aws_dx_connection`` and named by the LAG's
``connection_id``: CreateLag then takes that connection into the new LAG (Google's guide allows
building the LAG from an existing connection). Without ``connection_id`` the hashicorp/aws provider
creates the LAG with one connection and deletes it at once (``resourceLagCreate`` in
internal/service/directconnect/lag.go: "Delete unmanaged connection"), leaving an empty LAG with no
port to hand Google. ``force_destroy`` stays off: destroying the LAG disassociates the connection
(DisassociateConnectionFromLag) and the connection's own resource deletes it.
"""

from __future__ import annotations

from tradeplane.estate.model import CrossCloud
from tradeplane.terraform.aws._common import ref, tgw
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr, Table, Value
from tradeplane.terraform.links import MD5_KEYS_VAR, cross_cloud_legs, dx_gateway_asn
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "cross_cloud"


@family("cross_cloud", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """DX gateway, per leg a LAG holding one connection with the transit VIF on the LAG, the gateway
    associated with the transit gateway. Output ``cross_cloud_connection_ids`` ('link/leg' -> the
    leg's connection id), which the observability stage's connection-down alarms take."""
    mod = ctx.module("aws", Stage.NETWORKING)
    shared = cross_cloud_legs(ctx.estate)
    ids: dict[str, Value] = {}
    for link in sorted(ctx.estate.links_of(CrossCloud), key=lambda x: x.name):
        t = tgw(ctx, link.aws_transit_gateway)
        p = mod.aws_provider(t.account, t.region)
        tags = ctx.aws_tags(link.name, "platform")
        mod.resource(F, "aws_dx_gateway", ident(link.name), provider=p, name=link.name,
                     amazon_side_asn=str(dx_gateway_asn(t)))
        locations = mod.var("cross_cloud_locations", "map(string)",
                            "AWS Direct Connect location code of each cross-cloud link's metro",
                            validation=('alltrue([for k, v in var.cross_cloud_locations : can(regex("^[A-Za-z0-9-]+$", v))])',
                                        "every Direct Connect location is a location code such as EqDC2"))
        keys = mod.var(MD5_KEYS_VAR, "map(string)", "BGP MD5 key of each cross-cloud leg by 'link/leg' (the same "
                       "secret feeds the GCP networking stage)", sensitive=True)
        for leg in (x for x in shared if x.link == link.name):
            # No MACsec: the Google end of a Cross-Cloud Interconnect does not negotiate it with AWS.
            name = f"{link.name}-{leg.leg}"
            bandwidth = f"{link.bandwidth_gbps}Gbps"
            location = Expr(f'{locations}["{link.name}"]')
            mod.resource(F, "aws_dx_connection", ident(link.name, leg.leg), provider=p, name=name,
                         bandwidth=bandwidth, location=location, tags=tags)
            mod.resource(F, "aws_dx_lag", ident(link.name, leg.leg), provider=p, name=name,
                         connections_bandwidth=bandwidth, location=location,
                         connection_id=ref("aws_dx_connection", link.name, leg.leg), tags=tags).comments.extend(
                ("Cross-Cloud Interconnect for AWS requires LACP: one LAG per leg, holding one connection",
                 "(Google Cloud, Cross-Cloud Interconnect for AWS, \"Order AWS ports\")"))
            mod.resource(F, "aws_dx_transit_virtual_interface", ident(link.name, leg.leg), provider=p,
                         name=name, connection_id=ref("aws_dx_lag", link.name, leg.leg),
                         dx_gateway_id=ref("aws_dx_gateway", link.name), vlan=leg.vlan, address_family="ipv4",
                         bgp_asn=leg.gcp_asn, amazon_address=leg.cidr(leg.aws_address),
                         customer_address=leg.cidr(leg.gcp_address), bgp_auth_key=Expr(f'{keys}["{leg.key}"]'),
                         mtu=leg.mtu, tags=tags)
            ids[leg.key] = ref("aws_dx_connection", link.name, leg.leg)
        prefixes = sorted({str(s.cidr) for n in ctx.estate.aws_vpcs for s in n.subnets
                           if any(a.kind == "vpc" and a.target == n.name for a in t.attachments)})
        mod.resource(F, "aws_dx_gateway_association", ident(link.name), provider=p,
                     dx_gateway_id=ref("aws_dx_gateway", link.name),
                     associated_gateway_id=ref("aws_ec2_transit_gateway", t.name),
                     allowed_prefixes=_summarise(prefixes, ctx, t.name) or None)
    if ids:
        mod.output("cross_cloud_connection_ids", Table(ids),
                   "Direct Connect connection id of each cross-cloud leg by 'link/leg'", pattern="^dxcon-[0-9a-z]+$")


def _summarise(prefixes: list[str], ctx: Context, tgw_name: str) -> list[str]:
    """The attached VPCs' CIDR blocks (fewer, larger prefixes than their subnets)."""
    t = tgw(ctx, tgw_name)
    blocks = {str(c) for n in ctx.estate.aws_vpcs for c in n.cidrs
              if any(a.kind == "vpc" and a.target == n.name for a in t.attachments)}
    return sorted(blocks) if blocks else prefixes
