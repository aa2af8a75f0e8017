"""AWS network ACLs: numbered rule resources and the subnets they guard."""

from __future__ import annotations

from tradeplane.estate.model import Action, NaclRule, Protocol
from tradeplane.terraform.aws._common import PROTOCOL_NUMBERS, provider, ref, vpcs
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Block
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("nacls", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Network ACLs on their subnets, and their numbered rules (ingress and egress)."""
    mod = ctx.module("aws", Stage.NETWORKING)
    for v in vpcs(ctx):
        p = provider(mod, v)
        for acl in sorted(v.nacls, key=lambda a: a.name):
            guarded = sorted(s.name for s in v.subnets if s.nacl == acl.name)
            mod.resource("nacls", "aws_network_acl", ident(v.name, acl.name), provider=p,
                         vpc_id=ref("aws_vpc", v.name), subnet_ids=[ref("aws_subnet", v.name, s) for s in guarded],
                         tags=ctx.aws_tags(f"{v.name}-{acl.name}", v.desk, env=ctx.account_env(v.account)))
            for egress, rules in ((False, acl.ingress), (True, acl.egress)):
                for rule in sorted(rules, key=lambda r: r.number):
                    direction = "egress" if egress else "ingress"
                    r = mod.resource("nacls", "aws_network_acl_rule", ident(v.name, acl.name, f"{direction}_{rule.number}"),
                                     provider=p, network_acl_id=ref("aws_network_acl", v.name, acl.name),
                                     rule_number=rule.number, egress=egress,
                                     protocol=PROTOCOL_NUMBERS[rule.protocol] if rule.protocol_number is None
                                     else str(rule.protocol_number), rule_action=rule.action.value,
                                     cidr_block=str(rule.cidr))
                    if not egress:
                        _justify(r, rule)
                    if rule.protocol_number is not None:
                        pass  # one IP protocol (GRE, ESP ...), no ports; never "-1", which is every protocol
                    elif rule.protocol is Protocol.ICMP:
                        r.set(icmp_type=-1, icmp_code=-1)
                    elif rule.protocol is not Protocol.ALL:
                        ports = rule.ports
                        r.set(from_port=ports.start if ports else 0, to_port=ports.end if ports else 65535)


def _justify(block: Block, rule: NaclRule) -> None:
    """Skips for the two shapes a stateless ACL needs, written only when the rule has that shape."""
    wide = rule.ports is None or (rule.ports.start, rule.ports.end) == (0, 65535)
    if rule.action is Action.DENY:
        if wide:
            block.skip("CKV_AWS_352", "a deny rule: matching every port is what it is for")
        return
    if wide and rule.cidr.is_private:
        block.skip("CKV_AWS_352", f"all ports from the private range {rule.cidr}; security groups filter ports")
    ephemeral = rule.ports is not None and (rule.ports.start, rule.ports.end) == (1024, 65535)
    if ephemeral and rule.protocol in (Protocol.TCP, Protocol.UDP):
        reason = "stateless ACL: replies to outbound sessions return on ephemeral ports 1024-65535"
        block.skip("CKV_AWS_231", reason)
        block.skip("CKV_AWS_352", reason)
