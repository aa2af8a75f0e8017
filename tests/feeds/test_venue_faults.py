"""Issue 22's faults, each as the venue sends it on the wire, with the right outcome asserted.

Every case is one example of a kind (the kind is named in each test's docstring); the
messages are JSON in the shape of the venue's docs, fed through the venue adapter's
``decode`` and then the stream (arbitration, book sync, checksum) exactly as the gateway does.
"""

from __future__ import annotations

import zlib

import msgspec

from tradeplane.feeds.events import BookDelta, Gap
from tradeplane.feeds.health import HealthBoard, State
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.stream import Stream
from tradeplane.feeds.venues import adapter_class
from tradeplane.feeds.venues.kraken import kraken_level_text

MS = 1_000_000


def feed(st: Stream, leg: str, raw: str | bytes, now: int = 0) -> list:
    out = []
    for ev in st.adapter.decode(raw, now):
        if getattr(ev, "symbol", None) == st.symbol and type(ev).__name__ != "Heartbeat":
            out += st.on_wire(leg, ev, now)
    return out


# ----------------------------------------------------------------------------- 1. OKX checksum 0


def okx_books(action: str, seq: int, prev: int, bids, asks, checksum: int = 0) -> str:
    return msgspec.json.encode({
        "arg": {"channel": "books", "instId": "BTC-USDT"}, "action": action,
        "data": [{"asks": [[p, q, "0", "1"] for p, q in asks], "bids": [[p, q, "0", "1"] for p, q in bids],
                  "ts": "1782200000000", "checksum": checksum, "prevSeqId": prev, "seqId": seq}],
    }).decode()


def okx_stream() -> Stream:
    a = adapter_class("okx")([Instrument("okx", "BTC-USDT", "0.01", "0.00000001")])
    return Stream(a, "book", "BTC-USDT", HealthBoard())


def test_okx_retired_checksum_zero_is_not_a_mismatch():
    """Kind: a venue retires a checksum but keeps the field (OKX, 2026-06-23: always 0).
    Continuity is by seqId/prevSeqId; 0 must never be compared as a CRC."""
    st = okx_stream()
    out = feed(st, "a", okx_books("snapshot", 1000, -1, [("8476.9", "256")], [("8476.98", "415")]))
    assert st.state == State.LIVE and st.stats.checksum_failures == 0 and not st.actions
    assert out and type(out[-1]).__name__ == "BookSnapshot"
    out = feed(st, "a", okx_books("update", 1001, 1000, [("8476.9", "100")], []))
    assert [type(e) for e in out] == [BookDelta]
    assert st.state == State.LIVE and st.stats.checksum_failures == 0 and st.stats.resyncs == 0
    assert st.book.bids == {847690: 10_000_000_000}
    assert not st.actions  # no unsubscribe/subscribe pair


def test_okx_nonzero_checksum_still_checked():
    st = okx_stream()
    feed(st, "a", okx_books("snapshot", 1000, -1, [("8476.9", "256")], [("8476.98", "415")], checksum=12345))
    assert st.stats.checksum_failures == 1 and st.state == State.RESYNCING


# ----------------------------------------------------------------------------- 4. Bybit sequence reset


def bybit_book(kind: str, u: int, b, a) -> str:
    return msgspec.json.encode({
        "topic": "orderbook.50.BTCUSDT", "type": kind, "ts": 1672304484978,
        "data": {"s": "BTCUSDT", "b": [list(x) for x in b], "a": [list(x) for x in a], "u": u, "seq": 7961638724},
        "cts": 1672304484976,
    }).decode()


def test_bybit_restart_after_every_leg_was_down_replaces_the_book():
    """Kind: a venue's documented sequence reset, on the path after a reconnect. Bybit v5: a snapshot
    with u = 1 means the service restarted. Arriving after every leg was down it must replace the
    book (not read as "nothing missed"), and the deltas u = 2, 3 must apply."""
    a = adapter_class("bybit")([Instrument("bybit", "BTCUSDT", "0.01", "0.000001")])
    st = Stream(a, "book", "BTCUSDT", HealthBoard())
    feed(st, "a", bybit_book("snapshot", 5000, [("16493.50", "0.006")], [("16611.00", "0.029")]))
    feed(st, "b", bybit_book("snapshot", 5000, [("16493.50", "0.006")], [("16611.00", "0.029")]))
    for u in range(5001, 5004):
        feed(st, "a", bybit_book("delta", u, [("16493.50", f"0.00{u - 4999}")], []))
    st.legs_down(1)
    assert st.state == State.DOWN
    out = feed(st, "a", bybit_book("snapshot", 1, [("17000.00", "1.5")], [("17001.00", "2")]), 2)
    assert any(isinstance(e, Gap) and "reset" in e.reason for e in out)
    assert st.state == State.LIVE and st.book.bids == {1_700_000: 1_500_000}
    feed(st, "a", bybit_book("delta", 2, [("17000.00", "1.25")], []), 3)
    feed(st, "b", bybit_book("delta", 2, [("17000.00", "1.25")], []), 3)  # the other leg's copy: a duplicate
    feed(st, "a", bybit_book("delta", 3, [], [("17001.00", "0")]), 4)
    assert st.book.bids == {1_700_000: 1_250_000} and st.book.asks == {}
    assert st.stats.delivered == 3 + 2 and st.state == State.LIVE


def test_okx_snapshot_lower_than_chain_after_reconnect_is_a_reset():
    """Same kind on OKX (the sequence restarts after maintenance): snapshot seqId below the chain."""
    st = okx_stream()
    feed(st, "a", okx_books("snapshot", 9000, -1, [("100.0", "1")], [("101.0", "1")]))
    feed(st, "a", okx_books("update", 9001, 9000, [("100.0", "2")], []))
    st.legs_down(1)
    feed(st, "a", okx_books("snapshot", 12, -1, [("99.0", "3")], [("101.0", "1")]), 2)
    assert st.state == State.LIVE and st.book.bids == {9900: 300_000_000}
    feed(st, "a", okx_books("update", 13, 12, [("99.0", "4")], []), 3)
    assert st.book.bids == {9900: 400_000_000}


def test_bybit_snapshot_equal_to_the_chain_after_reconnect_keeps_the_book():
    a = adapter_class("bybit")([Instrument("bybit", "BTCUSDT", "0.01", "0.000001")])
    st = Stream(a, "book", "BTCUSDT", HealthBoard())
    feed(st, "a", bybit_book("snapshot", 10, [("1.00", "1")], [("2.00", "1")]))
    st.legs_down(1)
    out = feed(st, "a", bybit_book("snapshot", 10, [("1.00", "1")], [("2.00", "1")]), 2)
    assert st.state == State.LIVE and not [e for e in out if isinstance(e, Gap)]


# ----------------------------------------------------------------------------- 5. reordering leg


def test_one_leg_reordering_is_not_a_gap():
    """Kind: a gap is declared only when no healthy leg can still deliver it. Leg a drops 103;
    leg b delivers 104 then 103. 103 is taken from b; no gap, no resync."""
    st = okx_stream()
    for leg in ("a", "b"):
        feed(st, leg, okx_books("snapshot", 100, -1, [("100.0", "1")], [("101.0", "1")]))
    t = 1_000_000_000
    for seq in (101, 102):
        feed(st, "a", okx_books("update", seq, seq - 1, [("100.0", str(seq))], []), t)
        feed(st, "b", okx_books("update", seq, seq - 1, [("100.0", str(seq))], []), t + 200_000)
        t += 2_500_000
    feed(st, "a", okx_books("update", 104, 103, [("100.0", "104")], []), t)  # a lost 103
    window = st.arbiter.reorder_window_ns(2_500_000)
    assert st.check_hole(["a", "b"], t, window) == []
    out = feed(st, "b", okx_books("update", 104, 103, [("100.0", "104")], []), t + 200_000)
    out += st.check_hole(["a", "b"], t + 200_000, window)  # both legs are past 103, but within the window
    assert out == [] and st.stats.gaps == 0
    out = feed(st, "b", okx_books("update", 103, 102, [("100.0", "103")], []), t + 400_000)
    assert [e.seq for e in out] == [103, 104]
    assert st.stats.gaps == 0 and st.stats.resyncs == 0 and st.state == State.LIVE
    assert st.book.bids == {10000: 10_400_000_000}


def test_a_leg_read_late_after_a_loop_stall_still_fills_the_hole():
    """The kind behind the Binance false gap: the event loop was held up (a blocking import), so leg
    b's 104 is read long after leg a's 104, with b's 103 right behind it in the socket. The window is
    counted on each leg's own reads: b has only just passed 103, so it is not lost yet."""
    st = okx_stream()
    for leg in ("a", "b"):
        feed(st, leg, okx_books("snapshot", 100, -1, [("100.0", "1")], [("101.0", "1")]))
    t = 1_000_000_000
    for seq in (101, 102):
        for leg in ("a", "b"):
            feed(st, leg, okx_books("update", seq, seq - 1, [("100.0", str(seq))], []), t)
        t += 2_500_000
    feed(st, "a", okx_books("update", 104, 103, [("100.0", "104")], []), t)  # a lost 103
    window = st.arbiter.reorder_window_ns(2_500_000)
    late = t + 10 * window  # the loop was stalled for ten windows
    out = feed(st, "b", okx_books("update", 104, 103, [("100.0", "104")], []), late)
    out += st.check_hole(["a", "b"], late, window)
    assert out == [] and st.stats.gaps == 0
    out = feed(st, "b", okx_books("update", 103, 102, [("100.0", "103")], []), late + 50_000)
    assert [e.seq for e in out] == [103, 104] and st.stats.resyncs == 0 and st.state == State.LIVE
    # a hole b never fills is still declared, one window after b passed it
    feed(st, "a", okx_books("update", 106, 105, [("100.0", "106")], []), late + 100_000)
    feed(st, "b", okx_books("update", 106, 105, [("100.0", "106")], []), late + 200_000)
    assert st.check_hole(["a", "b"], late + 200_000 + window - 1, window) == []
    out = st.check_hole(["a", "b"], late + 200_000 + window, window)
    assert [(e.from_seq, e.to_seq) for e in out if isinstance(e, Gap)] == [(105, 105)]


def test_a_hole_no_leg_fills_is_declared_after_the_window():
    st = okx_stream()
    for leg in ("a", "b"):
        feed(st, leg, okx_books("snapshot", 100, -1, [("100.0", "1")], [("101.0", "1")]))
    for leg in ("a", "b"):
        feed(st, leg, okx_books("update", 102, 101, [("100.0", "2")], []), 0)  # 101 lost on both
    window = st.arbiter.reorder_window_ns(2_500_000)
    assert st.check_hole(["a", "b"], window - 1, window) == []
    out = st.check_hole(["a", "b"], window, window)
    assert any(isinstance(e, Gap) and (e.from_seq, e.to_seq) == (101, 101) for e in out)
    assert st.state == State.RESYNCING


# ----------------------------------------------------------------------------- 6. exact decimals


def kraken_book(kind: str, bids: list[tuple[str, str]], asks: list[tuple[str, str]], checksum: int,
                ts: str = "2026-11-30T13:00:00.000001Z") -> str:
    """Kraken v2 sends prices and quantities as JSON numbers: written here as exact text."""
    lv = lambda xs: "[" + ",".join(f'{{"price":{p},"qty":{q}}}' for p, q in xs) + "]"  # noqa: E731
    return (f'{{"channel":"book","type":"{kind}","data":[{{"symbol":"BTC/USD","bids":{lv(bids)},'
            f'"asks":{lv(asks)},"checksum":{checksum},"timestamp":"{ts}"}}]}}')


def kraken_crc(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> int:
    """Kraken's checksum over the exact text (asks low to high, then bids high to low)."""
    asks = sorted(asks, key=lambda x: float(x[0]))[:10]  # ordering only; the text itself is used as sent
    bids = sorted(bids, key=lambda x: -float(x[0]))[:10]
    return zlib.crc32("".join(kraken_level_text(p, q) for p, q in asks + bids).encode())


def kraken_stream() -> Stream:
    a = adapter_class("kraken")([Instrument("kraken", "BTC/USD", "0.1", "0.00000001")])
    return Stream(a, "book", "BTC/USD", HealthBoard())


def test_kraken_levels_are_exact_decimals_and_checksum_matches_exact_text():
    """Kind: no float on any price or quantity path. qty 1234567890.12345678 would become
    ...1234567 as a float, and Kraken's checksum over the exact text would fail."""
    bids = [("45283.5", "1234567890.12345678"), ("45283.4", "0.10000000")]
    asks = [("45285.2", "0.00000500")]
    st = kraken_stream()
    feed(st, "a", kraken_book("snapshot", bids, asks, kraken_crc(bids, asks)))
    assert st.state == State.LIVE and st.stats.checksum_failures == 0
    assert st.book.bids[452835] == 123456789012345678 and st.book.bids[452834] == 10_000_000


def test_no_float_on_any_price_or_quantity_path():
    """Every venue decodes prices and quantities exactly: a value with 17 significant digits
    survives every adapter's trade decode."""
    from tradeplane.feeds.sim.server import SimulatedVenue
    for venue, sym in [("binance", "BTCUSDT"), ("binance-usdm", "BTCUSDT"), ("okx", "BTC-USDT"),
                       ("kraken", "BTC/USD"), ("bybit", "BTCUSDT"), ("deribit", "BTC-PERPETUAL"),
                       ("coinbase", "BTC-USD")]:
        sv = SimulatedVenue(venue, [Instrument(venue, sym, "0.01", "0.00000001")], ["a"], seed=1)
        price, qty = 123456789012345, 123456789012345678  # 1234567890123.45 and 1234567890.12345678
        raw = sv.publisher.trade_message(sym, 77, 1_782_200_000_000_000_000, price, qty, 1)
        (t,) = [e for e in sv.adapter.decode(raw, 1) if type(e).__name__ == "Trade"]
        assert (t.price, t.qty) == (price, qty), venue


# ----------------------------------------------------------------------------- 7. keyed resync


def test_kraken_resync_applies_post_snapshot_updates_the_fast_leg_brought_first():
    """Kind: keyed venues after a resync. Two Kraken legs; a checksum failure resyncs (b is
    resubscribed); the faster leg a delivers the first post-snapshot update before b's snapshot.
    Right outcome: applied after the snapshot, LIVE, one resync (no loop)."""
    st = kraken_stream()
    b0 = [("100.0", "1.0"), ("99.9", "2.0")]
    a0 = [("100.1", "1.0"), ("100.2", "2.0")]
    snap0 = kraken_book("snapshot", b0, a0, kraken_crc(b0, a0))
    feed(st, "a", snap0, 1)
    feed(st, "b", snap0, 1)
    assert st.state == State.LIVE
    # x changes 99.9 and is lost on both legs; y follows it: the checksum of y fails on our book
    b2 = [("100.0", "3.0"), ("99.9", "5.0")]
    y = kraken_book("update", [("100.0", "3.0")], [], kraken_crc(b2, a0), "2026-11-30T13:00:00.000003Z")
    feed(st, "a", y, 2)
    assert st.state == State.RESYNCING and st.stats.resyncs == 1
    # z (pre-snapshot) and w (post-snapshot) arrive on the fast leg a while b resubscribes
    a3 = [("100.1", "4.0"), ("100.2", "2.0")]
    z = kraken_book("update", [], [("100.1", "4.0")], kraken_crc(b2, a3), "2026-11-30T13:00:00.000004Z")
    b4 = [("100.0", "6.0"), ("99.9", "5.0")]
    w = kraken_book("update", [("100.0", "6.0")], [], kraken_crc(b4, a3), "2026-11-30T13:00:00.000005Z")
    feed(st, "a", z, 3)
    feed(st, "a", w, 4)
    snap3 = kraken_book("snapshot", b2, a3, kraken_crc(b2, a3), "2026-11-30T13:00:00.000004Z")
    out = feed(st, "b", snap3, 5)
    assert st.state == State.LIVE
    assert [type(e).__name__ for e in out][:1] == ["BookSnapshot"] and any(isinstance(e, BookDelta) for e in out)
    assert st.book.bids == {1000: 600_000_000, 999: 500_000_000}
    assert feed(st, "b", w, 6) == []  # b's copy of w: already applied
    b5 = [("100.0", "6.0"), ("99.9", "7.0")]
    v = kraken_book("update", [("99.9", "7.0")], [], kraken_crc(b5, a3), "2026-11-30T13:00:00.000006Z")
    assert [type(e) for e in feed(st, "a", v, 7)] == [BookDelta]
    assert feed(st, "b", v, 8) == []
    assert st.state == State.LIVE and st.stats.resyncs == 1 and st.stats.checksum_failures == 1
