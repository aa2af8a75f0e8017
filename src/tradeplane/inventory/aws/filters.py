"""Security groups and network ACLs.

Every rule is imported or named in the notes. Rule fields are checked against the EC2 API
reference: ports 0-65535 with FromPort <= ToPort for TCP and UDP, ICMP type/code -1..255,
protocols by name, -1 or number (any IP protocol number is modelled), NACL rule numbers 1-32767.
A security-group peer whose addresses the export does not give (a prefix list, a group of another
VPC) is kept as an *unresolved* peer: verification answers "unknown" where only it decides.
IPv6 ranges and ICMPv6 rules are noted (the model is IPv4).
"""

from __future__ import annotations

from collections import defaultdict

from tradeplane.estate.model import Nacl, NaclRule, PortRange, SecurityGroup, SgPeer, SgRule
from tradeplane.inventory.aws.common import AWS_FILES, AwsExports, cidr, port_range, protocol
from tradeplane.inventory.exports import Row
from tradeplane.inventory.naming import estate_name, security_group_name

__all__ = ["read_nacls", "read_security_groups"]


def read_security_groups(x: AwsExports) -> dict[str, list[Row]]:
    by_vpc: dict[str, list[Row]] = defaultdict(list)
    for g in x.rows("security_groups", "SecurityGroups", "GroupId"):
        vid = x.vpc_of(g)
        by_vpc[vid].append(g)
        x.sg_vpc[g.ident] = vid
    return by_vpc


def security_group(x: AwsExports, g: Row, vid: str) -> SecurityGroup:
    rules: dict[str, list[SgRule]] = {"IpPermissions": [], "IpPermissionsEgress": []}
    for key, out in rules.items():
        for perm in g.subs(key):
            pr = perm.where(f"{key}[{perm.path[-1]}]")
            rule = _sg_rule(x, pr, vid)
            if rule is not None:
                out.append(x.reg_row(rule, perm, f"{g.ident}/{key}[{perm.path[-1]}]"))
    what = g.opt_text("Description") or g.opt_text("GroupName")
    return x.reg_row(SecurityGroup(name=security_group_name(g.ident),
                                   description=f"{g.ident}: {what}" if what else g.ident,
                                   ingress=tuple(rules["IpPermissions"]),
                                   egress=tuple(rules["IpPermissionsEgress"])), g)


def _sg_rule(x: AwsExports, pr: Row, vid: str) -> SgRule | None:
    proto = protocol(pr, "IpProtocol")
    if proto is None:
        x.note_row(pr, f"{pr.ident}: ICMPv6 rule not imported (IPv6 is not modelled)")
        return None
    ports: tuple[PortRange, ...] = ()
    if proto.name in ("tcp", "udp") and proto.number is None:
        pr_range = port_range(pr, "FromPort", "ToPort")
        ports = () if (pr_range.start, pr_range.end) == (0, 65535) else (pr_range,)
    elif proto.name == "icmp":
        pr.integer("FromPort", -1, 255, default=-1, what="an ICMP type")
        pr.integer("ToPort", -1, 255, default=-1, what="an ICMP code")
    peers: list[SgPeer] = []
    desc = ""
    for r in pr.subs("IpRanges"):
        peers.append(SgPeer(cidr=cidr(r, "CidrIp")))
        desc = desc or (r.opt_text("Description", "") or "")
    for pair in pr.subs("UserIdGroupPairs"):
        ref = pair.text("GroupId")
        if x.sg_vpc.get(ref) == vid:
            peers.append(SgPeer(security_group=security_group_name(ref)))
        else:
            peers.append(SgPeer(unresolved=f"security group {ref} outside {vid}"))
            x.note_row(pair, f"{pr.ident}: security group {ref} is outside {vid}; its members are unknown "
                             "(verdicts it decides are 'unknown')")
        desc = desc or (pair.opt_text("Description", "") or "")
    for pl in pr.subs("PrefixListIds"):
        pid = pl.text("PrefixListId")
        entries = x.prefix_lists.get(pid)
        if entries is not None:
            peers.extend(SgPeer(cidr=c) for c in entries)
        else:
            peers.append(SgPeer(unresolved=f"prefix list {pid}"))
            x.note_row(pl, f"{pr.ident}: prefix list {pid} is not resolved (export get-managed-prefix-list-entries/"
                           f"{pid}.json); verdicts it decides are 'unknown'")
        desc = desc or (pl.opt_text("Description", "") or "")
    if pr.seq("Ipv6Ranges"):
        x.note_row(pr, f"{pr.ident}: Ipv6Ranges peers not imported (IPv6 is not modelled)")
    if not peers:
        return None
    return SgRule(protocol=proto.name, protocol_number=proto.number, ports=ports, peers=tuple(peers),
                  description=desc or "imported")


def read_nacls(x: AwsExports) -> tuple[dict[str, list[Nacl]], dict[str, str]]:
    by_vpc: dict[str, list[Nacl]] = defaultdict(list)
    of_subnet: dict[str, str] = {}
    for a in x.rows("nacls", "NetworkAcls", "NetworkAclId"):
        vid = x.vpc_of(a)
        by_vpc[vid].append(_nacl(x, a))
        for assoc in a.subs("Associations"):
            sid = assoc.text("SubnetId")
            if sid not in x.subnet_vpc:
                raise assoc.error(f"associated SubnetId {sid} is not in {AWS_FILES['subnets']}", field="SubnetId")
            of_subnet[sid] = a.ident
    return by_vpc, of_subnet


def _nacl(x: AwsExports, a: Row) -> Nacl:
    ingress: list[NaclRule] = []
    egress: list[NaclRule] = []
    for e in a.subs("Entries"):
        er = e.where(f"Entries[{e.path[-1]}]")
        number = er.integer("RuleNumber", 1, 32767, what="a rule number")
        out = egress if er.flag("Egress") else ingress
        action = er.text("RuleAction")
        if action not in ("allow", "deny"):
            raise er.error(f"RuleAction {action!r} is not allow or deny", field="RuleAction")
        if number == 32767:
            continue  # the default deny every NACL ends with; the model applies it implicitly
        if not er.has("CidrBlock"):
            x.note_row(e, f"{a.ident} rule {number}: IPv6 rule not imported (IPv6 is not modelled)")
            continue
        proto = protocol(er, "Protocol")
        if proto is None:
            x.note_row(e, f"{a.ident} rule {number}: ICMPv6 rule not imported (IPv6 is not modelled)")
            continue
        ports = None
        if proto.name in ("tcp", "udp") and proto.number is None and er.has("PortRange"):
            ports = port_range(er.sub("PortRange").where("PortRange"), "From", "To")
        rule = NaclRule(number=number, action=action, protocol=proto.name, protocol_number=proto.number,
                        ports=ports, cidr=cidr(er, "CidrBlock"))
        out.append(x.reg_row(rule, e, f"{a.ident}#{number}"))
    return x.reg_row(Nacl(name=estate_name(a.ident), ingress=tuple(ingress), egress=tuple(egress)), a)
