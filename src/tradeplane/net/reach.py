"""Reachability: which headers get from one place to another, and back, with traces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tradeplane.errors import InputError
from tradeplane.estate.model import Estate, PortRange
from tradeplane.net.atoms import Atoms, bit_indices
from tradeplane.net.dataplane import Dataplane, Endpoint
from tradeplane.net.endpoints import Selection, resolve
from tradeplane.net.filters import match_space
from tradeplane.net.space import EPHEMERAL, Box, Interval, Space
from tradeplane.net.trace import Trace
from tradeplane.net.walk import Walk

__all__ = ["PROTOCOLS", "Answer", "PairResult", "Verdict", "pair_results", "parse_ports", "parse_protocol", "reach",
           "request_space"]

PROTOCOLS = ("tcp", "udp", "icmp", "all")


def parse_protocol(proto: str) -> str:
    """A question's protocol, checked: ``InputError`` (one line) when it is not tcp, udp, icmp or all."""
    if proto not in PROTOCOLS:
        raise InputError.single(f"--proto {proto!r} is not tcp, udp, icmp or all")
    return proto


def parse_ports(values: Sequence[str]) -> tuple[PortRange, ...]:
    """``--port`` values (``443``, ``1024-65535``, comma-separated lists) as port ranges."""
    out = []
    for v in values:
        for part in v.split(","):
            try:
                out.append(PortRange.model_validate(part.strip()))
            except ValueError:
                raise InputError.single(f"--port {part!r} is not a port or range",
                                        hint="use 443 or 1024-65535; repeat --port or separate with commas") from None
    return tuple(out)

Verdict = Literal["reachable", "partial", "unreachable", "unknown"]
"""``unknown``: some requested headers are decided by a rule the model cannot resolve (the traces
in ``undecided`` say which); never answered as reachable or unreachable."""


def request_space(protocol: str, ports: Sequence[PortRange | tuple[int, int]] = ()) -> Space:
    """Headers of a question: a protocol and destination ports; sources use ephemeral ports."""
    iv = [(p.start, p.end) if isinstance(p, PortRange) else p for p in ports]
    base = match_space(protocol=protocol, dports=iv or None)
    if protocol in ("tcp", "udp"):
        base = base.intersect(Space.build(sport=[EPHEMERAL]))
    return base


@dataclass
class PairResult:
    """One source endpoint to one destination endpoint."""

    src: Endpoint
    dst: Endpoint
    requested: Space
    forward: Space = field(default_factory=Space)
    working: Space = field(default_factory=Space)
    delivered: list[Trace] = field(default_factory=list)
    dropped: list[Trace] = field(default_factory=list)
    reply_dropped: list[Trace] = field(default_factory=list)
    undecided: list[Trace] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        if self.working and self.requested.subtract(self.working).is_empty():
            return "reachable"
        if self.undecided:
            return "unknown"
        if not self.working:
            return "unreachable"
        return "partial"

    def links(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for t in self.delivered:
            out |= t.links()
        return out

    def to_json(self, traces: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "src": self.src.key, "dst": self.dst.key, "verdict": self.verdict,
            "allowed": self.working.describe(limit=6) if self.working else "",
        }
        if traces:
            out["traces"] = [t.to_json() for t in self.delivered]
            out["why_not"] = [t.to_json() for t in self.dropped]
            out["reply_dropped"] = [t.to_json() for t in self.reply_dropped]
            out["undecided"] = [t.to_json() for t in self.undecided]
        return out


def _restrict(t: Trace, space: Space) -> Trace | None:
    part = t.space.intersect(space)
    if not part:
        return None
    return Trace(t.hops, t.disposition, part, t.endpoint, t.reason, t.at)


def pair_results(dp: Dataplane, src: Endpoint, src_addrs: Sequence[Interval],
                 dsts: Sequence[tuple[Endpoint, Sequence[Interval]]],
                 base: Space, *, replies: bool = True, any_endpoint: bool = False,
                 atoms: bool = True) -> list[PairResult]:
    """Walk once from ``src`` toward every destination; split the outcome per destination.

    The split cuts the destination axis into atoms once (``net.atoms``: every destination's
    addresses are a bitset of them) and hands each destination the trace pieces in its atoms,
    so it costs the pieces, not destinations x traces x boxes. ``atoms=False`` is the previous
    split (each destination intersects every trace), kept for ``benchmarks/net_verify.py`` and
    the test that both agree."""
    dst_addrs = [iv for _, ivs in dsts for iv in ivs]
    if not src_addrs or not dst_addrs:
        return [PairResult(src, d, Space()) for d, _ in dsts]
    start = base.intersect(Space.build(src=src_addrs, dst=dst_addrs))
    wanted = None if any_endpoint else frozenset(d.key for d, _ in dsts)
    walk = Walk(dp, wanted)
    walk.start(src, start)
    split = _split_by_atoms(walk.traces, dsts, start, any_endpoint) if atoms else _split_by_intersection(
        walk.traces, dsts, start, any_endpoint)
    results = []
    for (dst, _addrs), (requested, delivered, dropped, undecided) in zip(dsts, split, strict=True):
        pr = PairResult(src, dst, requested, delivered=delivered, dropped=dropped, undecided=undecided)
        fwd = Space([b for t in pr.delivered for b in t.space])
        pr.forward = fwd
        if replies:
            ok: list[Space] = []
            for t in pr.delivered:
                back = Walk(dp, frozenset({src.key}), reply=True)
                back.reenter(t, t.space.swap())
                returned = Space([b for r in back.traces if r.disposition == "delivered" for b in r.space]).swap()
                ok.append(t.space.intersect(returned) if returned else Space())
                pr.reply_dropped += [r for r in back.traces if r.disposition == "dropped"]
                pr.undecided += [r for r in back.traces if r.disposition == "unknown"]
            pr.working = Space([b for s in ok for b in s])
        else:
            pr.working = fwd
        # boxes may overlap across ECMP branches: normalise by difference with nothing
        pr.working = Space().union(_disjoint(pr.working))
        pr.forward = _disjoint(pr.forward)
        pr.dropped = [t for t in pr.dropped if t.space.subtract(pr.forward)]
        results.append(pr)
    return results


_Split = tuple[Space, list[Trace], list[Trace], list[Trace]]
"""Per destination: the requested headers, and the delivered, dropped and undecided traces restricted to them."""


def _split_by_intersection(traces: Sequence[Trace], dsts: Sequence[tuple[Endpoint, Sequence[Interval]]],
                           start: Space, any_endpoint: bool) -> list[_Split]:
    out: list[_Split] = []
    for dst, addrs in dsts:
        requested = start.intersect(Space.build(dst=addrs))
        delivered: list[Trace] = []
        dropped: list[Trace] = []
        undecided: list[Trace] = []
        for t in traces:
            if t.disposition == "delivered" and (t.endpoint == dst.key or any_endpoint):
                r = _restrict(t, requested)
                if r is not None:
                    delivered.append(r)
            elif t.disposition in ("dropped", "unknown"):
                r = _restrict(t, requested)
                if r is not None:
                    (dropped if t.disposition == "dropped" else undecided).append(r)
        out.append((requested, delivered, dropped, undecided))
    return out


def _split_by_atoms(traces: Sequence[Trace], dsts: Sequence[tuple[Endpoint, Sequence[Interval]]],
                    start: Space, any_endpoint: bool) -> list[_Split]:
    """``_split_by_intersection`` on destination atoms. A trace's headers are a subset of the start
    space (src x every destination's addresses), so restricting one to a destination's requested
    headers is taking its pieces in the destination's atoms."""
    atoms = Atoms((addrs for _, addrs in dsts), "dst")
    pieces: list[dict[int, list[Box]]] = []
    by_atom: dict[int, list[int]] = {}  # atom -> traces with pieces there, in trace order
    for k, t in enumerate(traces):
        cut = atoms.split(t.space) if t.disposition in ("delivered", "dropped", "unknown") else {}
        pieces.append(cut)
        for i in cut:
            by_atom.setdefault(i, []).append(k)
    start_pieces = atoms.split(start)
    out: list[_Split] = []
    for dst, addrs in dsts:
        mine = list(bit_indices(atoms.bits(addrs)))
        requested = Space([b for i in mine for b in start_pieces.get(i, ())])
        ks = sorted({k for i in mine for k in by_atom.get(i, ())})
        delivered: list[Trace] = []
        dropped: list[Trace] = []
        undecided: list[Trace] = []
        for k in ks:
            t = traces[k]
            if t.disposition == "delivered" and not (t.endpoint == dst.key or any_endpoint):
                continue
            boxes = [b for i in mine for b in pieces[k].get(i, ())]
            r = Trace(t.hops, t.disposition, Space(boxes), t.endpoint, t.reason, t.at)
            (delivered if t.disposition == "delivered" else dropped if t.disposition == "dropped"
             else undecided).append(r)
        out.append((requested, delivered, dropped, undecided))
    return out


def _disjoint(space: Space) -> Space:
    out = Space()
    for b in space:
        out = out.union(Space([b]))
    return out.compact() if len(out) > 1 else out


@dataclass
class Answer:
    """The answer to ``reach SRC DST``: a verdict per endpoint pair, with traces."""

    src: str
    dst: str
    protocol: str
    ports: str
    pairs: list[PairResult]

    @property
    def verdict(self) -> Verdict:
        verdicts = {p.verdict for p in self.pairs}
        if verdicts == {"reachable"}:
            return "reachable"
        if "unknown" in verdicts:
            return "unknown"
        if verdicts <= {"unreachable"}:
            return "unreachable"
        return "partial"

    def to_json(self, traces: bool = True) -> dict[str, Any]:
        return {
            "src": self.src, "dst": self.dst, "protocol": self.protocol, "ports": self.ports,
            "verdict": self.verdict, "pairs": [p.to_json(traces) for p in self.pairs],
        }


def reach(target: Estate | Dataplane, src: str, dst: str, protocol: str = "tcp",
          ports: Sequence[PortRange | tuple[int, int]] = (), *, replies: bool = True) -> Answer:
    """Can ``src`` reach ``dst`` (and get replies back)? One symbolic walk per source endpoint."""
    dp = target if isinstance(target, Dataplane) else Dataplane.build(target)
    s = resolve(dp, src)
    d = resolve(dp, dst)
    return reach_selections(dp, s, d, protocol, ports, replies=replies)


def reach_selections(dp: Dataplane, s: Selection, d: Selection, protocol: str,
                     ports: Sequence[PortRange | tuple[int, int]] = (), *, replies: bool = True) -> Answer:
    base = request_space(protocol, ports)
    pairs: list[PairResult] = []
    dsts: list[tuple[Endpoint, Sequence[Interval]]] = [(ep, ivs) for ep, ivs in d.members]
    for ep, ivs in s.members:
        targets = [(dep, divs) for dep, divs in dsts if dep.key != ep.key]
        if d.any_endpoint:
            assert d.cidr is not None
            cidr_ep = Endpoint(f"cidr:{d.spec}", "cidr", d.spec, (d.cidr,))
            targets = [(cidr_ep, list(cidr_ep.addresses))]
        pairs += pair_results(dp, ep, ivs, targets, base, replies=replies, any_endpoint=d.any_endpoint)
    pairs.sort(key=lambda p: (p.src.key, p.dst.key))
    port_text = ",".join(str(p) if isinstance(p, PortRange) else f"{p[0]}-{p[1]}" for p in ports) or "all"
    return Answer(s.spec, d.spec, protocol, port_text, pairs)
