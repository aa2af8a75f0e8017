"""A greedy baseline: each workload, most constrained first, to its cheapest zone that still fits.

It honours the same constraints as the solver but never revisits a choice, so it
can pay more or fail where the solver succeeds. The benchmark compares the two.
"""

from __future__ import annotations

from tradeplane.placement import group_rules
from tradeplane.placement.capacity import machine_family
from tradeplane.placement.explanation import Explanation
from tradeplane.placement.problem import Group, Item, Problem, pair_rtt
from tradeplane.placement.result import GroupPlacement, PlacementResult, WorkloadPlacement

__all__ = ["greedy"]


class _State:
    def __init__(self, p: Problem) -> None:
        self.p = p
        self.items = {i.name: i for i in p.items}
        self.zones: dict[str, list[str]] = {}
        self.used: dict[tuple[str, str], int] = {}  # (zone, family) -> vCPUs
        self.spread: dict[tuple[str, str], int] = {}  # (group, zone) -> instances
        self.incoming: dict[str, list[tuple[str, float]]] = {}
        for it in p.items:
            for b in it.budgets:
                if b.kind == "workload":
                    self.incoming.setdefault(b.to, []).append((it.name, b.rtt_us))

    def same_group(self, a: Item, b: Item) -> bool:
        return a.group is not None and a.group == b.group and a.strategy in ("cluster", "compact")

    def fits(self, it: Item, z: str, n: int, pending: dict[str, str] | None = None, capacity: bool = True) -> bool:
        """Whether ``n`` more replicas of ``it`` may go to ``z``, with ``pending`` members of its zonal
        group already decided there (their anti-affinity and budgets count; their capacity is the
        caller's, see ``group_fits``)."""
        placed = dict(self.zones)
        for name, zone in (pending or {}).items():
            placed[name] = [zone]
        if capacity and it.vcpus and self.used.get((z, it.family), 0) + n * it.vcpus > self.p.capacity.vcpus(
                z, it.family):
            return False
        for o in it.anti_affinity:
            if z in placed.get(o, []):
                return False
        for other_name, zones in placed.items():
            if it.name in self.items[other_name].anti_affinity and z in zones:
                return False
        checks = [(b.to, b.rtt_us) for b in it.budgets if b.kind == "workload"]
        checks += self.incoming.get(it.name, [])
        for other_name, budget in checks:
            other = self.items.get(other_name)
            if other is None:
                continue
            same = self.same_group(it, other)
            if any(pair_rtt(z, z2, same) > budget for z2 in placed.get(other_name, [])):
                return False
        return not (it.group is not None and it.strategy == "spread" and it.cloud == "aws"
                    and self.spread.get((it.group, z), 0) + n > group_rules.AWS_SPREAD_PER_ZONE)

    def group_fits(self, g: Group, members: list[Item], z: str) -> bool:
        """Whether every member of a zonal group fits in ``z`` at once. The members' vCPUs add up per
        machine family (checking each member alone against the room left would let them overfill the
        zone together); a sole-tenant group takes its nodes' vCPUs instead of its VMs'."""
        need: dict[str, int] = {}
        if g.strategy == "sole_tenant":
            need[machine_family(g.node_type)] = g.nodes * g.node_vcpus
        else:
            for m in members:
                if m.vcpus:
                    need[m.family] = need.get(m.family, 0) + m.count * m.vcpus
        if any(self.used.get((z, fam), 0) + v > self.p.capacity.vcpus(z, fam) for fam, v in sorted(need.items())):
            return False
        pending: dict[str, str] = {}
        for m in members:
            if not self.fits(m, z, m.count, pending, capacity=False):
                return False
            pending[m.name] = z
        return True

    def room(self, z: str, family: str) -> int:
        return self.p.capacity.vcpus(z, family) - self.used.get((z, family), 0)

    def take(self, it: Item, z: str, n: int) -> None:
        self.zones.setdefault(it.name, []).extend([z] * n)
        if it.vcpus:
            self.used[z, it.family] = self.used.get((z, it.family), 0) + n * it.vcpus
        if it.group is not None:
            self.spread[it.group, z] = self.spread.get((it.group, z), 0) + n


def _latency(it: Item, z: str) -> float:
    return sum(b.rtt_at(z) for b in it.budgets if b.kind != "workload")


def _group_cost(g: Group, members: list[Item], z: str) -> float:
    if g.strategy == "sole_tenant":
        return g.node_hourly_by_zone.get(z, 0.0)
    return sum(m.hourly_by_zone[z] * m.count for m in members)


def greedy(problem: Problem, name: str = "") -> PlacementResult:
    """The greedy placement of a problem (status ``feasible`` or ``infeasible``; never a proof)."""
    if problem.blockers:
        return PlacementResult(name, "infeasible", (), (), 0.0, 0.0, 0.0, problem.blockers)
    st = _State(problem)
    zonal = [g for g in problem.groups if g.strategy in group_rules.ZONAL_STRATEGIES]
    in_zonal = {m for g in zonal for m in g.members}
    group_zone: dict[str, str] = {}
    for g in sorted(zonal, key=lambda g: (len(g.domain), -g.instances, g.name)):
        members = [st.items[m] for m in g.members]
        chosen: str | None = None
        for z in sorted(g.domain, key=lambda z: (_group_cost(g, members, z), sum(_latency(m, z) for m in members),
                                                 -st.room(z, members[0].family), z)):
            if st.group_fits(g, members, z):
                chosen = z
                break
        if chosen is None:
            return _fail(name, g.members[0], f"greedy: no zone fits group {g.name}")
        group_zone[g.name] = chosen
        for m in members:
            if g.strategy == "sole_tenant":
                st.zones.setdefault(m.name, []).extend([chosen] * m.count)
            else:
                st.take(m, chosen, m.count)
        if g.strategy == "sole_tenant":
            fam = machine_family(g.node_type)
            st.used[chosen, fam] = st.used.get((chosen, fam), 0) + g.nodes * g.node_vcpus
    rest = [i for i in problem.items if i.name not in in_zonal]
    # Most constrained first (fewest candidate zones), then the most expensive.
    for it in sorted(rest, key=lambda i: (len(i.domain), -i.count * max(i.hourly_by_zone.values(), default=0.0),
                                          i.name)):
        for _ in range(it.count):
            # Cheapest, then nearest, then a zone it already uses (anti-affinity partners keep the
            # others), then the emptiest (leaves room for what comes later).
            mine = set(st.zones.get(it.name, []))
            order = sorted(it.domain, key=lambda z: (it.hourly_by_zone[z], _latency(it, z), z not in mine,
                                                     -st.room(z, it.family), z))
            pick = next((z for z in order if st.fits(it, z, 1)), None)
            if pick is None:
                return _fail(name, it.name, f"greedy: no zone left for a replica of {it.name}")
            st.take(it, pick, 1)
    return _result(problem, name, st, group_zone)


def _fail(name: str, workload: str, message: str) -> PlacementResult:
    return PlacementResult(name, "infeasible", (), (), 0.0, 0.0, 0.0,
                           (Explanation(workload, "conflict", message, "use the solver"),))


def _result(p: Problem, name: str, st: _State, group_zone: dict[str, str]) -> PlacementResult:
    sole = {g.name for g in p.groups if g.strategy == "sole_tenant"}
    out: list[WorkloadPlacement] = []
    latency = 0.0
    for it in p.items:
        zones = tuple(sorted(st.zones.get(it.name, [])))
        cost = 0.0 if it.group in sole else sum(it.hourly_by_zone[z] for z in zones)
        latency += sum(_latency(it, z) for z in zones)
        out.append(WorkloadPlacement(it.name, it.cloud, zones, tuple(it.subnet_by_zone[z] for z in zones),
                                     it.strategy, it.group, cost))
    groups = []
    for g in p.groups:
        zones = tuple(sorted({z for m in g.members for z in st.zones.get(m, [])}))
        hourly = g.node_hourly_by_zone.get(group_zone.get(g.name, ""), 0.0) if g.name in sole else 0.0
        groups.append(GroupPlacement(g.name, g.strategy, g.cloud, zones, g.members, g.instances,
                                     group_rules.RULE_SOURCES.get(g.strategy, ""), g.node_type, g.nodes, hourly))
    total = round(sum(w.hourly_usd for w in out) + sum(g.hourly_usd for g in groups), 6)
    return PlacementResult(name, "feasible", tuple(out), tuple(groups), total, 0.0, latency)
