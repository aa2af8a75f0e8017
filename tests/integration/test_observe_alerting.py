"""The standard on real parts: venue simulator -> feed gateway -> Prometheus (generated rules) ->
Alertmanager (generated routes) -> a webhook receiver, all on 127.0.0.1.

A stall of one venue's stream must make the freshness burn-rate alert go pending then firing in
Prometheus's /api/v1/alerts, and Alertmanager must deliver it (webhook payload version 4) with the
desk and team the estate gives the feed gateway. Also: ``observe lint`` against the gateway's own
/metrics endpoint passes.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from tradeplane import estate as est
from tradeplane import observe
from tradeplane.cli import main
from tradeplane.estate.model import AlertRoute
from tradeplane.feeds.endpoint import StatusEndpoint
from tradeplane.feeds.gateway import Gateway, LegSpec, Tuning, VenueSpec
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.metrics import GatewayMetrics
from tradeplane.feeds.sim.server import ExchangeSimulator
from tradeplane.observe.alertmanager import alertmanager_config
from tradeplane.observe.otel import scrape_jobs
from tradeplane.observe.rules import slo_rules

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = shutil.which("prometheus")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
TUNING = Tuning(seed=3, stale_floor_s=0.15, stale_ceiling_s=2.0, backoff_base_s=0.05, backoff_cap_s=0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver on loopback that keeps every JSON payload it is sent."""

    def __init__(self) -> None:
        self.payloads: list[dict] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        length = 0
        await reader.readline()
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length) if length else b""
        self.payloads.append(json.loads(body))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def wait_for(check, what: str, timeout: float = 120.0, every: float = 0.5):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        result = await check()
        if result:
            return result
        await asyncio.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def _estate(hook: str) -> est.Estate:
    e = est.load(ROOT / "examples" / "dv-trading")
    o = e.observability
    routes = tuple(AlertRoute(desk=d, webhook_url=hook) for d in sorted({r.desk for r in o.routes}))
    return e.model_copy(update={"observability": o.model_copy(update={
        "scrape_interval_seconds": 1, "pending_seconds": 3, "group_wait_seconds": 1, "routes": routes})})


@pytest.mark.skipif(PROMETHEUS is None or ALERTMANAGER is None, reason="prometheus / alertmanager not installed")
async def test_stalled_stream_pages_the_desk_through_prometheus_and_alertmanager(tmp_path, capsys):
    inst = Instrument("binance", "BTCUSDT", "0.01", "0.001")
    procs: list[subprocess.Popen] = []
    async with Receiver() as rx, ExchangeSimulator({"binance": [inst]}, rate_hz=100, seed=5) as sim:
        e = _estate(f"http://127.0.0.1:{rx.port}/hook")
        standard = observe.compile_standard(e)
        slo = standard.slo("feed-freshness-binance")
        metrics = GatewayMetrics()
        legs = tuple(LegSpec(x, sim.url("binance", x), sim.rest("binance", x)) for x in ("a", "b"))
        gw = Gateway([VenueSpec("binance", (inst,), ("book", "trades"), legs)], [], tuning=TUNING, metrics=metrics)
        endpoint = StatusEndpoint(gw, metrics, "127.0.0.1", 0)
        async with gw:
            await endpoint.start()
            try:
                # observe lint against the gateway's own endpoint: it follows the standard.
                url = f"http://127.0.0.1:{endpoint.port}/metrics"
                await wait_for(lambda: _async(lambda: "feeds_stream_state{" in httpx.get(url).text), "gateway metrics")
                code = await asyncio.to_thread(main, ["observe", "lint", url])
                out = capsys.readouterr()
                assert code == 0, out.err

                pport, aport = free_port(), free_port()
                rules = tmp_path / "rules.yml"
                rules.write_text(yaml.safe_dump(slo_rules(standard, slo, datetime.now(UTC)), sort_keys=False))
                job = next(j for j in scrape_jobs(standard) if j["job_name"] == "feeds")
                job["static_configs"] = [{**job["static_configs"][0], "targets": [f"127.0.0.1:{endpoint.port}"]}]
                (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(rules)],
                    "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{aport}"]}]}]},
                    "scrape_configs": [job]}))
                (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager_config(standard)))
                procs.append(subprocess.Popen(
                    [ALERTMANAGER, f"--config.file={tmp_path / 'alertmanager.yml'}",
                     f"--storage.path={tmp_path / 'am'}", f"--web.listen-address=127.0.0.1:{aport}",
                     "--cluster.listen-address="], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                procs.append(subprocess.Popen(
                    [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                     f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{pport}"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                api = f"http://127.0.0.1:{pport}/api/v1"

                async def query(q: str) -> list:
                    try:
                        r = await asyncio.to_thread(httpx.get, f"{api}/query", params={"query": q}, timeout=5)
                        return list(r.json()["data"]["result"])
                    except (httpx.HTTPError, ValueError, KeyError):
                        return []

                # Healthy first: the SLI is recorded and good, and nothing burns.
                await wait_for(lambda: query('slo:sli_total:rate4s{slo="feed-freshness-binance"}'), "recorded SLI")
                await wait_for(lambda: query('feeds_stream_state{venue="binance",channel="book"} == 2'), "live stream")
                await asyncio.sleep(5)
                assert await _alerts(api) == []

                sim.stall("binance", "a")
                sim.stall("binance", "b")

                async def state(want: str):
                    found = [a for a in await _alerts(api) if a["state"] == want]
                    return found or None

                pending = await wait_for(lambda: state("pending"), "a pending alert")
                firing = await wait_for(lambda: state("firing"), "a firing alert")
                for alert in (*pending, *firing):
                    labels = alert["labels"]
                    assert labels["alertname"] == "SloErrorBudgetBurn"
                    assert labels["slo"] == "feed-freshness-binance" and labels["venue"] == "binance"
                    assert (labels["desk"], labels["team"]) == ("crypto", "crypto-infra")
                assert {a["labels"]["severity"] for a in firing} >= {"page"}

                async def delivered():
                    return [a for p in rx.payloads if p.get("version") == "4" for a in p["alerts"]
                            if a["status"] == "firing" and a["labels"].get("slo") == "feed-freshness-binance"]

                got = await wait_for(delivered, "Alertmanager's webhook delivery")
                assert {(a["labels"]["desk"], a["labels"]["team"]) for a in got} == {("crypto", "crypto-infra")}
                assert all(a["labels"]["env"] == "prod" for a in got)
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    try:
                        p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                await endpoint.stop()


async def _async(fn):
    try:
        return await asyncio.to_thread(fn)
    except httpx.HTTPError:
        return False


async def _alerts(api: str) -> list[dict]:
    try:
        r = await asyncio.to_thread(httpx.get, f"{api}/alerts", timeout=5)
        return [a for a in r.json()["data"]["alerts"] if a["labels"].get("alertname") == "SloErrorBudgetBurn"]
    except (httpx.HTTPError, ValueError, KeyError):
        return []
