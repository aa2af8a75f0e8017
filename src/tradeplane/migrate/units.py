"""Move units: what must move together, and why (cycles, declared move-groups, physics).

The dependency graph (networkx) has one node per colocation workload and an edge A -> B when A
depends on B or B sends data to A (A consumes it). Three things glue workloads into one unit:

- a dependency cycle (a strongly connected component): shown as the cycle itself;
- a declared move-group (``colocation.migration.move_groups``);
- a latency budget between two colocation workloads that cannot hold across the Interconnect
  (``crossing.crossing_rtt``): the physical bound is the reason.

Merging may create new cycles between units, so the three are applied until nothing changes.
Workloads that cannot move at all (no target, a venue budget their target cannot meet, or bound
to one that stays) are findings, and leave the plan with every workload glued to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from tradeplane.estate import ColoWorkload, Estate
from tradeplane.migrate.crossing import crossing_rtt
from tradeplane.placement import Routes

__all__ = ["Blocked", "Unit", "Units", "build_graph", "build_units", "target_place"]


@dataclass(frozen=True)
class Unit:
    """Workloads that move in the same wave; ``reasons`` says why each glue was added."""

    members: tuple[str, ...]
    reasons: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.members[0] if len(self.members) == 1 else f"{self.members[0]}+{len(self.members) - 1}"

    def to_json(self) -> dict[str, Any]:
        return {"members": list(self.members), "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Blocked:
    """A workload that cannot move, and why (a finding, never a crash)."""

    workload: str
    reason: str
    where: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.workload, "reason": self.reason, "where": self.where}


@dataclass
class Units:
    graph: nx.DiGraph[str]
    units: list[Unit]
    blocked: list[Blocked] = field(default_factory=list)
    unit_graph: nx.DiGraph[int] = field(default_factory=nx.DiGraph)

    def unit_of(self) -> dict[str, int]:
        return {m: i for i, u in enumerate(self.units) for m in u.members}


def target_place(estate: Estate, w: ColoWorkload) -> str | None:
    """The catalog place of a workload's GCP target: its zone, else its subnet's region."""
    t = w.target
    if t is None:
        return None
    if t.zone:
        return t.zone
    net = estate.network(t.network)
    for s in getattr(net, "subnets", ()):
        if s.name == t.subnet:
            return str(s.region)
    return None


def build_graph(estate: Estate) -> nx.DiGraph[str]:
    """A -> B when colocation workload A needs B (depends on it, or consumes B's flow)."""
    colo = estate.colocation
    g: nx.DiGraph[str] = nx.DiGraph()
    if colo is None:
        return g
    names = {w.name for w in colo.workloads}
    g.add_nodes_from(sorted(names))
    for w in colo.workloads:
        for d in w.depends_on:
            if d.workload in names and d.workload != w.name:
                g.add_edge(w.name, d.workload, why=f"{w.name} depends on {d.workload}")
        for f in w.flows:
            if f.to in names and f.to != w.name:
                g.add_edge(f.to, w.name, why=f"{f.to} consumes {w.name}'s flow")
    return g


def _where(estate: Estate, obj: object, fld: str = "") -> str:
    loc = estate.where(obj, fld)
    return str(loc) if loc else estate.path_of(obj)


def _cannot_move(estate: Estate) -> list[Blocked]:
    colo = estate.colocation
    assert colo is not None
    venues = {v.name: v.location for v in estate.venues}
    routes = Routes(estate)
    out: list[Blocked] = []
    for w in sorted(colo.workloads, key=lambda x: x.name):
        place = target_place(estate, w)
        if w.target is None or place is None:
            out.append(Blocked(w.name, f"no GCP target: {w.stays or 'none declared'}", _where(estate, w)))
            continue
        for b in w.latency_budgets:
            if b.to in venues:
                est = routes.rtt(place, b.to)  # through the venue's declared Interconnect metro
                if est.rtt_us > b.rtt_us:
                    out.append(Blocked(
                        w.name, f"no feasible target: {place} -> {b.to} is {est.rtt_us:,.0f} µs against a budget "
                        f"of {b.rtt_us:,.0f} µs, and no path beats the floor, {est.floor_text()}; it stays in "
                        f"the colocation", _where(estate, b, "rtt_us")))
                    break
    return out


def _budget_glue(estate: Estate, site: str) -> list[tuple[str, str, str]]:
    """Pairs of colocation workloads whose budget cannot hold with one end moved and one not."""
    colo = estate.colocation
    assert colo is not None
    by_name = {w.name: w for w in colo.workloads}
    out: list[tuple[str, str, str]] = []
    for w in colo.workloads:
        for b in w.latency_budgets:
            other = by_name.get(b.to)
            if other is None or other.name == w.name:
                continue
            worst = None
            for moved in (w, other):
                place = target_place(estate, moved)
                if place is None:
                    continue
                c = crossing_rtt(estate, site, place)
                if c is not None and (worst is None or c.rtt_us > worst.rtt_us):
                    worst = c
            if worst is None or worst.rtt_us <= b.rtt_us:
                continue
            out.append((w.name, other.name,
                        f"{w.name} -> {other.name} budget {b.rtt_us:,.0f} µs cannot cross the Interconnect: "
                        f"estimate {worst.rtt_us:,.0f} µs, {worst.basis}; same wave"))
    return out


def build_units(estate: Estate) -> Units:
    """Group the colocation workloads into move units; see the module docstring."""
    colo = estate.colocation
    g = build_graph(estate)
    if colo is None:
        return Units(g, [])
    # Union-find over workloads, with reasons per root.
    parent = {n: n for n in g.nodes}
    reasons: dict[str, list[str]] = {n: [] for n in g.nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str, why: str) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            if why not in reasons[ra]:
                reasons[ra].append(why)
            return
        lo, hi = sorted((ra, rb))
        parent[hi] = lo
        reasons[lo] = [*reasons[lo], *(r for r in reasons[hi] if r not in reasons[lo]), why]
        reasons[hi] = []

    def merge_cycles() -> None:
        while True:
            q: nx.DiGraph[str] = nx.DiGraph()
            q.add_nodes_from({find(n) for n in g.nodes})
            for a, b in g.edges:
                ra, rb = find(a), find(b)
                if ra != rb:
                    q.add_edge(ra, rb)
            cycles = [c for c in nx.strongly_connected_components(q) if len(c) > 1]
            if not cycles:
                return
            for comp in sorted(sorted(c) for c in cycles):
                members = sorted(n for n in g.nodes if find(n) in comp)
                try:
                    sub: nx.DiGraph[str] = nx.DiGraph()
                    sub.add_nodes_from(members)
                    sub.add_edges_from(sorted(g.subgraph(members).edges))
                    cyc = [a for a, _ in nx.find_cycle(sub, source=members[0])]
                    shown = " -> ".join([*cyc, cyc[0]])
                except nx.NetworkXNoCycle:
                    shown = " -> ".join(members) + " (through glued units)"
                for other in comp[1:]:
                    union(comp[0], other, f"dependency cycle {shown}: one move-group")

    merge_cycles()  # cycles of the declared dependencies first, so each is shown as written
    migration = colo.migration
    for mg in migration.move_groups if migration else ():
        for other in mg.workloads[1:]:
            union(mg.workloads[0], other, f"move-group {mg.name}: {mg.reason}")
    for a, b, why in _budget_glue(estate, colo.site):
        union(a, b, why)
    merge_cycles()  # gluing may close new cycles between units
    groups: dict[str, list[str]] = {}
    for n in g.nodes:
        groups.setdefault(find(n), []).append(n)

    # Workloads that cannot move take everything glued to them out of the plan.
    blocked = _cannot_move(estate)
    out_roots = {find(b.workload) for b in blocked}
    blocked_names = {b.workload for b in blocked}
    units: list[Unit] = []
    for root, members in sorted(groups.items(), key=lambda kv: sorted(kv[1])[0]):
        members = sorted(members)
        if root in out_roots:
            for m in members:
                if m not in blocked_names:
                    stuck = sorted(blocked_names & set(members))
                    blocked.append(Blocked(m, f"must move with {', '.join(stuck)}, which cannot move "
                                              f"({'; '.join(reasons[root]) or 'same unit'})",
                                           _where(estate, colo.workload(m))))
            continue
        units.append(Unit(tuple(members), tuple(reasons[root])))
    ug: nx.DiGraph[int] = nx.DiGraph()
    index = {m: i for i, u in enumerate(units) for m in u.members}
    ug.add_nodes_from(range(len(units)))
    for a, b in g.edges:
        if a in index and b in index and index[a] != index[b]:
            ug.add_edge(index[a], index[b])
    return Units(g, units, sorted(blocked, key=lambda b: b.workload), ug)
