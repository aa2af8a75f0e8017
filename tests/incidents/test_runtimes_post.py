"""The runtimes post their own alerts to the real incidents service (uvicorn on a loopback
socket): the poster's queue never makes the caller wait, retries until the intake takes the
alerts, and drains on close; the feeds gateway's health edge and the security watchers'
sink land as owned incidents that resolve themselves."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from tests.incidents.conftest import INTAKE, am_alert
from tradeplane.feeds.events import Gap
from tradeplane.feeds.health import StateChange
from tradeplane.feeds.incidents import FeedAlerts
from tradeplane.incidents.api import create_app, listen_socket
from tradeplane.incidents.poster import IntakePoster
from tradeplane.incidents.service import Service
from tradeplane.incidents.store import AlertRow, IncidentRow

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


class Live:
    def __init__(self, service: Service, url: str) -> None:
        self.service, self.url = service, url

    async def until(self, check: Callable[[Any], bool], timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while not await self.service.read(check):
                await asyncio.sleep(0.05)

    async def rows(self) -> tuple[list[AlertRow], list[IncidentRow]]:
        return await self.service.read(lambda s: (list(s.scalars(select(AlertRow))),
                                                  list(s.scalars(select(IncidentRow).order_by(IncidentRow.id)))))


async def _serve(service: Service) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    sock = listen_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
async def live(make_service: Callable[..., Service]) -> AsyncIterator[Live]:
    service = make_service()
    server, task, url = await _serve(service)
    try:
        yield Live(service, url)
    finally:
        server.should_exit = True
        await task


async def test_poster_waits_for_a_late_intake_and_drains(make_service: Callable[..., Service]) -> None:
    """Offered while nothing listens: ``offer`` returns with the alerts queued; once the
    service is up they are delivered, each exactly once."""
    sock = listen_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there yet: connections are refused
    undelivered: list[dict[str, Any]] = []
    poster = IntakePoster(f"http://127.0.0.1:{port}", INTAKE, retry_s=0.05, retry_cap_s=0.2,
                          fallback=undelivered.extend).start()
    alerts = [am_alert("Late", venue="okx", i=str(i)) for i in range(30)]
    poster.offer(alerts)  # returns at once, whatever the intake's state
    async with asyncio.timeout(60):
        while poster.retries < 2:  # refused, and trying again
            await asyncio.sleep(0.02)
    assert poster.posted == 0 and undelivered == []
    service = make_service()
    sock = listen_socket("127.0.0.1", port)
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        live = Live(service, f"http://127.0.0.1:{port}")
        await live.until(lambda s: len(s.scalars(select(AlertRow)).all()) == 30)
        await asyncio.to_thread(poster.close)
        stored, _ = await live.rows()
        assert sorted(r.fingerprint for r in stored) == sorted(a["fingerprint"] for a in alerts)
        assert all(r.receipts == 1 for r in stored) and undelivered == [] and poster.posted == 30
    finally:
        server.should_exit = True
        await task


def test_a_full_queue_and_a_refused_payload_go_to_the_fallback() -> None:
    got: list[dict[str, Any]] = []
    poster = IntakePoster("http://127.0.0.1:9", maxsize=3, fallback=got.extend)  # not started: nothing posts
    poster.offer([{"status": "firing", "labels": {"i": str(i)}} for i in range(5)])
    assert [a["labels"]["i"] for a in got] == ["0", "1"] and poster.pending == 3
    poster.close(drain_s=0)
    assert len(got) == 5 and poster.fallback_count == 5


async def test_refused_payloads_are_not_retried(live: Live) -> None:
    got: list[dict[str, Any]] = []
    poster = IntakePoster(live.url, "wrong-token", fallback=got.extend).start()
    poster.offer([am_alert("Refused", venue="okx")])
    await asyncio.to_thread(poster.close)
    assert len(got) == 1 and poster.posted == 0 and poster.retries == 0


async def test_feed_health_becomes_owned_incidents_that_resolve(live: Live) -> None:
    poster = IntakePoster(live.url, INTAKE).start()
    feed = FeedAlerts(poster, status_url="http://127.0.0.1:9100/status")
    t = 1_764_514_800_000_000_000  # 2025-11-30T15:00:00Z
    stream = "binance/book/BTCUSDT"
    feed.on_change(StateChange(t, "leg", "binance/a", "live", "stale", "silent"))  # legs: no alert
    feed.on_change(StateChange(t, "stream", stream, "live", "stale", "no leg delivers"))
    feed.on_change(StateChange(t + 1, "stream", stream, "stale", "stale", "again"))  # no repeat
    feed.publish(Gap("bybit", "BTCUSDT", "book", 100, 120, t + 2, "sequence jump"))
    feed.publish(Gap("bybit", "BTCUSDT", "book", 100, 120, t + 3, "sequence jump"))  # the same gap: deduplicated
    await live.until(lambda s: len(s.scalars(select(AlertRow)).all()) == 2)
    feed.on_change(StateChange(t + 5_000_000_000, "stream", stream, "stale", "live", "leg b delivers"))
    await asyncio.to_thread(poster.close)
    await live.until(lambda s: s.scalars(select(IncidentRow).where(IncidentRow.venue == "binance")).one().status
                     == "resolved")
    alerts, incidents = await live.rows()
    by_name = {a.fingerprint: json.loads(a.labels) for a in alerts}
    assert sorted(x["alertname"] for x in by_name.values()) == ["FeedGap", "FeedStale"]
    binance = next(i for i in incidents if i.venue == "binance")
    bybit = next(i for i in incidents if i.venue == "bybit")
    assert (binance.desk, binance.severity, binance.status) == ("crypto", "high", "resolved")
    assert (bybit.desk, bybit.severity, bybit.status) == ("crypto", "warning", "triggered")
    gap = next(a for a in alerts if json.loads(a.labels)["alertname"] == "FeedGap")
    assert gap.receipts == 2 and json.loads(gap.labels)["stream"] == "bybit/book/BTCUSDT"
    assert poster.fallback_count == 0


async def test_security_watcher_posts_the_route53_replay(live: Live) -> None:
    """The 2018 Route 53 hijack replayed through the watchers' sink: four sub-prefix hijacks
    fire and resolve, and the incident resolves itself."""
    from tradeplane.security import WebhookSink
    from tradeplane.security.bgp import BgpMonitor, SourceStats, Watched, Watchlist, parse_prefix, read_ris

    prefix = parse_prefix("205.251.192.0/21")
    watch = Watched("205.251.192.0/21", prefix, frozenset({16509}), 24, frozenset(), "aws route53", "crypto")
    monitor = BgpMonitor(Watchlist([watch], min_peers=2))
    sink = WebhookSink(f"{live.url}/api/v1/alerts/alertmanager", INTAKE)
    sent = 0
    for item in read_ris(ROOT / "tests" / "security" / "cases" / "route53-2018-04-24.ris.jsonl", SourceStats()):
        alerts = monitor.process(item)
        sink.send(alerts)  # returns at once: the poster's thread does the HTTP
        sent += len(alerts)
    await asyncio.to_thread(sink.close)
    assert sent == 8
    await live.until(lambda s: all(i.status == "resolved" for i in s.scalars(select(IncidentRow))))
    alerts, incidents = await live.rows()
    assert len(alerts) == 4 and all(a.status == "resolved" for a in alerts)
    assert {json.loads(a.labels)["alertname"] for a in alerts} == {"BgpSubPrefixHijack"}
    assert [i.desk for i in incidents] == ["crypto"] and incidents[0].status == "resolved"


@pytest.mark.timeout(120)
async def test_gateway_with_both_legs_down_posts_its_gap(live: Live) -> None:
    """The real gateway against the venue simulator, both of Binance's legs cut: the gap it
    declares arrives as a FeedGap alert owned by the crypto desk, and the stream's FeedStale
    (down with its legs) is resolved once the stream is live again."""
    from tradeplane.feeds.gateway import Gateway, LegSpec, Tuning, VenueSpec
    from tradeplane.feeds.incidents import attach
    from tradeplane.feeds.instrument import Instrument
    from tradeplane.feeds.sim.server import ExchangeSimulator
    from tradeplane.feeds.sinks import Collector

    tuning = Tuning(seed=3, stale_floor_s=0.15, stale_ceiling_s=5.0, backoff_base_s=0.05, backoff_cap_s=0.2)
    inst = Instrument("binance", "BTCUSDT", "0.01", "0.001")
    async with ExchangeSimulator({"binance": [inst]}, rate_hz=400, steps=700, start_after=2, seed=11) as sim:
        legs = tuple(LegSpec(e, sim.url("binance", e), sim.rest("binance", e)) for e in ("a", "b"))
        gw = Gateway([VenueSpec("binance", (inst,), ("book", "trades"), legs)], [Collector()], tuning=tuning)
        feed = attach(gw, live.url, INTAKE, status_url="http://127.0.0.1:9100/status")
        async with gw:
            while sim.step_no < 200:
                await asyncio.sleep(0.005)
            await asyncio.gather(sim.close("binance", "a", refuse_s=0.4), sim.close("binance", "b", refuse_s=0.4))
            await asyncio.wait_for(sim.done.wait(), 60)
            stream = gw.venues["binance"].streams[("book", "BTCUSDT")]
            async with asyncio.timeout(30):
                while stream.stats.gaps < 1 or feed.open:
                    await asyncio.sleep(0.05)
        # the gateway's stop drained the poster
    assert feed.poster.fallback_count == 0 and feed.poster.pending == 0
    alerts, incidents = await live.rows()
    labels = [json.loads(a.labels) for a in alerts]
    gaps = [x for x in labels if x["alertname"] == "FeedGap"]
    assert gaps and all(x["venue"] == "binance" and x["stream"].startswith("binance/") for x in gaps)
    stale = [a.status for a, x in zip(alerts, labels, strict=True) if x["alertname"] != "FeedGap"]
    assert stale and set(stale) == {"resolved"}  # the stream went down with its legs, and came back
    assert {i.desk for i in incidents} == {"crypto"}
