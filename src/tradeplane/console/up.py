"""``tradeplane up``: the whole stack on 127.0.0.1 for one estate, stopped cleanly on Ctrl-C/SIGTERM.

It reuses the existing starters, each as its own process: ``tradeplane feeds simulate`` and
``tradeplane feeds run`` (the venue simulator and the gateway, on the reference feeds config
rewritten to free ports and no recording), ``tradeplane incidents serve`` (the reference incidents
config with a database and tokens of this run), Prometheus (scraping the gateway, loading the rules
``tradeplane observe render`` writes for the estate, rendered into ``RUN_DIR/observe``) and Alertmanager
(sending to the incidents intake) where Debian's packages are installed, ``tradeplane cost
generate`` (a month of synthetic FOCUS billing for the cost page) and ``tradeplane console``.
Everything lives in one run directory (a temporary one unless ``--dir``); tokens are random per run
and passed through the environment, never written into a config in clear.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Service", "Stack", "free_port", "observe_rules", "plan_stack"]

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tradeplane() -> list[str]:
    exe = Path(sys.executable).parent / "tradeplane"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tradeplane.cli"]


@dataclass
class Service:
    name: str
    argv: list[str]
    url: str = ""
    ready: str = ""  # a URL that answers 200 when the service is up
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None


@dataclass
class Stack:
    run_dir: Path
    services: list[Service]
    skipped: list[str]
    console_url: str
    setup: list[list[str]] = field(default_factory=list)  # commands run (in order) before the services

    def start(self, say: Callable[[str], None] = print, timeout: float = 120.0) -> None:
        for argv in self.setup:
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=(self.run_dir / "setup.log").open("ab"))
        for s in self.services:
            log = (self.run_dir / f"{s.name}.log").open("ab")
            s.proc = subprocess.Popen(s.argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **s.env},
                                      cwd=self.run_dir, start_new_session=True)
        for s in self.services:
            if s.ready:
                _wait(s, timeout, self.run_dir)
            say(f"{s.name:<13} {s.url}")

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM each service (last started first), then SIGKILL what has not exited after ``grace``."""
        for s in reversed(self.services):
            if s.proc is not None and s.proc.poll() is None:
                s.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for s in reversed(self.services):
            if s.proc is None:
                continue
            try:
                s.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                s.proc.kill()
                s.proc.wait()

    def failed(self) -> list[Service]:
        return [s for s in self.services if s.proc is not None and s.proc.poll() is not None]


def _wait(s: Service, timeout: float, run_dir: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert s.proc is not None
        if s.proc.poll() is not None:
            tail = (run_dir / f"{s.name}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{s.name} exited with {s.proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(s.ready, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{s.name} did not answer {s.ready} within {timeout:.0f} s")


def _feeds_config(run_dir: Path, estate: Path, metrics_port: int) -> Path:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "feeds" / "feeds.yaml").read_text())
    data["estate"] = str(estate.resolve())
    data["metrics"] = {"host": "127.0.0.1", "port": metrics_port}
    data.pop("sinks", None)
    for v in data["venues"]:
        for leg in v["legs"]:
            port = free_port()
            for key in ("url", "rest"):
                if key in leg:
                    scheme, rest = leg[key].split("://", 1)
                    path = rest.split("/", 1)[1] if "/" in rest else ""
                    leg[key] = f"{scheme}://127.0.0.1:{port}/{path}".rstrip("/") if key == "rest" else \
                        f"{scheme}://127.0.0.1:{port}/{path}"
    path = run_dir / "feeds.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def observe_rules(estate: Path, out: Path) -> list[str]:
    """Render the estate's observability standard into ``out`` (what ``tradeplane observe render ESTATE
    -o OUT`` writes, calendars anchored today UTC) and return the absolute paths of its Prometheus rule
    files (``prometheus/rules/*.rules.yml``, sorted): the stack's Prometheus loads the same rules the
    docs tell users to deploy. Raises ``EstateError`` (located) when the standard is broken."""
    from tradeplane import estate as est
    from tradeplane import observe

    files = observe.render(est.load(estate), datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0))
    observe.write(files, out)
    return sorted(str((out / rel).resolve()) for rel in files
                  if rel.startswith("prometheus/rules/") and rel.endswith(".rules.yml"))


def plan_stack(estate: Path, run_dir: Path, *, console_port: int = 8080, billing: bool = True) -> Stack:
    """The services of ``tradeplane up`` for ``estate`` in ``run_dir`` (nothing started yet)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tp = _tradeplane()
    services: list[Service] = []
    skipped: list[str] = []
    metrics = free_port()
    feeds_cfg = _feeds_config(run_dir, estate, metrics)
    gateway = f"http://127.0.0.1:{metrics}"
    services.append(Service("simulator", [*tp, "feeds", "simulate", str(feeds_cfg), "--rate", "20"],
                            url="venues' WebSocket protocols on 127.0.0.1 (see feeds.yaml)"))
    services.append(Service("gateway", [*tp, "feeds", "run", str(feeds_cfg)], url=gateway, ready=f"{gateway}/status"))

    inc_port = free_port()
    tokens = {k: secrets.token_urlsafe(18) for k in ("INCIDENTS_INTAKE_TOKEN", "INCIDENTS_INTAKE_PASSWORD",
                                                      "INCIDENTS_PLATFORM_TOKEN", "INCIDENTS_CRYPTO_TOKEN",
                                                      "INCIDENTS_FUTURES_TOKEN", "INCIDENTS_ADMIN_TOKEN")}
    inc: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "incidents" / "incidents.yaml").read_text())
    inc.update({"estate": str(estate.resolve()), "database": str(run_dir / "incidents.db"),
                "listen": {"host": "127.0.0.1", "port": inc_port}, "notify": {},
                "enrich": {**inc.get("enrich", {}), "gateway_status_url": gateway}})
    (run_dir / "incidents.yaml").write_text(yaml.safe_dump(inc, sort_keys=False))
    incidents = f"http://127.0.0.1:{inc_port}"
    services.append(Service("incidents", [*tp, "incidents", "serve", str(run_dir / "incidents.yaml")], url=incidents,
                            ready=f"{incidents}/healthz", env=tokens))

    am_bin = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    am_url = ""
    if am_bin:
        am_port = free_port()
        am_url = f"http://127.0.0.1:{am_port}"
        (run_dir / "alertmanager.yml").write_text(yaml.safe_dump({
            "route": {"receiver": "incidents", "group_by": ["..."], "group_wait": "5s"},
            "receivers": [{"name": "incidents", "webhook_configs": [{
                "url": f"{incidents}/api/v1/alerts/alertmanager", "send_resolved": True,
                "http_config": {"authorization": {"type": "Bearer", "credentials": tokens["INCIDENTS_INTAKE_TOKEN"]}}}]}],
        }))
        os.chmod(run_dir / "alertmanager.yml", 0o600)
        services.append(Service("alertmanager", [am_bin, f"--config.file={run_dir / 'alertmanager.yml'}",
                                                 f"--storage.path={run_dir / 'am-data'}",
                                                 f"--web.listen-address=127.0.0.1:{am_port}",
                                                 "--cluster.listen-address=", "--log.level=warn"],
                                url=am_url, ready=f"{am_url}/-/ready"))
    else:
        skipped.append("alertmanager (Debian's prometheus-alertmanager is not installed)")
    prom_bin = shutil.which("prometheus")
    if prom_bin:
        prom_port = free_port()
        prom = f"http://127.0.0.1:{prom_port}"
        cfg: dict[str, Any] = {"global": {"scrape_interval": "5s"},
                               "rule_files": observe_rules(estate, run_dir / "observe"),
                               "scrape_configs": [{"job_name": "feeds-gateway",
                                                   "static_configs": [{"targets": [f"127.0.0.1:{metrics}"]}]}]}
        if am_url:
            cfg["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [am_url.split("//", 1)[1]]}]}]}
        (run_dir / "prometheus.yml").write_text(yaml.safe_dump(cfg))
        services.append(Service("prometheus", [prom_bin, f"--config.file={run_dir / 'prometheus.yml'}",
                                               f"--storage.tsdb.path={run_dir / 'prom-data'}",
                                               f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                                url=prom, ready=f"{prom}/-/ready"))
    else:
        skipped.append("prometheus (Debian's prometheus is not installed)")

    setup: list[list[str]] = []
    billing_dir = run_dir / "billing"
    if billing:
        end = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        setup.append([*tp, "cost", "generate", str(estate), str(billing_dir), "--days", "45", "--end", end])
    console_token = secrets.token_urlsafe(18)
    (run_dir / "console-tokens.yaml").write_text(yaml.safe_dump({"tokens": [
        {"name": "you", "role": "platform", "env": "TRADEPLANE_CONSOLE_TOKEN"}]}))
    console = f"http://127.0.0.1:{console_port}"
    argv = [*tp, "console", str(estate.resolve()), "--port", str(console_port), "--gateway", gateway,
            "--incidents", incidents, "--tokens", str(run_dir / "console-tokens.yaml")]
    if billing:
        argv += ["--billing", str(billing_dir)]
    from tradeplane.migrate import state_path

    state = state_path(estate)  # what `tradeplane migrate advance` writes, beside the estate
    if state.is_file():
        argv += ["--migrate-state", str(state)]
    services.append(Service("console", argv, url=f"{console}/?token={console_token}", ready=f"{console}/healthz",
                            env={"TRADEPLANE_CONSOLE_TOKEN": console_token,
                                 "TRADEPLANE_INCIDENTS_TOKEN": tokens["INCIDENTS_ADMIN_TOKEN"]}))
    return Stack(run_dir, services, skipped, f"{console}/?token={console_token}", setup)
