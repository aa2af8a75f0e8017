"""Venue parsing, sync rules and checksums from samples in the shape of each venue's docs."""

import msgspec

from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.events import BBO, BookDelta, BookSnapshot, Funding, Gap, ParsedDelta, Trade
from tradeplane.feeds.health import HealthBoard, State
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.stream import Stream
from tradeplane.feeds.venues import adapter_class, venue_names
from tradeplane.feeds.venues.kraken import Kraken
from tradeplane.feeds.venues.okx import Okx, okx_checksum_text, signed_crc32


def wrap(stream, data):
    return msgspec.json.encode({"stream": stream, "data": data})


BNB = Instrument("binance", "BNBBTC", "0.0001", "0.001")


def test_registry_lists_venues():
    assert {"binance", "binance-usdm", "kraken", "okx"} <= set(venue_names())


def test_binance_spot_depth_update_from_docs():
    a = adapter_class("binance")([BNB])
    # the diff-depth payload exactly as in Binance's "Diff. Depth Stream" docs
    raw = wrap("bnbbtc@depth@100ms", {"e": "depthUpdate", "E": 1672515782136, "s": "BNBBTC", "U": 157, "u": 160,
                                      "b": [["0.0024", "10"]], "a": [["0.0026", "100"]]})
    (parsed,) = a.decode(raw, 5)
    assert isinstance(parsed, ParsedDelta)  # judged by the arbiter before any level is decoded
    d = parsed.ticks()
    assert (d.seq, d.first_seq, d.prev_seq) == (160, 157, 156)
    assert d.bids == ((24, 10000),) and d.asks == ((26, 100000),)
    assert d.ts_exchange == 1672515782136 * 1_000_000 and d.ts_recv == 5


def test_binance_trade_bookticker_markprice():
    a = adapter_class("binance")([BNB])
    (t,) = a.decode(wrap("bnbbtc@trade", {"e": "trade", "E": 1672515782136, "s": "BNBBTC", "t": 12345,
                                          "p": "0.0010", "q": "100", "T": 1672515782136, "m": True, "M": True}), 1)
    assert isinstance(t, Trade) and t.seq == 12345 and t.prev_seq == 12344 and t.side == -1 and t.price == 10
    (b,) = a.decode(wrap("bnbbtc@bookTicker", {"u": 400900217, "s": "BNBBTC", "b": "0.0024", "B": "31.210",
                                               "a": "0.0026", "A": "40.660"}), 1)
    assert isinstance(b, BBO) and (b.seq, b.bid_price, b.ask_qty) == (400900217, 24, 40660)
    fut = adapter_class("binance-usdm")([Instrument("binance-usdm", "BTCUSDT", "0.1", "0.001")])
    (f,) = fut.decode(wrap("btcusdt@markPrice@1s", {"e": "markPriceUpdate", "E": 1562305380000, "s": "BTCUSDT",
                                                    "p": "11794.1", "i": "11784.6", "P": "11784.2", "r": "0.00038167",
                                                    "T": 1562306400000}), 1)
    assert isinstance(f, Funding) and f.mark_price == 117941 and f.rate_e9 == 381670
    (ag,) = fut.decode(wrap("btcusdt@aggTrade", {"e": "aggTrade", "E": 123456789, "s": "BTCUSDT", "a": 5933014,
                                                 "p": "0.1", "q": "100", "f": 100, "l": 105, "T": 123456785,
                                                 "m": True}), 1)
    assert isinstance(ag, Trade) and ag.seq == 5933014 and ag.prev_seq == 5933013


def _binance_stream(venue="binance"):
    a = adapter_class(venue)([Instrument(venue, "BNBBTC", "0.0001", "0.001")])
    return a, Stream(a, "book", "BNBBTC", HealthBoard())


def _delta(U, u, pu=-1, bids=(), asks=(), venue="binance"):
    return BookDelta(venue, "BNBBTC", u, pu if pu != -1 else U - 1, 0, 0, tuple(bids), tuple(asks), U)


def test_parsed_delta_duplicate_is_dropped_unconverted_and_winner_applied():
    a, st = _binance_stream()
    raw = wrap("bnbbtc@depth@100ms", {"e": "depthUpdate", "E": 1, "s": "BNBBTC", "U": 1, "u": 10,
                                      "b": [["0.0024", "10"]], "a": [["0.0026", "100"]]})
    st.on_wire("a", a.decode(raw, 1)[0], 1)
    st.on_snapshot(BookSnapshot("binance", "BNBBTC", 5, 0, 0, ((24, 1),), ((26, 1),)), 1)
    nxt = wrap("bnbbtc@depth@100ms", {"e": "depthUpdate", "E": 2, "s": "BNBBTC", "U": 11, "u": 12,
                                      "b": [["0.0024", "0"], ["0.0023", "5"]], "a": []})
    (out,) = st.on_wire("a", a.decode(nxt, 2)[0], 2)
    assert isinstance(out, BookDelta) and out.bids == ((24, 0), (23, 5000))
    assert st.on_wire("b", a.decode(nxt, 3)[0], 3) == []
    assert st.arbiter.tallies["b"].duplicates == 1 and st.arbiter.tallies["a"].lead_samples == 1
    assert st.book.bids == {23: 5000}


def test_binance_spot_sync_rules():
    _a, st = _binance_stream()
    assert st.on_wire("a", _delta(100, 110), 0) == []
    assert [x.kind for x in st.actions] == ["fetch_snapshot"]
    st.on_wire("a", _delta(111, 120, bids=[(24, 5)]), 0)
    st.on_wire("a", _delta(121, 125, bids=[(24, 6)]), 0)
    snap = BookSnapshot("binance", "BNBBTC", 115, 0, 0, ((24, 1),), ((26, 1),))
    out = st.on_snapshot(snap, 0)
    # u <= lastUpdateId dropped; first applied has U <= 116 <= u; then U = previous u + 1
    assert [type(e).__name__ for e in out] == ["BookSnapshot", "BookDelta", "BookDelta"]
    assert st.state == State.LIVE and st.book.bids == {24: 6}


def test_binance_spot_snapshot_too_old_is_refetched():
    _a, st = _binance_stream()
    st.on_wire("a", _delta(200, 210), 0)
    st.actions.clear()
    out = st.on_snapshot(BookSnapshot("binance", "BNBBTC", 150, 0, 0, ((24, 1),), ((26, 1),)), 0)
    assert not [e for e in out if isinstance(e, BookDelta)]
    assert st.state == State.RESYNCING and [x.kind for x in st.actions] == ["fetch_snapshot"]


def test_binance_usdm_first_event_rule_uses_lastupdateid_inclusive():
    _a, st = _binance_stream("binance-usdm")
    st.on_wire("a", _delta(100, 110, pu=99, venue="binance-usdm"), 0)
    st.on_wire("a", _delta(111, 120, pu=110, venue="binance-usdm"), 0)
    out = st.on_snapshot(BookSnapshot("binance-usdm", "BNBBTC", 110, 0, 0, ((24, 1),), ((26, 1),)), 0)
    # USD-M: drop u < lastUpdateId; first has U <= lastUpdateId <= u (here 100 <= 110 <= 110)
    assert [type(e).__name__ for e in out] == ["BookSnapshot", "BookDelta", "BookDelta"]


def test_gap_on_every_leg_resyncs_the_book():
    _a, st = _binance_stream()
    st.on_wire("a", _delta(1, 10), 0)
    st.on_snapshot(BookSnapshot("binance", "BNBBTC", 5, 0, 0, ((24, 1),), ((26, 1),)), 0)
    st.actions.clear()
    st.on_wire("a", _delta(21, 30), 0)  # 11..20 lost
    st.on_wire("b", _delta(1, 10), 0)
    st.on_wire("b", _delta(21, 30), 0)
    out = st.check_hole(["a", "b"], 7)
    gaps = [e for e in out if isinstance(e, Gap)]
    assert gaps and (gaps[0].from_seq, gaps[0].to_seq) == (11, 20)
    assert st.state == State.RESYNCING and st.stats.resyncs == 1
    assert [x.kind for x in st.actions] == ["fetch_snapshot"]


def test_crossed_book_resyncs():
    _a, st = _binance_stream()
    st.on_wire("a", _delta(1, 10), 0)
    st.on_snapshot(BookSnapshot("binance", "BNBBTC", 9, 0, 0, ((24, 1),), ((26, 1),)), 0)
    out = st.on_wire("a", _delta(11, 12, bids=[(27, 1)]), 0)
    assert [e.reason for e in out if isinstance(e, Gap)] == ["crossed book"]
    assert st.state == State.RESYNCING and st.stats.crossed == 1


KRAKEN_DOC_SNAPSHOT = {
    "channel": "book", "type": "snapshot",
    "data": [{
        "symbol": "BTC/USD",
        "bids": [{"price": 45283.5, "qty": 0.10000000}, {"price": 45283.4, "qty": 1.54582015},
                 {"price": 45282.1, "qty": 0.10000000}, {"price": 45281.0, "qty": 0.10000000},
                 {"price": 45280.3, "qty": 1.54592586}, {"price": 45279.0, "qty": 0.07990000},
                 {"price": 45277.6, "qty": 0.03310103}, {"price": 45277.5, "qty": 0.30000000},
                 {"price": 45277.3, "qty": 1.54602737}, {"price": 45276.6, "qty": 0.15445238}],
        "asks": [{"price": 45285.2, "qty": 0.00100000}, {"price": 45286.4, "qty": 1.54571953},
                 {"price": 45286.6, "qty": 1.54571109}, {"price": 45289.6, "qty": 1.54560911},
                 {"price": 45290.2, "qty": 0.15890660}, {"price": 45291.8, "qty": 1.54553491},
                 {"price": 45294.7, "qty": 0.04454749}, {"price": 45296.1, "qty": 0.35380000},
                 {"price": 45297.5, "qty": 0.09945542}, {"price": 45299.5, "qty": 0.18772827}],
        "checksum": 3310070434,
    }],
}
XBT = Instrument("kraken", "BTC/USD", "0.1", "0.00000001")


def test_kraken_checksum_matches_the_docs_example():
    k = Kraken([XBT])
    (snap,) = k.decode(msgspec.json.encode(KRAKEN_DOC_SNAPSHOT), 1)
    assert isinstance(snap, BookSnapshot) and snap.checksum == 3310070434
    book = OrderBook()
    book.load(snap.bids, snap.asks)
    assert k.checksum(book, "BTC/USD") == 3310070434


def test_kraken_update_checksum_verified_and_mismatch_resyncs():
    k = Kraken([XBT])
    st = Stream(k, "book", "BTC/USD", HealthBoard())
    out = st.on_wire("a", k.decode(msgspec.json.encode(KRAKEN_DOC_SNAPSHOT), 1)[0], 1)
    assert st.state == State.LIVE and len(out) == 1
    # an update that removes the best ask and adds a level: compute the checksum the venue would send
    book = OrderBook()
    book.load(st.book.top_bids(10), st.book.top_asks(10))
    book.apply([], [(452852, 0), (452999, 100000)])
    book.truncate(10)
    good = k.checksum(book, "BTC/USD")
    upd = {"channel": "book", "type": "update", "data": [{
        "symbol": "BTC/USD", "bids": [], "asks": [{"price": 45285.2, "qty": 0}, {"price": 45299.9, "qty": 0.001}],
        "checksum": good, "timestamp": "2023-10-06T17:35:55.440295Z"}]}
    (d,) = k.decode(msgspec.json.encode(upd), 2)
    assert d.ts_exchange == 1696613755440295000
    assert st.on_wire("a", d, 2) == [d]
    assert st.on_wire("b", d, 3) == []  # the other leg's copy
    upd["data"][0]["timestamp"] = "2023-10-06T17:35:55.540295Z"
    upd["data"][0]["checksum"] = good ^ 1
    (bad,) = k.decode(msgspec.json.encode(upd), 4)
    out = st.on_wire("a", bad, 4)
    assert [e.reason for e in out if isinstance(e, Gap)] == ["checksum mismatch"]
    assert st.state == State.RESYNCING and [x.kind for x in st.actions] == ["resubscribe"]


def test_okx_checksum_algorithm():
    # The docs' worked string for a book with bids [3366.1, 7], [3366, 6] and asks [3366.8, 9], [3368, 8]
    text = okx_checksum_text([("3366.1", "7"), ("3366", "6")], [("3366.8", "9"), ("3368", "8")])
    assert text == "3366.1:7:3366.8:9:3366:6:3368:8"
    assert signed_crc32(text) == -1881014294
    okx = Okx([Instrument("okx", "BTC-USDT", "0.1", "1")])
    book = OrderBook()
    book.load([(33661, 7), (33660, 6)], [(33668, 9), (33680, 8)])
    assert okx.checksum(book, "BTC-USDT") == -1881014294
    # uneven sides: the longer side continues alone
    assert okx_checksum_text([("1", "1")], [("2", "2"), ("3", "3")]) == "1:1:2:2:3:3"


def test_okx_books_snapshot_update_keepalive_and_reset():
    inst = Instrument("okx", "BTC-USDT", "0.01", "1")
    okx = Okx([inst])
    snap = {"arg": {"channel": "books", "instId": "BTC-USDT"}, "action": "snapshot", "data": [{
        "asks": [["8476.98", "415", "0", "13"], ["8477", "7", "0", "2"]],
        "bids": [["8476.97", "256", "0", "12"], ["8475.55", "101", "0", "1"]],
        "ts": "1597026383085", "checksum": 0, "prevSeqId": -1, "seqId": 123456}]}
    book = OrderBook()
    book.load([(847697, 256), (847555, 101)], [(847698, 415), (847700, 7)])
    snap["data"][0]["checksum"] = okx.checksum(book, "BTC-USDT")
    st = Stream(okx, "book", "BTC-USDT", HealthBoard())
    (s,) = okx.decode(msgspec.json.encode(snap), 1)
    assert isinstance(s, BookSnapshot) and s.seq == 123456
    assert st.on_wire("a", s, 1) == [s] and st.state == State.LIVE
    book.apply([], [(847700, 0)])
    upd = {"arg": {"channel": "books", "instId": "BTC-USDT"}, "action": "update", "data": [{
        "asks": [["8477", "0", "0", "0"]], "bids": [], "ts": "1597026383086",
        "checksum": okx.checksum(book, "BTC-USDT"), "prevSeqId": 123456, "seqId": 123457}]}
    (d,) = okx.decode(msgspec.json.encode(upd), 2)
    assert (d.seq, d.prev_seq) == (123457, 123456)
    assert st.on_wire("a", d, 2) == [d]
    keep = {"arg": {"channel": "books", "instId": "BTC-USDT"}, "action": "update", "data": [{
        "asks": [], "bids": [], "ts": "1597026383087", "checksum": 1, "prevSeqId": 123457, "seqId": 123457}]}
    assert type(okx.decode(msgspec.json.encode(keep), 3)[0]).__name__ == "Heartbeat"
    reset = dict(upd)
    reset["data"] = [dict(upd["data"][0], prevSeqId=123457, seqId=5, asks=[])]
    (r,) = okx.decode(msgspec.json.encode(reset), 4)
    st.on_wire("a", r, 4)
    assert st.state == State.RESYNCING


def test_bybit_orderbook_snapshot_delta_and_restart_snapshot():
    from tradeplane.feeds.venues.bybit import Bybit

    inst = Instrument("bybit", "BTCUSDT", "0.01", "0.001")
    by = Bybit([inst])
    snap = {"topic": "orderbook.50.BTCUSDT", "type": "snapshot", "ts": 1672304484978, "data": {
        "s": "BTCUSDT", "b": [["16493.50", "0.006"], ["16493.00", "0.100"]],
        "a": [["16611.00", "0.029"], ["16612.00", "0.213"]], "u": 18521288, "seq": 7961638724}, "cts": 1672304484976}
    (s,) = by.decode(msgspec.json.encode(snap), 1)
    assert isinstance(s, BookSnapshot) and s.seq == 18521288 and s.bids[0] == (1649350, 6)
    st = Stream(by, "book", "BTCUSDT", HealthBoard())
    st.on_wire("a", s, 1)
    delta = {"topic": "orderbook.50.BTCUSDT", "type": "delta", "ts": 1672304484988, "data": {
        "s": "BTCUSDT", "b": [["16493.50", "0"]], "a": [["16611.00", "0.010"]], "u": 18521289, "seq": 7961638800},
        "cts": 1672304484986}
    (d,) = by.decode(msgspec.json.encode(delta), 2)
    assert (d.seq, d.prev_seq) == (18521289, 18521288)
    assert st.on_wire("a", d, 2) == [d] and st.book.best_bid == 1649300
    restart = dict(snap, data=dict(snap["data"], u=1))  # u=1: the service restarted, overwrite the book
    (r,) = by.decode(msgspec.json.encode(restart), 3)
    assert st.on_wire("b", r, 3) == [r] and st.book.best_bid == 1649350
    trade = {"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": 1672304486868, "data": [{
        "T": 1672304486865, "s": "BTCUSDT", "S": "Buy", "v": "0.001", "p": "16578.50", "L": "PlusTick",
        "i": "20f43950-d8dd-5b31-9112-a178eb6023af", "BT": False}]}
    (t,) = by.decode(msgspec.json.encode(trade), 4)
    assert isinstance(t, Trade) and t.trade_id == "20f43950-d8dd-5b31-9112-a178eb6023af" and t.side == 1


def test_deribit_book_change_ids_trades_and_heartbeat_reply():
    from tradeplane.feeds.venues.deribit import Deribit

    inst = Instrument("deribit", "BTC-PERPETUAL", "0.5", "10")
    de = Deribit([inst])
    snap = {"jsonrpc": "2.0", "method": "subscription", "params": {"channel": "book.BTC-PERPETUAL.100ms", "data": {
        "type": "snapshot", "timestamp": 1554373962454, "instrument_name": "BTC-PERPETUAL", "change_id": 297217,
        "bids": [["new", 5042.5, 30], ["new", 5041.0, 40]], "asks": [["new", 5043.0, 40], ["new", 5044.5, 20]]}}}
    (s,) = de.decode(msgspec.json.encode(snap), 1)
    assert isinstance(s, BookSnapshot) and s.seq == 297217 and s.bids[0] == (10085, 3)
    change = {"jsonrpc": "2.0", "method": "subscription", "params": {"channel": "book.BTC-PERPETUAL.100ms", "data": {
        "type": "change", "timestamp": 1554373911330, "prev_change_id": 297217, "instrument_name": "BTC-PERPETUAL",
        "change_id": 297218, "bids": [["delete", 5041.0, 0]], "asks": [["change", 5043.0, 10]]}}}
    (d,) = de.decode(msgspec.json.encode(change), 2)
    assert (d.seq, d.prev_seq, d.bids, d.asks) == (297218, 297217, ((10082, 0),), ((10086, 1),))
    trades = {"jsonrpc": "2.0", "method": "subscription", "params": {"channel": "trades.BTC-PERPETUAL.100ms",
              "data": [{"trade_seq": 30289432, "trade_id": "48079254", "timestamp": 1590484156350,
                        "tick_direction": 0, "price": 8950.0, "mark_price": 8948.9, "instrument_name": "BTC-PERPETUAL",
                        "index_price": 8955.88, "direction": "sell", "amount": 10}]}}
    (t,) = de.decode(msgspec.json.encode(trades), 3)
    assert (t.seq, t.prev_seq, t.price, t.qty, t.side) == (30289432, 30289431, 17900, 1, -1)
    hb = b'{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}'
    assert de.decode(hb, 4) == [] and "public/test" in de.replies(hb)[0]


def test_coinbase_level2_matches_ticker():
    from tradeplane.feeds.venues.coinbase import Coinbase

    inst = Instrument("coinbase", "BTC-USD", "0.01", "0.00000001")
    cb = Coinbase([inst])
    (s,) = cb.decode(b'{"type":"snapshot","product_id":"BTC-USD","bids":[["10101.10","0.45054140"]],'
                     b'"asks":[["10102.55","0.57753524"]]}', 1)
    assert isinstance(s, BookSnapshot) and s.bids == ((1010110, 45054140),)
    (d,) = cb.decode(b'{"type":"l2update","product_id":"BTC-USD","time":"2019-08-14T20:42:27.265Z",'
                     b'"changes":[["buy","10101.80000000","0.162567"]]}', 2)
    assert d.bids == ((1010180, 16256700),) and d.ts_exchange == 1565815347265000000
    (m,) = cb.decode(b'{"type":"match","trade_id":10,"sequence":50,"maker_order_id":"ac928c66",'
                     b'"taker_order_id":"132fb6ae","time":"2014-11-07T08:19:27.028459Z","product_id":"BTC-USD",'
                     b'"size":"5.23512","price":"400.23","side":"sell"}', 3)
    assert (m.seq, m.prev_seq, m.side, m.price) == (10, 9, 1, 40023)  # maker sold: the aggressor bought
    st = Stream(cb, "book", "BTC-USD", HealthBoard())
    st.on_wire("a", s, 1)
    assert st.on_wire("a", d, 2) == [d] and st.on_wire("b", d, 2) == []


def test_arbitration_key_is_the_identity_the_keyed_arbiter_uses() -> None:
    from tradeplane.feeds.events import NO_SEQ
    from tradeplane.feeds.venues import arbitration_key, arbitration_mode, content_key

    kraken = adapter_class("kraken")([XBT])
    bbo = BBO("kraken", "BTC/USD", NO_SEQ, NO_SEQ, 5, 6, 1, 2, 3, 4)
    delta = BookDelta("kraken", "BTC/USD", NO_SEQ, NO_SEQ, 7, 8, ((10, 1),), ())
    # what FeedStream keys Kraken's ticker and book by; the receive time is never part of it
    assert arbitration_key(bbo) == kraken.key(bbo) == (1, 2, 3, 4, 5)
    assert arbitration_key(delta) == kraken.key(delta) == arbitration_key(msgspec.structs.replace(delta, ts_recv=9))
    assert arbitration_mode("kraken", "book") == "keyed" and arbitration_mode("binance", "book") == "contiguous"
    assert arbitration_mode("nowhere", "book") is None
    # sequenced: the position identifies it (None); a row without a sequence falls back to its content
    assert arbitration_key(Trade("binance", "BTCUSDT", 3, 2, 1, 2, 3, 4, 1, "3")) is None
    lost = BBO("nowhere", "X", NO_SEQ, NO_SEQ, 5, 6, 1, 2, 3, 4)
    assert arbitration_key(lost) == content_key(lost) == ("BBO", NO_SEQ, 5, "")
    assert arbitration_key(Gap("kraken", "BTC/USD", "book", 1, 2, 3, "x")) is None
