"""Real Alertmanager -> the incidents service (a subprocess), killed with SIGKILL mid-burst and
restarted: every alert is stored exactly once, and resolved notifications resolve incidents;
on SQLite and on a real PostgreSQL.

The test binds the service's listening socket itself and hands it to each service process
(``serve --fd``), as a supervisor with socket activation does: no free-port guess that
another process can take before the service binds it, and the port stays the same across the
kill and restart (connections that arrive meanwhile wait in the socket's backlog)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from tests.incidents.conftest import INTAKE, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]
AM = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = getattr(proc, "log_path", None)
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


def _service(config: Path, sock: socket.socket, log: Path) -> subprocess.Popen[bytes]:
    ready = log.with_suffix(".ready")
    ready.unlink(missing_ok=True)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "tradeplane"), "incidents", "serve", str(config),
                             "--fd", str(sock.fileno()), "--ready-file", str(ready)],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),))
    proc.log_path = log  # type: ignore[attr-defined]
    proc.ready_path = ready  # type: ignore[attr-defined]
    return proc


def _ready(proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    """Wait for the service's ready file (written once it serves), or fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = proc.log_path.read_text()[-3000:]  # type: ignore[attr-defined]
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}:\n{tail}")
        if proc.ready_path.exists():  # type: ignore[attr-defined]
            return
        time.sleep(0.05)
    raise TimeoutError("the service did not say it was ready")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "incidents.db")
        return
    from tradeplane.incidents.pgtemp import postgres, unavailable

    why = unavailable()
    if why:
        pytest.skip(why)
    with postgres() as url:
        yield url


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    from tradeplane.incidents.api import listen_socket

    sock = listen_socket("127.0.0.1", 0)
    sock.set_inheritable(True)
    try:
        yield sock
    finally:
        sock.close()


@pytest.fixture
def alertmanager(tmp_path: Path, listener: socket.socket) -> Iterator[tuple[str, int]]:
    if AM is None:
        pytest.skip("Debian's prometheus-alertmanager is not installed")
    svc_port, am_port = listener.getsockname()[1], _port()
    (tmp_path / "am.yml").write_text(f"""
route:
  receiver: incidents
  group_by: ['...']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: incidents
    webhook_configs:
      - url: http://127.0.0.1:{svc_port}/api/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization: {{type: Bearer, credentials: {INTAKE}}}
""")
    proc = subprocess.Popen([AM, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'am-data'}",
                             f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=",
                             "--log.level=warn"], stdout=(tmp_path / "am.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{am_port}/-/ready", proc)
        yield f"http://127.0.0.1:{am_port}", svc_port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_burst_kill_restart_every_alert_exactly_once(tmp_path: Path, alertmanager: tuple[str, int],
                                                     listener: socket.socket, database: str) -> None:
    am = alertmanager[0]
    config = write_config(tmp_path, database=database)
    log = tmp_path / "service.log"
    procs = [_service(config, listener, log)]
    try:
        _burst(am, listener, config, log, database, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.kill(p.pid, signal.SIGKILL)


def _burst(am: str, sock: socket.socket, config: Path, log: Path, database: str,
           procs: list[subprocess.Popen[bytes]]) -> None:
    svc = procs[0]
    _ready(svc)
    n = 150
    starts = datetime.now(UTC) - timedelta(seconds=5)
    alerts = [{"labels": {"alertname": "Burst", "venue": ["binance", "bybit", "okx"][i % 3], "i": str(i),
                          "severity": "warning"},
               "annotations": {"summary": f"burst {i}"}, "startsAt": starts.isoformat()} for i in range(n)]
    killed = False
    for k in range(0, n, 10):
        r = httpx.post(f"{am}/api/v2/alerts", json=alerts[k:k + 10], timeout=10)
        assert r.status_code == 200, r.text
        time.sleep(0.15)
        if k >= n // 2 and not killed:
            svc.send_signal(signal.SIGKILL)  # mid-burst, while Alertmanager is delivering
            svc.wait()
            killed = True
            time.sleep(1.0)  # deliveries wait in the backlog or fail meanwhile; Alertmanager retries
            svc = _service(config, sock, log)
            procs.append(svc)
            _ready(svc)
    assert killed
    engine = sa.create_engine(database if "://" in database else f"sqlite:///{database}")
    try:
        deadline = time.monotonic() + 240
        count = 0
        while time.monotonic() < deadline:
            with engine.connect() as c:
                count = c.execute(sa.text("select count(*) from alerts where labels like '%Burst%'")).scalar_one()
            if count >= n:
                break
            time.sleep(0.5)
        with engine.connect() as c:
            rows = c.execute(sa.text("select fingerprint, count(*) from alerts group by fingerprint")).all()
            incidents = c.execute(sa.text("select group_key, status from incidents order by group_key")).all()
        assert len(rows) == n and all(k == 1 for _, k in rows), f"{len(rows)} of {n} alerts stored"
        assert [g for g, _ in incidents] == ["venue:binance", "venue:bybit", "venue:okx"]
        # resolve them all through Alertmanager: the incidents resolve themselves
        ended = datetime.now(UTC).isoformat()
        resolved = [{**a, "endsAt": ended} for a in alerts]
        assert httpx.post(f"{am}/api/v2/alerts", json=resolved, timeout=10).status_code == 200
        deadline = time.monotonic() + 240
        statuses: list[str] = []
        while time.monotonic() < deadline:
            with engine.connect() as c:
                statuses = [s for (s,) in c.execute(sa.text("select status from incidents")).all()]
            if statuses and all(s == "resolved" for s in statuses):
                break
            time.sleep(0.5)
        assert statuses == ["resolved"] * 3
    finally:
        engine.dispose()


def test_serve_on_port_zero_reports_its_port(tmp_path: Path) -> None:
    """``serve --port 0 --ready-file F``: the kernel picks the port when the service binds it,
    and the service writes where it listens once it serves (no port guessed beforehand)."""
    config = write_config(tmp_path)
    log, ready = tmp_path / "serve.log", tmp_path / "serve.ready"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "tradeplane"), "incidents", "serve", str(config),
                             "--port", "0", "--ready-file", str(ready)], stdout=log.open("ab"), stderr=subprocess.STDOUT)
    proc.log_path, proc.ready_path = log, ready  # type: ignore[attr-defined]
    try:
        _ready(proc)
        import json

        info = json.loads(ready.read_text())
        assert info["pid"] == proc.pid and info["port"] > 0
        assert httpx.get(f"{info['url']}/healthz", timeout=10).json() == {"status": "ok"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
