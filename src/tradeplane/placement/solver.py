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
from dataclasses import dataclass, replace
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
    monolithic: bool | None = None  # one CP-SAT model (True) or parts (False); None: by size (solve_problem)


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
    """Place ``problem``. A small problem (up to 2,000 workload-zone choices) is one CP-SAT model; a
    larger one is solved in independent parts whose optima together are the optimum of the whole,
    because the objective is a sum over parts (``options.monolithic`` forces either way):

    - workloads that no group, anti-affinity or budget between workloads ties to another, and that
      are alike (cloud, family, vCPUs, candidate zones, cost and round trips per zone), are pooled: their
      replicas are interchangeable, so one count per zone says where they go (``_pool``);
    - every other part is the workloads such constraints tie together (``_Parts``);
    - capacity is added lazily: each part is solved with the capacity constraints of its own workloads
      (a relaxation of the whole); a zone and family the parts overfill together joins every part that
      may use it, and only the joined part is solved again, until no capacity is exceeded. The answer
      is then feasible for the whole and optimal for a relaxation of it, so optimal for the whole.
    """
    if problem.blockers:
        return _infeasible(name, problem.blockers, free_subnets)
    whole = options.monolithic
    if whole is None:
        whole = sum(len(it.domain) for it in problem.items) <= _TIE_BREAK_MAX_VARS
    if whole:
        return _solve_whole(problem, name, options, free_subnets)
    reduced, pools = _pool(problem)
    parts = _Parts(reduced)
    solved: dict[int, _Solved] = {}
    seconds = 0.0
    while True:
        for root, sub in parts.pending():
            limit = None if options.time_limit_s is None else max(options.time_limit_s - seconds, 0.01)
            done = _solve_part(sub, replace(options, time_limit_s=limit))
            seconds += done.seconds
            solved[root] = done
        if any(d.status == "infeasible" for d in solved.values()):
            why = [x for d in sorted(solved.values(), key=lambda d: d.first) if d.status == "infeasible"
                   for x in _explain(_unpool(d.problem, pools), options)]
            return _infeasible(name, why, free_subnets, seconds)
        if any(d.status == "unknown" for d in solved.values()):
            return _unknown(name, free_subnets, seconds)
        values: dict[tuple[str, ...], int] = {}
        for d in solved.values():
            values.update(d.values)
        over = _over_capacity(reduced, values)
        if not over:
            break
        for root in parts.join(over):
            solved.pop(root, None)
    status: Status = "optimal" if all(d.status == "optimal" for d in solved.values()) else "feasible"
    cost = sum(d.cost for d in solved.values())
    bound = sum(d.bound for d in solved.values())
    return _result(problem, name, _spread(values, pools), status, cost / _CENTS, bound / _CENTS, seconds,
                   free_subnets)


def _tied(p: Problem) -> set[str]:
    """Workloads a group, anti-affinity or a budget between workloads ties to another workload."""
    names = {it.name for it in p.items}
    out: set[str] = set()
    for it in p.items:
        if it.group is not None:
            out.add(it.name)
        for o in it.anti_affinity:
            if o in names and o != it.name:
                out |= {it.name, o}
        for b in it.budgets:
            if b.kind == "workload" and b.to in names and b.to != it.name:
                out |= {it.name, b.to}
    return out


def _pool(p: Problem) -> tuple[Problem, dict[str, tuple[Item, ...]]]:
    """``p`` with alike untied workloads pooled into one item (named after the first, holding all their
    replicas), and each pool's members in ``p``'s order."""
    tied = _tied(p)
    pools: dict[tuple[object, ...], list[Item]] = {}
    for it in p.items:
        if it.name in tied:
            continue
        site = [b for b in it.budgets if b.kind != "workload"]
        key = (it.cloud, it.family, it.vcpus, it.domain,
               tuple(round(it.hourly_by_zone[z] * _CENTS) for z in it.domain),
               tuple(sum(round(b.rtt_at(z)) for b in site) for z in it.domain))
        pools.setdefault(key, []).append(it)
    first: dict[str, tuple[Item, ...]] = {ms[0].name: tuple(ms) for ms in pools.values()}
    pooled = {m.name for ms in pools.values() if len(ms) > 1 for m in ms}
    items: list[Item] = []
    for it in p.items:
        if it.name in first:
            ms = first[it.name]
            items.append(it if len(ms) == 1 else replace(it, count=sum(m.count for m in ms), anti_affinity=()))
        elif it.name not in pooled:
            items.append(it)
    return Problem(tuple(items), p.groups, p.capacity, ()), {k: v for k, v in first.items() if len(v) > 1}


def _spread(values: dict[tuple[str, ...], int], pools: dict[str, tuple[Item, ...]]) -> dict[tuple[str, ...], int]:
    """Each pool's replicas per zone handed to its members in order (first members to first zones)."""
    out = dict(values)
    for rep, members in pools.items():
        zones = members[0].domain
        left = [values[rep, z] for z in zones]
        for m in members:
            need = m.count
            for j, z in enumerate(zones):
                take = min(need, left[j])
                left[j] -= take
                need -= take
                out[m.name, z] = take
    return out


def _unpool(p: Problem, pools: dict[str, tuple[Item, ...]]) -> Problem:
    """A part with its pools' members back in place of the pooled items (to explain an infeasible one)."""
    items = [m for it in p.items for m in pools.get(it.name, (it,))]
    return Problem(tuple(items), p.groups, p.capacity, ())


def _solve_whole(problem: Problem, name: str, options: SolverOptions, free_subnets: bool) -> PlacementResult:
    done = _solve_part(problem, options)
    if done.status == "infeasible":
        return _infeasible(name, _explain(problem, options), free_subnets, done.seconds)
    if done.status == "unknown":
        return _unknown(name, free_subnets, done.seconds)
    return _result(problem, name, done.values, done.status, done.cost / _CENTS, done.bound / _CENTS,
                   done.seconds, free_subnets)


@dataclass(frozen=True)
class _Solved:
    """One part's answer: status, cost and bound (1/10,000 USD per hour), the values of its x (and
    ``("#group", g, z)``) and the wall seconds CP-SAT took."""

    problem: Problem
    status: Status
    cost: int
    bound: float
    values: dict[tuple[str, ...], int]
    seconds: float

    @property
    def first(self) -> str:
        return self.problem.items[0].name


def _solve_part(problem: Problem, options: SolverOptions) -> _Solved:
    """Cost, then (cost held at its optimum) latency with the first zones breaking ties. A workload
    coupled to nothing, whose own capacity cannot bind, needs no solver: every replica goes to its
    cheapest, then nearest, then alphabetically first zone, the one optimum of both phases."""
    from ortools.sat.python import cp_model

    alone = _alone(problem)
    if alone is not None:
        return alone
    model = _Model(problem, explain=False)
    solver = _solver(options)
    status = solver.solve(model.m)
    seconds = solver.wall_time
    if status == cp_model.INFEASIBLE:
        return _Solved(problem, "infeasible", 0, 0, {}, seconds)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Solved(problem, "unknown", 0, 0, {}, seconds)
    cost = round(solver.objective_value)
    bound = solver.best_objective_bound
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
    return _Solved(problem, "optimal" if status == cp_model.OPTIMAL else "feasible", cost, bound, values, seconds)


def _alone(problem: Problem) -> _Solved | None:
    """The answer of a one-workload part with no group whose capacity cannot bind, else None."""
    if len(problem.items) != 1 or problem.groups:
        return None
    it = problem.items[0]
    if it.group is not None or not it.domain:
        return None
    if it.vcpus and any(it.count * it.vcpus > problem.capacity.vcpus(z, it.family) for z in it.domain):
        return None
    site = [b for b in it.budgets if b.kind != "workload"]
    best = min(range(len(it.domain)), key=lambda i: (round(it.hourly_by_zone[it.domain[i]] * _CENTS),
                                                     sum(round(b.rtt_at(it.domain[i])) for b in site), i))
    zone = it.domain[best]
    cost = it.count * round(it.hourly_by_zone[zone] * _CENTS)
    values: dict[tuple[str, ...], int] = {(it.name, z): (it.count if z == zone else 0) for z in it.domain}
    return _Solved(problem, "optimal", cost, cost, values, 0.0)


class _Parts:
    """Workloads joined when a constraint ties them: a group, anti-affinity, a budget between them, and
    (added by ``join``) a zone and family whose capacity they share and overfilled. Union-find."""

    def __init__(self, p: Problem) -> None:
        self.p = p
        self.order = {it.name: i for i, it in enumerate(p.items)}
        self.parent = list(range(len(p.items)))
        self.groups = {g.name: g for g in p.groups}
        for g in p.groups:
            self._union([self.order[m] for m in g.members if m in self.order])
        for it in p.items:
            for o in it.anti_affinity:
                if o in self.order:
                    self._union([self.order[it.name], self.order[o]])
            for b in it.budgets:
                if b.kind == "workload" and b.to in self.order:
                    self._union([self.order[it.name], self.order[b.to]])
        self.fresh = {self._find(i) for i in range(len(p.items))}

    def _find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def _union(self, members: list[int]) -> set[int]:
        """Join the members' parts; returns the roots that stopped being roots."""
        roots = sorted({self._find(i) for i in members})
        for r in roots[1:]:
            self.parent[r] = roots[0]
        return set(roots[1:])

    def pending(self) -> list[tuple[int, Problem]]:
        """The parts to solve (new, or grown since the last call): (root, the part as a problem with its
        workloads in ``p``'s order and its groups), in the order of their first workload."""
        out: dict[int, list[Item]] = {}
        for i, it in enumerate(self.p.items):
            r = self._find(i)
            if r in self.fresh:
                out.setdefault(r, []).append(it)
        self.fresh = set()
        parts: list[tuple[int, Problem]] = []
        for r, items in out.items():
            names = {it.group for it in items if it.group is not None}
            groups = tuple(self.groups[n] for n in sorted(names) if n in self.groups)
            parts.append((r, Problem(tuple(items), groups, self.p.capacity, ())))
        return sorted(parts, key=lambda rp: self.order[rp[1].items[0].name])

    def join(self, over: Iterable[tuple[str, str]]) -> set[int]:
        """Join every workload that may use each overfilled (zone, family); returns the roots whose
        answers are void (merged away or grown)."""
        void: set[int] = set()
        users = _capacity_users(self.p)
        for key in over:
            idx = [self.order[w] for w in users[key]]
            void |= self._union(idx)
            root = self._find(idx[0])
            void.add(root)
            self.fresh.add(root)
        self.fresh = {self._find(r) for r in self.fresh}
        return void


def _capacity_users(p: Problem) -> dict[tuple[str, str], list[str]]:
    """(zone, family) -> the workloads whose vCPUs may count there (sole-tenant members through their
    group's nodes), as ``_Model._capacity`` counts them."""
    sole = {g.name: g for g in p.groups if g.strategy == "sole_tenant"}
    out: dict[tuple[str, str], list[str]] = {}
    for it in p.items:
        if it.group in sole or not it.vcpus:
            continue
        for z in it.domain:
            out.setdefault((z, it.family), []).append(it.name)
    for g in sole.values():
        if not g.node_type:
            continue
        fam = machine_family(g.node_type)
        members = [i for i in p.items if i.name in g.members]
        if not members:
            continue
        for z in sorted(set.intersection(*(set(i.domain) for i in members))):
            out.setdefault((z, fam), []).extend(g.members)
    return out


def _over_capacity(p: Problem, values: dict[tuple[str, ...], int]) -> list[tuple[str, str]]:
    """The (zone, family) pairs whose vCPUs the combined answer exceeds, sorted."""
    sole = {g.name: g for g in p.groups if g.strategy == "sole_tenant"}
    used: dict[tuple[str, str], int] = {}
    for it in p.items:
        if it.group in sole or not it.vcpus:
            continue
        for z in it.domain:
            n = values[it.name, z]
            if n:
                used[z, it.family] = used.get((z, it.family), 0) + n * it.vcpus
    for g in sole.values():
        if not g.node_type:
            continue
        fam = machine_family(g.node_type)
        for z in g.domain:
            if values.get(("#group", g.name, z)):
                used[z, fam] = used.get((z, fam), 0) + g.nodes * g.node_vcpus
    return sorted(k for k, v in used.items() if v > p.capacity.vcpus(*k))


def _unknown(name: str, free_subnets: bool, seconds: float) -> PlacementResult:
    return PlacementResult(name, "unknown", (), (), 0.0, 0.0, 0.0, (Explanation(
        "", "conflict", "the solver found no placement within its time limit",
        "raise the time limit (--time-limit)"),), seconds, free_subnets)


def _solver(options: SolverOptions) -> cp_model.CpSolver:
    from ortools.sat.python import cp_model

    s = cp_model.CpSolver()
    # CP-SAT's own SIGINT handler (on by default) is left installed as the system default after a solve:
    # a Ctrl-C at any later point then killed the process outright (no "aborted", no cleanup). Python's
    # handler stays; an interrupt during a solve is raised when the solve returns (they take milliseconds).
    s.parameters.catch_sigint_signal = False
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

    def values(self, solver: cp_model.CpSolver) -> dict[tuple[str, ...], int]:
        out: dict[tuple[str, ...], int] = {k: int(solver.value(v)) for k, v in self.x.items()}
        out |= {("#group", g, z): int(solver.value(v)) for (g, z), v in self.b.items()}
        return out

    def hint(self, values: dict[tuple[str, ...], int]) -> None:
        for k, v in self.x.items():
            self.m.add_hint(v, values[k])

def _result(p: Problem, name: str, values: dict[tuple[str, ...], int], status: Status, hourly: float,
            bound: float, seconds: float, free_subnets: bool) -> PlacementResult:
    """The placement of every workload and group of ``p`` from the values of its x (every workload's
    domain zones) and ``hourly``/``bound`` in USD per hour."""
    sole = {g.name for g in p.groups if g.strategy == "sole_tenant"}
    placements: list[WorkloadPlacement] = []
    latency = 0.0
    for it in p.items:
        zones: list[str] = []
        for z in it.domain:
            zones += [z] * values[it.name, z]
        cost = 0.0 if it.group in sole else sum(it.hourly_by_zone[z] for z in zones)
        latency += sum(b.rtt_at(z) for z in zones for b in it.budgets
                       if b.kind != "workload")
        placements.append(WorkloadPlacement(it.name, it.cloud, tuple(zones),
                                            tuple(it.subnet_by_zone[z] for z in zones), it.strategy,
                                            it.group, cost))
    by_name = {p.workload: p for p in placements}
    groups: list[GroupPlacement] = []
    for g in p.groups:
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
