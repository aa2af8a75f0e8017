"""The placement benchmark's synthetic input (``estate.synth.placement_mix`` through
``placement.scenarios``): deterministic, the intended mix, and cheap capacity that shrinks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane.estate import catalog
from tradeplane.estate.model import Estate
from tradeplane.placement import SolverOptions, build_problem, solve_problem
from tradeplane.placement.scenarios import (
    capacity_for,
    cheap_regions,
    mix_estate,
    recheck,
    uncapacitated_cost,
)

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "dv-trading"


@pytest.fixture(scope="module")
def base() -> Estate:
    return est.load(REFERENCE)


def test_generator_is_deterministic_and_mixed(base: Estate) -> None:
    a, b = mix_estate(base, 80, seed=3), mix_estate(base, 80, seed=3)
    assert a.workloads == b.workloads
    assert len(a.workloads) == 80
    clouds = {a.network(w.network).cloud for w in a.workloads}
    assert clouds == {"aws", "gcp"}
    gcp = [w for w in a.workloads if a.network(w.network).cloud == "gcp"]
    assert any(w.latency_budgets for w in gcp) and any(not w.latency_budgets for w in gcp)
    assert any(w.placement.anti_affinity for w in a.workloads)
    assert any(w.placement.group for w in a.workloads)


def test_cheap_capacity_shrinks_with_the_share_and_results_recheck(base: Estate) -> None:
    e = mix_estate(base, 60, seed=3)
    cheap = [z for z in catalog.ZONES if catalog.region_of(z) in cheap_regions("gcp")]
    assert cheap
    ample, tight = capacity_for(e, 1.0), capacity_for(e, 0.2)
    assert all(tight.of(z).vcpus_per_family < ample.of(z).vcpus_per_family for z in cheap)
    dear = [z for z, p in catalog.ZONES.items() if p.cloud == "gcp" and z not in cheap]
    assert all(tight.of(z).vcpus_per_family == ample.of(z).vcpus_per_family for z in dear)
    problem = build_problem(e, tight, free_subnets=True)
    r = solve_problem(problem, e.name, SolverOptions(workers=1, seed=1, latency_phase=False), free_subnets=True)
    assert r.feasible
    assert recheck(e, problem, r).startswith("ok:")


def test_pairs_only_add_budgets_between_workloads(base: Estate) -> None:
    coupled, independent = mix_estate(base, 80, seed=5), mix_estate(base, 80, seed=5, pairs=False)
    assert [w.machine_type for w in coupled.workloads] == [w.machine_type for w in independent.workloads]
    names = {w.name for w in coupled.workloads}
    extra = [b for w in coupled.workloads for b in w.latency_budgets if b.to in names and b.rtt_us == 3_000.0]
    assert extra
    assert not [b for w in independent.workloads for b in w.latency_budgets if b.to in names and b.rtt_us == 3_000.0]


def test_unlimited_capacity_cost_is_a_lower_bound(base: Estate) -> None:
    e = mix_estate(base, 60, seed=3)
    problem = build_problem(e, capacity_for(e, 0.2), free_subnets=True)
    r = solve_problem(problem, e.name, SolverOptions(workers=1, seed=1, latency_phase=False), free_subnets=True)
    assert r.feasible
    assert uncapacitated_cost(problem) <= r.hourly_usd + 1e-6
