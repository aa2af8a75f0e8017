"""AWS Direct Connect: gateways, dedicated connections, virtual interfaces and the gateway association."""

from __future__ import annotations

from tradeplane.estate.model import DirectConnect, TransitGateway
from tradeplane.terraform.aws._common import ref, tgws
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr, Table, Value
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "direct_connect"


def transit_gateway_of(ctx: Context, link: str, kind: str) -> TransitGateway | None:
    for t in tgws(ctx):
        if any(a.kind == kind and a.target == link for a in t.attachments):
            return t
    return None


@family("direct_connect", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """DX gateway per link, connections on distinct devices, transit/private VIFs, TGW association."""
    mod = ctx.module("aws", Stage.NETWORKING)
    ids: dict[str, Value] = {}
    for dx in sorted(ctx.estate.links_of(DirectConnect), key=lambda x: x.name):
        t = transit_gateway_of(ctx, dx.name, "direct_connect")
        # A DX gateway is global; it is managed from its transit gateway's region (us-east-1 otherwise).
        p = mod.aws_provider(dx.account, t.region if t else "us-east-1")
        tags = ctx.aws_tags(dx.name, ctx.estate.site(dx.site).desk or "platform")
        mod.resource(F, "aws_dx_gateway", ident(dx.name), provider=p, name=dx.name, amazon_side_asn=str(dx.gateway_asn))
        locations = mod.var("direct_connect_locations", "map(string)",
                            "AWS Direct Connect location code per estate site (e.g. EqC2 for Equinix CH1)")
        for c in sorted(dx.connections, key=lambda c: c.name):
            macsec = c.bandwidth_gbps >= 10
            conn = mod.resource(F, "aws_dx_connection", ident(dx.name, c.name), provider=p, name=c.name,
                                bandwidth=f"{c.bandwidth_gbps}Gbps", location=Expr(f'{locations}["{c.location}"]'),
                                request_macsec=macsec, tags={**tags, "device": c.device})
            if macsec:
                # MACsec is half-configured without a CKN/CAK: associate the secret that holds them
                # (a reference; the key never enters Terraform) and refuse unencrypted traffic.
                conn.set(encryption_mode="must_encrypt")
                secrets = mod.var("dx_macsec_secret_arns", "map(string)",
                                  "Secrets Manager ARN of each MACsec CKN/CAK pair by 'link/connection'")
                mod.resource(F, "aws_dx_macsec_key_association", ident(dx.name, c.name), provider=p,
                             connection_id=ref("aws_dx_connection", dx.name, c.name),
                             secret_arn=Expr(f'{secrets}["{dx.name}/{c.name}"]'))
            ids[f"{dx.name}/{c.name}"] = ref("aws_dx_connection", dx.name, c.name)
        for vif in sorted(dx.virtual_interfaces, key=lambda v: v.name):
            type_ = "aws_dx_transit_virtual_interface" if vif.kind == "transit" else "aws_dx_private_virtual_interface"
            mod.resource(F, type_, ident(dx.name, vif.name), provider=p, name=vif.name,
                         connection_id=ref("aws_dx_connection", dx.name, vif.connection),
                         dx_gateway_id=ref("aws_dx_gateway", dx.name), vlan=vif.vlan, address_family="ipv4",
                         bgp_asn=vif.customer_asn, mtu=8500 if vif.kind == "transit" else 9001, tags=tags)
        if t is not None:
            mod.resource(F, "aws_dx_gateway_association", ident(dx.name), provider=p,
                         dx_gateway_id=ref("aws_dx_gateway", dx.name),
                         associated_gateway_id=ref("aws_ec2_transit_gateway", t.name),
                         allowed_prefixes=sorted(str(c) for c in dx.allowed_prefixes) or None)
    if ids:
        mod.output("dx_connection_ids", Table(ids), "Direct Connect connection ids by 'link/connection'",
                   pattern="^dxcon-[0-9a-z]+$")
