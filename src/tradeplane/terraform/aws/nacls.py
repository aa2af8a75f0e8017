"""AWS network ACLs: numbered rule resources and the subnets they guard."""

from __future__ import annotations

from tradeplane.estate.model import Protocol
from tradeplane.terraform.aws._common import PROTOCOL_NUMBERS, provider, ref, vpcs
from tradeplane.terraform.context import Context
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("nacls", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Network ACLs, their rules (ingress and egress) and subnet associations."""
    mod = ctx.module("aws", Stage.NETWORKING)
    for v in vpcs(ctx):
        p = provider(mod, v)
        for acl in sorted(v.nacls, key=lambda a: a.name):
            mod.resource("nacls", "aws_network_acl", ident(v.name, acl.name), provider=p,
                         vpc_id=ref("aws_vpc", v.name),
                         tags=ctx.aws_tags(f"{v.name}-{acl.name}", v.desk, env=ctx.account_env(v.account)))
            for egress, rules in ((False, acl.ingress), (True, acl.egress)):
                for rule in sorted(rules, key=lambda r: r.number):
                    direction = "egress" if egress else "ingress"
                    r = mod.resource("nacls", "aws_network_acl_rule", ident(v.name, acl.name, f"{direction}_{rule.number}"),
                                     provider=p, network_acl_id=ref("aws_network_acl", v.name, acl.name),
                                     rule_number=rule.number, egress=egress,
                                     protocol=PROTOCOL_NUMBERS[rule.protocol], rule_action=rule.action.value,
                                     cidr_block=str(rule.cidr))
                    if rule.protocol is Protocol.ICMP:
                        r.set(icmp_type=-1, icmp_code=-1)
                    elif rule.protocol is not Protocol.ALL:
                        ports = rule.ports
                        r.set(from_port=ports.start if ports else 0, to_port=ports.end if ports else 65535)
        for s in sorted(v.subnets, key=lambda s: s.name):
            if s.nacl:
                mod.resource("nacls", "aws_network_acl_association", ident(v.name, s.name), provider=p,
                             network_acl_id=ref("aws_network_acl", v.name, s.nacl),
                             subnet_id=ref("aws_subnet", v.name, s.name))
