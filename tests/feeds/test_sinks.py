import asyncio

from tradeplane.feeds.events import BBO, BookDelta, Gap, Trade
from tradeplane.feeds.sinks import Bus, ParquetRecorder, replay, replay_into, subject_for
from tradeplane.feeds.sinks.bus import Collector


def sample(n):
    out = []
    for i in range(n):
        out.append(BookDelta("binance", "BTCUSDT", i, i - 1, 1000 + i, 2000 + i, ((10 + i, 1),), (), i))
        if i % 3 == 0:
            out.append(Trade("kraken", "BTC/USD", i, -1, 1000 + i, 2000 + i, 100, 2, 1, str(i)))
        if i % 5 == 0:
            out.append(BBO("okx", "BTC-USDT", i, -1, 1000 + i, 2000 + i, 99, 1, 101, 1))
    out.append(Gap("binance", "BTCUSDT", "book", 5, 9, 99_999, "lost on every leg"))
    return out


def test_parquet_rolls_files_and_replays_exactly(tmp_path):
    events = sample(2500)
    rec = ParquetRecorder(tmp_path, rotate_rows=1000, batch=500)
    for e in events:
        rec.publish(e)
    rec.close()
    assert len(rec.files) >= 3
    assert list(replay(tmp_path)) == events
    assert list(replay(tmp_path, venue="okx")) == [e for e in events if e.venue == "okx"]
    import duckdb

    n = duckdb.connect().execute(f"select count(*) from read_parquet('{tmp_path}/md-*.parquet') where type = 'trades'").fetchone()
    assert n == (sum(isinstance(e, Trade) for e in events),)


async def test_replay_into_bus_subscribers(tmp_path):
    events = sample(300)
    rec = ParquetRecorder(tmp_path, batch=100)
    for e in events:
        rec.publish(e)
    rec.close()
    bus = Bus()
    trades = bus.subscribe(channel="trades")
    col = Collector()
    n = await replay_into(tmp_path, [bus, col])
    assert n == len(events) and col.events == events
    got = [await asyncio.wait_for(trades.get(), 1) for _ in range(sum(isinstance(e, Trade) for e in events))]
    assert all(isinstance(e, Trade) for e in got) and trades.queue.empty()


def test_bus_drops_oldest_for_a_slow_subscriber():
    bus = Bus()
    sub = bus.subscribe(venue="binance", maxsize=10)
    for e in sample(50):
        bus.publish(e)
    assert sub.queue.qsize() == 10 and sub.dropped > 0


def test_subjects():
    assert subject_for(sample(1)[1]) == "md.kraken.trades.BTC/USD"
    assert subject_for(sample(1)[0]) == "md.binance.book.BTCUSDT"
    assert subject_for(sample(1)[-1]) == "md.binance.gap.BTCUSDT"
