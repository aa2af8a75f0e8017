"""Resync budget (issue 22, fault 2): resyncs stay inside each venue's published limits."""

from __future__ import annotations

from tradeplane.feeds.budget import ResyncBudget, StreamResync
from tradeplane.feeds.health import HealthBoard, State
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.stream import Stream
from tradeplane.feeds.venues import adapter_class, venue_names


def test_okx_resubscribes_stay_within_480_per_hour_per_connection():
    """OKX allows 480 (un)subscribe requests per hour per connection; resyncs may use half."""
    b = ResyncBudget(adapter_class("okx").limits)
    now = 0.0
    pairs = 0
    while b.resubscribe_wait_s("okx/a#1", "", 2, now) == 0.0:
        b.take_resubscribe("okx/a#1", "", 2, now)
        pairs += 1
        now += 0.01
    assert pairs == 120  # 240 requests = half of 480, as unsubscribe + subscribe pairs
    wait = b.resubscribe_wait_s("okx/a#1", "", 2, now)
    assert 3590 < wait <= 3600  # the first pair leaves the hour's window
    assert b.resubscribe_wait_s("okx/b#1", "", 2, now) == 0.0  # per connection: another one has its own
    b.forget("okx/a#1")
    assert b.resubscribe_wait_s("okx/a#1", "", 2, now) == 0.0  # a new connection starts afresh


def test_binance_rest_snapshots_within_the_ip_weight():
    """Binance spot: 6000 weight per minute per IP, depth limit=5000 weighs 250: 12 a minute for resyncs."""
    b = ResyncBudget(adapter_class("binance").limits)
    n = 0
    while b.snapshot_wait_s("10.0.0.1", 0.0) == 0.0:
        b.take_snapshot("10.0.0.1", 0.0)
        n += 1
    assert n == 12 and b.snapshot_wait_s("10.0.0.1", 0.0) == 60.0
    assert b.snapshot_wait_s("10.0.0.2", 0.0) == 0.0  # per IP
    um = ResyncBudget(adapter_class("binance-usdm").limits)  # 2400 per minute, limit=1000 weighs 20
    m = 0
    while um.snapshot_wait_s("", 0.0) == 0.0:
        um.take_snapshot("", 0.0)
        m += 1
    assert m == 60


def test_every_venue_has_a_resync_budget():
    for name in venue_names():
        lim = adapter_class(name).limits
        rest = adapter_class(name).book_sync == "rest"
        assert (lim.rest_weight_per_ip if rest else (lim.control_per_connection or lim.control_per_ip)), name


def test_repeated_resyncs_back_off_and_calm_resets():
    import random

    rs = StreamResync.new(random.Random(1), base_s=1.0, cap_s=8.0)
    assert rs.delay_s(0.0) == 0.0  # the first resync after a calm spell goes at once
    ceilings = []
    for i in range(1, 6):
        rs.delay_s(float(i))
        ceilings.append(min(8.0, 1.0 * 2 ** (rs.backoff.attempt - 1)))
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert rs.delay_s(100.0) == 0.0 and rs.backoff.attempt == 0


def test_cannot_resync_is_a_state_and_counted():
    a = adapter_class("okx")([Instrument("okx", "BTC-USDT", "0.1", "0.01")])
    board = HealthBoard()
    st = Stream(a, "book", "BTC-USDT", board)
    st.cannot_resync(1, "resubscribe budget spent: the venue's limits allow the next in 3599 s")
    assert st.state == State.CANNOT_RESYNC and st.stats.resync_blocked == 1 and st.needs_snapshot
    assert board.streams[st.name] == State.CANNOT_RESYNC
