"""AWS VPCs: the VPC, extra CIDR blocks, the internet gateway and a locked-down default security group."""

from __future__ import annotations

from tradeplane.terraform.aws._common import provider, ref, vpcs
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Table
from tradeplane.terraform.names import cidr_ident, ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("vpc", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """VPCs with DNS, secondary CIDRs, internet gateways and an empty default security group."""
    mod = ctx.module("aws", Stage.NETWORKING)
    ids: dict[str, object] = {}
    for v in vpcs(ctx):
        p = provider(mod, v)
        name = ident(v.name)
        tags = ctx.aws_tags(v.name, v.desk, env=ctx.account_env(v.account))
        mod.resource("vpc", "aws_vpc", name, provider=p, cidr_block=str(v.cidrs[0]), enable_dns_support=True,
                     enable_dns_hostnames=True, tags=tags)
        for extra in sorted(v.cidrs[1:], key=str):
            mod.resource("vpc", "aws_vpc_ipv4_cidr_block_association", ident(v.name, cidr_ident(extra)),
                         provider=p, vpc_id=ref("aws_vpc", v.name), cidr_block=str(extra))
        # The default security group admits nothing: workloads use the groups the estate declares.
        mod.resource("vpc", "aws_default_security_group", name, provider=p, vpc_id=ref("aws_vpc", v.name),
                     tags={**tags, "Name": f"{v.name}-default-closed"})
        if v.internet_gateway:
            mod.resource("vpc", "aws_internet_gateway", name, provider=p, vpc_id=ref("aws_vpc", v.name),
                         tags={**tags, "Name": f"{v.name}-igw"})
        ids[v.name] = ref("aws_vpc", v.name)
    if ids:
        mod.output("vpc_ids", Table(ids), "VPC ids by estate network name",  # type: ignore[arg-type]
                   pattern="^vpc-[0-9a-f]+$")
