"""Incident intake: throughput with dedup, burst latency, and lost alerts across a SIGKILL, in one run.

    uv run python benchmarks/incidents.py            # 1,000-alert bursts
    uv run python benchmarks/incidents.py --quick    # 200-alert bursts

For SQLite (WAL) and for a real PostgreSQL started on 127.0.0.1 (skipped, with the reason,
when it cannot start here), through the real ASGI app in process (httpx's ASGI transport,
so no socket cost is counted):

* **bare insert** (the baseline): the same alerts, 10 per transaction, written as nothing but
  ``INSERT ... ON CONFLICT DO NOTHING`` into the alerts table and a commit — the least any
  intake that commits before it answers must do; alerts per second, new and repeated;
* **throughput**: N alerts posted as Alertmanager webhook payloads of 10 alerts, one after
  the other, then the same N again (every one a duplicate: dedup by fingerprint + startsAt),
  alerts per second each (owners, grouping, timeline and all);
* **burst latency**: N single-alert POSTs fired at once (50 in flight), p50 and p99 of the
  time from request to the committed 200, and requests per commit (group commit);
* **kill**: the service as a real process (uvicorn) on each database; the benchmark holds its
  listening socket (``serve --fd``) so the port survives the restart; a client that retries
  every alert until it gets 200 (as Alertmanager does) sends N alerts 20 at a time; the
  service is SIGKILLed halfway and restarted; lost = N - alerts stored (must be 0), and
  duplicates stored (must be 0).

Ratios printed: intake / bare insert; PostgreSQL / SQLite for throughput and latency;
duplicates vs new alerts.
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

# httpx's ASGI transport tries ``import sniffio`` on every request; when it is not installed
# the failed import is not cached and each request pays a search of sys.path (milliseconds
# on a loaded machine). Caching the miss keeps the in-process figures about the service.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import yaml  # noqa: E402

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


def _bare_insert(database: str, n: int) -> dict[str, float]:
    """The baseline: only the alert rows, 10 per transaction, deduplicated by the unique index."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from tradeplane.incidents.alerts import AlertmanagerWebhook
    from tradeplane.incidents.store import AlertRow, dumps, engine_for, iso, migrate

    engine = engine_for(database)
    migrate(engine)
    table = AlertRow.__table__
    insert = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=["fingerprint", "starts_at"])  # type: ignore[arg-type]
    alerts = AlertmanagerWebhook.model_validate(_payload(_alerts(n, f"bare-{time.time_ns()}"))).alerts
    out: dict[str, float] = {}
    try:
        for label in ("new", "dup"):
            t0 = time.perf_counter()
            for k in range(0, n, 10):
                stamp = iso(datetime.now(UTC))
                rows = [{"fingerprint": a.key(), "starts_at": iso(a.startsAt), "ends_at": None, "status": a.status,
                         "source": "bench", "labels": dumps(a.labels), "annotations": dumps(a.annotations),
                         "generator_url": a.generatorURL, "first_received_at": stamp, "last_received_at": stamp,
                         "receipts": 1} for a in alerts[k:k + 10]]
                with engine.begin() as c:
                    c.execute(stmt, rows)
            out[f"bare_{label}_per_s"] = n / (time.perf_counter() - t0)
    finally:
        engine.dispose()
    return out


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

            commits = service.commits
            await asyncio.gather(*(one(a) for a in burst))
            out["requests_per_commit"] = n / max(1, service.commits - commits)
            latencies.sort()
            out["p50_ms"] = 1e3 * latencies[len(latencies) // 2]
            out["p99_ms"] = 1e3 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    finally:
        await service.stop()
    return out


def _start(config: Path, sock: socket.socket) -> subprocess.Popen[bytes]:
    """The service on the benchmark's listening socket; returns once it says it serves."""
    log, ready = config.with_suffix(".log"), config.with_suffix(".ready")
    ready.unlink(missing_ok=True)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "tradeplane"), "incidents", "serve", str(config),
                             "--fd", str(sock.fileno()), "--ready-file", str(ready)],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}: {log.read_text()[-2000:]}")
        if ready.exists():
            return proc
        time.sleep(0.05)
    raise TimeoutError("the service did not start")


async def _kill_run(tmp: Path, database: str, n: int) -> dict[str, float]:
    from tradeplane.incidents.api import listen_socket

    config = _config(tmp, database)
    sock = listen_socket("127.0.0.1", 0)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    proc = _start(config, sock)
    alerts = _alerts(n, f"kill-{time.time_ns()}")
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
        proc = await asyncio.to_thread(_start, config, sock)

    t0 = time.perf_counter()
    async with httpx.AsyncClient() as client:
        sem = asyncio.Semaphore(20)

        async def bounded(a: dict[str, Any]) -> None:
            async with sem:
                await deliver(a, client)

        k = asyncio.create_task(killer())
        await asyncio.gather(*(bounded(a) for a in alerts))
        await k
    elapsed = time.perf_counter() - t0
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    sock.close()
    engine = sa.create_engine(database if "://" in database else f"sqlite:///{database}")
    run = alerts[0]["labels"]["run"]
    with engine.connect() as c:
        where = sa.text("select count(distinct fingerprint), count(*) from alerts where labels like :run")
        stored, rows = c.execute(where, {"run": f'%"run":"{run}"%'}).one()
    engine.dispose()
    return {"sent": n, "stored": stored, "lost": n - stored, "duplicates": rows - stored, "retries": retries,
            "killed": int(killed.is_set()), "seconds": elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="200-alert bursts instead of 1,000")
    ap.add_argument("-n", type=int, default=1000, help="alerts per burst")
    a = ap.parse_args()
    n = 200 if a.quick else a.n
    from tradeplane.incidents.pgtemp import postgres, unavailable

    results: dict[str, dict[str, float]] = {}
    kills: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        results["sqlite"] = {**_bare_insert(str(tmp / "bare.db"), n),
                             **asyncio.run(_in_process(str(tmp / "bench.db"), tmp, n))}
        kills["sqlite"] = asyncio.run(_kill_run(tmp, str(tmp / "kill.db"), n))
        why = unavailable()
        if why is None:
            with postgres() as url:
                results["postgresql"] = {**_bare_insert(url, n), **asyncio.run(_in_process(url, tmp, n))}
                kills["postgresql"] = asyncio.run(_kill_run(tmp, url, n))
        else:
            print(f"postgresql: skipped ({why})")
    load = os.getloadavg()[0]
    print(f"incident intake, {n} alerts per burst, {os.cpu_count()} CPUs, load average {load:.1f} at the end")
    print(f"{'database':<12}{'bare new/s':>11}{'new alerts/s':>14}{'bare dup/s':>11}{'dup alerts/s':>14}"
          f"{'p50 ms':>9}{'p99 ms':>9}{'req/commit':>11}")
    for name, r in results.items():
        print(f"{name:<12}{r['bare_new_per_s']:>11.0f}{r['new_per_s']:>14.0f}{r['bare_dup_per_s']:>11.0f}"
              f"{r['dup_per_s']:>14.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['requests_per_commit']:>11.1f}")
    for name, r in results.items():
        print(f"{name}: intake / bare insert: new {r['new_per_s'] / r['bare_new_per_s']:.2f}x, "
              f"dup {r['dup_per_s'] / r['bare_dup_per_s']:.2f}x; duplicates / new {r['dup_per_s'] / r['new_per_s']:.2f}x")
    if "postgresql" in results:
        pg, sq = results["postgresql"], results["sqlite"]
        print(f"postgresql / sqlite: new {pg['new_per_s'] / sq['new_per_s']:.2f}x, "
              f"dup {pg['dup_per_s'] / sq['dup_per_s']:.2f}x, p50 {pg['p50_ms'] / sq['p50_ms']:.2f}x, "
              f"p99 {pg['p99_ms'] / sq['p99_ms']:.2f}x, bare insert {pg['bare_new_per_s'] / sq['bare_new_per_s']:.2f}x")
    bad = False
    for name, kill in kills.items():
        print(f"{name} kill mid-burst (uvicorn over loopback, SIGKILL at {n // 2} acknowledged, restart, client "
              f"retries): sent {kill['sent']}, stored {kill['stored']}, lost {kill['lost']}, duplicates stored "
              f"{kill['duplicates']}, retries {kill['retries']}, {kill['sent'] / kill['seconds']:.0f} alerts/s "
              f"including the restart")
        bad = bad or bool(kill["lost"] or kill["duplicates"] or not kill["killed"])
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
