"""Incident intake: throughput with dedup, burst latency, and lost alerts across a SIGKILL, in one run.

    uv run python benchmarks/incidents.py            # 1,000-alert bursts
    uv run python benchmarks/incidents.py --quick    # 200-alert bursts

For SQLite (WAL) and for a real PostgreSQL started on 127.0.0.1 (skipped, with the reason,
when it cannot start here), through the real ASGI app in process (httpx's ASGI transport,
so no socket cost is counted):

* **throughput**: N alerts posted as Alertmanager webhook payloads of 10 alerts, then the same
  N again (every one a duplicate: dedup by fingerprint + startsAt), alerts per second each;
* **burst latency**: N single-alert POSTs fired at once (50 in flight), p50 and p99 of the
  time from request to the committed 200;
* **kill**: the service as a real process (uvicorn, SQLite); a client that retries every
  alert until it gets 200 (as Alertmanager does) sends N alerts 20 at a time; the service is
  SIGKILLed halfway and restarted; lost = N - alerts stored (must be 0), and duplicates stored.

Ratios printed: PostgreSQL / SQLite for throughput and latency; duplicates vs new alerts.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[1]
INTAKE = "bench-intake"


def _config(tmp: Path, database: str) -> Path:
    data = {"estate": str(ROOT / "examples" / "dv-trading"), "database": database,
            "intake": {"bearer_sha256": hashlib.sha256(INTAKE.encode()).hexdigest()},
            "enrich": {"net_analysis": False}, "escalation_tick_s": 60}
    path = tmp / f"incidents-{abs(hash(database))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _alerts(n: int, tag: str) -> list[dict[str, Any]]:
    starts = datetime(2026, 11, 30, 15, 0, tzinfo=UTC).isoformat()
    venues = ["binance", "bybit", "okx", "kraken", "deribit", "coinbase", "cme-globex", "nasdaq"]
    return [{"status": "firing", "labels": {"alertname": "BenchAlert", "venue": venues[i % len(venues)],
                                            "run": tag, "i": str(i), "severity": "warning"},
             "annotations": {"summary": f"alert {i}"}, "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z",
             "fingerprint": hashlib.sha256(f"{tag}/{i}".encode()).hexdigest()[:16]} for i in range(n)]


def _payload(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing", "receiver": "bench",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "", "alerts": alerts}


HEADERS = {"Authorization": f"Bearer {INTAKE}"}


async def _in_process(database: str, tmp: Path, n: int) -> dict[str, float]:
    from tradeplane import estate as est
    from tradeplane.incidents.api import create_app
    from tradeplane.incidents.config import load_config
    from tradeplane.incidents.service import Service

    service = Service(load_config(_config(tmp, database)), est.load(ROOT / "examples" / "dv-trading"))
    await service.start(background=False)
    out: dict[str, float] = {}
    try:
        app = create_app(service, manage_lifecycle=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as c:
            alerts = _alerts(n, f"tp-{time.time_ns()}")
            for label in ("new", "dup"):
                t0 = time.perf_counter()
                for k in range(0, n, 10):
                    r = await c.post("/api/v1/alerts/alertmanager", json=_payload(alerts[k:k + 10]), headers=HEADERS)
                    assert r.status_code == 200, r.text
                out[f"{label}_per_s"] = n / (time.perf_counter() - t0)
            burst = _alerts(n, f"burst-{time.time_ns()}")
            sem = asyncio.Semaphore(50)
            latencies: list[float] = []

            async def one(a: dict[str, Any]) -> None:
                async with sem:
                    t = time.perf_counter()
                    r = await c.post("/api/v1/alerts/alertmanager", json=_payload([a]), headers=HEADERS)
                    latencies.append(time.perf_counter() - t)
                    assert r.status_code == 200

            await asyncio.gather(*(one(a) for a in burst))
            latencies.sort()
            out["p50_ms"] = 1e3 * latencies[len(latencies) // 2]
            out["p99_ms"] = 1e3 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    finally:
        await service.stop()
    return out


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(config: Path, port: int) -> subprocess.Popen[bytes]:
    log = config.with_suffix(".log")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "tradeplane"), "incidents", "serve", str(config),
                             "--port", str(port)], stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError("the service did not start")


async def _kill_run(tmp: Path, n: int) -> dict[str, int]:
    db = tmp / "kill.db"
    config = _config(tmp, str(db))
    port = _port()
    proc = _start(config, port)
    alerts = _alerts(n, "kill")
    sent = 0
    retries = 0
    killed = asyncio.Event()

    async def deliver(a: dict[str, Any], client: httpx.AsyncClient) -> None:
        nonlocal sent, retries
        while True:  # Alertmanager retries a failed webhook until it gets 2xx
            try:
                r = await client.post(f"http://127.0.0.1:{port}/api/v1/alerts/alertmanager", json=_payload([a]),
                                      headers=HEADERS, timeout=10)
                if r.status_code == 200:
                    sent += 1
                    return
            except httpx.HTTPError:
                pass
            retries += 1
            await asyncio.sleep(0.2)

    async def killer() -> None:
        nonlocal proc
        while sent < n // 2:
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed.set()
        proc = await asyncio.to_thread(_start, config, port)

    async with httpx.AsyncClient() as client:
        sem = asyncio.Semaphore(20)

        async def bounded(a: dict[str, Any]) -> None:
            async with sem:
                await deliver(a, client)

        k = asyncio.create_task(killer())
        await asyncio.gather(*(bounded(a) for a in alerts))
        await k
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        stored = c.execute(sa.text("select count(distinct fingerprint) from alerts")).scalar_one()
        rows = c.execute(sa.text("select count(*) from alerts")).scalar_one()
    engine.dispose()
    return {"sent": n, "stored": stored, "lost": n - stored, "duplicates": rows - stored, "retries": retries,
            "killed": int(killed.is_set())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="200-alert bursts instead of 1,000")
    ap.add_argument("-n", type=int, default=1000, help="alerts per burst")
    a = ap.parse_args()
    n = 200 if a.quick else a.n
    from tradeplane.incidents.pgtemp import postgres, unavailable

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        results["sqlite"] = asyncio.run(_in_process(str(tmp / "bench.db"), tmp, n))
        why = unavailable()
        if why is None:
            with postgres() as url:
                results["postgresql"] = asyncio.run(_in_process(url, tmp, n))
        else:
            print(f"postgresql: skipped ({why})")
        kill = asyncio.run(_kill_run(tmp, n))
    print(f"incident intake, {n} alerts per burst, {os.cpu_count()} CPUs")
    print(f"{'database':<12}{'new alerts/s':>14}{'dup alerts/s':>14}{'p50 ms':>10}{'p99 ms':>10}")
    for name, r in results.items():
        print(f"{name:<12}{r['new_per_s']:>14.0f}{r['dup_per_s']:>14.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}")
    for name, r in results.items():
        print(f"{name}: duplicates / new throughput = {r['dup_per_s'] / r['new_per_s']:.2f}x")
    if "postgresql" in results:
        pg, sq = results["postgresql"], results["sqlite"]
        print(f"postgresql / sqlite: throughput new {pg['new_per_s'] / sq['new_per_s']:.2f}x, "
              f"dup {pg['dup_per_s'] / sq['dup_per_s']:.2f}x, p50 {pg['p50_ms'] / sq['p50_ms']:.2f}x, "
              f"p99 {pg['p99_ms'] / sq['p99_ms']:.2f}x")
    print(f"kill mid-burst (SIGKILL at {n // 2} acknowledged, restart, client retries): sent {kill['sent']}, "
          f"stored {kill['stored']}, lost {kill['lost']}, duplicates stored {kill['duplicates']}, "
          f"retries {kill['retries']}")
    if kill["lost"] or kill["duplicates"] or not kill["killed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
