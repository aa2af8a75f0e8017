"""Record a feed to Parquet, then serve the recording from the simulator: the book comes back exactly."""

import asyncio

import pytest

from tradeplane.feeds.events import BookDelta, Trade
from tradeplane.feeds.gateway import Gateway, LegSpec, Tuning, VenueSpec
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.sim.server import ExchangeSimulator
from tradeplane.feeds.sinks import Collector, ParquetRecorder

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TUNING = Tuning(seed=3, stale_floor_s=0.3, backoff_base_s=0.05, backoff_cap_s=0.2)


async def feed(sim, venue, inst, sinks):
    legs = tuple(LegSpec(e, sim.url(venue, e), sim.rest(venue, e)) for e in ("a", "b"))
    async with Gateway([VenueSpec(venue, (inst,), ("book", "trades"), legs)], sinks, tuning=TUNING) as gw:
        await asyncio.wait_for(sim.done.wait(), 30)
        st = gw.venues[venue].streams[("book", inst.symbol)]
        truth = next(iter(sim.venues[venue].symbols.values())).market.book
        for _ in range(100):
            if st.book.bids == truth.bids and st.book.asks == truth.asks:
                break
            await asyncio.sleep(0.05)
        return dict(st.book.bids), dict(st.book.asks), st.stats


@pytest.mark.parametrize("venue", ["okx", "binance"])
async def test_recorded_market_replays_through_the_simulator(tmp_path, venue):
    inst = Instrument(venue, "BTC-USDT" if venue == "okx" else "BTCUSDT", "0.01", "0.001")
    rec = ParquetRecorder(tmp_path / "rec", batch=200)
    async with ExchangeSimulator({venue: [inst]}, rate_hz=500, steps=400, start_after=2, seed=21) as sim:
        bids, asks, _ = await feed(sim, venue, inst, [rec])
    rec.close()
    col = Collector()
    async with ExchangeSimulator({venue: [inst]}, rate_hz=800, start_after=2, recording=tmp_path / "rec") as sim:
        bids2, asks2, stats = await feed(sim, venue, inst, [col])
    assert (bids2, asks2) == (bids, asks)
    assert stats.checksum_failures == 0 and stats.gaps == 0
    assert sum(isinstance(e, BookDelta) for e in col.events) > 300 and any(isinstance(e, Trade) for e in col.events)
