"""Issue 14 items 6-8: floors physics keeps, figures that match measurements, explanations of all budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeplane.cli import main
from tradeplane.estate import catalog
from tradeplane.placement import estimate_rtt, figures
from tradeplane.placement.latency import model_rtt

CASES = Path(__file__).parent / "cases"


def test_physical_floor_is_light_in_vacuum_and_microwave_respects_it() -> None:
    e = estimate_rtt("cme-aurora", "nasdaq-carteret")
    # 1,179 km: vacuum floor 7,865 µs; published microwave 8.23 ms is above it, fibre 12.98 ms above 11.5 ms.
    assert e.bound_us == pytest.approx(7_865, abs=5)
    assert e.fibre_bound_us == pytest.approx(11_546, abs=5)
    assert e.bound_us < 8_230 < e.fibre_bound_us < 12_980
    assert e.kind == "measured" and e.rtt_us == 12_980 and "The Register" in e.sources[0]


def test_place_latency_prints_both_floors(capsys) -> None:
    assert main(["place", "latency", "cme-aurora", "nasdaq-carteret"]) == 0
    out = capsys.readouterr().out
    assert "7,865 µs" in out and "no network can beat" in out
    assert "11,546 µs" in out and "fibre" in out


def test_unmeasured_region_pair_uses_the_fitted_route_model() -> None:
    e = estimate_rtt("us-east-2", "us-west-2")
    assert e.kind == "fitted" and e.confidence == "low"
    assert "fitted on 30 measured pairs" in e.sources[0]
    assert "4 from cloudping.co" in e.sources[0] and "26 from Google Cloud" in e.sources[0]
    assert e.rtt_us > e.fibre_bound_us * 1.2


GCP_REGIONS = sorted(r for r, p in catalog.REGIONS.items() if p.cloud == "gcp")


def test_every_pair_of_catalog_gcp_regions_is_a_dated_sourced_measurement() -> None:
    """Item 7: GCP pairs come from Google's Performance Dashboard matrix (captured 2023-11-27), not the model."""
    pairs = [(a, b) for i, a in enumerate(GCP_REGIONS) for b in GCP_REGIONS[i + 1:]]
    assert len(pairs) == 28
    for a, b in pairs:
        m = figures.measured_rtt(a, b)
        assert m is not None, (a, b)
        assert m.as_of == "2023-11-27" and "Performance Dashboard" in m.source and m.confidence == "medium"


def test_gcp_measurement_is_what_placement_uses_with_basis_and_confidence() -> None:
    e = estimate_rtt("us-central1-a", "europe-west2-b")  # zones of the two regions
    assert e.kind == "measured" and e.confidence == "medium" and e.rtt_us == 93_000
    assert "measured europe-west2 <-> us-central1" in e.basis
    assert "Performance Dashboard" in e.sources[0] and "2023-11-27" in e.sources[0]
    # Directions that differ are averaged: Singapore -> Iowa 227 ms, Iowa -> Singapore 205 ms.
    assert estimate_rtt("asia-southeast1", "us-central1").rtt_us == 216_000
    # Virginia <-> Tokyo: GCP 143 ms (2023) beside AWS 149.4 ms (2025); each cloud uses its own figure.
    assert estimate_rtt("us-east4-a", "asia-northeast1-b").rtt_us == 143_000
    assert estimate_rtt("use1-az4", "apne1-az1").rtt_us == 149_400


def test_the_fit_takes_only_confident_great_circle_pairs() -> None:
    fitted = set(figures.ROUTE_FIT.pairs)
    for m in figures.MEASURED:
        name = f"{m.a}-{m.b}"
        if m.confidence == "low" or not m.fit:
            assert name not in fitted, name  # the 2017 AWS table and the detours stay out
    assert "asia-northeast1-europe-west2" not in fitted  # London <-> Tokyo round through North America
    assert figures.measured_rtt("asia-northeast1", "europe-west2").rtt_us == 214_000  # still its own figure
    assert "europe-west2-us-east4" in fitted and "ap-northeast-1-us-east-1" in fitted
    assert 1.0 < figures.ROUTE_FIT.factor < 1.6 and 0 < figures.ROUTE_FIT.fixed_us < 10_000


def test_us_east_west_is_the_published_measurement() -> None:
    """3,503 km x 1.3 alone gave 44.6 ms against published 60-87 ms: the pair is now a shipped (old, low
    confidence) measurement, so a 50 ms budget between the regions is not "met"."""
    e = estimate_rtt("us-east-1", "us-west-2")
    assert e.kind == "measured" and e.confidence == "low"
    assert e.rtt_us == pytest.approx(87_830) and "2017-04" in e.sources[0]
    for m in figures.MEASURED:  # every shipped figure is dated and sourced
        assert m.as_of and m.source and m.rtt_us > 0


def test_every_figure_has_basis_and_confidence() -> None:
    for a, b in [("use1-az4", "use1-az4"), ("us-east-1", "ap-northeast-1"), ("us-central1", "europe-west2"),
                 ("cme-aurora", "us-east4"), ("equinix-ny4", "equinix-ld4")]:
        e = estimate_rtt(a, b)
        assert e.basis and e.sources and e.confidence in ("high", "medium", "low")
        assert e.rtt_us >= e.bound_us and e.fibre_bound_us >= e.bound_us


def test_model_error_on_the_measured_pairs() -> None:
    """Leave each measured pair out and fit on the others: long-haul pairs within 15 %; a short pair is
    underestimated when no other short pair pins the fixed cost (the known limit benchmarks/placement.py shows)."""
    errors = {}
    for m in figures.MEASURED:
        if not m.fit:  # old figures kept for their own pair (the benchmark prints the model's error on them)
            continue
        pair = frozenset((m.a, m.b))
        est = model_rtt(m.a, m.b, figures.fitted_route(exclude=pair))
        errors[(m.a, m.b)] = (est.rtt_us - m.rtt_us) / m.rtt_us
        if est.distance_km > 5_000:
            assert abs(errors[(m.a, m.b)]) < 0.15, (m.a, m.b, est.rtt_us, m.rtt_us)
    assert errors[("us-east-1", "us-east-2")] < 0


def test_conflicting_venue_budgets_are_explained_together(capsys) -> None:
    rc = main(["place", str(CASES / "conflicting-venue-budgets-hint" / "estate"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 2
    (x,) = [e for e in out["explanations"] if e["workload"] == "feed-gateway-a"]
    assert "no zone meets both" in x["message"]
    assert "1,000 µs to binance" in x["message"] and "5,000 µs to deribit" in x["message"]
    assert "9,575 km apart" in x["message"] and "fibre bound 93,781 µs" in x["message"]
    # It never proposes the London zones that break the Binance budget and the pinned group.
    assert "euw2" not in x["hint"] and "europe-west2" not in x["hint"]
    assert "split the workload per venue" in x["hint"] and "relax one budget" in x["hint"]
