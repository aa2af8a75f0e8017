"""Locality-aware placement: put each workload where it meets its latency budgets, at the lowest cost.

- ``estimate_rtt(a, b)``: the round trip between two catalog places (or venues) and its basis.
- ``solve(estate)``: every replica of every workload to a zone (and its placement group, compact
  policy or sole-tenant node group), honouring budgets, capacity, group rules, anti-affinity, region
  guardrails and subnets, minimising cost then latency (OR-Tools CP-SAT). Infeasible input gets
  explanations a human can act on.
- ``zones_by_workload(result)``: what the Terraform renderer takes.
- ``check_budgets(estate, result)``: each latency budget, met or not, for ``net verify``.
- ``Routes(estate)``: round trips along the declared path (Direct Connect / Interconnect exits, physical
  paths); ``route_through`` is the zone -> exit -> site figure migrate's crossings use too.
"""

from tradeplane.placement.budgets import BudgetFinding, check_budgets
from tradeplane.placement.capacity import (
    Capacity,
    ZoneCapacity,
    default_capacity,
    load_capacity,
    machine_family,
)
from tradeplane.placement.explanation import KINDS, Explanation
from tradeplane.placement.greedy import greedy
from tradeplane.placement.latency import Estimate, estimate_rtt, resolve_place, venue_note
from tradeplane.placement.paths import (
    Exit,
    Routed,
    Routes,
    exits_of,
    metro_place,
    path_estimate,
    route_through,
)
from tradeplane.placement.problem import Problem, build_problem
from tradeplane.placement.result import GroupPlacement, PlacementResult, WorkloadPlacement, zones_by_workload
from tradeplane.placement.solver import SolverOptions, solve, solve_problem, solved_zones

__all__ = [
    "KINDS",
    "BudgetFinding",
    "Capacity",
    "Estimate",
    "Exit",
    "Explanation",
    "GroupPlacement",
    "PlacementResult",
    "Problem",
    "Routed",
    "Routes",
    "SolverOptions",
    "WorkloadPlacement",
    "ZoneCapacity",
    "build_problem",
    "check_budgets",
    "default_capacity",
    "estimate_rtt",
    "exits_of",
    "greedy",
    "load_capacity",
    "machine_family",
    "metro_place",
    "path_estimate",
    "resolve_place",
    "route_through",
    "solve",
    "solve_problem",
    "solved_zones",
    "venue_note",
    "zones_by_workload",
]
