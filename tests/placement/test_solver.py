from __future__ import annotations

import pytest

from tradeplane.errors import EstateError
from tradeplane.estate.model import Estate, Guardrail
from tradeplane.placement import (
    Capacity,
    ZoneCapacity,
    build_problem,
    check_budgets,
    default_capacity,
    greedy,
    solve,
    zones_by_workload,
)

from .conftest import with_workloads, wl

USC1 = ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f")


def _cap(vcpus: int, zones: tuple[str, ...] = USC1, families: tuple[str, ...] = ("c2", "n2", "e2")) -> Capacity:
    base = dict(default_capacity().zones)
    base.update({z: ZoneCapacity(z, frozenset(families), vcpus) for z in zones})
    return Capacity(base)


def test_reference_estate_is_feasible_and_optimal(dv: Estate) -> None:
    r = solve(dv)
    assert r.status == "optimal" and r.gap == 0.0
    assert all(f.met for f in check_budgets(dv, r))
    zones = zones_by_workload(r)
    assert set(zones) == {w.name for w in dv.workloads}
    assert all(len(zones[w.name]) == w.count for w in dv.workloads)
    assert zones["cme-md-handler-a"] != zones["cme-md-handler-b"]
    assert set(zones["cme-order-router"]) == set(zones["cme-md-handler-a"])  # one compact policy
    assert zones["binance-mm"] == ("apne1-az4", "apne1-az4")
    st = next(g for g in r.groups if g.name == "st-pricing")
    assert (st.node_type, st.nodes) == ("n2-node-80-640", 1)  # 2 x 32 vCPU fit one 80-vCPU node


def test_reference_result_is_deterministic(dv: Estate) -> None:
    assert solve(dv).to_json() == solve(dv).to_json()


def test_cost_hand_checked(dv: Estate) -> None:
    # Two c2-standard-30 in us-central1: 30 x 0.03398 + 120 x 0.00455 = 1.5654 per hour each.
    e = with_workloads(dv, wl("a", count=2))
    r = solve(e)
    assert r.status == "optimal"
    assert r.hourly_usd == pytest.approx(2 * 1.5654)
    assert r.workload("a").zones == ("us-central1-a", "us-central1-a")  # ties broken to the first zone


def test_capacity_spills_replicas_over_zones(dv: Estate) -> None:
    # 60 vCPUs of c2 per zone: three 30-vCPU VMs cannot share one zone.
    e = with_workloads(dv, wl("a", count=5))
    r = solve(e, capacity=_cap(60))
    assert r.status == "optimal"
    zones = r.workload("a").zones
    assert len(zones) == 5 and max(zones.count(z) for z in set(zones)) == 2


def test_capacity_too_small_everywhere_is_explained(dv: Estate) -> None:
    e = with_workloads(dv, wl("a", count=9))
    r = solve(e, capacity=_cap(60))
    assert r.status == "infeasible"
    text = " ".join(x.message for x in r.explanations)
    assert "capacity of c2" in text


def test_anti_affinity_separates_zones(dv: Estate) -> None:
    e = with_workloads(dv, wl("a", placement={"anti_affinity": ["b"]}), wl("b"))
    r = solve(e)
    assert r.status == "optimal"
    assert set(r.workload("a").zones).isdisjoint(r.workload("b").zones)


def test_anti_affinity_against_a_tight_budget_is_a_conflict(dv: Estate) -> None:
    # 500 µs needs one zone on GCP (across zones is 1,000 µs) but anti-affinity forbids sharing one.
    e = with_workloads(dv, wl("a", placement={"anti_affinity": ["b"]},
                              latency_budgets=[{"to": "b", "rtt_us": 500}]), wl("b"))
    r = solve(e)
    assert r.status == "infeasible"
    (x,) = r.explanations
    assert x.kind == "conflict"
    assert "anti-affinity" in x.message and "latency budget a -> b" in x.message


def test_impossible_venue_budget_names_the_physical_bound(dv: Estate) -> None:
    e = with_workloads(dv, wl("a", latency_budgets=[{"to": "cme-globex", "rtt_us": 100}]))
    r = solve(e)
    assert r.status == "infeasible"
    (x,) = r.explanations
    assert x.kind == "budget"
    assert "cannot be under 100 µs" in x.message and "fibre bound" in x.message
    assert "colocation" in x.hint


def test_tokyo_to_aurora_budget_is_ruled_out_by_fibre(dv: Estate) -> None:
    e = with_workloads(dv, wl("t", desk="crypto", team="crypto-mm", network="aws-apne1-crypto",
                              subnet="trading-az4", machine_type="c6in.2xlarge",
                              latency_budgets=[{"to": "cme-globex", "rtt_us": 95_000}]))
    r = solve(e)
    (x,) = r.explanations
    assert "from ap-northeast-1 it cannot be under 95,000 µs: the fibre bound is 99," in x.message
    assert "use2-az1" in x.hint  # the nearest AWS zones (Ohio) would do


def test_feasible_but_distant_budget_points_to_zones_that_meet_it(dv: Estate) -> None:
    e = with_workloads(dv, wl("a", subnet="futures-dr", machine_type="n2-standard-32", latency_budgets=[{"to": "cme-globex", "rtt_us": 10000}]),
                       guardrails=())
    r = solve(e)
    assert r.status == "infeasible"
    assert "us-central1" in r.explanations[0].hint


def test_region_guardrail_blocks_a_subnet(dv: Estate) -> None:
    g = Guardrail(name="only-virginia", control="restrict_regions", regions=("us-east-1",), reason="test")
    e = with_workloads(dv, wl("a"), guardrails=(g,))
    r = solve(e)
    assert r.status == "infeasible"
    assert r.explanations[0].kind == "guardrail" and "only-virginia" in r.explanations[0].message


def test_compact_policy_rejects_unsupported_series(dv: Estate) -> None:
    e = with_workloads(dv, wl("a", machine_type="e2-standard-8", placement={"strategy": "compact", "group": "g"}))
    r = solve(e)
    assert r.status == "infeasible" and "cannot use compact" in r.explanations[0].message


def test_compact_policy_limit(dv: Estate) -> None:
    e = with_workloads(dv, wl("a", machine_type="n2-standard-2", count=151,
                              placement={"strategy": "compact", "group": "g"}))
    r = solve(e)
    assert r.status == "infeasible" and "limit is 150" in r.explanations[0].message


def test_cluster_group_on_gcp_is_an_estate_error(dv: Estate) -> None:
    with pytest.raises(EstateError) as exc:
        solve(with_workloads(dv, wl("a", placement={"strategy": "cluster", "group": "g"})))
    assert "compact or sole_tenant" in str(exc.value)


def test_aws_spread_group_holds_seven_per_zone(dv: Estate) -> None:
    e = with_workloads(dv, wl("s", desk="research", team="research", network="aws-use1-research",
                              subnet="batch-a", machine_type="m6i.large", count=9,
                              placement={"strategy": "spread", "group": "sg"}))
    assert solve(e).status == "infeasible"  # batch-a is one zone
    r = solve(e, free_subnets=True)  # batch-b (use1-az6) has the same tier
    assert r.status == "optimal"
    zones = r.workload("s").zones
    assert max(zones.count(z) for z in set(zones)) <= 7
    assert set(r.workload("s").subnets) == {"batch-a", "batch-b"}


def test_pinned_zones_and_aws_subnet(dv: Estate) -> None:
    e = with_workloads(dv, wl("a", placement={"zones": ["us-central1-c"]}))
    assert solve(e).workload("a").zones == ("us-central1-c",)
    bad = with_workloads(dv, wl("a", placement={"zones": ["use1-az4"]}))
    r = solve(bad)
    assert r.status == "infeasible" and r.explanations[0].kind == "zones"


def test_greedy_agrees_on_the_reference_estate(dv: Estate) -> None:
    g = greedy(build_problem(dv, default_capacity()), dv.name)
    assert g.status == "feasible"
    assert g.hourly_usd >= solve(dv).hourly_usd - 1e-9


def test_sole_tenant_needs_more_nodes_for_more_vms(dv: Estate) -> None:
    e = with_workloads(dv, wl("p", machine_type="n2-standard-32", count=5, kind="sole_tenant",
                              subnet="futures-data", placement={"strategy": "sole_tenant", "group": "st"}))
    r = solve(e)
    g = r.groups[0]
    assert (g.node_type, g.nodes) == ("n2-node-80-640", 2)  # 160 vCPUs on 80-vCPU nodes
    assert r.hourly_usd == pytest.approx(g.hourly_usd)


def test_unpriced_machine_type_is_an_estate_error_unless_priced_by_hand(dv: Estate) -> None:
    with pytest.raises(EstateError) as exc:
        solve(with_workloads(dv, wl("a", machine_type="x9-mega-1")))
    assert "no price for GCP machine type 'x9-mega-1'" in str(exc.value) and "hourly_usd" in str(exc.value)
    r = solve(with_workloads(dv, wl("a", machine_type="x9-mega-1", hourly_usd=2.5, count=2)))
    assert r.status == "optimal" and r.hourly_usd == pytest.approx(5.0)


def test_one_group_two_strategies_is_an_estate_error(dv: Estate) -> None:
    e = with_workloads(dv, wl("a", placement={"strategy": "compact", "group": "g"}),
                       wl("b", machine_type="n2-standard-8", kind="sole_tenant",
                          placement={"strategy": "sole_tenant", "group": "g"}))
    with pytest.raises(EstateError) as exc:
        solve(e)
    assert "different strategies" in str(exc.value)


def test_capacity_override_for_an_unknown_zone_is_a_config_error() -> None:
    from tradeplane.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        Capacity.from_mapping({"defaults": {"aws": {"vcpus_per_family": 1}, "gcp": {"vcpus_per_family": 1}},
                               "regions": {}, "zones": {"mars-1a": {"vcpus_per_family": 2}}})
    assert "mars-1a" in str(exc.value)


def test_shipped_capacity_covers_every_catalog_zone() -> None:
    from tradeplane.estate import catalog

    cap = default_capacity()
    assert set(cap.zones) == set(catalog.ZONES)
    assert cap.vcpus("apne1-az4", "c6in") == 768  # the capped zone
    assert not cap.offers("us-south1-a", "c2")
