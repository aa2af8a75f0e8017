"""``diff OLD NEW``: the flows whose verdict (or allowed traffic) changes between two estates.

The flows compared: every desk x desk segment pair (all protocols), every declared
dependency, every intent, every workload -> venue session, and the internet into
every subnet. Each change says what opens or closes, with the new (or old) trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradeplane.errors import InputError
from tradeplane.estate.model import Estate
from tradeplane.net.dataplane import Dataplane
from tradeplane.net.endpoints import resolve
from tradeplane.net.matrix import matrix
from tradeplane.net.reach import PairResult, reach_selections
from tradeplane.net.space import Space
from tradeplane.net.trace import Trace

__all__ = ["Change", "Diff", "diff", "flow_table"]

FlowKey = tuple[str, str, str, str, str]  # question, src, dst, protocol, ports


@dataclass(frozen=True)
class FlowState:
    verdict: str
    allowed: Space
    traces: tuple[Trace, ...]


@dataclass(frozen=True)
class Change:
    question: str
    src: str
    dst: str
    protocol: str
    ports: str
    old: str
    new: str
    opened: str
    closed: str
    traces: tuple[Trace, ...]

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "src": self.src, "dst": self.dst, "protocol": self.protocol,
                "ports": self.ports, "old": self.old, "new": self.new, "opened": self.opened,
                "closed": self.closed, "traces": [t.to_json() for t in self.traces]}


@dataclass
class Diff:
    old: str
    new: str
    changes: list[Change]
    flows_compared: int

    def to_json(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "flows_compared": self.flows_compared,
                "changes": [c.to_json() for c in self.changes]}


def _state(prs: list[PairResult]) -> FlowState:
    allowed = Space([b for p in prs for b in p.working])
    if not prs or not allowed:
        verdict = "unreachable"
    elif all(p.verdict == "reachable" for p in prs):
        verdict = "reachable"
    else:
        verdict = "partial"
    traces = tuple(t for p in prs for t in p.delivered) or tuple(t for p in prs for t in p.dropped)
    return FlowState(verdict, allowed, traces)


def flow_table(estate: Estate) -> dict[FlowKey, FlowState]:
    """The verdict of every compared flow of one estate."""
    dp = Dataplane.build(estate)
    out: dict[FlowKey, FlowState] = {}
    m = matrix(dp)
    for (a, b), cell in m.cells.items():
        leak = next(cell.leaks(), None)
        traces: tuple[Trace, ...] = ()
        if leak is not None:
            answer = reach_selections(dp, resolve(dp, leak[0].name), resolve(dp, leak[1].name), "all", replies=False)
            traces = tuple(t for p in answer.pairs for t in p.delivered)[:3]
        out[("segments", a, b, "all", "all")] = FlowState("reachable" if cell.reachable else "unreachable",
                                                          cell.allowed(), traces)

    def ask(question: str, src: str, dst: str, proto: str, ports: tuple[object, ...]) -> None:
        try:
            s, d = resolve(dp, src), resolve(dp, dst)
        except InputError:
            return
        a = reach_selections(dp, s, d, proto, ports)  # type: ignore[arg-type]
        out[(question, src, dst, proto, a.ports)] = _state(a.pairs)

    for w in estate.workloads:
        for dep in w.depends_on:
            ask("depends_on", w.name, dep.workload, dep.protocol.value, dep.ports)
        for v in w.venues:
            ask("venue", w.name, v, "tcp", ())
    for i in estate.intents:
        ask(f"intent {i.name}", i.src, i.dst, i.protocol.value, i.ports)
    for n in estate.networks:
        for sub in n.subnets:
            ask("internet ingress", "internet", f"{n.name}/{sub.name}", "all", ())
    return out


def diff(old: Estate, new: Estate) -> Diff:
    """Flows whose verdict or allowed headers differ, sorted by question and names."""
    a, b = flow_table(old), flow_table(new)
    changes: list[Change] = []
    missing = FlowState("absent", Space(), ())
    for key in sorted(set(a) | set(b)):
        sa, sb = a.get(key, missing), b.get(key, missing)
        opened = sb.allowed.subtract(sa.allowed)
        closed = sa.allowed.subtract(sb.allowed)
        if sa.verdict == sb.verdict and not opened and not closed:
            continue
        traces = sb.traces if opened or sb.verdict != "absent" else sa.traces
        changes.append(Change(key[0], key[1], key[2], key[3], key[4], sa.verdict, sb.verdict,
                              opened.describe() if opened else "", closed.describe() if closed else "",
                              traces[:3]))
    return Diff(old.name, new.name, changes, len(set(a) | set(b)))
