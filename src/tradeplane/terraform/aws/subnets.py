"""AWS subnets by zone id, with their route-table associations (never public IPs on launch)."""

from __future__ import annotations

from tradeplane.terraform.aws._common import provider, ref, vpcs
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Table, Value
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("subnets", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Subnets pinned by zone id and associated with their route tables."""
    mod = ctx.module("aws", Stage.NETWORKING)
    ids: dict[str, Value] = {}
    for v in vpcs(ctx):
        p = provider(mod, v)
        for s in sorted(v.subnets, key=lambda s: s.name):
            tags = {**ctx.aws_tags(f"{v.name}-{s.name}", v.desk, env=ctx.account_env(v.account)), "tier": s.tier}
            mod.resource("subnets", "aws_subnet", ident(v.name, s.name), provider=p,
                         vpc_id=ref("aws_vpc", v.name), cidr_block=str(s.cidr), availability_zone_id=s.zone,
                         map_public_ip_on_launch=False, tags=tags)
            mod.resource("subnets", "aws_route_table_association", ident(v.name, s.name), provider=p,
                         subnet_id=ref("aws_subnet", v.name, s.name),
                         route_table_id=ref("aws_route_table", v.name, s.route_table))
            ids[f"{v.name}/{s.name}"] = ref("aws_subnet", v.name, s.name)
    if ids:
        mod.output("subnet_ids", Table(ids), "subnet ids by 'network/subnet'", pattern="^subnet-[0-9a-f]+$")
