"""AWS PrivateLink interface endpoints to venues' endpoint services, with their own security group."""

from __future__ import annotations

from tradeplane.estate.model import AwsVpc, PrivateEndpoint
from tradeplane.terraform.aws._common import provider, ref
from tradeplane.terraform.context import Context
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "privatelink"


@family("privatelink", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Interface endpoints in the estate's subnets; only the VPC's own prefixes may use them."""
    mod = ctx.module("aws", Stage.NETWORKING)
    for pe, net in ctx.links_on(PrivateEndpoint, AwsVpc):
        p = provider(mod, net)
        tags = ctx.aws_tags(pe.name, net.desk)
        sg = ident(pe.name, "endpoint")
        mod.resource(F, "aws_security_group", sg, provider=p, name=f"{pe.name}-endpoint",
                     description=f"PrivateLink endpoint to {pe.venue}: the VPC's own prefixes only",
                     vpc_id=ref("aws_vpc", net.name), revoke_rules_on_delete=True, tags=tags)
        for cidr in sorted(net.cidrs, key=str):
            mod.resource(F, "aws_vpc_security_group_ingress_rule", ident(pe.name, "endpoint", str(cidr).replace(".", "_").replace("/", "_")),
                         provider=p, security_group_id=ref("aws_security_group", pe.name, "endpoint"),
                         description=f"{net.name} reaches {pe.venue} through the endpoint", ip_protocol="tcp",
                         from_port=0, to_port=65535, cidr_ipv4=str(cidr))
        mod.resource(F, "aws_vpc_endpoint", ident(pe.name), provider=p, vpc_id=ref("aws_vpc", net.name),
                     service_name=pe.service_name, vpc_endpoint_type="Interface", private_dns_enabled=False,
                     subnet_ids=[ref("aws_subnet", net.name, s) for s in sorted(pe.subnets)],
                     security_group_ids=[ref("aws_security_group", pe.name, "endpoint")], tags=tags)
