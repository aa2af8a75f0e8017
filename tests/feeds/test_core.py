import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeplane.errors import InputError
from tradeplane.feeds.arbiter import LEAD_EVERY, Arbiter
from tradeplane.feeds.backoff import Backoff, RateLimit
from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.fixed import Scale, format_scaled, parse_scaled, rate_e9
from tradeplane.feeds.health import HealthBoard, RateEstimator, State


def test_fixed_point_round_trip_and_strictness():
    s = Scale("0.01")
    assert s.to_int("25.35000000") == 2535
    assert s.to_int("7") == 700
    assert s.to_text(2535) == "25.35"
    assert s.to_text(2500, strip=True) == "25"
    with pytest.raises(InputError):
        s.to_int("25.351")  # finer than the tick
    half = Scale("0.5")
    assert half.to_int("5042.5") == 10085
    with pytest.raises(InputError):
        half.to_int("5042.3")
    assert Scale("0.1").decimal_to_int(Decimal("45283.5")) == 452835
    assert Scale("0.00000001").decimal_to_int(Decimal("1E-5")) == 1000
    assert Scale("0.00000001").decimal_to_int(Decimal("1234567890.12345678")) == 123456789012345678
    with pytest.raises(InputError):
        Scale("0.1").decimal_to_int(Decimal("45283.55"))
    with pytest.raises(InputError):
        Scale("0.1").decimal_to_int(Decimal("Infinity"))
    assert rate_e9("0.0001875391284828") == 187539
    assert format_scaled(-5, 3) == "-0.005"


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=12))
@settings(max_examples=60)
def test_parse_format_inverse(value, decimals):
    assert parse_scaled(format_scaled(value, decimals), decimals) == value


def test_book_apply_sorted_and_crossed():
    b = OrderBook()
    b.load([(100, 1), (99, 2)], [(101, 3), (103, 1)])
    b.apply([(100, 0), (98, 5)], [(102, 4)])
    assert b.best_bid == 99 and b.best_ask == 101
    assert b.top_bids(5) == [(99, 2), (98, 5)]
    assert b.top_asks(5) == [(101, 3), (102, 4), (103, 1)]
    assert not b.crossed()
    b.apply([(101, 1)], [])
    assert b.crossed()
    b.truncate(1)
    assert b.top_asks(5) == [(101, 3)] and b.top_bids(5) == [(101, 1)]


def test_book_matches_dict_model_under_random_updates():
    rng = random.Random(5)
    b = OrderBook()
    model: dict[int, int] = {}
    for _ in range(3000):
        p, q = rng.randint(1, 60), rng.choice([0, 0, rng.randint(1, 9)])
        b.apply([(p, q)], [])
        if q:
            model[p] = q
        else:
            model.pop(p, None)
    assert b.top_bids(100) == sorted(model.items(), reverse=True)


def test_arbiter_first_copy_wins_and_dups_dropped():
    a = Arbiter("contiguous")
    out = []
    for leg in ("a", "b"):
        for s in range(1, 6):
            out += a.offer(leg, s, s - 1, s)
    assert out == [1, 2, 3, 4, 5]
    assert a.tallies["a"].wins == 5 and a.tallies["b"].duplicates == 5


def test_lead_is_sampled_on_every_eighth_duplicate_and_its_peak_decays():
    """Leg a wins every position 1 ms (then 5 ms for one copy) before b's copy arrives: the lead is
    sampled on b's 1st, 9th, 17th ... duplicate; the peak keeps the largest and decays by 1/8 a sample."""
    assert LEAD_EVERY == 8
    a = Arbiter("contiguous")
    for s in range(1, 26):
        a.offer("a", s, s - 1, s, recv_ns=s * 10**9)
        lag = 5_000_000 if s == 9 else 1_000_000
        a.offer("b", s, s - 1, s, recv_ns=s * 10**9 + lag)
    t = a.tallies["a"]
    assert a.tallies["b"].duplicates == 25 and t.lead_samples == 4  # duplicates 1, 9, 17, 25
    assert t.lead_ns_total == 1_000_000 + 5_000_000 + 1_000_000 + 1_000_000
    assert t.lead_peak_ns == 5_000_000 - 625_000 - 546_875  # 5 ms, then two samples of 1 ms decaying it
    assert a.lag_ns() == t.lead_peak_ns


def test_arbiter_fills_one_legs_hole_from_the_other():
    a = Arbiter("contiguous")
    out = a.offer("a", 1, 0, 1) + a.offer("a", 3, 2, 3)  # leg a lost 2
    assert out == [1]
    assert a.hole(["a", "b"]) is None  # leg b has not passed 2 yet
    out += a.offer("b", 1, 0, 1) + a.offer("b", 2, 1, 2)
    assert out == [1, 2, 3]


def test_arbiter_declares_hole_once_every_live_leg_passed_it():
    a = Arbiter("contiguous")
    a.offer("a", 1, 0, 1)
    a.offer("a", 4, 3, 4)
    a.offer("b", 1, 0, 1)
    assert a.hole(["a", "b"]) is None
    a.offer("b", 4, 3, 4)
    assert a.hole(["a", "b"]) == (2, 3)
    assert a.skip_hole() == [4]
    # a dead leg does not hold the stream hostage
    a2 = Arbiter("contiguous")
    a2.offer("a", 1, 0, 1)
    a2.offer("a", 5, 4, 5)
    assert a2.hole(["a"]) == (2, 4)


def test_arbiter_monotonic_and_keyed():
    m = Arbiter("monotonic")
    assert m.offer("a", 10, -1, "x") == ["x"]
    assert m.offer("b", 10, -1, "x") == []
    assert m.offer("b", 9, -1, "old") == []
    k = Arbiter("keyed", window=2)
    assert k.offer_keyed("a", ("t1", 1), 1) == [1]
    assert k.offer_keyed("b", ("t1", 1), 1) == []
    assert k.offer_keyed("b", ("t2", 2), 2) == [2]


def test_backoff_full_jitter_is_bounded_and_grows():
    b = Backoff(base_s=0.1, cap_s=2.0, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(10)]
    caps = [min(2.0, 0.1 * 2**i) for i in range(10)]
    assert all(0 <= d <= c for d, c in zip(delays, caps, strict=True))
    b.reset()
    assert b.attempt == 0


def test_rate_limit_window():
    r = RateLimit(limit=2, window_s=10)
    r.take(0.0)
    r.take(1.0)
    assert r.wait_s(2.0) == pytest.approx(8.0)
    assert r.wait_s(10.5) == 0.0


def test_stale_bound_follows_observed_rate():
    r = RateEstimator(k=20, floor_ns=1_000_000, ceiling_ns=10_000_000_000)
    assert r.bound_ns() == 10_000_000_000  # not enough samples: only the ceiling
    t = 0
    for _ in range(200):
        t += 5_000_000  # 200 msg/s
        r.observe(t)
    assert r.bound_ns() == pytest.approx(100_000_000, rel=0.01)
    for _ in range(400):
        t += 50_000_000  # slows to 20 msg/s
        r.observe(t)
    assert r.bound_ns() == pytest.approx(1_000_000_000, rel=0.01)


def test_stale_leg_only_condemned_while_another_moves():
    board = HealthBoard()
    board.rates["v"] = r = RateEstimator(k=10, floor_ns=1, ceiling_ns=10**12)
    for i in range(1, 50):
        r.observe(i * 1000)
    for name in ("v/a", "v/b"):
        board.set_leg(name, State.LIVE, 0, "test")
    board.leg("v/a").last_data_ns = 50_000
    board.leg("v/b").last_data_ns = 61_000
    assert board.stale_legs("v", ["v/a", "v/b"], 59_000) == []
    assert board.stale_legs("v", ["v/a", "v/b"], 69_000) == ["v/a"]
    board.leg("v/b").last_data_ns = 52_000
    assert board.stale_legs("v", ["v/a", "v/b"], 10**9) == []  # both fell silent together: a quiet market
    assert [c.new for c in board.changes] == ["live", "live"]
