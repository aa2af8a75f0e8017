"""The feeds commands' fresh-clone trial findings (session 9): prices in the instrument's units in
`feeds status`, bad `feeds simulate` / `feeds run` / `feeds status` options refused in one line with exit 2
before anything starts, one fault registry, one recording-directory check."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest

import tradeplane.cli.feeds as feeds_cli
import tradeplane.feeds.runner as runner
from tradeplane.cli import main
from tradeplane.errors import InputError
from tradeplane.feeds.endpoint import StatusEndpoint
from tradeplane.feeds.gateway import Gateway, LegSpec, VenueSpec
from tradeplane.feeds.health import State
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.sim.faults import FAULT_KINDS, FAULTS, FaultPlan
from tradeplane.feeds.sim.server import ExchangeSimulator
from tradeplane.feeds.sinks.parquet import recorded_files

DOCS = Path(__file__).parents[2] / "docs" / "feeds.md"
CONFIG = """venues:
  - venue: binance
    symbols: [{symbol: BTCUSDT, tick: "0.01", lot: "0.00001"}]
    channels: [book, trades]
    legs:
      - {name: a, url: "ws://127.0.0.1:1/stream", rest: "http://127.0.0.1:1"}
      - {name: b, url: "ws://127.0.0.1:2/stream", rest: "http://127.0.0.1:2"}
"""


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def error_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def config(tmp_path):
    p = tmp_path / "feeds.yaml"
    p.write_text(CONFIG)
    return p


@pytest.fixture
def nothing_starts(monkeypatch):
    """A command refused for its input must not open a port: the simulator's and the gateway's servers
    fail the test if started; the event loop runs (the config-dependent checks are made inside it)."""
    def refuse(*_a, **_k):
        raise AssertionError("started despite a bad input")

    monkeypatch.setattr(ExchangeSimulator, "start", refuse)
    monkeypatch.setattr(StatusEndpoint, "start", refuse)
    monkeypatch.setattr(runner, "run_loop", asyncio.run)


# ------------------------------------------------------------------ 1. status: prices, units, staleness


def _gateway_status(down: bool) -> dict:
    spec = VenueSpec("binance", (Instrument("binance", "BTCUSDT", "0.01", "0.00001"),), ("book", "trades"),
                     (LegSpec("a", "ws://127.0.0.1:1/stream", "http://127.0.0.1:1"),))
    gw = Gateway([spec])
    st = gw.venues["binance"].streams[("book", "BTCUSDT")]
    st.book.load([(1_000_008, 5)], [(1_000_009, 7)])
    st._set(State.LIVE, time.time_ns() - 3_000_000_000, "first message")
    if down:
        st.legs_down(time.time_ns() - 4_200_000_000)
    return gw.status()


def test_status_json_keeps_ticks_and_adds_exact_prices_and_their_unit():
    s = next(r for r in _gateway_status(down=False)["streams"] if r["stream"] == "binance/book/BTCUSDT")
    assert s["best_bid"] == 1_000_008 and s["best_ask"] == 1_000_009  # ticks, as before (the console reads them)
    assert s["tick"] == "0.01"
    assert s["best_bid_price"] == "10000.08" and s["best_ask_price"] == "10000.09"
    assert s["state_for_ms"] >= 3000
    trades = next(r for r in _gateway_status(down=False)["streams"] if r["stream"] == "binance/trades/BTCUSDT")
    assert trades["best_bid"] is None and trades["best_bid_price"] is None


def test_status_table_shows_prices_in_the_instruments_units(monkeypatch, capsys):
    status = _gateway_status(down=False)
    monkeypatch.setattr(runner, "fetch_status", lambda url: status)
    monkeypatch.setattr(feeds_cli.console, "width", 160)
    rc, out, _ = run_cli(capsys, "feeds", "status")
    assert rc == 0
    row = next(ln for ln in out.splitlines() if "binance/book/BTCUSDT" in ln)
    assert "10000.08" in row and "10000.09" in row and "1000008" not in row


def test_status_table_shows_no_price_for_a_stream_that_is_down_but_its_age(monkeypatch, capsys):
    status = _gateway_status(down=True)
    monkeypatch.setattr(runner, "fetch_status", lambda url: status)
    monkeypatch.setattr(feeds_cli.console, "width", 160)
    rc, out, _ = run_cli(capsys, "feeds", "status")
    assert rc == 0
    row = next(ln for ln in out.splitlines() if "binance/book/BTCUSDT" in ln)
    assert "10000.0" not in row and "1000008" not in row
    assert re.search(r"down \d+\.\d s", row), row
    # JSON still says what the book last had, and since when it is not live
    s = next(r for r in status["streams"] if r["stream"] == "binance/book/BTCUSDT")
    assert s["state"] == "down" and s["best_bid_price"] == "10000.08" and s["state_for_ms"] >= 4200


def test_status_watch_json_streams_one_json_line_per_refresh(monkeypatch, capsys):
    pictures = iter([_gateway_status(down=False), _gateway_status(down=True), _gateway_status(down=True)])
    monkeypatch.setattr(runner, "fetch_status", lambda url: next(pictures))
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(feeds_cli.time, "sleep", sleep)
    rc, out, _ = run_cli(capsys, "feeds", "status", "--watch", "--json", "--interval", "0.5")
    assert rc == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2 and sleeps == [0.5, 0.5]
    states = [next(s["state"] for s in json.loads(ln)["streams"] if s["stream"] == "binance/book/BTCUSDT")
              for ln in lines]
    assert states == ["live", "down"]


@pytest.mark.parametrize("interval", ["0", "-1", "nan"])
def test_status_interval_must_be_above_zero(monkeypatch, capsys, interval):
    monkeypatch.setattr(runner, "fetch_status", lambda url: pytest.fail("fetched despite a bad --interval"))
    rc, _, err = run_cli(capsys, "feeds", "status", "--watch", "--interval", interval)
    assert rc == 2
    line = error_line(err)
    assert "--interval" in line and "is not above 0" in line


# ------------------------------------------------------------------ 2 and 5. bad numbers, bad faults


@pytest.mark.parametrize(("args", "option", "words"), [
    (["--fault", "z:close:1"], "--fault 'z:close:1'", "no endpoint 'z' in the config (its leg names: a, b)"),
    (["--fault", "a:close:-1"], "--fault 'a:close:-1'", "0 or more"),
    (["--fault", "a:close:1:-2"], "--fault 'a:close:1:-2'", "0 or more"),
    (["--fault", "a:close:inf"], "--fault 'a:close:inf'", "finite"),
    (["--fault", "a:drop:1:0:2"], "--fault 'a:drop:1:0:2'", "must be 0 to 1"),
    (["--fault", "a:drop:1:0:-0.5"], "--fault 'a:drop:1:0:-0.5'", "must be 0 to 1"),
    (["--fault", "a:corrupt:1:0:1.5"], "--fault 'a:corrupt:1:0:1.5'", "whole number"),
    (["--fault", "a:stall:1:0:3"], "--fault 'a:stall:1:0:3'", "stall takes no VALUE"),
    (["--fault", "a:close:1:2:3:4"], "--fault 'a:close:1:2:3:4'", "expected ENDPOINT:KIND"),
    (["--fault", "a:explode:1"], "--fault 'a:explode:1'", "KIND one of"),
    (["--rate", "0"], "'--rate'", "0 is not above 0"),
    (["--rate", "-5"], "'--rate'", "-5 is not above 0"),
    (["--rate", "inf"], "'--rate'", "inf is not a finite number"),
    (["--steps", "-1"], "'--steps'", "-1 is below 0"),
    (["--duration", "-1"], "'--duration'", "-1 is below 0"),
])
def test_bad_simulate_input_is_one_line_and_exit_2_before_anything_starts(config, capsys, nothing_starts, args,
                                                                          option, words):
    rc, out, err = run_cli(capsys, "feeds", "simulate", str(config), *args)
    assert rc == 2, out + err
    line = error_line(err)
    assert option in line and words in line, line


def test_a_good_fault_still_parses_and_defaults_come_from_the_registry():
    p = FaultPlan.parse("a:drop:1.5:2", {"a", "b"})
    assert (p.endpoint, p.kind, p.at_s, p.duration_s, p.value) == ("a", "drop", 1.5, 2.0, 0.0)
    assert FaultPlan.parse("b:delay:0:0:35").value == 35.0
    assert FAULTS["drop"].default == 0.05


@pytest.mark.parametrize(("args", "words"), [
    (["--duration", "-1"], "'--duration': -1 is below 0"),
    (["--duration", "nan"], "'--duration': nan is below 0"),
    (["--port", "70000"], "'--port': 70000 is not a TCP port"),
    (["--port", "-5"], "'--port': -5 is not a TCP port"),
])
def test_bad_run_numbers_are_one_line_and_exit_2(config, capsys, nothing_starts, args, words):
    rc, _, err = run_cli(capsys, "feeds", "run", str(config), *args)
    assert rc == 2
    assert words in error_line(err)


def test_one_list_of_fault_kinds_for_help_errors_docs_and_the_simulator(capsys):
    assert tuple(FAULTS) == FAULT_KINDS
    rc, out, _ = run_cli(capsys, "feeds", "simulate", "--help")
    assert rc == 0
    flat = " ".join(out.replace("│", " ").split())
    for kind in FAULT_KINDS:
        assert f"{kind}:" in flat, kind
    with pytest.raises(InputError) as exc:
        FaultPlan.parse("a:nope:1")
    assert f"KIND one of {', '.join(FAULT_KINDS)}" in str(exc.value)
    docs = DOCS.read_text()
    table = docs[docs.index("| fault | what it does |"):]
    table = table[:table.index("\n\n")]
    assert re.findall(r"^\| `([a-z]+)` \|", table, re.M) == list(FAULT_KINDS)


async def test_the_simulator_applies_every_kind_in_the_registry():
    inst = Instrument("binance", "BTCUSDT", "0.01", "0.00001")
    sim = ExchangeSimulator({"binance": [inst]}, ["a"], rate_hz=1)
    f = sim.faults("binance", "a")
    venue = sim.venues["binance"]
    seen = {
        "close": lambda: f.refuse, "stall": lambda: f.stalled, "drop": lambda: f.drop == 0.05,
        "duplicate": lambda: f.duplicate == 0.05, "reorder": lambda: f.reorder == 0.05,
        "corrupt": lambda: f.corrupt == 1, "burst": lambda: sim.burst == 10.0, "delay": lambda: f.delay_s == 0.02,
        "nosnapshot": lambda: f.no_snapshot, "restart": lambda: venue.symbols["BTCUSDT"].seq == 1,
        "zerochecksum": lambda: venue.zero_checksum,
    }
    assert set(seen) == set(FAULT_KINDS)
    for kind in FAULT_KINDS:
        sim.schedule(FaultPlan.parse(f"a:{kind}:0:{'5' if kind in ('close', 'restart') else '0'}"))
    await asyncio.sleep(0.05)
    try:
        assert {k: check() for k, check in seen.items()} == dict.fromkeys(FAULT_KINDS, True)
    finally:
        await sim.stop()


# ------------------------------------------------------------------ 4. one recording-directory check


@pytest.mark.parametrize(("make", "words"), [
    (lambda d: d / "missing", "no such recording directory"),
    (lambda d: (d / "a-file").write_text("x") and d / "a-file", "not a directory"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "no recording files in it"),
])
@pytest.mark.parametrize("command", ["replay", "simulate"])
def test_replay_and_simulate_replay_refuse_the_same_directories_alike(tmp_path, config, capsys, nothing_starts,
                                                                      make, words, command):
    target = make(tmp_path)
    if command == "replay":
        rc, out, err = run_cli(capsys, "feeds", "replay", str(target))
    else:
        rc, out, err = run_cli(capsys, "feeds", "simulate", str(config), "--replay", str(target))
    assert rc == 2 and out == ""
    line = error_line(err)
    assert str(target) in line and words in line, line
    with pytest.raises(InputError, match=words):
        recorded_files(target)
