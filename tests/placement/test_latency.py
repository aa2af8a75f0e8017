from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeplane.errors import InputError
from tradeplane.estate import catalog
from tradeplane.placement import estimate_rtt
from tradeplane.placement.physics import fibre_bound_rtt_us, great_circle_km


def test_aurora_tokyo_fibre_bound_matches_facts() -> None:
    e = estimate_rtt("cme-aurora", "ap-northeast-1")
    assert 10_000 < e.distance_km < 10_250  # FACTS: about 10,118 km
    assert 98_000 < e.fibre_bound_us < 100_500  # FACTS: about 99 ms
    assert e.bound_us < e.fibre_bound_us
    assert e.rtt_us > e.bound_us
    assert e.kind == "fibre-model" and "route factor" in e.basis


def test_aurora_carteret_bound_matches_facts() -> None:
    km = great_circle_km(41.7960, -88.2448, 40.5834, -74.2329)
    assert 1_150 < km < 1_200
    assert 11_200 < fibre_bound_rtt_us(km) < 11_800  # "can never beat about 11.5 ms"


def test_measured_pair_is_used_either_way_round() -> None:
    a = estimate_rtt("use1-az4", "apne1-az1")
    b = estimate_rtt("ap-northeast-1", "us-east-1")
    assert a.kind == b.kind == "measured"
    assert a.rtt_us == b.rtt_us == 149_400
    assert "cloudping" in a.sources[0] and "2025-05-29" in a.sources[0]


def test_fabric_figures() -> None:
    assert estimate_rtt("use1-az4", "use1-az4").rtt_us == 100
    assert estimate_rtt("use1-az4", "use1-az4", same_group=True).rtt_us == 35
    assert estimate_rtt("use1-az4", "use1-az6").rtt_us == 300
    assert estimate_rtt("us-central1-a", "us-central1-b").rtt_us == 1000
    # a venue known only to its region: across zones
    assert estimate_rtt("use1-az4", "coinbase").rtt_us == 300


def test_venue_names_resolve_to_their_place() -> None:
    assert estimate_rtt("binance", "apne1-az4").rtt_us == estimate_rtt("apne1-az4", "apne1-az4").rtt_us
    assert estimate_rtt("cme-globex", "us-central1-a").rtt_us == estimate_rtt("cme-aurora", "us-central1-a").rtt_us


def test_colocation_hops() -> None:
    same = estimate_rtt("equinix-ld4", "equinix-ld4")
    assert same.kind == "cross-connect" and same.rtt_us == 10
    to_cloud = estimate_rtt("cme-aurora", "us-central1-a")
    assert "Interconnect" in to_cloud.basis


def test_unknown_place_is_an_input_error() -> None:
    with pytest.raises(InputError) as exc:
        estimate_rtt("atlantis", "use1-az4")
    assert "atlantis" in str(exc.value) and "hint" in str(exc.value)


PLACES = sorted(catalog.PLACES)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(PLACES), st.sampled_from(PLACES))
def test_estimates_are_symmetric_and_never_beat_physics(a: str, b: str) -> None:
    x, y = estimate_rtt(a, b), estimate_rtt(b, a)
    assert x.rtt_us == y.rtt_us and x.bound_us == y.bound_us
    assert x.rtt_us >= x.bound_us > 0 or (x.bound_us == 0 and x.rtt_us > 0)
    assert x.basis and x.sources
