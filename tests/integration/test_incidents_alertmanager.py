"""Real Alertmanager -> the incidents service (a subprocess), killed with SIGKILL mid-burst and
restarted: every alert is stored exactly once, and resolved notifications resolve incidents."""

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


def _service(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([str(Path(sys.executable).parent / "tradeplane"), "incidents", "serve", str(config),
                             "--port", str(port)], stdout=log.open("ab"), stderr=subprocess.STDOUT)
    proc.log_path = log  # type: ignore[attr-defined]
    return proc


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[tuple[str, int]]:
    if AM is None:
        pytest.skip("Debian's prometheus-alertmanager is not installed")
    svc_port, am_port = _port(), _port()
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


def test_burst_kill_restart_every_alert_exactly_once(tmp_path: Path, alertmanager: tuple[str, int]) -> None:
    am, port = alertmanager
    config = write_config(tmp_path)
    log = tmp_path / "service.log"
    procs = [_service(config, port, log)]
    try:
        _burst(am, port, config, log, tmp_path, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.kill(p.pid, signal.SIGKILL)


def _burst(am: str, port: int, config: Path, log: Path, tmp_path: Path, procs: list[subprocess.Popen[bytes]]) -> None:
    svc = procs[0]
    _wait(f"http://127.0.0.1:{port}/healthz", svc)
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
            time.sleep(1.0)  # deliveries fail meanwhile; Alertmanager retries
            svc = _service(config, port, log)
            procs.append(svc)
            _wait(f"http://127.0.0.1:{port}/healthz", svc)
    assert killed
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'incidents.db'}")
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
