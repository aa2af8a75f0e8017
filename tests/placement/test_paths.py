"""Physical paths (fibre, microwave, millimetre-wave) declared in the estate, and budgets that take them."""

from __future__ import annotations

import pytest

from tradeplane import estate as est
from tradeplane.errors import EstateError
from tradeplane.estate import catalog
from tradeplane.placement import check_budgets, estimate_rtt, physics, solve
from tradeplane.placement.paths import Routes, path_estimate

BASE = """
name: paths
organisation:
  aws:
    management_account_id: "100000000000"
    ous: [{name: net, accounts: [{name: network, account_id: "100000000001"}]}]
desks:
  - {name: equities, owner: a@b.example, cost_centre: CC-1, teams: [exec]}
sites:
  - {name: colo, location: cme-aurora, cidrs: [172.16.0.0/20], asn: 65010}
networks:
  - cloud: aws
    name: vpc
    account: network
    region: us-east-1
    cidrs: [10.1.0.0/16]
    route_tables: [{name: rt}]
    subnets: [{name: a, zone: use1-az4, cidr: 10.1.0.0/24, route_table: rt, tier: trading}]
venues:
  - {name: cme, kind: futures, location: cme-aurora, connectivity: [{kind: cross_connect, via: colo}]}
workloads:
  - {name: gw, desk: equities, team: exec, network: vpc, subnet: a, machine_type: c6i.4xlarge,
     latency_budgets: [{to: cme, rtt_us: 20000, via: mw}]}
"""

MW = """
links:
  - {kind: path, name: mw, medium: microwave, a: colo, b: nasdaq-carteret, availability: 0.999, fallback: fib}
  - {kind: path, name: fib, medium: fibre, a: colo, b: nasdaq-carteret, rtt_us: 12980}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(EstateError) as info:
        est.load_text(text, "paths.yaml")
    return sorted(f"{p.field}: {p.message}" for p in info.value.problems)


def test_microwave_path_runs_at_the_speed_of_radio_in_air() -> None:
    e = est.load_text(BASE + MW)
    mw = path_estimate(e, e.links_of(est.PhysicalPath)[0])
    km = catalog.distance_km("cme-aurora", "nasdaq-carteret")
    # great circle x the microwave route factor (fitted on the published 8.23 ms) at n = 1.0003
    assert mw.rtt_us == round(km * physics.RADIO_ROUTE_FACTOR * physics.RADIO_US_PER_KM_RTT)  # whole µs
    assert mw.rtt_us == pytest.approx(8_230, rel=0.001)
    assert mw.bound_us < mw.rtt_us < physics.fibre_bound_rtt_us(km)  # beats any fibre, never vacuum
    assert mw.kind == "path"
    assert "up 99.900% of the time" in mw.basis and "rain fade" in mw.basis
    assert "when down, over fib: 12,980 µs" in mw.basis


def test_fibre_path_takes_its_declared_round_trip() -> None:
    e = est.load_text(BASE + MW)
    fib = path_estimate(e, next(p for p in e.links_of(est.PhysicalPath) if p.name == "fib"))
    assert fib.rtt_us == 12_980 and fib.confidence == "medium"


def test_a_budget_via_a_path_enters_at_the_nearer_end() -> None:
    e = est.load_text(BASE + MW)
    r = Routes(e).rtt("use1-az4", "cme", "mw")
    leg1 = estimate_rtt("use1-az4", "nasdaq-carteret").rtt_us
    xc = estimate_rtt("cme-aurora", "cme-aurora").rtt_us
    assert r.rtt_us == pytest.approx(leg1 + 8_230 + xc, rel=0.001)
    assert r.kind == "path" and "-> nasdaq-carteret" in r.basis and "microwave path mw" in r.basis
    plain = Routes(e).rtt("use1-az4", "cme")
    assert plain.kind == "fibre-model"


def test_reference_estate_budget_over_the_microwave(reference_estate: est.Estate) -> None:
    result = solve(reference_estate)
    f = next(f for f in check_budgets(reference_estate, result)
             if f.workload == "eq-order-gateway" and f.to == "aurora-colo")
    assert f.met and "microwave path mw-aurora-carteret: declared 8,230 µs" in f.basis


def test_radio_needs_availability_and_physics_holds() -> None:
    got = problems(BASE + """
links:
  - {kind: path, name: mw, medium: mmwave, a: colo, b: nasdaq-carteret}
""")
    assert len(got) == 1 and "needs 'availability'" in got[0] and got[0].startswith("links[0]")
    got = problems(BASE + """
links:
  - {kind: path, name: mw, medium: microwave, a: colo, b: nasdaq-carteret, availability: 0.99,
     route_km: 900, rtt_us: 7000, fallback: nope}
""")
    assert got == [
        "links[0].fallback: unknown path 'nope'",
        "links[0].route_km: route_km 900.0 is shorter than the great circle between cme-aurora and "
        "nasdaq-carteret (1,178.9 km)",
        "links[0].rtt_us: rtt_us 7,000 is below the physical floor between cme-aurora and nasdaq-carteret: "
        "7,865 µs (1,179 km at the speed of light in vacuum)",
    ]


def test_ends_fallback_and_via_are_checked() -> None:
    got = problems(BASE.replace("via: mw", "via: mx") + """
links:
  - {kind: path, name: mw, medium: microwave, a: colo, b: nowhere, availability: 0.99}
  - {kind: path, name: fib, medium: fibre, a: colo, b: equinix-ny4}
  - {kind: path, name: mw2, medium: microwave, a: colo, b: nasdaq-carteret, availability: 0.99, fallback: fib}
""")
    assert got == [
        "links[0].b: unknown estate or catalog site 'nowhere'",
        "links[2].fallback: fallback 'fib' joins colo and equinix-ny4, not colo and nasdaq-carteret",
        "workloads[0].latency_budgets[0].via: unknown path 'mx'",
    ]


def test_terraform_and_net_ignore_paths(reference_estate: est.Estate) -> None:
    from tradeplane.net.dataplane import failure_elements

    assert any(isinstance(x, est.PhysicalPath) for x in reference_estate.links)
    assert not [n for n, link in failure_elements(reference_estate) if link.startswith(("mw-", "fibre-"))]


# ------------------------------------------------------------------ colo <-> region through the declared exits


def test_cme_budget_goes_through_the_interconnect_metro(reference_estate: est.Estate) -> None:
    routes = Routes(reference_estate)
    r = routes.rtt("us-central1-a", "cme-globex")
    legs = estimate_rtt("us-central1-a", "equinix-ch1").rtt_us + estimate_rtt("equinix-ch1", "cme-aurora").rtt_us
    assert r.kind == "routed" and r.rtt_us == pytest.approx(legs)
    assert "Interconnect metro chi (equinix-ch1)" in r.basis and "over cme-interconnect" in r.basis
    # longer than the straight line it replaces, never under the physical floor
    assert r.rtt_us > estimate_rtt("us-central1-a", "cme-aurora").rtt_us > r.bound_us
    assert 9_000 < r.rtt_us < 10_000  # the 9 ms budgets of the reference estate became infeasible


def test_nasdaq_goes_through_the_direct_connect_location(reference_estate: est.Estate) -> None:
    r = Routes(reference_estate).rtt("use1-az4", "nasdaq")
    assert r.kind == "routed" and "Direct Connect location ny4-meetme (equinix-ny4)" in r.basis
    assert "over dx-new-york" in r.basis


def test_no_declared_exit_keeps_the_straight_model(reference_estate: est.Estate) -> None:
    # cme-globex declares no AWS link: an AWS zone's figure stays the plain fibre model (with its edge hop)
    r = Routes(reference_estate).rtt("use2-az1", "cme-globex")
    assert r == estimate_rtt("use2-az1", "cme-aurora")


def test_migrate_crossing_and_placement_use_one_function(reference_estate: est.Estate) -> None:
    from tradeplane.migrate import crossing_rtt

    c = crossing_rtt(reference_estate, "aurora-colo", "us-central1-a")
    assert c is not None and c.metro == "chi" and c.via == "equinix-ch1"
    assert c.rtt_us == pytest.approx(Routes(reference_estate).rtt("us-central1-a", "cme-globex").rtt_us)


def test_infeasible_cme_budget_is_explained_with_the_route(reference_estate: est.Estate) -> None:
    w = reference_estate.workload("cme-md-handler-a")
    budgets = tuple(b.model_copy(update={"rtt_us": 9_000.0}) if b.to == "cme-globex" else b
                    for b in w.latency_budgets)
    e = reference_estate.model_copy(update={"workloads": tuple(
        x.model_copy(update={"latency_budgets": budgets}) if x.name == w.name else x
        for x in reference_estate.workloads)})
    r = solve(e)
    assert r.status == "infeasible"
    msg = next(x.message for x in r.explanations if x.workload == "cme-md-handler-a")
    assert "Interconnect metro chi" in msg and "9,555 µs" in msg


def test_every_budget_finding_carries_its_estimate_kind_and_confidence(reference_estate: est.Estate) -> None:
    """A budget verdict is only as good as the figure under it: each finding says which kind of
    estimate it used and how far to trust it (issue 14, item 7), in the JSON as in the table."""
    findings = check_budgets(reference_estate, solve(reference_estate))
    assert findings
    for f in findings:
        e = Routes(reference_estate).rtt(f.zone, f.to) if f.to in {v.name for v in reference_estate.venues} else None
        assert f.confidence in ("high", "medium", "low"), f
        assert f.kind, f
        assert f.to_json()["confidence"] == f.confidence and f.to_json()["kind"] == f.kind
        if e is not None and f.basis == e.basis:
            assert (f.kind, f.confidence) == (e.kind, e.confidence)
