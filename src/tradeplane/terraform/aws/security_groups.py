"""AWS security groups, one rule resource per (rule, peer, port range), each with its description."""

from __future__ import annotations

from tradeplane.estate.model import AwsVpc, PortRange, Protocol, SgPeer, SgRule
from tradeplane.terraform.aws._common import PROTOCOL_NAMES, provider, ref, vpcs
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Table, Value
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import digest, ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

_ALL_PORTS: tuple[PortRange | None, ...] = (None,)


@family("security_groups", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Security groups with separate ingress/egress rule resources (no inline rules)."""
    mod = ctx.module("aws", Stage.NETWORKING)
    ids: dict[str, Value] = {}
    for v in vpcs(ctx):
        p = provider(mod, v)
        for g in sorted(v.security_groups, key=lambda g: g.name):
            sg = mod.resource("security_groups", "aws_security_group", ident(v.name, g.name), provider=p,
                              name=g.name, description=g.description, vpc_id=ref("aws_vpc", v.name),
                              revoke_rules_on_delete=True,
                              tags=ctx.aws_tags(f"{v.name}-{g.name}", v.desk, env=ctx.account_env(v.account)))
            users = sorted(w.name for w in ctx.workloads_in(v.name) if g.name in w.security_groups)
            if users:
                sg.skip("CKV2_AWS_5", f"attached to {', '.join(users)} in aws/30-compute (its input "
                        "security_group_ids); checkov does not follow values across root modules")
            for direction, rules in (("ingress", g.ingress), ("egress", g.egress)):
                for rule in rules:
                    _rules(mod, v, g.name, direction, rule)
            ids[f"{v.name}/{g.name}"] = ref("aws_security_group", v.name, g.name)
    if ids:
        mod.output("security_group_ids", Table(ids), "security group ids by 'network/group'",
                   pattern="^sg-[0-9a-f]+$")


def _rules(mod: RootModule, v: AwsVpc, group: str, direction: str, rule: SgRule) -> None:
    p = provider(mod, v)
    ports: tuple[PortRange | None, ...] = _ALL_PORTS
    if rule.ports and rule.protocol in (Protocol.TCP, Protocol.UDP):
        ordered: list[PortRange] = sorted(rule.ports, key=lambda r: (r.start, r.end))
        ports = tuple(ordered)
    for peer in rule.peers:
        for pr in ports:
            proto = rule.protocol.value if rule.protocol_number is None else str(rule.protocol_number)
            key = digest(direction, proto, pr, _peer_key(peer), rule.description)
            type_ = f"aws_vpc_security_group_{direction}_rule"
            name = ident(v.name, group, f"{direction}_{key}")
            if mod.has(f"{type_}.{name}"):
                continue  # an exact duplicate of a rule already rendered
            r = mod.resource("security_groups", type_, name, provider=p,
                             security_group_id=ref("aws_security_group", v.name, group),
                             description=rule.description, ip_protocol=_ip_protocol(rule))
            if rule.protocol_number is not None:
                pass  # one IP protocol (GRE, ESP ...): it has no ports
            elif rule.protocol is Protocol.ICMP:
                r.set(from_port=-1, to_port=-1)  # every ICMP type and code
            elif pr is not None:
                r.set(from_port=pr.start, to_port=pr.end)
            elif rule.protocol is not Protocol.ALL:
                r.set(from_port=0, to_port=65535)
            if peer.cidr is not None:
                r.set(cidr_ipv4=str(peer.cidr))
            else:
                r.set(referenced_security_group_id=ref("aws_security_group", v.name, peer.security_group or ""))


def _ip_protocol(rule: SgRule) -> str:
    """The rule's ``ip_protocol``: a name, or the protocol number the estate gives (``"47"`` for
    GRE); the provider takes any number 0-255 as a string (AWS EC2 IpProtocol)."""
    return PROTOCOL_NAMES[rule.protocol] if rule.protocol_number is None else str(rule.protocol_number)


def _peer_key(peer: SgPeer) -> str:
    return str(peer.cidr) if peer.cidr is not None else f"sg:{peer.security_group}"
