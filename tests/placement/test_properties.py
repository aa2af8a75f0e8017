"""Every placement the solver returns satisfies every constraint it claims to honour."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeplane.estate import catalog
from tradeplane.estate.model import Estate, Workload
from tradeplane.placement import (
    Capacity,
    PlacementResult,
    ZoneCapacity,
    build_problem,
    check_budgets,
    default_capacity,
    greedy,
    machine_family,
    solve,
)
from tradeplane.placement.problem import allowed_regions

from .conftest import with_workloads, wl

GCP_SUBNETS = ("futures-trading", "futures-data", "futures-dr")
GCP_TYPES = ("c2-standard-8", "n2-standard-16", "n2-standard-32", "c2d-standard-8")
AWS = (("aws-use1-research", "batch-a", "research", "research"), ("aws-use1-research", "batch-b", "research",
                                                                   "research"),
       ("aws-use1-equities", "trading-a", "equities", "eq-exec"), ("aws-use1-equities", "trading-b", "equities",
                                                                   "eq-exec"))
AWS_TYPES = ("m6i.2xlarge", "c6i.4xlarge", "c6in.8xlarge")
VENUES = ("cme-globex", "nasdaq", "coinbase", "binance")


@st.composite
def estates(draw: st.DrawFn) -> tuple[Estate, Capacity, bool]:
    n = draw(st.integers(2, 6))
    names = [f"w{i}" for i in range(n)]
    workloads: list[Workload] = []
    for name in names:
        count = draw(st.integers(1, 4))
        others = [x for x in names if x != name]
        anti = draw(st.lists(st.sampled_from(others), max_size=1, unique=True))
        budgets = []
        if draw(st.booleans()):
            budgets.append({"to": draw(st.sampled_from(VENUES)),
                            "rtt_us": draw(st.sampled_from([500, 2_000, 9_000, 20_000, 200_000]))})
        if draw(st.booleans()):
            budgets.append({"to": draw(st.sampled_from(others)),
                            "rtt_us": draw(st.sampled_from([50, 150, 600, 2_000, 50_000]))})
        if draw(st.booleans()):
            subnet = draw(st.sampled_from(GCP_SUBNETS))
            strategy = draw(st.sampled_from(["none", "compact", "spread"]))
            group = "cg" if strategy == "compact" else None
            workloads.append(wl(name, subnet=subnet, machine_type=draw(st.sampled_from(GCP_TYPES)), count=count,
                                placement={"strategy": strategy, "group": group, "anti_affinity": anti},
                                latency_budgets=budgets))
        else:
            net, subnet, desk, team = draw(st.sampled_from(AWS))
            strategy = draw(st.sampled_from(["none", "cluster", "spread"]))
            group = {"cluster": "ac", "spread": "as"}.get(strategy)
            workloads.append(wl(name, network=net, subnet=subnet, desk=desk, team=team, count=count,
                                machine_type=draw(st.sampled_from(AWS_TYPES)),
                                placement={"strategy": strategy, "group": group, "anti_affinity": anti},
                                latency_budgets=budgets))
    limit = draw(st.sampled_from([64, 128, 4096]))
    zones = dict(default_capacity().zones)
    for z, c in list(zones.items()):
        zones[z] = ZoneCapacity(z, c.families, min(c.vcpus_per_family, limit))
    return with_workloads(DV, *workloads), Capacity(zones), draw(st.booleans())


from tradeplane import estate as _est  # noqa: E402

from .conftest import ROOT  # noqa: E402

DV = _est.load(ROOT / "examples" / "dv-trading")


def check(e: Estate, cap: Capacity, free: bool, r: PlacementResult) -> None:
    if not r.feasible:
        assert r.explanations and all(x.message for x in r.explanations)
        return
    problem = build_problem(e, cap, free)
    placed = {p.workload: p for p in r.workloads}
    used: Counter[tuple[str, str]] = Counter()
    for w in e.workloads:
        p = placed[w.name]
        assert len(p.zones) == w.count
        item = problem.item(w.name)
        assert set(p.zones) <= set(item.pre_budget_domain)  # subnet, pins, guardrails, family
        allowed, _ = allowed_regions(e, e.network(w.network))
        assert allowed is None or {catalog.region_of(z) for z in p.zones} <= allowed
        for o in w.placement.anti_affinity:
            assert set(p.zones).isdisjoint(placed[o].zones), (w.name, o)
        if w.placement.strategy.value != "sole_tenant":
            for z in p.zones:
                used[z, machine_family(w.machine_type)] += item.vcpus
        if not free:
            assert set(p.subnets) == {w.subnet}
    for (z, fam), v in used.items():
        assert v <= cap.vcpus(z, fam), (z, fam, v)
    for g in r.groups:
        if g.strategy in ("cluster", "compact", "sole_tenant"):
            assert len(g.zones) == 1, g
        if g.strategy == "spread" and g.cloud == "aws":
            per_zone = Counter(z for m in g.members for z in placed[m].zones)
            assert max(per_zone.values()) <= 7
    assert all(f.met for f in check_budgets(e, r)), [f for f in check_budgets(e, r) if not f.met]
    assert abs(r.hourly_usd - sum(p.hourly_usd for p in r.workloads) - sum(g.hourly_usd for g in r.groups)) < 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates())
def test_every_placement_satisfies_what_it_claims(case: tuple[Estate, Capacity, bool]) -> None:
    e, cap, free = case
    r = solve(e, capacity=cap, free_subnets=free)
    check(e, cap, free, r)
    g = greedy(build_problem(e, cap, free), e.name)
    if g.feasible:
        check(e, cap, free, g)
    if g.feasible and r.status == "optimal":
        assert g.hourly_usd >= r.hourly_usd - 1e-6  # the solver never pays more than the greedy baseline
    if g.feasible:
        assert r.feasible  # what greedy can place, the solver can place
