"""The JetStream publisher against a real nats-server on a free loopback port."""

import asyncio
import shutil
import socket
import subprocess

import nats
import pytest

from tradeplane.feeds.events import BookDelta, Trade, event_decoder
from tradeplane.feeds.sinks import NatsPublisher

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

NATS = shutil.which("nats-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def nats_url(tmp_path):
    if NATS is None:
        pytest.skip("nats-server binary not installed (./dev test installs Debian's nats-server)")
    port = free_port()
    proc = subprocess.Popen([NATS, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            import time

            time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


async def test_publishes_to_jetstream_subjects_in_order(nats_url):
    pub = NatsPublisher(nats_url, stream="MDTEST")
    await pub.start()
    events = [BookDelta("binance", "BTCUSDT", i, i - 1, i, i, ((1, i),), ()) for i in range(1, 201)]
    events += [Trade("kraken", "BTC/USD", i, -1, i, i, 5, 1, 1, str(i)) for i in range(50)]
    for e in events:
        pub.publish(e)
    pub.publish(events[0])  # a duplicate re-publish: JetStream's duplicate window drops it
    await pub.drain()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    info = await js.stream_info("MDTEST")
    assert info.state.messages == len(events)
    sub = await js.pull_subscribe("md.binance.book.BTCUSDT", durable="t1", stream="MDTEST")
    got = []
    while len(got) < 200:
        for m in await sub.fetch(100, timeout=5):
            got.append(event_decoder.decode(m.data))
            await m.ack()
    assert got == events[:200]
    sub2 = await js.pull_subscribe("md.kraken.trades.>", durable="t2", stream="MDTEST")
    msgs = await sub2.fetch(50, timeout=5)
    assert [event_decoder.decode(m.data) for m in msgs] == events[200:]
    assert msgs[0].subject == "md.kraken.trades.BTC/USD"
    await nc.close()
    await pub.aclose()
    await asyncio.sleep(0)
