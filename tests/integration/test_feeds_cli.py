"""The commands end to end: simulate + run + status (+ /metrics) + replay, offline on loopback."""

import asyncio
import contextlib
import json
import socket
import urllib.request

import pytest

from tradeplane.cli import main
from tradeplane.feeds.runner import fetch_status, run_gateway, run_simulator

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path, metrics_port):
    p = [free_port() for _ in range(4)]
    text = f"""
metrics: {{host: 127.0.0.1, port: {metrics_port}}}
stale: {{k: 20, floor_ms: 300, ceiling_ms: 5000}}
sinks:
  parquet: {{dir: rec, rotate_rows: 500}}
venues:
  - venue: binance
    symbols: [{{symbol: BTCUSDT, tick: "0.01", lot: "0.00001"}}]
    channels: [book, trades]
    legs:
      - {{name: a, url: "ws://127.0.0.1:{p[0]}/stream", rest: "http://127.0.0.1:{p[0]}"}}
      - {{name: b, url: "ws://127.0.0.1:{p[1]}/stream", rest: "http://127.0.0.1:{p[1]}", source: 127.0.0.1}}
  - venue: kraken
    symbols: [{{symbol: BTC/USD, tick: "0.1", lot: "0.00000001"}}]
    legs:
      - {{name: a, url: "ws://127.0.0.1:{p[2]}/v2"}}
      - {{name: b, url: "ws://127.0.0.1:{p[3]}/v2"}}
"""
    path = tmp_path / "feeds.yaml"
    path.write_text(text)
    return path


async def test_simulate_run_status_metrics_replay(tmp_path, capsys):
    mport = free_port()
    cfg = write_config(tmp_path, mport)
    # the simulator outlives the gateway (stopped below once the gateway has reported), however long the
    # gateway takes to start on a busy machine: its final status must see a venue that is still up
    sim = asyncio.create_task(run_simulator(cfg, rate_hz=200, duration=60, faults=["a:close:1.5:0.3"]))
    await asyncio.sleep(0.3)
    gw = asyncio.create_task(run_gateway(cfg, duration=3.5))
    await asyncio.sleep(2.5)
    url = f"http://127.0.0.1:{mport}"
    status = await asyncio.to_thread(fetch_status, url)
    metrics = (await asyncio.to_thread(lambda: urllib.request.urlopen(url + "/metrics", timeout=5).read())).decode()
    final = await gw
    sim.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sim
    states = {s["stream"]: s["state"] for s in final["streams"]}
    assert states["binance/book/BTCUSDT"] == "live" and states["kraken/book/BTC/USD"] == "live"
    assert {lg["leg"] for lg in status["legs"]} == {"binance/a", "binance/b", "kraken/a", "kraken/b"}
    assert all(s["gaps"] == 0 for s in final["streams"])
    for name in ("feeds_messages_total", "feeds_leg_wins_total", "feeds_gaps_total", "feeds_resyncs_total",
                 "feeds_checksum_failures_total", "feeds_reconnects_total", "feeds_leg_staleness_seconds",
                 "feeds_exchange_to_receive_seconds_bucket", "feeds_arbitration_lead_seconds",
                 "feeds_stale_bound_seconds"):
        assert name in metrics
    assert 'feeds_reconnects_total{leg="a",venue="binance"}' in metrics
    capsys.readouterr()
    assert main(["feeds", "replay", str(tmp_path / "rec"), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert any(r["channel"] == "book" and r["events"] > 100 for r in rec["streams"]) and rec["gaps"] == []


def test_config_errors_name_file_line_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("venues:\n  - venue: binanse\n    symbols: [{symbol: X, tick: '0.01', lot: '1'}]\n")
    assert main(["feeds", "run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2" in err and "unknown venue 'binanse'" in err and "venues[0].venue" in err
    assert main(["feeds", "run", str(tmp_path / "missing.yaml")]) == 2


def test_status_without_a_gateway_is_a_clear_error(capsys):
    assert main(["feeds", "status", "--url", f"http://127.0.0.1:{free_port()}"]) == 2
    assert "is `tradeplane feeds run CONFIG` running" in capsys.readouterr().err


def test_bad_fault_spec(tmp_path, capsys):
    cfg = write_config(tmp_path, 0)
    assert main(["feeds", "simulate", str(cfg), "--fault", "a:explode:1"]) == 2
    assert "KIND one of" in capsys.readouterr().err
