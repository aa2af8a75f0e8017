"""AWS NAT gateways, each with its own Elastic IP (the egress address venues allow-list)."""

from __future__ import annotations

from tradeplane.terraform.aws._common import provider, ref, vpcs
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr, Table, Value
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("nat", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """NAT gateways and their Elastic IPs."""
    mod = ctx.module("aws", Stage.NETWORKING)
    arns: dict[str, Value] = {}
    for v in vpcs(ctx):
        p = provider(mod, v)
        for nat in sorted(v.nat_gateways, key=lambda n: n.name):
            name = ident(v.name, nat.name)
            tags = ctx.aws_tags(f"{v.name}-{nat.name}", v.desk, env=ctx.account_env(v.account))
            mod.resource("nat", "aws_eip", name, provider=p, domain="vpc", tags=tags)
            mod.resource("nat", "aws_nat_gateway", name, provider=p, allocation_id=ref("aws_eip", v.name, nat.name),
                         subnet_id=ref("aws_subnet", v.name, nat.subnet), tags=tags,
                         depends_on=[Expr(f"aws_internet_gateway.{ident(v.name)}")] if v.internet_gateway else None)
            arns[f"{v.name}/{nat.name}"] = Expr(
                f'"arn:aws:ec2:{v.region}:${{{ctx.account_id(mod, v.account)}}}:eip-allocation/'
                f'${{aws_eip.{name}.allocation_id}}"')
    if arns:
        mod.output("nat_eip_arns", Table(arns), "Elastic IP allocation ARNs of the NAT gateways, by 'network/nat'",
                   pattern="^arn:aws[a-z-]*:ec2:[a-z0-9-]+:[0-9]{12}:eip-allocation/eipalloc-[0-9a-f]+$")
        mod.output("nat_gateway_ids", Table({k: ref("aws_nat_gateway", *k.split("/")) for k in arns}),
                   "NAT gateway ids by 'network/nat'", pattern="^nat-[0-9a-f]+$")
