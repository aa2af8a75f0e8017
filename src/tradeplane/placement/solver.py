"""The CP-SAT model: every replica of every workload to a zone, at the lowest cost, then latency.

Variables: ``x[w, z]`` replicas of workload ``w`` in zone ``z`` (replicas are
interchangeable, so counts instead of one variable per replica), ``y[w, z]``
whether ``w`` uses ``z``, ``b[g, z]`` the zone of a zonal group (cluster, compact,
sole-tenant) and ``r[w, R]`` whether ``w`` uses region ``R`` (for budgets between
workloads, which depend on the pair of regions and, inside one region, on
whether the zones match). Budgets to venues and sites are already in each
workload's candidate zones. Two phases: minimise cost; then, holding cost at
its optimum, minimise the round trips to venues and sites.

When the model is infeasible it is solved again with every constraint family
behind an assumption literal; CP-SAT returns a sufficient set of assumptions
that cannot hold together, which becomes the explanation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # OR-Tools (and the pandas it imports) loads only when a model is solved
    from ortools.sat.python import cp_model

from tradeplane.errors import Problem as ErrorProblem
from tradeplane.errors import UnsupportedError
from tradeplane.estate import catalog
from tradeplane.estate.model import Estate
from tradeplane.placement import group_rules
from tradeplane.placement.capacity import Capacity, default_capacity, machine_family
from tradeplane.placement.explanation import Explanation
from tradeplane.placement.figures import FABRIC
from tradeplane.placement.problem import Group, Item, Problem, build_problem, pair_rtt
from tradeplane.placement.result import (
    GroupPlacement,
    PlacementResult,
    Status,
    WorkloadPlacement,
    zones_by_workload,
)

__all__ = ["SolverOptions", "solve", "solve_problem"]

_CENTS = 10_000  # cost unit: 1/10,000 USD per hour
_TIE_BREAK_MAX_VARS = 2_000  # above this many x[w, z], ties between equal zones are left to CP-SAT


@dataclass(frozen=True)
class SolverOptions:
    workers: int = 1
    seed: int = 0
    max_deterministic_time: float = 60.0  # CP-SAT deterministic seconds: reproducible on any machine
    time_limit_s: float | None = None  # wall-clock cap on top (benchmarks)
    latency_phase: bool = True


def solve(estate: Estate, *, capacity: Capacity | None = None, free_subnets: bool = False,
          options: SolverOptions | None = None) -> PlacementResult:
    """Place every workload of the estate. Raises ``EstateError`` for input the solver cannot take;
    an infeasible placement is a result (status ``infeasible``) with explanations."""
    problem = build_problem(estate, capacity or default_capacity(), free_subnets)
    return solve_problem(problem, estate.name, options or SolverOptions(), free_subnets)


def solved_zones(estate: Estate) -> dict[str, tuple[str, ...]]:
    """The zone of every replica, for the Terraform renderer; ``UnsupportedError`` when nothing fits."""
    result = solve(estate)
    if not result.feasible:
        raise UnsupportedError(f"the placement solver found no placement ({result.status})",
                               [ErrorProblem(x.render()) for x in result.explanations])
    return zones_by_workload(result)


def solve_problem(problem: Problem, name: str, options: SolverOptions, free_subnets: bool = False
                  ) -> PlacementResult:
    from ortools.sat.python import cp_model

    if problem.blockers:
        return _infeasible(name, problem.blockers, free_subnets)
    model = _Model(problem, explain=False)
    solver = _solver(options)
    status = solver.solve(model.m)
    seconds = solver.wall_time
    if status == cp_model.INFEASIBLE:
        return _infeasible(name, _explain(problem, options), free_subnets, seconds)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return PlacementResult(name, "unknown", (), (), 0.0, 0.0, 0.0, (Explanation(
            "", "conflict", "the solver found no placement within its time limit",
            "raise the time limit (--time-limit)"),), seconds, free_subnets)
    cost = round(solver.objective_value)
    bound = solver.best_objective_bound
    result_status: Status = "optimal" if status == cp_model.OPTIMAL else "feasible"
    values = model.values(solver)
    if options.latency_phase and status == cp_model.OPTIMAL:
        model.hint(values)
        model.m.add(model.cost_expr <= cost)
        model.m.minimize(model.tie_broken_latency())
        second = _solver(options)
        s2 = second.solve(model.m)
        seconds += second.wall_time
        if s2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = model.values(second)
    return model.result(name, values, result_status, cost / _CENTS, bound / _CENTS, seconds, free_subnets)


def _solver(options: SolverOptions) -> cp_model.CpSolver:
    from ortools.sat.python import cp_model

    s = cp_model.CpSolver()
    s.parameters.num_workers = options.workers
    s.parameters.random_seed = options.seed
    s.parameters.max_deterministic_time = options.max_deterministic_time
    if options.time_limit_s is not None:
        s.parameters.max_time_in_seconds = options.time_limit_s
    return s


def _infeasible(name: str, why: Iterable[Explanation], free_subnets: bool, seconds: float = 0.0
                ) -> PlacementResult:
    return PlacementResult(name, "infeasible", (), (), 0.0, 0.0, 0.0, tuple(sorted(set(why))), seconds,
                           free_subnets)


def _same_zonal_group(a: Item, b: Item) -> bool:
    return a.group is not None and a.group == b.group and a.strategy in ("cluster", "compact")


class _Model:
    def __init__(self, p: Problem, explain: bool) -> None:
        from ortools.sat.python import cp_model

        self.p = p
        self.explain = explain
        self.m = cp_model.CpModel()
        self.x: dict[tuple[str, str], cp_model.IntVar] = {}
        self.y: dict[tuple[str, str], cp_model.IntVar] = {}
        self.b: dict[tuple[str, str], cp_model.IntVar] = {}
        self.r: dict[tuple[str, str], cp_model.IntVar] = {}
        self.lits: dict[tuple[str, ...], cp_model.IntVar] = {}
        self.about: dict[tuple[str, ...], Explanation] = {}
        self.items = {i.name: i for i in p.items}
        self.domains = {i.name: self._domain(i) for i in p.items}
        self.cost_terms: list[tuple[cp_model.IntVar, int]] = []
        self.latency_terms: list[tuple[cp_model.IntVar, int]] = []
        self._variables()
        self._groups()
        self._anti_affinity()
        self._pair_budgets()
        self._capacity()
        if explain:
            self._place_budgets()
        self.cost_expr = sum(v * c for v, c in self.cost_terms)
        self.latency_expr = sum(v * c for v, c in self.latency_terms)
        self.m.minimize(self.cost_expr)

    # ------------------------------------------------------------------ helpers

    def _domain(self, it: Item) -> tuple[str, ...]:
        if not self.explain:
            return it.domain
        dom = set(it.pre_budget_domain)
        if it.group is not None and it.strategy in group_rules.ZONAL_STRATEGIES:
            for other in self.p.items:
                if other.group == it.group:
                    dom &= set(other.pre_budget_domain)
        return tuple(sorted(dom))

    def _lit(self, key: tuple[str, ...], about: Explanation) -> list[cp_model.IntVar]:
        """The enforcement literal of a constraint family (only when explaining)."""
        if not self.explain:
            return []
        if key not in self.lits:
            self.lits[key] = self.m.new_bool_var("/".join(key))
            self.about[key] = about
        return [self.lits[key]]

    def _add(self, ct: cp_model.Constraint, lits: list[cp_model.IntVar]) -> None:
        if lits:
            ct.only_enforce_if(lits)

    def _region_var(self, w: str, region: str) -> cp_model.IntVar:
        key = (w, region)
        if key not in self.r:
            v = self.m.new_bool_var(f"r[{w},{region}]")
            ys = [self.y[w, z] for z in self.domains[w] if catalog.region_of(z) == region]
            for yv in ys:
                self.m.add_implication(yv, v)
            self.m.add(sum(ys) >= v)
            self.r[key] = v
        return self.r[key]

    # ------------------------------------------------------------------ constraints

    def _variables(self) -> None:
        sole = {g.name for g in self.p.groups if g.strategy == "sole_tenant"}
        for it in self.p.items:
            dom = self.domains[it.name]
            for z in dom:
                x = self.m.new_int_var(0, it.count, f"x[{it.name},{z}]")
                y = self.m.new_bool_var(f"y[{it.name},{z}]")
                self.m.add(x <= it.count * y)
                self.m.add(x >= y)
                self.x[it.name, z], self.y[it.name, z] = x, y
                if it.group not in sole:
                    self.cost_terms.append((x, round(it.hourly_by_zone[z] * _CENTS)))
                for b in it.budgets:
                    if b.kind != "workload":
                        self.latency_terms.append((x, round(b.rtt_at(z))))
            self.m.add(sum(self.x[it.name, z] for z in dom) == it.count)

    def _groups(self) -> None:
        for g in self.p.groups:
            if g.strategy in group_rules.ZONAL_STRATEGIES:
                self._zonal_group(g)
            elif g.strategy == "spread" and g.cloud == "aws" and g.instances > group_rules.AWS_SPREAD_PER_ZONE:
                lits = self._lit(("spread", g.name), Explanation(
                    g.members[0], "group", f"spread group {g.name} holds at most {group_rules.AWS_SPREAD_PER_ZONE} "
                    f"instances per zone", "spread it over more zones or use a partition group"))
                for z in sorted({z for w in g.members for z in self.domains[w]}):
                    xs = [self.x[w, z] for w in g.members if (w, z) in self.x]
                    self._add(self.m.add(sum(xs) <= group_rules.AWS_SPREAD_PER_ZONE), lits)

    def _zonal_group(self, g: Group) -> None:
        zones = sorted(set.intersection(*(set(self.domains[w]) for w in g.members)))
        lits = self._lit(("group", g.name), Explanation(
            g.members[0], "group", f"{g.strategy} group {g.name} puts {', '.join(g.members)} in one zone",
            "take a member out of the group"))
        bs = {z: self.m.new_bool_var(f"b[{g.name},{z}]") for z in zones}
        self.b.update({(g.name, z): v for z, v in bs.items()})
        self._add(self.m.add(sum(bs.values()) == 1), lits)
        for w in g.members:
            for z in self.domains[w]:
                if z in bs:
                    self._add(self.m.add_implication(self.y[w, z], bs[z]), lits)
                else:
                    self._add(self.m.add(self.y[w, z] == 0), lits)
        if g.strategy == "sole_tenant":
            for z, v in bs.items():
                self.cost_terms.append((v, round(g.node_hourly_by_zone.get(z, 0.0) * _CENTS)))

    def _anti_affinity(self) -> None:
        for it in self.p.items:
            for o in it.anti_affinity:
                if o not in self.items or (o in self.items and o < it.name and it.name in self.items[o].anti_affinity):
                    continue
                a, c = sorted((it.name, o))
                lits = self._lit(("anti_affinity", a, c), Explanation(
                    it.name, "anti_affinity", f"{a} and {c} must be in different zones (anti-affinity)",
                    "drop the anti-affinity or give one of them another zone"))
                for z in sorted(set(self.domains[it.name]) & set(self.domains[o])):
                    self._add(self.m.add(self.y[it.name, z] + self.y[o, z] <= 1), lits)

    def _pair_budgets(self) -> None:
        for it in self.p.items:
            for b in it.budgets:
                if b.kind != "workload" or b.to not in self.items or b.to == it.name:
                    continue
                other = self.items[b.to]
                same = _same_zonal_group(it, other)
                lits = self._lit(("budget", it.name, b.to), Explanation(
                    it.name, "budget", f"latency budget {it.name} -> {b.to} of {b.rtt_us:,.0f} µs",
                    "raise the budget", b.where))
                dw, dt = self.domains[it.name], self.domains[other.name]
                rw = sorted({catalog.region_of(z) for z in dw})
                rt = sorted({catalog.region_of(z) for z in dt})
                for r1 in rw:
                    for r2 in rt:
                        if r1 != r2:
                            z1 = next(z for z in dw if catalog.region_of(z) == r1)
                            z2 = next(z for z in dt if catalog.region_of(z) == r2)
                            if pair_rtt(z1, z2, False) > b.rtt_us:
                                self._add(self.m.add(self._region_var(it.name, r1)
                                                     + self._region_var(other.name, r2) <= 1), lits)
                            continue
                        cloud = catalog.REGIONS[r1].cloud
                        fab = FABRIC[cloud]
                        same_zone = (fab.group if same else fab.zone).rtt_us
                        if same_zone > b.rtt_us:
                            self._add(self.m.add(self._region_var(it.name, r1)
                                                 + self._region_var(other.name, r1) <= 1), lits)
                        elif fab.inter_zone.rtt_us > b.rtt_us:
                            zs_w = [z for z in dw if catalog.region_of(z) == r1]
                            zs_t = [z for z in dt if catalog.region_of(z) == r1]
                            for z in zs_w:
                                others = [self.y[other.name, z2] for z2 in zs_t if z2 != z]
                                if others:
                                    self._add(self.m.add(self.y[it.name, z] + sum(others) <= 1), lits)

    def _capacity(self) -> None:
        sole = {g.name: g for g in self.p.groups if g.strategy == "sole_tenant"}
        cap: Capacity = self.p.capacity
        terms: dict[tuple[str, str], list[tuple[cp_model.IntVar, int, int]]] = {}
        for it in self.p.items:
            if it.group in sole or not it.vcpus:
                continue
            for z in self.domains[it.name]:
                terms.setdefault((z, it.family), []).append((self.x[it.name, z], it.vcpus, it.count))
        for g in sole.values():
            if not g.node_type:
                continue
            fam = machine_family(g.node_type)
            for z in sorted(z for (gn, z) in self.b if gn == g.name):
                terms.setdefault((z, fam), []).append((self.b[g.name, z], g.nodes * g.node_vcpus, 1))
        for (z, fam), ts in sorted(terms.items()):
            limit = cap.vcpus(z, fam)
            if sum(c * most for _, c, most in ts) <= limit:
                continue
            lits = self._lit(("capacity", z, fam), Explanation(
                "", "capacity", f"capacity of {fam} in {z}: {limit:,} vCPUs",
                "raise the allowance in the capacity table, or use another family or zone"))
            self._add(self.m.add(sum(v * c for v, c, _ in ts) <= limit), lits)

    def _place_budgets(self) -> None:
        for it in self.p.items:
            for b in it.budgets:
                if b.kind == "workload":
                    continue
                bad = [z for z in self.domains[it.name] if b.rtt_at(z) > b.rtt_us]
                if not bad:
                    continue
                lits = self._lit(("budget", it.name, b.to), Explanation(
                    it.name, "budget", f"latency budget {it.name} -> {b.to} of {b.rtt_us:,.0f} µs "
                    f"(rules out {', '.join(bad)})", "raise the budget", b.where))
                for z in bad:
                    self._add(self.m.add(self.x[it.name, z] == 0), lits)

    def tie_broken_latency(self) -> cp_model.LinearExprT:
        """Latency, then (among equal latencies) the alphabetically first zones: stable output."""
        ranks = [(v, i) for it in self.p.items for i, z in enumerate(self.domains[it.name])
                 for v in [self.x[it.name, z]] if i]
        spread = 1 + sum(it.count * (len(self.domains[it.name]) - 1) for it in self.p.items)
        most = sum(c * self.items[_name(v)].count for v, c in self.latency_terms)
        if most * spread >= 2**50 or len(self.x) > _TIE_BREAK_MAX_VARS:
            return self.latency_expr  # large models: the tie-break costs more than it is worth
        return self.latency_expr * spread + sum(v * i for v, i in ranks)

    # ------------------------------------------------------------------ solutions

    def values(self, solver: cp_model.CpSolver) -> dict[tuple[str, str], int]:
        out = {k: int(solver.value(v)) for k, v in self.x.items()}
        out |= {("#group", g, z): int(solver.value(v)) for (g, z), v in self.b.items()}  # type: ignore[misc]
        return out

    def hint(self, values: dict[tuple[str, str], int]) -> None:
        for k, v in self.x.items():
            self.m.add_hint(v, values[k])

    def result(self, name: str, values: dict[tuple[str, str], int], status: Status, hourly: float,
               bound: float, seconds: float, free_subnets: bool) -> PlacementResult:
        sole = {g.name for g in self.p.groups if g.strategy == "sole_tenant"}
        placements: list[WorkloadPlacement] = []
        latency = 0.0
        for it in self.p.items:
            zones: list[str] = []
            for z in self.domains[it.name]:
                zones += [z] * values[it.name, z]
            cost = 0.0 if it.group in sole else sum(it.hourly_by_zone[z] for z in zones)
            latency += sum(b.rtt_at(z) for z in zones for b in it.budgets
                           if b.kind != "workload")
            placements.append(WorkloadPlacement(it.name, it.cloud, tuple(zones),
                                                tuple(it.subnet_by_zone[z] for z in zones), it.strategy,
                                                it.group, cost))
        by_name = {p.workload: p for p in placements}
        groups: list[GroupPlacement] = []
        for g in self.p.groups:
            zones_used = tuple(sorted({z for m in g.members for z in by_name[m].zones}))
            reqs: list[str] = []
            hourly_g = 0.0
            if g.strategy == "compact":
                reqs = ["resource policy group_placement_policy.collocation = COLLOCATED",
                        "scheduling.on_host_maintenance = TERMINATE"]
            elif g.strategy == "cluster":
                reqs = ["aws_placement_group strategy = cluster", "ENA (not ENA Express) for latency flows"]
            elif g.strategy == "spread":
                reqs = ([f"aws_placement_group strategy = spread (<= {group_rules.AWS_SPREAD_PER_ZONE} per zone)"]
                        if g.cloud == "aws" else ["resource policy group_placement_policy (spread)"])
            elif g.strategy == "partition":
                reqs = [f"aws_placement_group strategy = partition, partition_count = "
                        f"{min(group_rules.AWS_PARTITIONS_PER_ZONE, g.instances)}"]
            elif g.strategy == "sole_tenant":
                reqs = [f"node template node_type = {g.node_type}", f"node group size = {g.nodes}",
                        "scheduling.node_affinities to the node group"]
                hourly_g = g.node_hourly_by_zone.get(zones_used[0], 0.0) if zones_used else 0.0
            groups.append(GroupPlacement(g.name, g.strategy, g.cloud, zones_used, g.members, g.instances,
                                         group_rules.RULE_SOURCES.get(g.strategy, ""), g.node_type, g.nodes, hourly_g,
                                         tuple(reqs)))
        total = sum(p.hourly_usd for p in placements) + sum(g.hourly_usd for g in groups)
        bound_usd = round(total, 6) if status == "optimal" else min(round(total, 6), round(bound, 6))
        return PlacementResult(name, status, tuple(placements), tuple(groups), round(total, 6), bound_usd,
                               latency, (), seconds, free_subnets)


def _name(v: cp_model.IntVar) -> str:
    return str(v.name)[2:].rsplit(",", 1)[0]


def _merge_capacity(parts: list[Explanation]) -> list[Explanation]:
    """Many zones at the same capacity read better as one line."""
    caps: dict[tuple[str, str], list[str]] = {}
    rest: list[Explanation] = []
    for p in parts:
        if p.kind == "capacity":
            head, _, zone_limit = p.message.partition(" in ")
            zone, _, limit = zone_limit.partition(": ")
            caps.setdefault((head, limit), []).append(zone)
        else:
            rest.append(p)
    hint = "raise the allowance in the capacity table, or use another family or zone"
    for (head, limit), zones in sorted(caps.items()):
        where = zones[0] if len(zones) == 1 else f"each of {', '.join(zones)} ({len(zones)} zones)"
        rest.append(Explanation("", "capacity", f"{head}: {limit} in {where}", hint))
    return rest


def _explain(problem: Problem, options: SolverOptions) -> tuple[Explanation, ...]:
    from ortools.sat.python import cp_model

    model = _Model(problem, explain=True)
    keys = sorted(model.lits)
    model.m.clear_objective()  # type: ignore[no-untyped-call]
    model.m.add_assumptions([model.lits[k] for k in keys])
    solver = _solver(SolverOptions(workers=1, seed=options.seed,
                                   max_deterministic_time=options.max_deterministic_time,
                                   time_limit_s=options.time_limit_s))
    status = solver.solve(model.m)
    if status != cp_model.INFEASIBLE:
        return (Explanation("", "conflict", "the constraints conflict, but no small set of them could be "
                                            "isolated", "relax capacity, budgets or anti-affinity"),)
    index = {model.lits[k].index: k for k in keys}
    core = sorted(index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in index)
    parts = _merge_capacity([model.about[k] for k in core])
    workloads = sorted({p.workload for p in parts if p.workload})
    message = "these constraints cannot all hold together: " + "; ".join(p.message for p in parts)
    hints = sorted({p.hint for p in parts if p.hint})
    where = next((p.where for p in parts if p.where), "")
    return (Explanation(",".join(workloads), "conflict", message, "relax one: " + " / ".join(hints), where),)
