"""AWS Transit Gateways: route tables, RAM sharing, attachments, associations, propagations and routes."""

from __future__ import annotations

from tradeplane.estate.model import AwsVpc, TgwAttachment, TransitGateway, Vpn
from tradeplane.terraform.aws._common import provider, ref, tgws
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr, Table, Value
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import cidr_ident, ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "transit_gateway"


def attachment_id(ctx: Context, t: TransitGateway, a: TgwAttachment) -> Expr:
    """The attachment id whatever its kind (VPC, VPN, Direct Connect, peering, cross-cloud).

    A VPC of another account is read from the accepter, so associations wait for the acceptance.
    """
    name = ident(t.name, a.name)
    if a.kind == "vpc":
        vpc = ctx.networks[a.target]
        if isinstance(vpc, AwsVpc) and vpc.account != t.account:
            return Expr(f"aws_ec2_transit_gateway_vpc_attachment_accepter.{name}.transit_gateway_attachment_id")
        return Expr(f"aws_ec2_transit_gateway_vpc_attachment.{name}.id")
    if a.kind == "vpn":
        return vpn_attachment_ids(ctx, a)[0][1]
    if a.kind == "peering":
        return Expr(f"aws_ec2_transit_gateway_peering_attachment.{ident(a.target)}.id")
    return Expr(f"data.aws_ec2_transit_gateway_dx_gateway_attachment.{name}.id")


def vpn_attachment_ids(ctx: Context, a: TgwAttachment) -> list[tuple[str, Expr]]:
    """A VPN link is one AWS VPN connection (two AWS tunnels) per remote address: one attachment each."""
    vpn = next(v for v in ctx.estate.links_of(Vpn) if v.name == a.target)
    return [(t.name, Expr(f"aws_vpn_connection.{ident(vpn.name, t.name)}.transit_gateway_attachment_id"))
            for t in sorted(vpn.tunnels, key=lambda t: t.name)]


def attachment_ids(ctx: Context, t: TransitGateway, a: TgwAttachment) -> list[tuple[str, Expr]]:
    """(name suffix, id) of every attachment an estate attachment stands for."""
    if a.kind == "vpn":
        return vpn_attachment_ids(ctx, a)
    return [("", attachment_id(ctx, t, a))]


@family("transit_gateway", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Transit gateways with explicit route tables (no default association or propagation)."""
    mod = ctx.module("aws", Stage.NETWORKING)
    ids: dict[str, Value] = {}
    for t in tgws(ctx):
        p = mod.aws_provider(t.account, t.region)
        tags = ctx.aws_tags(t.name, "platform", env=ctx.account_env(t.account))
        mod.resource(F, "aws_ec2_transit_gateway", ident(t.name), provider=p, description=f"{t.name} hub",
                     amazon_side_asn=t.asn, auto_accept_shared_attachments="disable",
                     default_route_table_association="disable", default_route_table_propagation="disable",
                     dns_support="enable", vpn_ecmp_support="enable", tags=tags)
        ids[t.name] = ref("aws_ec2_transit_gateway", t.name)
        for rt in sorted(t.route_tables, key=lambda r: r.name):
            mod.resource(F, "aws_ec2_transit_gateway_route_table", ident(t.name, rt.name), provider=p,
                         transit_gateway_id=ref("aws_ec2_transit_gateway", t.name),
                         tags={**tags, "Name": f"{t.name}-{rt.name}"})
        _share(ctx, mod, t, p)
        atts = {a.name: a for a in t.attachments}
        for a in sorted(t.attachments, key=lambda a: a.name):
            _attachment(ctx, mod, t, a, p)
            for suffix, att in attachment_ids(ctx, t, a):
                if a.route_table is not None:
                    mod.resource(F, "aws_ec2_transit_gateway_route_table_association",
                                 ident(t.name, a.name, suffix), provider=p, transit_gateway_attachment_id=att,
                                 transit_gateway_route_table_id=ref("aws_ec2_transit_gateway_route_table", t.name,
                                                                    a.route_table))
                for table in sorted(set(a.propagate_to)):
                    mod.resource(F, "aws_ec2_transit_gateway_route_table_propagation",
                                 ident(t.name, a.name, suffix, table), provider=p, transit_gateway_attachment_id=att,
                                 transit_gateway_route_table_id=ref("aws_ec2_transit_gateway_route_table", t.name,
                                                                    table))
        for rt in t.route_tables:
            for r in rt.routes:
                route = mod.resource(F, "aws_ec2_transit_gateway_route", ident(t.name, rt.name, cidr_ident(r.destination)),
                                     provider=p, destination_cidr_block=str(r.destination),
                                     transit_gateway_route_table_id=ref("aws_ec2_transit_gateway_route_table",
                                                                        t.name, rt.name))
                if r.blackhole:
                    route.set(blackhole=True)
                else:
                    route.set(transit_gateway_attachment_id=attachment_id(ctx, t, atts[r.attachment or ""]))
    if ids:
        mod.output("transit_gateway_ids", Table(ids), "transit gateway ids by estate name", pattern="^tgw-[0-9a-f]+$")


def _spoke_accounts(ctx: Context, t: TransitGateway) -> list[str]:
    accounts = set()
    for a in t.attachments:
        net = ctx.networks.get(a.target)
        if a.kind == "vpc" and isinstance(net, AwsVpc) and net.account != t.account:
            accounts.add(net.account)
    return sorted(accounts)


def _share(ctx: Context, mod: RootModule, t: TransitGateway, p: Expr) -> None:
    spokes = _spoke_accounts(ctx, t)
    if not spokes:
        return
    mod.resource(F, "aws_ram_resource_share", ident(t.name), provider=p, name=f"{t.name}-share",
                 allow_external_principals=False, tags=ctx.aws_tags(t.name, "platform"))
    mod.resource(F, "aws_ram_resource_association", ident(t.name), provider=p,
                 resource_arn=ref("aws_ec2_transit_gateway", t.name, attr="arn"),
                 resource_share_arn=ref("aws_ram_resource_share", t.name, attr="arn"))
    for account in spokes:
        mod.resource(F, "aws_ram_principal_association", ident(t.name, account), provider=p,
                     principal=ctx.account_id(mod, account),
                     resource_share_arn=ref("aws_ram_resource_share", t.name, attr="arn"))


def _attachment(ctx: Context, mod: RootModule, t: TransitGateway, a: TgwAttachment, p: Expr) -> None:
    name = ident(t.name, a.name)
    if a.kind == "vpc":
        vpc = ctx.networks[a.target]
        assert isinstance(vpc, AwsVpc)
        if vpc.region != t.region:
            ctx.unsupported(a, "target", f"VPC {vpc.name} is in {vpc.region} but transit gateway {t.name} is in "
                            f"{t.region}; a VPC attaches only to a transit gateway of its region",
                            "attach it to a transit gateway in its region and peer the two")
        vp = provider(mod, vpc)
        cross = vpc.account != t.account
        mod.resource(F, "aws_ec2_transit_gateway_vpc_attachment", name, provider=vp,
                     transit_gateway_id=ref("aws_ec2_transit_gateway", t.name), vpc_id=ref("aws_vpc", vpc.name),
                     subnet_ids=[ref("aws_subnet", vpc.name, s) for s in sorted(a.subnets)],
                     dns_support="enable", appliance_mode_support="disable",
                     transit_gateway_default_route_table_association=False if not cross else None,
                     transit_gateway_default_route_table_propagation=False if not cross else None,
                     tags=ctx.aws_tags(f"{t.name}-{a.name}", vpc.desk),
                     depends_on=[Expr(f"aws_ram_principal_association.{ident(t.name, vpc.account)}")] if cross else None)
        if cross:
            mod.resource(F, "aws_ec2_transit_gateway_vpc_attachment_accepter", name, provider=p,
                         transit_gateway_attachment_id=Expr(f"aws_ec2_transit_gateway_vpc_attachment.{name}.id"),
                         transit_gateway_default_route_table_association=False,
                         transit_gateway_default_route_table_propagation=False,
                         tags=ctx.aws_tags(f"{t.name}-{a.name}", vpc.desk))
    elif a.kind in ("direct_connect", "cross_cloud"):
        mod.data(F, "aws_ec2_transit_gateway_dx_gateway_attachment", name, provider=p,
                 transit_gateway_id=ref("aws_ec2_transit_gateway", t.name),
                 dx_gateway_id=ref("aws_dx_gateway", a.target),
                 depends_on=[Expr(f"aws_dx_gateway_association.{ident(a.target)}")])
