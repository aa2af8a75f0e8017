"""AWS route tables and one route resource per destination."""

from __future__ import annotations

from tradeplane.estate.model import RouteTarget, TgwAttachment
from tradeplane.terraform.aws._common import provider, ref, tgws, vpcs
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.names import cidr_ident, ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("route_tables", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Route tables with routes to the IGW, NAT gateways, transit gateways, peerings and endpoints."""
    mod = ctx.module("aws", Stage.NETWORKING)
    for v in vpcs(ctx):
        p = provider(mod, v)
        attachments: dict[str, TgwAttachment] = {
            t.name: a for t in tgws(ctx) for a in t.attachments if a.kind == "vpc" and a.target == v.name}
        for rt in sorted(v.route_tables, key=lambda t: t.name):
            mod.resource("route_tables", "aws_route_table", ident(v.name, rt.name), provider=p,
                         vpc_id=ref("aws_vpc", v.name),
                         tags=ctx.aws_tags(f"{v.name}-{rt.name}", v.desk, env=ctx.account_env(v.account)))
            for r in sorted(rt.routes, key=lambda r: (r.destination.network_address, r.destination.prefixlen)):
                if r.target is RouteTarget.LOCAL:
                    continue  # the VPC's own prefixes are routed locally by AWS
                route = mod.resource("route_tables", "aws_route", ident(v.name, rt.name, cidr_ident(r.destination)),
                                     provider=p, route_table_id=ref("aws_route_table", v.name, rt.name),
                                     destination_cidr_block=str(r.destination))
                via = r.via or ""
                if r.target is RouteTarget.IGW:
                    route.set(gateway_id=ref("aws_internet_gateway", v.name))
                elif r.target is RouteTarget.NAT:
                    route.set(nat_gateway_id=ref("aws_nat_gateway", v.name, via))
                elif r.target is RouteTarget.TGW:
                    route.set(transit_gateway_id=ref("aws_ec2_transit_gateway", via))
                    att = attachments.get(via)
                    if att is None:
                        ctx.unsupported(r, "via", f"route to transit gateway '{via}' but {v.name} has no attachment "
                                        "to it", f"add a vpc attachment of {v.name} to {via}")
                    route.set(depends_on=[Expr(f"aws_ec2_transit_gateway_vpc_attachment.{ident(via, att.name)}")])
                elif r.target is RouteTarget.PEERING:
                    route.set(vpc_peering_connection_id=ref("aws_vpc_peering_connection", via))
                elif r.target is RouteTarget.VGW:
                    route.set(gateway_id=ref("aws_vpn_gateway", v.name))
                elif r.target is RouteTarget.ENDPOINT:
                    route.set(vpc_endpoint_id=ref("aws_vpc_endpoint", via))
                elif r.target is RouteTarget.GATEWAY_ENDPOINT:
                    ctx.unsupported(r, "target", "gateway endpoint routes come from imported exports; AWS adds "
                                    "them when a gateway endpoint is associated with the route table",
                                    "declare the endpoint's route tables instead of its prefix-list routes")
                else:
                    ctx.unsupported(r, "target", "AWS VPC route tables cannot blackhole a prefix",
                                    "blackhole it in the transit gateway route table or deny it in a NACL")
