"""`tradeplane up`: the stack it plans (configs, ports, tokens) and, with real processes, a clean stop."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.console.conftest import REFERENCE
from tradeplane.console.up import free_port, plan_stack


def test_the_stack_reuses_the_existing_starters_on_free_ports(tmp_path: Path):
    stack = plan_stack(REFERENCE, tmp_path, console_port=free_port(), billing=True)
    names = [s.name for s in stack.services]
    assert names[:3] == ["simulator", "gateway", "incidents"] and names[-1] == "console"
    argv = {s.name: s.argv for s in stack.services}
    assert argv["simulator"][1:3] == ["feeds", "simulate"] and argv["gateway"][1:3] == ["feeds", "run"]
    assert argv["incidents"][1:3] == ["incidents", "serve"] and argv["console"][1] == "console"
    assert stack.setup and stack.setup[0][1:3] == ["cost", "generate"]
    feeds = yaml.safe_load((tmp_path / "feeds.yaml").read_text())
    assert "sinks" not in feeds and feeds["metrics"]["host"] == "127.0.0.1"
    urls = [leg["url"] for v in feeds["venues"] for leg in v["legs"]]
    assert all(u.startswith("ws://127.0.0.1:") for u in urls) and len(set(urls)) == len(urls)
    incidents = yaml.safe_load((tmp_path / "incidents.yaml").read_text())
    assert incidents["listen"]["host"] == "127.0.0.1" and incidents["notify"] == {}
    text = "".join(p.read_text() for p in tmp_path.glob("*.yaml"))
    for s in stack.services:
        for secret in s.env.values():
            assert secret not in text  # tokens travel in the environment only
    assert stack.console_url.startswith("http://127.0.0.1:") and "?token=" in stack.console_url


@pytest.mark.skipif(shutil.which("prometheus") is None or shutil.which("promtool") is None,
                    reason="Debian's prometheus (and promtool) not installed")
def test_the_stacks_prometheus_loads_the_rules_observe_renders(tmp_path: Path):
    """Found in a fresh-clone trial: the stack's prometheus.yml had no rule_files, so Prometheus loaded 0
    rules and no alert could reach Alertmanager or incidents. It names every rule file `tradeplane observe
    render` writes for the estate (rendered into the run directory), and promtool accepts the config."""
    plan_stack(REFERENCE, tmp_path, console_port=free_port(), billing=False)
    cfg = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    rendered = sorted(str(p.resolve()) for p in (tmp_path / "observe" / "prometheus" / "rules").glob("*.rules.yml"))
    assert rendered and cfg["rule_files"] == rendered
    assert any(p.endswith("hybrid-links.rules.yml") for p in rendered)
    promtool = shutil.which("promtool")
    assert promtool is not None
    check = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"SUCCESS: {len(rendered)} rule files found" in check.stdout + check.stderr, check.stdout + check.stderr


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_up_starts_everything_and_stops_cleanly_on_sigterm(tmp_path: Path):
    port = free_port()
    exe = Path(sys.executable).parent / "tradeplane"
    proc = subprocess.Popen([str(exe), "up", str(REFERENCE), "--port", str(port), "--dir", str(tmp_path),
                             "--no-billing"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        out = ""
        assert proc.stdout is not None
        while "Ctrl-C stops everything" not in out:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, out
            out += line
            assert time.monotonic() < deadline, out
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        gateway = next(line.split()[-1] for line in out.splitlines() if line.startswith("gateway"))
        assert httpx.get(f"{gateway}/status", timeout=10).json()["legs"]
        prometheus = next((line.split()[-1] for line in out.splitlines() if line.startswith("prometheus")), None)
        if prometheus is not None:  # the rules observe renders are loaded (they were not: no rule_files)
            groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
            assert sum(len(g["rules"]) for g in groups) > 0
        pids = [int(p) for p in subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True,
                                               text=True).stdout.split()]
        assert len(pids) >= 4
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "stopped" in rest
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if proc.poll() is None:
            proc.kill()
