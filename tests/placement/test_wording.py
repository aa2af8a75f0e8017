"""How latency estimates and budget explanations read, per basis: the same zone's fabric, one region, two
places apart, a route through an exit, a colocation venue and a venue hosted in a cloud zone or region."""

from __future__ import annotations

import pytest

from tradeplane.cli import main
from tradeplane.estate.model import Estate, Workload
from tradeplane.placement import estimate_rtt, solve, venue_note

from .conftest import with_workloads, wl

AWS_FLOOR = "aws fabric: two instances in one cluster placement group, the fastest round trip inside a region"


def crypto(name: str, to: str, rtt_us: int, subnet: str = "trading-az4",
           network: str = "aws-apne1-crypto") -> Workload:
    return wl(name, desk="crypto", team="crypto-mm", network=network, subnet=subnet,
              machine_type="c6in.2xlarge", latency_budgets=[{"to": to, "rtt_us": rtt_us}])


def test_inside_a_region_the_floor_is_the_fabrics_not_a_distance() -> None:
    same = estimate_rtt("apne1-az4", "binance")
    assert (same.rtt_us, same.fibre_bound_us, same.distance_km) == (100, 35, 0)
    assert same.basis == "aws same zone in apne1-az4: 100 µs"
    assert same.floor_basis == AWS_FLOOR and "km" not in same.floor_basis
    assert same.floor_text() == f"35 µs ({AWS_FLOOR})"
    group = estimate_rtt("us-central1-a", "us-central1-a", same_group=True)
    assert group.basis == "gcp same compact placement policy in us-central1-a: 35 µs"  # GCP's own term
    assert group.floor_basis.startswith("gcp fabric: two instances in one compact placement policy")
    assert estimate_rtt("use1-az4", "use1-az4", same_group=True).basis == (
        "aws same cluster placement group in use1-az4: 35 µs")


def test_a_place_known_only_by_its_region_says_which_end_is_unknown() -> None:
    assert estimate_rtt("use1-az4", "coinbase").basis == (
        "aws use1-az4 and an unknown zone of us-east-1, counted as different zones: 300 µs")
    assert estimate_rtt("us-east-1", "coinbase").basis == (
        "aws unknown zones at both ends of us-east-1, counted as different zones: 300 µs")
    assert estimate_rtt("apne1-az1", "apne1-az4").basis == "aws different zones of ap-northeast-1: 300 µs"


def test_apart_the_floor_is_the_great_circle_in_fibre_and_in_one_building_the_cross_connect() -> None:
    apart = estimate_rtt("us-central1", "cme-globex")
    assert apart.floor_basis == f"{apart.distance_km:,.0f} km great circle in fibre at 9.794 µs/km"
    assert round(apart.fibre_bound_us) == round(apart.distance_km * 9.794)
    building = estimate_rtt("cme-aurora", "cme-aurora")
    assert building.floor_basis == "a cross-connect inside cme-aurora" and building.fibre_bound_us == 10


def test_two_clouds_at_one_metros_coordinates_claim_no_distance() -> None:
    e = estimate_rtt("asia-northeast1-a", "binance")  # GCP Tokyo and AWS Tokyo share the metro's coordinates
    assert e.distance_km == 0 and e.fibre_bound_us == 0
    assert e.floor_basis == ("both at the tokyo metro's catalog coordinates: no distance known, so no floor "
                             "above zero")


def test_venue_notes_tell_a_colocation_from_a_cloud_venue() -> None:
    assert venue_note("cme-globex") == "cme-globex: matching engine at site cme-aurora (colocation)"
    assert venue_note("binance") == ("binance: hosted in aws zone apne1-az4 (a cloud venue: reached inside the "
                                     "cloud, colocation does not apply)")
    assert venue_note("coinbase").endswith("colocation does not apply; its zone is not known, so across zones)")
    assert venue_note("us-east-1") == venue_note("cme-aurora") == ""


def test_a_budget_under_the_fabric_floor_to_a_cloud_venue_never_says_km_or_colocation(dv: Estate) -> None:
    r = solve(with_workloads(dv, crypto("mm", "binance", 30)))
    (x,) = r.explanations
    assert x.message == (
        "mm: latency budget to binance (apne1-az4) is 30 µs round trip, but the best zone it may use, apne1-az4, "
        "is at least 100 µs (aws same zone in apne1-az4: 100 µs); inside ap-northeast-1 it cannot be under 30 µs: "
        f"the floor is 35 µs ({AWS_FLOOR}); binance is hosted in aws zone apne1-az4: no zone is estimated under "
        "30 µs")
    assert x.hint == "raise the budget to at least 100 µs"


def test_a_budget_between_the_floor_and_the_same_zone_figure_says_physics_nothing(dv: Estate) -> None:
    (x,) = solve(with_workloads(dv, crypto("mm", "binance", 80))).explanations
    assert x.message.endswith("binance is hosted in aws zone apne1-az4: no zone is estimated under 80 µs")
    assert "physics allows" not in x.message and "0 km" not in x.message
    assert x.hint == "raise the budget to at least 100 µs"


def test_a_venue_known_by_its_region_points_at_its_zone(dv: Estate) -> None:
    (x,) = solve(with_workloads(dv, crypto("mm", "coinbase", 200, "trading-a", "aws-use1-crypto"))).explanations
    assert x.message.endswith("coinbase is hosted in aws region us-east-1: no zone is estimated under 200 µs")
    assert x.hint == ("raise the budget to at least 300 µs; coinbase's zone is not known (its location is the "
                      "region us-east-1): if the venue publishes its zone, make that zone its location, where the "
                      "same-zone figure (100 µs) applies")


def test_a_cloud_venue_in_another_region_names_the_zones_there(dv: Estate) -> None:
    (x,) = solve(with_workloads(dv, crypto("mm", "binance", 1000, "trading-a", "aws-use1-crypto"))).explanations
    assert ("from us-east-1 it cannot be under 1,000 µs: the fibre bound is 106,500 µs (10,874 km great circle "
            "in fibre at 9.794 µs/km; the physical floor in vacuum is 72,544 µs)") in x.message
    assert x.hint.startswith("zones that meet it: apne1-az4, apne1-az1")
    assert "colocation" not in x.hint


def test_a_routed_budget_to_a_colocation_gives_the_floor_along_the_route(dv: Estate) -> None:
    (x,) = solve(with_workloads(dv, wl("a", latency_budgets=[{"to": "cme-globex", "rtt_us": 3000}]))).explanations
    # the route's floor is the sum of its legs' floors, not the great circle's (637 km would be 6,234 µs)
    assert ("the fibre bound is 7,258 µs (along the route: 6,745 µs + 512 µs, each leg's own floor; the physical "
            "floor in vacuum is 4,247 µs)") in x.message
    assert x.hint == "raise the budget to at least 9,555 µs, or run this workload in colocation at cme-aurora"


def test_place_latency_names_the_venue_and_the_floor(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["place", "latency", "apne1-az4", "binance"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "apne1-az4 <-> binance: 100 µs round trip (fabric, medium confidence)",
        "  binance: hosted in aws zone apne1-az4 (a cloud venue: reached inside the cloud, colocation does not "
        "apply)",
        "  basis: aws same zone in apne1-az4: 100 µs",
        f"  floor: 35 µs ({AWS_FLOOR})",
    ]
    assert main(["place", "latency", "us-central1", "cme-globex"]) == 0
    out = capsys.readouterr().out
    assert "  cme-globex: matching engine at site cme-aurora (colocation)\n" in out
    assert "fibre floor: 6,234 µs" in out and "  floor:" not in out
