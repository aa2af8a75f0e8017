"""The solve in parts (pooled alike workloads, tied parts, capacity added lazily) reaches the same
optimum as one CP-SAT model of the whole estate: same status, same cost, same latency objective."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane.estate.model import Estate
from tradeplane.estate.synth import synthetic, write_directory
from tradeplane.placement import (
    Capacity,
    PlacementResult,
    Problem,
    SolverOptions,
    ZoneCapacity,
    build_problem,
    default_capacity,
    solve_problem,
)
from tradeplane.placement import solver as solver_module
from tradeplane.placement.scenarios import capacity_for, mix_estate, recheck

from .conftest import with_workloads, wl

WHOLE = SolverOptions(monolithic=True)
PARTS = SolverOptions(monolithic=False)
USC1 = ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f")


def _latency_objective(problem: Problem, r: PlacementResult) -> int:
    """What the latency phase minimises: each replica's rounded round trip to each venue/site target."""
    items = {i.name: i for i in problem.items}
    return sum(round(b.rtt_at(z)) for p in r.workloads for z in p.zones
               for b in items[p.workload].budgets if b.kind != "workload")


def _same_optimum(e: Estate, capacity: Capacity, free_subnets: bool = False) -> PlacementResult:
    problem = build_problem(e, capacity, free_subnets)
    whole = solve_problem(problem, e.name, WHOLE, free_subnets)
    parts = solve_problem(problem, e.name, PARTS, free_subnets)
    assert whole.status == parts.status == "optimal"
    assert parts.hourly_usd == pytest.approx(whole.hourly_usd, abs=1e-6)
    assert parts.bound_hourly_usd == pytest.approx(whole.bound_hourly_usd, abs=1e-6)
    assert _latency_objective(problem, parts) == _latency_objective(problem, whole)
    assert recheck(e, problem, parts).startswith("ok:"), recheck(e, problem, parts)
    return parts


def _synthetic(subnets: int) -> Estate:
    with tempfile.TemporaryDirectory() as tmp:
        write_directory(synthetic(subnets), Path(tmp))
        return est.load(Path(tmp))


@pytest.mark.parametrize("subnets", [60, 200])
@pytest.mark.parametrize("free_subnets", [False, True])
def test_synthetic_estates_parts_match_the_whole(subnets: int, free_subnets: bool) -> None:
    e = _synthetic(subnets)
    problem = build_problem(e, default_capacity(), free_subnets)
    reduced, pools = solver_module._pool(problem)
    assert pools and len(reduced.items) < len(problem.items)  # alike workloads did pool
    _same_optimum(e, default_capacity(), free_subnets)


@pytest.fixture(scope="module")
def base() -> Estate:
    return est.load(Path(__file__).resolve().parents[2] / "examples" / "dv-trading")


@pytest.mark.parametrize(("share", "pairs"), [(1.0, False), (0.4, False), (0.2, False), (0.4, True), (0.2, True)])
def test_benchmark_mix_parts_match_the_whole(base: Estate, share: float, pairs: bool) -> None:
    # Groups, anti-affinity, budgets between workloads and cheap capacity that binds (share 0.2). (Ample
    # capacity with pairs is left out: one model of it takes CP-SAT about 15 s, the parts 0.4 s.)
    e = mix_estate(base, 60, seed=3, pairs=pairs)
    problem = build_problem(e, capacity_for(e, share), free_subnets=True)
    parts = solver_module._Parts(solver_module._pool(problem)[0])
    assert len(parts.pending()) > 1
    _same_optimum(e, capacity_for(e, share), free_subnets=True)


def _cap(vcpus: int) -> Capacity:
    zones = dict(default_capacity().zones)
    zones.update({z: ZoneCapacity(z, frozenset({"c2"}), vcpus) for z in USC1})
    return Capacity(zones)


def test_overfilled_zone_joins_the_parts_that_share_it(base: Estate) -> None:
    # Two pools (30- and 16-vCPU c2) each fit one zone alone; together they overfill us-central1-a,
    # so the parts join and are solved again with the shared capacity.
    e = with_workloads(base, *(wl(f"big-{i}") for i in range(3)),
                       *(wl(f"small-{i}", machine_type="c2-standard-16") for i in range(3)))
    r = _same_optimum(e, _cap(96))
    zones = {p.workload: p.zones[0] for p in r.workloads}
    assert len(set(zones.values())) > 1
    assert [zones[f"big-{i}"] for i in range(3)] == sorted(zones[f"big-{i}"] for i in range(3))


def test_pool_members_take_the_first_zones_in_order(base: Estate) -> None:
    e = with_workloads(base, *(wl(f"w-{i}", count=2) for i in range(5)))
    r = _same_optimum(e, _cap(120))  # four 30-vCPU replicas per zone
    assert [r.workload(f"w-{i}").zones for i in range(5)] == [
        ("us-central1-a", "us-central1-a"), ("us-central1-a", "us-central1-a"),
        ("us-central1-b", "us-central1-b"), ("us-central1-b", "us-central1-b"),
        ("us-central1-c", "us-central1-c")]


def test_infeasible_part_is_explained_like_the_whole(base: Estate) -> None:
    e = with_workloads(base, *(wl(f"w-{i}") for i in range(9)))
    problem = build_problem(e, _cap(60), False)
    whole = solve_problem(problem, e.name, WHOLE)
    parts = solve_problem(problem, e.name, PARTS)
    assert whole.status == parts.status == "infeasible"
    assert [x.kind for x in parts.explanations] == [x.kind for x in whole.explanations] == ["conflict"]
    assert "capacity of c2" in parts.explanations[0].message


def test_small_estates_stay_one_model(base: Estate) -> None:
    # Up to 2,000 workload-zone choices the whole model is solved, as before: same answer byte for byte.
    problem = build_problem(base, default_capacity())
    assert sum(len(i.domain) for i in problem.items) <= solver_module._TIE_BREAK_MAX_VARS
    auto = solve_problem(problem, base.name, SolverOptions())
    assert auto.to_json() == solve_problem(problem, base.name, WHOLE).to_json()
