"""The hot path's shortcuts change nothing but speed: the text->ticks cache is exact and bounded,
the sequence peek agrees with the full decode, and dropping copies on the peek gives the same
output, tallies and leg health as decoding them."""

from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeplane.errors import InputError
from tradeplane.feeds import gateway
from tradeplane.feeds.events import BookDelta, BookSnapshot, Gap, ParsedDelta
from tradeplane.feeds.fixed import Scale
from tradeplane.feeds.gateway import ConnState, Gateway, LegSpec, Tuning, VenueSpec
from tradeplane.feeds.health import HealthBoard, State
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.sim.market import Market
from tradeplane.feeds.stream import Stream
from tradeplane.feeds.ticks import TickCache, decode_text_levels, to_levels
from tradeplane.feeds.venues import adapter_class
from tradeplane.feeds.venues.binance import BinanceSpotPublisher, BinanceUsdmPublisher

BTC = Instrument("binance", "BTCUSDT", "0.01", "0.00001")


def wrap(stream, data):
    return msgspec.json.encode({"stream": stream, "data": data})


# ---------------------------------------------------------------------- TickCache


def test_tick_cache_is_exact_beyond_float_precision_and_rejects_off_step_text():
    c = TickCache(Scale("0.01"))
    big = "123456789012345678.01"  # 2**53 is about 9e15 ticks: a float could not hold this exactly
    assert c.get(big) == 12345678901234567801
    assert c.get(big) == 12345678901234567801  # and the cached answer is the same
    assert c.get("65000.10000000") == 6500010 and c.get("0") == 0
    with pytest.raises(InputError):
        c.get("65000.011")
    assert "65000.011" not in c.map  # a rejected text is never cached
    half = TickCache(Scale("0.5"))
    assert half.get("5042.5") == 10085
    with pytest.raises(InputError):
        half.get("5042.3")


def test_tick_cache_stays_bounded():
    c = TickCache(Scale("0.00001"), limit=100)
    for i in range(1_000):
        assert c.get(f"{i}.00001") == i * 100_000 + 1
        assert len(c) <= 100
    assert c.clears == 9 and len(c) == 100
    with pytest.raises(ValueError):
        TickCache(Scale("1"), limit=0)


@given(st.lists(st.decimals(min_value=0, max_value=10**12, places=5, allow_nan=False), max_size=40))
@settings(max_examples=60)
def test_tick_cache_agrees_with_exact_decimal_scaling(values):
    scale = Scale("0.00001")
    c = TickCache(scale, limit=8)  # small: misses, clears and hits all happen
    for v in values + values:
        text = f"{v:f}"
        assert c.get(text) == int(Decimal(text).scaleb(5)) == scale.to_int(text)


@given(st.text(alphabet="0123456789.-+_ ", max_size=12))
@settings(max_examples=300)
def test_tick_cache_miss_agrees_with_the_exact_parser_on_any_text(text):
    """The miss path's shortcut (text with exactly the step's decimals) answers what ``Scale.to_int``
    answers, value or error, on any text: points in odd places, signs, underscores, spaces."""
    for step in ("0.001", "0.5", "1"):
        scale = Scale(step)
        try:
            want: int | type[Exception] = scale.to_int(text)
        except (InputError, ValueError) as exc:
            want = type(exc)
        try:
            got: int | type[Exception] = TickCache(scale).miss(text)
        except (InputError, ValueError) as exc:
            got = type(exc)
        assert got == want, (step, text)


def test_to_levels_converts_pairs():
    p, q = TickCache(Scale("0.01")), TickCache(Scale("0.001"))
    levels = decode_text_levels(b'[["0.0100","1.5"],["2","0.000"]]')
    assert to_levels(levels, p, q) == ((1, 1500), (200, 0))


# ---------------------------------------------------------------------- sequence peek


def _samples(sim_cls, venue, inst):
    sim = sim_cls([inst])
    m = Market(seed=5, ref=6_500_000, depth=20)
    out = [sim.delta_message(inst.symbol, 1000 + 3 * i + 3, 1000 + 3 * i, 1_700_000_000_000_000_000 + i * 10**8,
                             m.step().bids, m.step().asks, 0, 1000 + 3 * i + 1) for i in range(200)]
    out += [sim.trade_message(inst.symbol, 7, 1_700_000_000_000_000_000, 6_500_000, 5, 1),
            sim.bbo_message(inst.symbol, 9, 1_700_000_000_000_000_000, (6_499_999, 1), (6_500_001, 2))]
    funding = sim.funding_message(inst.symbol, 1, 1_700_000_000_000_000_000, 6_500_000, 100)
    if funding:
        out.append(funding)
    return out


@pytest.mark.parametrize("venue,sim_cls", [("binance", BinanceSpotPublisher), ("binance-usdm", BinanceUsdmPublisher)])
def test_peek_and_text_path_agree_with_full_decode_on_every_sample(venue, sim_cls):
    inst = Instrument(venue, "BTCUSDT", "0.01", "0.00001")
    a = adapter_class(venue)([inst])
    docs = wrap("bnbbtc@depth@100ms", {"e": "depthUpdate", "E": 1672515782136, "s": "BTCUSDT", "U": 157,
                                       "u": 160, "b": [["0.0024", "10"]], "a": [["0.0026", "100"]]})
    reordered = b'{"data":{"a":[],"u":161,"b":[["1.00","2"]],"s":"BTCUSDT","E":5,"U":161,"e":"depthUpdate"}}'
    deltas = 0
    for raw in [docs, reordered, *_samples(sim_cls, venue, inst)]:
        for form in (raw, raw.decode() if isinstance(raw, bytes) else raw.encode()):
            seen = a.peek_book(form)
            text = a.book_text(form if isinstance(form, bytes) else form.encode())
            events = a.decode(form, 1)
            if events and type(events[0]) is ParsedDelta:
                d = events[0]
                assert seen == (d.symbol, d.seq, d.ts_exchange)
                assert text == (d.symbol, d.seq, d.prev_seq, d.first_seq, d.ts_exchange, d.bids, d.asks)
                deltas += 1
            else:
                assert seen is None and text is None  # trades, tickers, funding: the full decode handles them
    assert deltas == 2 * 202
    assert a.peek_book(b'{"result":null,"id":1}') is None
    other = wrap("ethusdt@depth", {"e": "depthUpdate", "E": 1, "s": "ETHUSDT", "U": 1, "u": 2, "b": [], "a": []})
    assert a.peek_book(other) is None  # not subscribed: nothing to arbitrate


# ---------------------------------------------------------------------- copies dropped on the peek


class Collect:
    def __init__(self) -> None:
        self.events: list[object] = []

    def publish(self, ev: object) -> None:
        self.events.append(ev)


class _Forget(list):
    def __setitem__(self, key, value):  # a ring that never remembers: every trailing copy is peeked at
        pass


def _gateway(mode: str):
    sink = Collect()
    spec = VenueSpec("binance", (BTC,), ("book",), (LegSpec("a", "ws://127.0.0.1:1/stream"),
                                                    LegSpec("b", "ws://127.0.0.1:1/stream")))
    gw = Gateway([spec], [sink], tuning=Tuning(seed=1))
    v = gw.venues["binance"]
    assert v.peek is not None  # two legs on a venue that can peek
    peeked = []
    if mode == "off":
        v.peek = None
        v.won = _Forget(v.won)
    else:
        inner = v.peek

        def counted(raw):
            peeked.append(raw)
            return inner(raw)

        v.peek = counted
        if mode == "peek":
            v.won = _Forget(v.won)
    return gw, v, _live_connections(gw, v), sink, peeked


def _live_connections(gw: Gateway, v) -> dict[str, ConnState]:
    """One open, live connection per leg of venue ``v``, as the gateway keeps them: leg name -> state."""
    conns = {}
    for leg in v.legs.values():
        cid = f"{leg.name}#1"
        v.conn_leg[cid] = leg.name
        v.live.add(cid)
        h = gw.board.leg(leg.name)
        h.state = State.LIVE
        conns[leg.spec.name] = ConnState(cid, h, gw.board.rates[v.name], None)
    return conns


def _wire():
    """Two legs' arrivals: leader flips, one leg misses messages the other fills, copies trail."""
    sim = BinanceSpotPublisher([BTC])
    m = Market(seed=11, ref=6_500_000, depth=30)
    snap = BookSnapshot("binance", "BTCUSDT", 1000, 0, 0, tuple(m.book.top_bids(1000)), tuple(m.book.top_asks(1000)))
    msgs = []
    for i in range(300):
        s = m.step()
        seq = 1001 + i
        msgs.append(sim.delta_message("BTCUSDT", seq, seq - 1, 1_700_000_000_000_000_000 + i * 10**8,
                                      s.bids, s.asks, 0, seq).encode())
    order = []
    for i, raw in enumerate(msgs):
        k = i % 50
        if k == 5:
            continue  # lost on a; b is late with it
        if k == 6:
            order += [("a", raw), ("b", msgs[i - 1]), ("b", raw)]  # a's is held on a hole b then fills
        elif k < 25:
            order += [("a", raw), ("b", raw)]
        elif 40 <= k < 44:
            order += [("b", raw)]
        elif k == 44:
            order += [("b", raw)] + [("a", msgs[j]) for j in range(i - 4, i + 1)]  # a trails by several
        else:
            order += [("b", raw), ("a", raw)]
    return snap, msgs, order


def test_dropping_copies_on_the_peek_changes_nothing_but_speed(monkeypatch):
    snap, msgs, order = _wire()
    results = []
    for mode in ("ring", "small ring", "peek", "off"):
        monkeypatch.setattr(gateway, "MEMO", 16 if mode == "small ring" else 4096)
        gw, v, conns, sink, peeked = _gateway(mode)
        v.latency = []  # as when metrics are on: the latency samples the hot path takes
        st = v.streams[("book", "BTCUSDT")]
        st.on_snapshot(snap, 1)
        clock = 10
        for leg, raw in order:
            clock += 7
            # each leg's copy is its own object, as when read from two sockets
            gw.on_message(v, conns[leg], bytes(bytearray(raw)), clock)
        tallies = {k: (t.wins, t.duplicates, t.high_water, t.lead_ns_total, t.lead_samples)
                   for k, t in st.arbiter.tallies.items()}
        legs = [(c.health.messages, c.health.bytes, c.health.last_data_ns, c.rate.samples, c.rate.mean_ns)
                for c in conns.values()]
        results.append((sink.events, tallies, legs, st.book.levels(), st.stats, st.state, v.latency))
        if mode == "peek":  # only trailing copies were peeked at: the leading leg's go straight to decode
            assert len(msgs) // 2 < len(peeked) < len(order) - len(msgs) // 2
        if mode == "ring":  # byte-identical copies were matched against the first copies, not parsed
            assert len(peeked) < len(msgs) // 10 and v.won_n == len(msgs) and len(v.won) == 4096
        if mode == "small ring":  # bounded: the oldest first copies are overwritten, and still right
            assert len(v.won) == 16 and v.won_n == len(msgs)
    assert results[0] == results[1] == results[2] == results[3]
    events, tallies, _, _, stats, state, latency = results[0]
    assert state is State.LIVE and stats.gaps == 0 and stats.delivered == len(msgs)
    # one latency sample per delivered delta, at its first copy: a trailing leg's copies are not
    # samples (how far they lag is the arbiter's lead), on the fast paths and the full one alike
    assert len(latency) == len(msgs)
    assert all(isinstance(e, BookDelta) for e in events) and len(events) == len(msgs)
    assert tallies["binance/a#1"][1] > 0 and tallies["binance/b#1"][1] > 0  # each leg led some of the time
    # the stale bound's rate counts each delta once (its first copy), on every path: the venue's rate
    assert all(leg[3] == len(msgs) - 1 for leg in results[0][2])


def test_a_level_off_its_step_resyncs_the_book_with_a_gap():
    a = adapter_class("binance")([BTC])
    stream = Stream(a, "book", "BTCUSDT", HealthBoard())
    stream.on_snapshot(BookSnapshot("binance", "BTCUSDT", 10, 0, 0, ((100, 1),), ((200, 1),)), 1)
    ok = wrap("btcusdt@depth@100ms", {"e": "depthUpdate", "E": 1, "s": "BTCUSDT", "U": 11, "u": 11,
                                      "b": [["1.00", "0.00002"]], "a": []})
    (d,) = stream.on_wire("a", a.decode(ok, 2)[0], 2)
    assert isinstance(d, BookDelta) and d.bids == ((100, 2),)
    bad = wrap("btcusdt@depth@100ms", {"e": "depthUpdate", "E": 2, "s": "BTCUSDT", "U": 12, "u": 12,
                                       "b": [["1.001", "1"]], "a": []})
    (g,) = stream.on_wire("a", a.decode(bad, 3)[0], 3)
    assert isinstance(g, Gap) and g.reason == "undecodable level"
    assert stream.state is State.RESYNCING and [x.kind for x in stream.actions] == ["fetch_snapshot"]


def test_a_trailing_leg_that_lost_a_message_is_matched_byte_for_byte_again_after_one_peek():
    """Leg b trails leg a and loses one message: its next copy does not match the first copy it has
    not matched (the lost one), so it is peeked at; its place then moves past that copy's first copy,
    and every later copy is matched byte for byte again (before: peeked at until b led once)."""
    snap, msgs, _ = _wire()
    gw, v, conns, sink, peeked = _gateway("ring")
    st = v.streams[("book", "BTCUSDT")]
    st.on_snapshot(snap, 1)
    clock = 10
    for i, raw in enumerate(msgs):
        clock += 7
        gw.on_message(v, conns["a"], bytes(bytearray(raw)), clock)
        if i != 20:  # lost on b
            gw.on_message(v, conns["b"], bytes(bytearray(raw)), clock + 3)
    assert len(peeked) == 1
    assert st.state is State.LIVE and st.stats.gaps == 0 and st.stats.delivered == len(msgs) == len(sink.events)
    tallies = st.arbiter.tallies
    assert tallies["binance/a#1"].wins == len(msgs) and tallies["binance/b#1"].duplicates == len(msgs) - 1


def test_a_trade_brought_by_both_legs_is_one_latency_sample_and_one_arrival():
    """The full path (decode -> on_wire) samples the latency of what it delivered and counts it once
    in the stale rate: the second leg's copy of a trade is dropped by the arbiter and counts for
    neither."""
    spec = VenueSpec("binance", (BTC,), ("trades",), (LegSpec("a", "ws://127.0.0.1:1/stream"),
                                                      LegSpec("b", "ws://127.0.0.1:1/stream")))
    sink = Collect()
    gw = Gateway([spec], [sink], tuning=Tuning(seed=1))
    v = gw.venues["binance"]
    v.latency = []
    conns = list(_live_connections(gw, v).values())
    t0 = 1_700_000_000_000
    for i in range(3):
        raw = wrap("btcusdt@trade", {"e": "trade", "E": t0 + i, "s": "BTCUSDT", "t": 10 + i, "p": "65000.01",
                                     "q": "0.5", "T": t0 + i, "m": False})
        for k, c in enumerate(conns):
            gw.on_message(v, c, raw, (t0 + i) * 1_000_000 + 200_000 + k * 50_000)
    assert len(sink.events) == 3 and v.latency == [200_000] * 3
    # and the stale rate saw three arrivals, not six: the legs' interleaved copies would halve the
    # mean interval, and with it the bound a silent leg is judged on
    assert conns[0].rate is conns[1].rate and conns[0].rate.samples == 2
    assert conns[0].rate.mean_ns == 1_000_000


def test_latency_is_batched_and_folded_into_the_histogram():
    """The hot path appends each latency to its venue's list; the buckets come out as
    prometheus_client's Histogram would make them (le is inclusive; negative counts as 0)."""
    from prometheus_client import generate_latest

    from tradeplane.feeds.metrics import GatewayMetrics

    metrics = GatewayMetrics()
    spec = VenueSpec("binance", (BTC,), ("book",), (LegSpec("a", "ws://127.0.0.1:1/stream"),))
    gw = Gateway([spec], [], metrics=metrics)
    lat = gw.venues["binance"].latency
    assert lat is metrics.pending["binance"]
    lat.extend([-5, 500_000, 500_001, 3_000_000_000])
    text = generate_latest(metrics.registry).decode()
    assert 'feeds_exchange_to_receive_seconds_bucket{le="0.0005",venue="binance"} 2.0' in text
    assert 'feeds_exchange_to_receive_seconds_bucket{le="0.001",venue="binance"} 3.0' in text
    assert 'feeds_exchange_to_receive_seconds_bucket{le="2.5",venue="binance"} 3.0' in text
    assert 'feeds_exchange_to_receive_seconds_count{venue="binance"} 4.0' in text
    assert lat == [] and lat is gw.venues["binance"].latency  # folded in place: the venue keeps appending
