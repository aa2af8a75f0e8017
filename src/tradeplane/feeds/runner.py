"""Running the gateway and the simulator as services (used by the CLI): wiring, signals, logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import urllib.request
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tradeplane.errors import ConfigError, InputError
from tradeplane.feeds.config import FeedsConfig, load_config, recording_dir, tuning, venue_specs
from tradeplane.feeds.endpoint import StatusEndpoint
from tradeplane.feeds.gateway import Gateway, Sink
from tradeplane.feeds.metrics import GatewayMetrics
from tradeplane.feeds.sim.faults import FaultPlan
from tradeplane.feeds.sim.server import ExchangeSimulator
from tradeplane.feeds.sinks import NatsPublisher, ParquetRecorder
from tradeplane.feeds.sinks.parquet import recorded_files


class _JsonLines(logging.Handler):
    """Feeds log records are JSON already (state changes); others are wrapped as JSON."""

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if not msg.startswith("{"):
            msg = json.dumps({"level": record.levelname.lower(), "logger": record.name, "message": msg})
        sys.stderr.write(msg + "\n")


def json_logging(level: int = logging.INFO) -> None:
    log = logging.getLogger("tradeplane.feeds")
    if not any(isinstance(h, _JsonLines) for h in log.handlers):
        log.addHandler(_JsonLines())
    log.setLevel(level)
    log.propagate = False


T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on uvloop (libuv's event loop, a dependency wherever it builds: not
    on Windows), else on asyncio's own loop; return its result.

    Why: the gateway is woken by every frame at a feed's usual rates, and asyncio's loop spends that
    wake-up in Python (``BaseEventLoop._run_once``). ``benchmarks/feeds_throughput.py`` runs the
    end-to-end leg both ways in one run: at 2,000 updates/s over two legs uvloop cut the gateway
    process's CPU per update and its subscriber's p99 (figures in docs/feeds.md, "WebSocket
    client"); saturated, with many frames per wake-up, the two are alike."""
    try:
        import uvloop
    except ImportError:  # Windows
        return asyncio.run(main)
    return uvloop.run(main)


async def _until_stopped(duration: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), duration)


async def run_gateway(path: str | Path, *, duration: float | None = None, port: int | None = None,
                      incidents: str | None = None, incidents_token: str | None = None) -> dict[str, Any]:
    """Run the gateway of a feeds config until SIGINT/SIGTERM (or ``duration``); return its final status.
    With ``incidents`` (the intake's URL), feed-health alerts are posted there (``feeds.incidents``)."""
    cfg, p = load_config(path)
    specs = venue_specs(cfg, p)
    rec_dir = recording_dir(cfg, p)  # checked before any leg connects
    sinks: list[Sink] = []
    if cfg.sinks.parquet and rec_dir is not None:
        sinks.append(ParquetRecorder(rec_dir, rotate_rows=cfg.sinks.parquet.rotate_rows,
                                     rotate_s=cfg.sinks.parquet.rotate_s))
    nats_pub = None
    if cfg.sinks.nats:
        nats_pub = NatsPublisher(cfg.sinks.nats.url, cfg.sinks.nats.stream)
        try:
            await nats_pub.start()
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"{p}: sinks.nats: cannot reach {cfg.sinks.nats.url} ({exc})") from None
        sinks.append(nats_pub)
    metrics = GatewayMetrics()
    gw = Gateway(specs, sinks, tuning=tuning(cfg), metrics=metrics)
    listen = cfg.metrics.port if port is None else port
    endpoint = StatusEndpoint(gw, metrics, cfg.metrics.host, listen)
    try:
        await endpoint.start()
    except OSError as exc:
        where = "metrics" if port is None else "--port"
        raise ConfigError(f"{p}: {where}: cannot listen on {cfg.metrics.host}:{listen} ({exc.strerror})") from None
    if incidents:
        from tradeplane.feeds.incidents import attach

        attach(gw, incidents, incidents_token, status_url=f"http://{endpoint.host}:{endpoint.port}/status")
    logging.getLogger("tradeplane.feeds").info(json.dumps(
        {"event": "started", "metrics": f"http://{endpoint.host}:{endpoint.port}/metrics",
         "status": f"http://{endpoint.host}:{endpoint.port}/status"}))
    async with gw:
        await _until_stopped(duration)
        status = gw.status()
    await endpoint.stop()
    return status


def fetch_status(url: str) -> dict[str, Any]:
    target = url.rstrip("/") + "/status" if not url.rstrip("/").endswith("/status") else url
    try:
        with urllib.request.urlopen(target, timeout=5) as resp:
            data: dict[str, Any] = json.loads(resp.read())
            return data
    except OSError as exc:
        raise InputError(
            f"cannot read gateway status from {target} ({exc}); is `tradeplane feeds run CONFIG` running "
            "and is --url its metrics address?"
        ) from None


def simulator_for(cfg: FeedsConfig, path: Path, *, rate_hz: float, steps: int | None, seed: int,
                  recording: Path | None = None) -> ExchangeSimulator:
    """A simulator serving every leg endpoint a feeds config names (they must be loopback URLs)."""
    venues: dict[str, Any] = {}
    endpoints: dict[str, None] = {}
    ports: dict[tuple[str, str], int] = {}
    for spec in venue_specs(cfg, path):
        venues[spec.venue] = list(spec.instruments)
        for leg in spec.legs:
            u = urlsplit(leg.url)
            if u.hostname not in ("127.0.0.1", "localhost") or not u.port:
                raise ConfigError(f"{path}: venue {spec.venue} leg {leg.name}: the simulator serves loopback only; "
                                  f"set url to ws://127.0.0.1:PORT/... (got {leg.url})")
            endpoints[leg.name] = None
            ports[(spec.venue, leg.name)] = u.port
    return ExchangeSimulator(venues, list(endpoints), rate_hz=rate_hz, steps=steps, seed=seed, ports=ports,
                     recording=recording)


async def run_simulator(path: str | Path, *, rate_hz: float = 50.0, steps: int | None = None, seed: int = 1,
                        faults: Sequence[str] = (), duration: float | None = None,
                        recording: str | Path | None = None) -> dict[str, Any]:
    """Serve the config's loopback legs until SIGINT/SIGTERM (or ``duration``); return the steps and the
    messages sent per venue/endpoint. Every input is checked before a port opens: the config, each
    ``faults`` entry (``FaultPlan.parse``, against the config's leg names) and ``recording``
    (``recorded_files``); each raises a one-line InputError/ConfigError."""
    cfg, p = load_config(path)
    legs = {leg.name for spec in venue_specs(cfg, p) for leg in spec.legs}
    plans = [FaultPlan.parse(f, legs) for f in faults]
    rec = None
    if recording is not None:
        rec = Path(recording)
        recorded_files(rec, what="--replay")
    sim = simulator_for(cfg, p, rate_hz=rate_hz, steps=steps, seed=seed, recording=rec)
    try:
        await sim.start()
    except OSError as exc:
        raise ConfigError(f"{p}: simulator cannot listen ({exc.strerror}); is another simulator running?") from None
    for plan in plans:
        sim.schedule(plan)
    log = logging.getLogger("tradeplane.feeds")
    for v in sorted(sim.venues.values(), key=lambda x: x.name):
        for ep in v.endpoints.values():
            log.info(json.dumps({"event": "simulating", "venue": v.name, "endpoint": ep.name, "url": ep.url,
                                 "rest": ep.rest if v.publisher.rest_snapshot else None}))
    try:
        await _until_stopped(duration)
    finally:
        await sim.stop()
    return {"steps": sim.step_no, "sent": {f"{v.name}/{e.name}": e.sent for v in sim.venues.values()
                                            for e in v.endpoints.values()}}
