"""Coinbase Advanced Trade against the venue simulator over loopback WebSocket: per-connection
``sequence_num`` holes on one leg (covered), on every leg (resync), a killed leg, a venue restart."""

import asyncio

import pytest

from tradeplane.feeds.events import BookDelta, Gap, Trade
from tradeplane.feeds.gateway import Gateway, LegSpec, Tuning, VenueSpec
from tradeplane.feeds.health import State
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.sim.server import ExchangeSimulator
from tradeplane.feeds.sinks import Collector

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

VENUE = "coinbase-advanced"
INST = Instrument(VENUE, "BTC-USD", "0.01", "0.00000001")

TUNING = Tuning(seed=3, stale_floor_s=0.15, stale_ceiling_s=5.0, backoff_base_s=0.05, backoff_cap_s=0.2,
                snapshot_timeout_s=0.5, resync_backoff_base_s=0.05, resync_backoff_cap_s=0.5)


async def run(fault=None, *, at_step=120, steps=450, legs=("a", "b")):
    async with ExchangeSimulator({VENUE: [INST]}, rate_hz=400, steps=steps, start_after=len(legs), seed=11,
                         heartbeat_s=0.2) as sim:
        col = Collector()
        specs = tuple(LegSpec(e, sim.url(VENUE, e)) for e in legs)
        gw = Gateway([VenueSpec(VENUE, (INST,), ("book", "trades", "bbo"), specs)], [col], tuning=TUNING)
        async with gw:
            if fault is not None:
                while sim.step_no < at_step:
                    await asyncio.sleep(0.005)
                await fault(sim)
            await asyncio.wait_for(sim.done.wait(), 40)
            truth = sim.venues[VENUE].symbols["BTC-USD"].market.book
            st = gw.venues[VENUE].streams[("book", "BTC-USD")]
            loop = asyncio.get_running_loop()
            end = loop.time() + 30  # a hang guard only: the condition is what is waited for
            while ((st.book.bids, st.book.asks) != (truth.bids, truth.asks) or st.state != State.LIVE) \
                    and loop.time() < end:
                await asyncio.sleep(0.02)
            assert (st.book.bids, st.book.asks) == (truth.bids, truth.asks) and st.state == State.LIVE
            return col.events, gw, sim


def gaps(events):
    return [e for e in events if isinstance(e, Gap)]


async def test_sim_numbers_each_connection_and_the_book_follows():
    events, gw, _sim = await run()
    assert not gaps(events) and gw.board.leg(f"{VENUE}/a").sequence_gaps == 0
    assert sum(isinstance(e, BookDelta) for e in events) > 300 and any(isinstance(e, Trade) for e in events)


async def test_drops_on_one_leg_are_sequence_gaps_covered_by_the_other():
    async def drops(sim):
        sim.faults(VENUE, "a").drop = 0.1

    events, gw, _ = await run(drops)
    assert gw.board.leg(f"{VENUE}/a").sequence_gaps >= 5  # every drop shows as a hole in a's numbers
    assert gw.board.leg(f"{VENUE}/b").sequence_gaps == 0
    st = gw.venues[VENUE].streams[("book", "BTC-USD")]
    assert not gaps(events) and st.stats.resyncs == 0


async def test_drops_on_every_leg_resync_the_book():
    async def drops(sim):
        sim.faults(VENUE, "a").drop = 0.05
        sim.faults(VENUE, "b").drop = 0.05
        await asyncio.sleep(0.3)
        sim.faults(VENUE, "a").drop = sim.faults(VENUE, "b").drop = 0.0

    events, gw, _ = await run(drops, steps=600)  # run() asserts the book ends equal to the venue's, live
    st = gw.venues[VENUE].streams[("book", "BTC-USD")]
    assert gaps(events) and st.stats.resyncs >= 1
    assert all("sequence_num" in g.reason for g in gaps(events))


async def test_a_killed_leg_reconnects_with_numbers_from_zero_and_loses_nothing():
    async def kill(sim):
        await sim.close(VENUE, "a", refuse_s=0.3)

    events, gw, _ = await run(kill)
    assert gw.board.leg(f"{VENUE}/a").reconnects >= 1
    assert gw.board.leg(f"{VENUE}/a").sequence_gaps == 0  # a new connection counts from 0: not a hole
    assert not gaps(events)


async def test_venue_restart_every_leg_down_resyncs_and_recovers():
    async def restart(sim):
        await sim.restart(VENUE, 0.3)

    events, gw, _ = await run(restart)
    st = gw.venues[VENUE].streams[("book", "BTC-USD")]
    # keyed venue: after every leg was down nothing proves no update was lost, so it says so
    assert any("all legs down" in g.reason for g in gaps(events)) and st.state == State.LIVE
