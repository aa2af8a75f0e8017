"""AWS Transit Gateway peering attachments between regions or accounts, with the accepter."""

from __future__ import annotations

from tradeplane.estate.model import TgwPeering
from tradeplane.terraform.aws._common import ref, tgw
from tradeplane.terraform.context import Context
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("tgw_peering", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Peering attachment requested by side a, accepted by side b."""
    mod = ctx.module("aws", Stage.NETWORKING)
    for link in sorted(ctx.estate.links_of(TgwPeering), key=lambda x: x.name):
        a, b = tgw(ctx, link.a), tgw(ctx, link.b)
        tags = ctx.aws_tags(link.name, "platform")
        mod.resource("tgw_peering", "aws_ec2_transit_gateway_peering_attachment", ident(link.name),
                     provider=mod.aws_provider(a.account, a.region), transit_gateway_id=ref("aws_ec2_transit_gateway", a.name),
                     peer_transit_gateway_id=ref("aws_ec2_transit_gateway", b.name), peer_region=b.region,
                     peer_account_id=ctx.account_id(mod, b.account), tags=tags)
        mod.resource("tgw_peering", "aws_ec2_transit_gateway_peering_attachment_accepter", ident(link.name),
                     provider=mod.aws_provider(b.account, b.region),
                     transit_gateway_attachment_id=ref("aws_ec2_transit_gateway_peering_attachment", link.name),
                     tags=tags)
