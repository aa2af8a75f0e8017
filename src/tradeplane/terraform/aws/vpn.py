"""AWS site-to-site VPN: customer gateways and VPN connections on a transit gateway or a VPN gateway."""

from __future__ import annotations

from tradeplane.estate.model import AwsVpc, Vpn
from tradeplane.terraform.aws._common import provider, ref, tgw
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr, Value
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "vpn"


def peer_address(mod: RootModule, address: str, what: str) -> Value:
    """A literal IP, or ``var.NAME`` declared as a string variable of the stage."""
    if address.startswith("var."):
        name = address[4:]
        return mod.var(name, "string", f"public IP of the remote VPN gateway for {what}",
                       validation=(f'can(cidrnetmask("${{var.{name}}}/32"))', "the VPN peer is an IPv4 address"))
    return address


@family("vpn", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """One customer gateway and one VPN connection (two AWS tunnels, IKEv2, BGP) per remote address."""
    mod = ctx.module("aws", Stage.NETWORKING)
    for link, net in ctx.links_on(Vpn, AwsVpc):
        p = provider(mod, net)
        tags = ctx.aws_tags(link.name, net.desk)
        if link.transit_gateway is None:
            mod.resource(F, "aws_vpn_gateway", ident(net.name), provider=p, vpc_id=ref("aws_vpc", net.name),
                         tags=tags)
        else:
            t = tgw(ctx, link.transit_gateway)
            p = mod.aws_provider(t.account, t.region)
        for tunnel in sorted(link.tunnels, key=lambda x: x.name):
            name = ident(link.name, tunnel.name)
            mod.resource(F, "aws_customer_gateway", name, provider=p, bgp_asn=str(link.remote_asn),
                         ip_address=peer_address(mod, tunnel.peer_address, f"{link.name}/{tunnel.name}"),
                         type="ipsec.1", tags={**tags, "Name": f"{link.name}-{tunnel.name}"})
            conn = mod.resource(F, "aws_vpn_connection", name, provider=p,
                                customer_gateway_id=Expr(f"aws_customer_gateway.{name}.id"), type="ipsec.1",
                                static_routes_only=False, tunnel1_ike_versions=["ikev2"],
                                tunnel2_ike_versions=["ikev2"], tags={**tags, "Name": f"{link.name}-{tunnel.name}"})
            if link.transit_gateway is None:
                conn.set(vpn_gateway_id=ref("aws_vpn_gateway", net.name))
            else:
                conn.set(transit_gateway_id=ref("aws_ec2_transit_gateway", link.transit_gateway))
