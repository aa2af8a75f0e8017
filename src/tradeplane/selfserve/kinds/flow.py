"""A flow between desks: SRC workload -> DST workload (or desk), protocol and ports, and why.

The patch declares the flow where the estate declares flows and opens it where the estate
filters it: a ``reachable`` intent (so ``net verify`` proves it from then on), the source desk's
``may_talk_to`` when the desks differ, the source's ``depends_on``, and the filters on both ends
(an AWS security-group rule on each side, a GCP firewall rule at the destination). Routing is not
touched: a flow the network cannot carry stays visibly broken, with the trace, for the platform team.
A flow that crosses into an isolated desk, or that an ``isolated``/``unreachable`` intent forbids,
breaks isolation: it is refused whatever the data plane does.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from tradeplane.errors import InputError
from tradeplane.estate import AwsVpc, Estate, Name, PortRange, Protocol
from tradeplane.selfserve.document import EstateDocument, append, node
from tradeplane.selfserve.kinds.base import Breach, Flow, RequestKind, by_name, register, unknown


@register
class FlowRequest(RequestKind):
    """Let SRC (a workload) reach DST (a workload or a desk) on ``protocol``/``ports``, for ``reason``."""

    kind: Literal["flow"] = "flow"
    src: Name = Field(description="the workload that opens the connection")
    dst: Name = Field(description="a workload, or a desk (all its workloads)")
    protocol: Protocol = Protocol.TCP
    ports: tuple[PortRange, ...] = ()
    reason: str = Field(min_length=1, description="why the flow is needed; reviewers read it")

    @model_validator(mode="after")
    def _ports(self) -> FlowRequest:
        if self.protocol in (Protocol.TCP, Protocol.UDP) and not self.ports:
            raise ValueError(f"a {self.protocol.value} flow needs ports (e.g. 9100 or 9000-9010)")
        return self

    def summary(self) -> str:
        return f"flow {self.flow_text()}"

    def flow_text(self) -> str:
        return Flow(self.src, self.dst, self.protocol.value, self.ports).text()

    def flow(self, estate: Estate) -> Flow | None:
        return Flow(self.src, self.dst, self.protocol.value, self.ports)

    def _check(self, estate: Estate) -> None:
        workloads = by_name(estate.workloads)
        if self.src not in workloads:
            raise unknown("src", self.src, "workload", list(workloads))
        if self.dst not in workloads and self.dst not in by_name(estate.desks):
            raise unknown("dst", self.dst, "workload or desk", [*workloads, *by_name(estate.desks)])
        if self.dst == self.src:
            raise InputError.single("dst is the same as src: a flow needs two ends", field="dst",
                                    hint="name the workload or desk to reach")

    def desks(self, estate: Estate) -> set[str]:
        return {d for d in (desk_of(estate, self.src), desk_of(estate, self.dst)) if d}

    def breaches(self, estate: Estate) -> list[Breach]:
        self._check(estate)
        a, b = desk_of(estate, self.src), desk_of(estate, self.dst)
        if not a or not b or a == b:
            return []
        out: list[Breach] = []
        desks = by_name(estate.desks)
        for d in (a, b):
            if desks[d].isolated:
                loc = estate.where(desks[d], "isolated") or estate.where(desks[d])
                out.append(Breach("isolation", f"desk {d} is isolated (its own VPCs and perimeter, no flows "
                                  f"with other desks); {self.flow_text()} crosses from desk {a} into desk {b}",
                                  str(loc) if loc else ""))
        for i in estate.intents:
            if i.kind not in ("isolated", "unreachable"):
                continue
            si, di = desk_of(estate, i.src), desk_of(estate, i.dst)
            hit = (si, di) == (a, b) or (i.kind == "isolated" and (si, di) == (b, a))
            if hit and _ports_overlap(i.protocol.value, i.ports, self.protocol.value, self.ports):
                loc = estate.where(i)
                out.append(Breach("isolation", f"intent {i.name} ({i.kind} {i.src} -> {i.dst}: {i.reason}) "
                                  f"forbids {self.flow_text()}", str(loc) if loc else ""))
        return out

    def apply(self, doc: EstateDocument, estate: Estate) -> list[str]:
        self._check(estate)
        workloads = by_name(estate.workloads)
        src = workloads[self.src]
        dst = workloads.get(self.dst)
        ports = [p.start if p.start == p.end else str(p) for p in self.ports]
        changes: list[str] = []

        # 1. The intent: net verify proves the flow from now on.
        names = {i.name for i in estate.intents}
        name = _unique(f"flow-{self.src}-to-{self.dst}"[:60].rstrip("-"), names)
        intent: dict[str, Any] = {"name": name, "kind": "reachable", "src": self.src, "dst": self.dst}
        if self.protocol != Protocol.TCP:
            intent["protocol"] = self.protocol.value
        if ports:
            intent["ports"] = ports
        intent["reason"] = self.reason
        seq = doc.section("intents")
        append(seq, node(intent, flow=_flow_items(seq)))
        changes.append(f"intents: add {name} (reachable {self.flow_text()})")

        # 2. Desk policy.
        a, b = src.desk, desk_of(estate, self.dst)
        desks = by_name(estate.desks)
        if b and a != b and b not in desks[a].may_talk_to and a not in desks[b].may_talk_to:
            found = doc.find("desks", a)
            if found is not None:
                _append_to(found[1], "may_talk_to", b)
                changes.append(f"desks: {a} may_talk_to += {b}")

        # 3. The declared dependency.
        if dst is not None and ports:
            found = doc.find("workloads", self.src)
            if found is not None:
                dep: dict[str, Any] = {"workload": self.dst, "ports": ports}
                if self.protocol != Protocol.TCP:
                    dep = {"workload": self.dst, "protocol": self.protocol.value, "ports": ports}
                _append_to(found[1], "depends_on", dep)
                changes.append(f"workloads: {self.src} depends_on += {self.dst} {self.protocol.value} "
                               f"{','.join(map(str, ports))}")

        # 4. Filters on both ends.
        if dst is not None:
            changes += self._filters(doc, estate, src, dst, ports)
        return changes

    def _filters(self, doc: EstateDocument, estate: Estate, src: Any, dst: Any, ports: list[Any]) -> list[str]:
        nets = by_name(estate.networks)
        sn, dn = nets[src.network], nets[dst.network]
        src_cidr, dst_cidr = _cidr(sn, src.subnet), _cidr(dn, dst.subnet)
        proto = self.protocol.value
        changes: list[str] = []
        why = f"{self.reason} (self-serve flow {self.src} -> {self.dst})"
        if isinstance(dn, AwsVpc) and dst.security_groups:
            rule: dict[str, Any] = {"protocol": proto, **({"ports": ports} if ports else {}),
                                    "peers": [{"cidr": src_cidr}], "description": why}
            changes += _sg_rule(doc, dn.name, dst.security_groups[0], "ingress", rule)
        elif not isinstance(dn, AwsVpc):
            fw: dict[str, Any] = {"name": _unique(f"allow-{self.src}-to-{self.dst}"[:60].rstrip("-"),
                                                  {r.name for r in dn.firewall_rules}),
                                  "protocol": proto, **({"ports": ports} if ports else {}), "sources": [src_cidr]}
            if dst.tags:
                fw["target_tags"] = [dst.tags[0]]
            elif dst.service_account:
                fw["target_service_accounts"] = [dst.service_account]
            fw["description"] = why
            found = doc.find("networks", dn.name)
            if found is not None:
                _append_to(found[1], "firewall_rules", fw, flow=False)
                changes.append(f"networks: {dn.name} firewall rule {fw['name']} allows {src_cidr} {proto} "
                               f"{','.join(map(str, ports))}")
        if isinstance(sn, AwsVpc) and src.security_groups:
            rule = {"protocol": proto, **({"ports": ports} if ports else {}), "peers": [{"cidr": dst_cidr}],
                    "description": why}
            changes += _sg_rule(doc, sn.name, src.security_groups[0], "egress", rule)
        return changes


def desk_of(estate: Estate, name: str) -> str | None:
    """The desk a workload, desk, network, ``network/subnet`` or site belongs to (None: no desk)."""
    for w in estate.workloads:
        if w.name == name:
            return w.desk
    if any(d.name == name for d in estate.desks):
        return name
    net = name.split("/", 1)[0]
    for n in estate.networks:
        if n.name == net:
            return n.desk
    for s in estate.sites:
        if s.name == name:
            return s.desk
    return None


def _ports_overlap(p1: str, r1: tuple[PortRange, ...], p2: str, r2: tuple[PortRange, ...]) -> bool:
    if "all" not in (p1, p2) and p1 != p2:
        return False
    if not r1 or not r2:
        return True
    return any(a.start <= b.end and b.start <= a.end for a in r1 for b in r2)


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 2
    while out in taken:
        out = f"{name[:58]}-{n}"
        n += 1
    return out


def _flow_items(seq: Any) -> bool:
    return bool(seq) and all(getattr(getattr(x, "fa", None), "flow_style", lambda: False)() for x in seq)


def _append_to(mapping: Any, key: str, value: Any, flow: bool | None = None) -> None:
    """Append to ``mapping[key]`` (created when missing), in the list's own style."""
    if key not in mapping or mapping[key] is None:
        mapping[key] = node([value])
        return
    seq = mapping[key]
    append(seq, node(value, flow=_flow_items(seq) if flow is None else flow))


def _cidr(net: Any, subnet: str) -> str:
    for s in net.subnets:
        if s.name == subnet:
            return str(s.cidr)
    return str(net.cidrs[0]) if isinstance(net, AwsVpc) else "0.0.0.0/0"


def _sg_rule(doc: EstateDocument, network: str, group: str, direction: str, rule: dict[str, Any]) -> list[str]:
    found = doc.find("networks", network)
    if found is None:
        return []
    for sg in found[1].get("security_groups") or []:
        if sg.get("name") == group:
            _append_to(sg, direction, rule, flow=False)
            peer = rule["peers"][0]["cidr"]
            return [f"networks: {network} security group {group} {direction} allows {peer} {rule['protocol']} "
                    f"{','.join(map(str, rule.get('ports', [])))}"]
    return []


__all__ = ["FlowRequest", "desk_of"]
