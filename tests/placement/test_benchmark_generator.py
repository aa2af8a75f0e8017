"""The benchmark's synthetic input: deterministic, the intended mix, and cheap capacity that shrinks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tradeplane.estate import catalog
from tradeplane.placement import SolverOptions, build_problem, solve_problem

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "placement.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_placement", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_placement"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_generator_is_deterministic_and_mixed(bench: ModuleType) -> None:
    a, b = bench.synthetic_estate(80, seed=3), bench.synthetic_estate(80, seed=3)
    assert a.workloads == b.workloads
    assert len(a.workloads) == 80
    clouds = {a.network(w.network).cloud for w in a.workloads}
    assert clouds == {"aws", "gcp"}
    gcp = [w for w in a.workloads if a.network(w.network).cloud == "gcp"]
    assert any(w.latency_budgets for w in gcp) and any(not w.latency_budgets for w in gcp)
    assert any(w.placement.anti_affinity for w in a.workloads)
    assert any(w.placement.group for w in a.workloads)


def test_cheap_capacity_shrinks_with_the_share_and_results_recheck(bench: ModuleType) -> None:
    e = bench.synthetic_estate(60, seed=3)
    cheap = [z for z in catalog.ZONES if catalog.region_of(z) in bench.cheap_regions("gcp")]
    assert cheap
    ample, tight = bench.capacity_for(e, 1.0), bench.capacity_for(e, 0.2)
    assert all(tight.of(z).vcpus_per_family < ample.of(z).vcpus_per_family for z in cheap)
    dear = [z for z, p in catalog.ZONES.items() if p.cloud == "gcp" and z not in cheap]
    assert all(tight.of(z).vcpus_per_family == ample.of(z).vcpus_per_family for z in dear)
    problem = build_problem(e, tight, free_subnets=True)
    r = solve_problem(problem, e.name, SolverOptions(workers=1, seed=1, latency_phase=False), free_subnets=True)
    assert r.feasible
    assert bench.verify(e, problem, r).startswith("ok:")


def test_pairs_only_add_budgets_between_workloads(bench: ModuleType) -> None:
    coupled, independent = bench.synthetic_estate(80, seed=5), bench.synthetic_estate(80, seed=5, pairs=False)
    assert [w.machine_type for w in coupled.workloads] == [w.machine_type for w in independent.workloads]
    names = {w.name for w in coupled.workloads}
    extra = [b for w in coupled.workloads for b in w.latency_budgets if b.to in names and b.rtt_us == 3_000.0]
    assert extra
    assert not [b for w in independent.workloads for b in w.latency_budgets if b.to in names and b.rtt_us == 3_000.0]


def test_unlimited_capacity_cost_is_a_lower_bound(bench: ModuleType) -> None:
    e = bench.synthetic_estate(60, seed=3)
    problem = build_problem(e, bench.capacity_for(e, 0.2), free_subnets=True)
    r = solve_problem(problem, e.name, SolverOptions(workers=1, seed=1, latency_phase=False), free_subnets=True)
    assert r.feasible
    assert bench.uncapacitated_cost(problem) <= r.hourly_usd + 1e-6
