"""Failover against the real simulator over loopback WebSocket: legs killed, stalled, both down."""

import asyncio

import pytest

from tradeplane.feeds.events import BookDelta, Gap, Trade
from tradeplane.feeds.gateway import Gateway, LegSpec, Tuning, VenueSpec
from tradeplane.feeds.health import State
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.sim.server import ExchangeSimulator
from tradeplane.feeds.sinks import Collector

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

SYMBOL = {"binance": "BTCUSDT", "binance-usdm": "BTCUSDT", "okx": "BTC-USDT", "kraken": "BTC/USD"}
TUNING = Tuning(seed=3, stale_floor_s=0.15, stale_ceiling_s=5.0, backoff_base_s=0.05, backoff_cap_s=0.2)


async def run(venue, fault=None, at_step=200, steps=700):
    inst = Instrument(venue, SYMBOL[venue], "0.01", "0.001")
    async with ExchangeSimulator({venue: [inst]}, rate_hz=400, steps=steps, start_after=2, seed=11) as sim:
        col = Collector()
        legs = tuple(LegSpec(e, sim.url(venue, e), sim.rest(venue, e)) for e in ("a", "b"))
        gw = Gateway([VenueSpec(venue, (inst,), ("book", "trades"), legs)], [col], tuning=TUNING)
        async with gw:
            if fault is not None:
                while sim.step_no < at_step:
                    await asyncio.sleep(0.005)
                await fault(sim)
            await asyncio.wait_for(sim.done.wait(), 30)
            truth = sim.venues[venue].symbols[inst.symbol].market.book
            stream = gw.venues[venue].streams[("book", inst.symbol)]
            await settle(lambda: caught_up(gw, sim, venue, inst.symbol, col.events))
            assert stream.book.bids == truth.bids and stream.book.asks == truth.asks
            return col.events, gw


async def settle(done, timeout=30.0):
    """Wait until ``done()`` holds: the gateway has caught up with the venue. Conditions, not time:
    ``timeout`` only keeps a broken run from hanging (the asserts that follow then say what is wrong)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not done() and loop.time() < end:
        await asyncio.sleep(0.02)


def caught_up(gw, sim, venue, symbol, events=None):
    """The gateway holds everything the venue sent: the book equals the venue's on both sides and is
    live, a sequenced book's chain has reached the venue's last sequence number, and (given the
    collected ``events``) the venue's last trade has been delivered."""
    v = sim.venues[venue].symbols[symbol]
    st = gw.venues[venue].streams[("book", symbol)]
    if st.state != State.LIVE or (st.book.bids, st.book.asks) != (v.market.book.bids, v.market.book.asks):
        return False
    if st.arbiter.mode == "contiguous" and st.arbiter.last != v.seq:
        return False
    if events is not None and ("trades", symbol) in gw.venues[venue].streams:
        return any(isinstance(e, Trade) and e.venue == venue and e.seq == v.market.trade_id for e in reversed(events))
    return True


def books(events, after):
    return [(e.seq, e.bids, e.asks) for e in events if isinstance(e, BookDelta) and e.seq > after]


def trades(events, after):
    """Every trade after ``after``, in id order (keyed trade streams deliver a copy one leg reordered as
    soon as it arrives, so a late one may follow a newer one: nothing is lost)."""
    return sorted((e.seq, e.price, e.qty, e.side) for e in events if isinstance(e, Trade) and e.seq > after)


def first_seq(events, kind):
    return next(e.seq for e in events if isinstance(e, kind))


def assert_same(clean, faulty):
    if first_seq(clean, BookDelta) == -1:  # keyed venue (no sequence): the common tail must match
        c = [(e.bids, e.asks) for e in clean if isinstance(e, BookDelta)]
        f = [(e.bids, e.asks) for e in faulty if isinstance(e, BookDelta)]
        k = min(len(c), len(f)) - 30
        assert k > 300 and c[-k:] == f[-k:]
        assert not [e for e in faulty if isinstance(e, Gap)]
        return
    s = max(first_seq(clean, BookDelta), first_seq(faulty, BookDelta))
    t = max(first_seq(clean, Trade), first_seq(faulty, Trade))
    assert books(clean, s) == books(faulty, s) and len(books(clean, s)) > 300
    assert trades(clean, t) == trades(faulty, t)
    assert not [e for e in faulty if isinstance(e, Gap)]


@pytest.mark.parametrize("venue", ["binance", "okx"])
async def test_killing_one_leg_loses_nothing(venue):
    clean, _ = await run(venue)

    async def kill(sim):
        await sim.close(venue, "a", refuse_s=0.5)

    faulty, gw = await run(venue, kill)
    assert_same(clean, faulty)
    assert gw.board.leg(f"{venue}/a").reconnects >= 1


@pytest.mark.parametrize("venue", ["binance", "kraken"])  # Kraken keeps sending heartbeats while stalled
async def test_stalled_leg_is_detected_replaced_and_loses_nothing(venue):
    clean, _ = await run(venue)

    async def stall(sim):
        sim.stall(venue, "a")
        await asyncio.sleep(0.6)
        sim.stall(venue, "a", on=False)

    faulty, gw = await run(venue, stall)
    assert_same(clean, faulty)
    changes = [(c.name, c.new) for c in gw.board.changes]
    assert (f"{venue}/a", "stale") in changes
    assert gw.board.leg(f"{venue}/a").reconnects >= 1


async def test_drops_duplicates_and_reorders_on_one_leg_are_absorbed():
    clean, _ = await run("okx")

    async def noisy(sim):
        f = sim.faults("okx", "a")
        f.drop, f.duplicate, f.reorder = 0.1, 0.1, 0.1

    faulty, _ = await run("okx", noisy)
    assert_same(clean, faulty)


@pytest.mark.parametrize("venue", ["binance", "okx"])
async def test_both_legs_down_reports_gap_and_resyncs(venue):
    async def both(sim):
        await asyncio.gather(sim.close(venue, "a", refuse_s=0.4), sim.close(venue, "b", refuse_s=0.4))

    events, gw = await run(venue, both)  # run() asserts the final book equals the venue's
    gaps = [e for e in events if isinstance(e, Gap)]
    assert gaps and gaps[0].channel in ("book", "trades")
    st = gw.venues[venue].streams[("book", SYMBOL[venue])]
    assert st.stats.gaps >= 1 and st.state == State.LIVE


async def test_kraken_corrupt_checksum_resyncs_and_book_recovers():
    async def corrupt(sim):
        sim.faults("kraken", "a").corrupt = 1
        sim.faults("kraken", "b").corrupt = 1

    events, gw = await run("kraken", corrupt)
    st = gw.venues["kraken"].streams[("book", "BTC/USD")]
    assert st.stats.checksum_failures >= 1 and st.stats.resyncs >= 1 and st.state == State.LIVE
    assert any(isinstance(e, Gap) and e.reason == "checksum mismatch" for e in events)


async def test_connection_rotation_overlaps_without_a_gap():
    clean, _ = await run("binance")
    inst = Instrument("binance", "BTCUSDT", "0.01", "0.001")
    async with ExchangeSimulator({"binance": [inst]}, rate_hz=400, steps=700, start_after=1, seed=11) as sim:
        col = Collector()
        legs = (LegSpec("a", sim.url("binance", "a"), sim.rest("binance", "a")),)
        tuning = Tuning(seed=3, max_connection_age_s=0.5, stale_floor_s=0.15, backoff_base_s=0.05)
        async with Gateway([VenueSpec("binance", (inst,), ("book", "trades"), legs)], [col], tuning=tuning) as gw:
            await asyncio.wait_for(sim.done.wait(), 30)
            await settle(lambda: caught_up(gw, sim, "binance", "BTCUSDT", col.events))
            assert gw.board.leg("binance/a").reconnects == 0
            assert max(lg.gen for lg in gw.venues["binance"].legs.values()) >= 3  # rotated at least twice
    assert_same(clean, col.events)


ALL = {
    "binance": ("BTCUSDT", "0.01", "0.001"), "binance-usdm": ("BTCUSDT", "0.1", "0.001"),
    "okx": ("BTC-USDT", "0.1", "0.0001"), "kraken": ("BTC/USD", "0.1", "0.00000001"),
    "bybit": ("BTCUSDT", "0.01", "0.000001"), "bybit-linear": ("BTCUSDT", "0.1", "0.001"),
    "deribit": ("BTC-PERPETUAL", "0.5", "10"), "coinbase": ("BTC-USD", "0.01", "0.00000001"),
}


async def run_all(kill: bool):
    insts = {v: Instrument(v, s, t, lot) for v, (s, t, lot) in ALL.items()}
    async with ExchangeSimulator({v: [i] for v, i in insts.items()}, rate_hz=300, steps=450, start_after=2 * len(ALL),
                         seed=5) as sim:
        col = Collector()
        specs = [VenueSpec(v, (i,), ("book", "trades", "bbo", "funding"),
                           tuple(LegSpec(e, sim.url(v, e), sim.rest(v, e)) for e in ("a", "b")))
                 for v, i in insts.items()]
        async with Gateway(specs, [col], tuning=TUNING) as gw:
            if kill:
                while sim.step_no < 150:
                    await asyncio.sleep(0.005)
                await asyncio.gather(*(sim.close(v, "a", refuse_s=0.3) for v in ALL))
            await asyncio.wait_for(sim.done.wait(), 30)

            await settle(lambda: all(caught_up(gw, sim, v, i.symbol, col.events) for v, i in insts.items()))
            for v, i in insts.items():
                truth = sim.venues[v].symbols[i.symbol].market.book
                st = gw.venues[v].streams[("book", i.symbol)]
                assert (st.book.bids, st.book.asks) == (truth.bids, truth.asks), v
                if kill:
                    for name in gw.venues[v].legs:  # Binance USD-M: a.public and a.market
                        if name.split(".")[0] == "a":
                            assert gw.board.leg(f"{v}/{name}").reconnects >= 1, (v, name)
            return col.events


async def test_every_venue_survives_losing_a_leg():
    clean, faulty = await run_all(False), await run_all(True)
    assert not [e for e in faulty if isinstance(e, Gap)]
    for v in ALL:
        c = [e for e in clean if e.venue == v and isinstance(e, BookDelta)]
        f = [e for e in faulty if e.venue == v and isinstance(e, BookDelta)]
        # the runs start at different moments: compare the common tail (the market is the same)
        k = min(len(c), len(f)) - 30
        assert k > 300, v
        assert [(e.bids, e.asks) for e in c[-k:]] == [(e.bids, e.asks) for e in f[-k:]], v


async def test_streams_stay_up_while_legs_pace_their_subscriptions():
    """Kraken paces subscriptions (5/s): data on the first channel flows before the last is sent,
    and the watchdog must not call the streams down in that window (it once flapped every 50 ms)."""
    inst = Instrument("kraken", SYMBOL["kraken"], "0.01", "0.001")
    async with ExchangeSimulator({"kraken": [inst]}, rate_hz=400, steps=600, start_after=0, seed=11) as sim:
        legs = tuple(LegSpec(e, sim.url("kraken", e), sim.rest("kraken", e)) for e in ("a", "b"))
        gw = Gateway([VenueSpec("kraken", (inst,), ("book", "trades", "bbo"), legs)], [Collector()], tuning=TUNING)
        async with gw:
            await asyncio.wait_for(sim.done.wait(), 30)
            changes = list(gw.board.changes)
    streams = [c for c in changes if c.scope == "stream"]
    assert any(c.new == State.LIVE.value for c in streams)
    assert not [c for c in streams if c.new == State.DOWN.value], streams
