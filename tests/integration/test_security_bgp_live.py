"""The BGP watcher on a live session: gobgpd announces, ExaBGP receives, the watcher alerts.

Both daemons are Debian's, started on 127.0.0.1 with free ports: gobgpd (AS 65001) is the
announcing peer; ExaBGP (AS 65000) holds the session and writes every received UPDATE as JSON
to a file the watcher follows. The legitimate /23 comes first, then a more-specific /24 with a
forged origin (AS 10297); the sub-prefix alert must follow, and resolve on the withdrawal.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tradeplane.security.alerts import ListSink
from tradeplane.security.bgp import BgpMonitor, SourceStats, Watchlist, read_exabgp
from tradeplane.security.bgp.prefixes import parse_prefix
from tradeplane.security.bgp.watchlist import Watched

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

GOBGPD, GOBGP, EXABGP = shutil.which("gobgpd"), shutil.which("gobgp"), shutil.which("exabgp")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def bgp_session(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not (GOBGPD and GOBGP and EXABGP):
        pytest.skip("gobgpd/gobgp/exabgp not installed (./dev test installs Debian's gobgpd and exabgp)")
    bgp_port, api_port = free_port(), free_port()
    (tmp_path / "gobgpd.toml").write_text(f"""
[global.config]
  as = 65001
  router-id = "127.0.0.2"
  port = {bgp_port}
  local-address-list = ["127.0.0.1"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.1"
    peer-as = 65000
  [neighbors.transport.config]
    passive-mode = true
""")
    updates = tmp_path / "updates.jsonl"
    updates.touch()
    (tmp_path / "exabgp.conf").write_text(f"""
process collector {{
    run /bin/sh -c "cat >> {updates}";
    encoder json;
}}
neighbor 127.0.0.1 {{
    router-id 127.0.0.3;
    local-address 127.0.0.1;
    local-as 65000;
    peer-as 65001;
    api {{
        processes [ collector ];
        receive {{ parsed; update; }}
        neighbor-changes;
    }}
}}
""")
    gobgpd = subprocess.Popen([GOBGPD, "-f", str(tmp_path / "gobgpd.toml"), "--api-hosts", f"127.0.0.1:{api_port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "exabgp.tcp.port": str(bgp_port), "exabgp.tcp.bind": "",
           "exabgp.daemon.drop": "false", "HOME": str(tmp_path)}
    log = (tmp_path / "exabgp.log").open("w")
    exabgp = subprocess.Popen([EXABGP, str(tmp_path / "exabgp.conf")], cwd=tmp_path, env=env,
                              stdout=log, stderr=subprocess.STDOUT)

    def gobgp(*args: str) -> str:
        return subprocess.run([GOBGP, "-u", "127.0.0.1", "-p", str(api_port), *args], capture_output=True,
                              text=True, timeout=20).stdout

    try:
        assert wait_for(lambda: "Establ" in gobgp("neighbor")), "the BGP session did not come up"
        yield gobgp, updates
    finally:
        for proc in (exabgp, gobgpd):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_hijack_over_a_live_session_alerts_then_resolves(bgp_session) -> None:  # type: ignore[no-untyped-def]
    gobgp, updates = bgp_session
    prefix = parse_prefix("205.251.192.0/21")
    watch = Watchlist([Watched("205.251.192.0/21", prefix, frozenset({65001}), 24, frozenset(), "aws route53",
                               "crypto")], min_peers=1)
    monitor, sink, stats = BgpMonitor(watch), ListSink(), SourceStats()
    stop = threading.Event()

    def watcher() -> None:
        for item in read_exabgp(updates, stats, follow=True, stop=stop.is_set):
            sink.send(monitor.process(item))

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    try:
        gobgp("global", "rib", "add", "205.251.192.0/23", "origin", "igp")
        assert wait_for(lambda: stats.read >= 2), "ExaBGP did not deliver the legitimate route"
        assert sink.alerts == []
        gobgp("global", "rib", "add", "205.251.193.0/24", "aspath", "10297")
        assert wait_for(lambda: any(a.status == "firing" for a in sink.alerts)), "no alert for the hijack"
        firing = [a for a in sink.alerts if a.status == "firing"]
        assert [(a.labels["alertname"], a.labels["announced"], a.labels["origin_as"]) for a in firing] == [
            ("BgpSubPrefixHijack", "205.251.193.0/24", "AS10297")]
        gobgp("global", "rib", "del", "205.251.193.0/24")
        assert wait_for(lambda: any(a.status == "resolved" for a in sink.alerts)), "the withdrawal did not resolve it"
        assert stats.malformed == 0
    finally:
        stop.set()
        thread.join(10)
