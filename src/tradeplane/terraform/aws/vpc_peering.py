"""AWS VPC peering between two VPCs, across accounts and regions, with the accepter side."""

from __future__ import annotations

from tradeplane.estate.model import AwsVpc, VpcPeering
from tradeplane.terraform.aws._common import provider, ref
from tradeplane.terraform.context import Context
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("vpc_peering", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Peering connections (requester) and their accepters; no DNS or transit through them."""
    mod = ctx.module("aws", Stage.NETWORKING)
    for link in sorted(ctx.estate.links_of(VpcPeering), key=lambda x: x.name):
        a, b = ctx.networks[link.a], ctx.networks[link.b]
        if not (isinstance(a, AwsVpc) and isinstance(b, AwsVpc)):
            continue  # GCP network peering is the gcp family's
        same = a.account == b.account and a.region == b.region
        tags = ctx.aws_tags(link.name, a.desk)
        mod.resource("vpc_peering", "aws_vpc_peering_connection", ident(link.name), provider=provider(mod, a),
                     vpc_id=ref("aws_vpc", a.name), peer_vpc_id=ref("aws_vpc", b.name),
                     peer_owner_id=ctx.account_id(mod, b.account) if a.account != b.account else None,
                     peer_region=b.region if a.region != b.region else None,
                     auto_accept=True if same else None, tags=tags)
        if not same:
            mod.resource("vpc_peering", "aws_vpc_peering_connection_accepter", ident(link.name),
                         provider=provider(mod, b), vpc_peering_connection_id=ref("aws_vpc_peering_connection",
                                                                                  link.name),
                         auto_accept=True, tags=tags)
