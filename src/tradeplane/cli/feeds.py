"""`tradeplane feeds ...`: run the market-data gateway, watch its health, run the venue simulator."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import typer
from rich.live import Live
from rich.table import Table as RichTable
from typer.core import TyperCommand

from tradeplane.cli.output import Table, console, print_json

app = typer.Typer(no_args_is_help=True, help="Redundant WebSocket market-data feeds: run, status, simulate, replay.")


def _age(ms: float) -> str:
    """850 ms, 4.2 s, 3 min 5 s, 2 h 10 min."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    s = ms / 1000
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60)} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60)} min"


def _price(r: dict[str, Any], side: str) -> str:
    """A live stream's best price in the instrument's units; nothing for a stream that is not live (its
    book is the last it had, as old as its state: shown in the state column)."""
    if r["state"] != "live" or r.get(f"best_{side}") is None:
        return ""
    text = r.get(f"best_{side}_price")
    return str(text) if text is not None else f"{r[f'best_{side}']} ticks"  # a gateway before prices in text


def _tables(status: dict[str, Any]) -> RichTable:
    outer = RichTable.grid()  # a layout of tables, not a table of values
    s = Table(title="streams", title_justify="left")
    for col in ("stream", "state", "arbitration", "events", "gaps", "resyncs", "checksum fails", "bid", "ask"):
        s.add_column(col, justify="right" if col in ("events", "gaps", "resyncs", "checksum fails", "bid", "ask") else "left")
    colours = {"live": "green", "syncing": "yellow", "resyncing": "yellow", "stale": "red", "down": "red"}
    for r in status["streams"]:
        st = r["state"]
        age = r.get("state_for_ms")
        shown = st if st == "live" or age is None else f"{st} {_age(age)}"
        s.add_row(r["stream"], f"[{colours.get(st, 'white')}]{shown}[/]", r["mode"], str(r["delivered"]), str(r["gaps"]),
                  str(r["resyncs"]), str(r["checksum_failures"]), _price(r, "bid"), _price(r, "ask"))
    legs = Table(title="legs", title_justify="left")
    for col in ("leg", "state", "messages", "bytes", "wins", "reconnects", "silent ms", "stale bound ms"):
        legs.add_column(col, justify="left" if col in ("leg", "state") else "right")
    for r in status["legs"]:
        st = r["state"]
        silent = "" if r["silent_ms"] is None else f"{r['silent_ms']:.0f}"
        legs.add_row(r["leg"], f"[{colours.get(st, 'white')}]{st}[/]", str(r["messages"]), str(r["bytes"]),
                     str(r["wins"]), str(r["reconnects"]), silent, f"{r['stale_bound_ms']:.0f}")
    outer.add_row(s)
    outer.add_row(legs)
    notes = sorted({f"{r['stream']}: {r['note']}" for r in status["streams"] if r.get("note")})
    if notes:
        n = Table(title="arbitration notes (streams without usable sequence numbers)", title_justify="left", show_header=False)
        n.add_column("note")
        for line in notes:
            n.add_row(line)
        outer.add_row(n)
    return outer


def _above_zero(value: float) -> float:
    """--rate, --interval: a number above 0 (one line naming the option and value, exit 2)."""
    if not value > 0:  # also NaN
        raise typer.BadParameter(f"{value:g} is not above 0")
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value:g} is not a finite number")
    return value


def _not_negative(value: float) -> float:
    """--duration, --steps: 0 (no limit) or more."""
    if not value >= 0:  # also NaN
        raise typer.BadParameter(f"{value:g} is below 0 (0: no limit)")
    return value


def _port(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 65535:
        raise typer.BadParameter(f"{value} is not a TCP port (0 to 65535; 0 picks a free one)")
    return value


@app.command()
def run(
    config: Path = typer.Argument(..., help="feeds YAML (venues, symbols, channels, legs, sinks)"),
    duration: float = typer.Option(0.0, callback=_not_negative,
                                   help="stop after this many seconds (0: until Ctrl-C / SIGTERM)"),
    port: int | None = typer.Option(None, callback=_port, help="override metrics.port (0 picks a free port)"),
    as_json: bool = typer.Option(False, "--json", help="print the final status as JSON"),
    incidents: str = typer.Option(None, "--incidents", help="post feed-health alerts to this incidents intake URL"),
    incidents_token: str = typer.Option(None, "--incidents-token", envvar="TRADEPLANE_INTAKE_TOKEN",
                                        help="bearer token for --incidents"),
) -> None:
    """Run the gateway: legs -> arbitration -> validated books -> sinks; /metrics and /status over HTTP."""
    from tradeplane.feeds.runner import json_logging, run_gateway, run_loop

    json_logging()
    status = run_loop(run_gateway(config, duration=duration or None, port=port,
                                  incidents=incidents, incidents_token=incidents_token))
    if as_json:
        print_json(status)
    else:
        console.print(_tables(status))


@app.command()
def status(
    url: str = typer.Option("http://127.0.0.1:9464", help="the gateway's metrics address"),
    watch: bool = typer.Option(False, "--watch", help="keep refreshing until Ctrl-C: a live table, or with "
                               "--json one JSON line per refresh"),
    interval: float = typer.Option(1.0, callback=_above_zero, help="seconds between refreshes with --watch"),
    as_json: bool = typer.Option(False, "--json", help="print the status as JSON (prices in ticks and as text)"),
) -> None:
    """Show the state of every stream and leg of a running gateway (prices in the instruments' units)."""
    from tradeplane.feeds.runner import fetch_status

    data = fetch_status(url)
    if as_json and not watch:
        print_json(data)
        return
    if not watch:
        console.print(_tables(data))
        return
    if as_json:  # JSON lines: one compact, sorted object per refresh, flushed as it comes
        try:
            while True:
                console.file.write(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n")
                console.file.flush()
                time.sleep(interval)
                data = fetch_status(url)
        except KeyboardInterrupt:
            return
    with Live(_tables(data), console=console, refresh_per_second=4) as live:
        try:
            while True:
                time.sleep(interval)
                live.update(_tables(fetch_status(url)))
        except KeyboardInterrupt:
            pass


class _SimulateCommand(TyperCommand):
    """``feeds simulate``: the --fault help is the simulator's own list of faults (``FAULTS``), read when the
    help is shown (importing the simulator when the CLI starts would load websockets)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from tradeplane.feeds.sim.faults import FAULT_SYNTAX, fault_help

        for p in self.params:
            if p.name == "fault":
                p.help = (f"{FAULT_SYNTAX} on the config's leg named ENDPOINT, at AT_S seconds, for DURATION_S "  # type: ignore[attr-defined]
                          f"(0: to the end); repeatable. KIND: {fault_help()}")
        super().format_help(ctx, formatter)


@app.command(cls=_SimulateCommand)
def simulate(
    config: Path = typer.Argument(..., help="the feeds YAML whose loopback leg URLs the simulator serves"),
    rate: float = typer.Option(50.0, callback=_above_zero,
                               help="market steps per second (each step: book update, maybe trade/BBO)"),
    steps: int = typer.Option(0, callback=_not_negative, help="stop the market after this many steps (0: run on)"),
    seed: int = typer.Option(1, help="market seed (same seed, same market)"),
    fault: list[str] = typer.Option([], help="(filled from the simulator's fault registry: _SimulateCommand)"),
    duration: float = typer.Option(0.0, callback=_not_negative, help="stop after this many seconds (0: until Ctrl-C)"),
    replay_dir: Path | None = typer.Option(None, "--replay", help="replay this Parquet recording instead of "
                                           "generating a market (same venues, symbols, ticks as recorded)"),
    as_json: bool = typer.Option(False, "--json", help="print what was sent as JSON at exit"),
) -> None:
    """Serve each venue's real protocol on 127.0.0.1 (WebSocket + REST snapshot): a generated or recorded market."""
    from tradeplane.feeds.runner import json_logging, run_loop, run_simulator

    json_logging()
    out = run_loop(run_simulator(config, rate_hz=rate, steps=steps or None, seed=seed, faults=fault,
                                 duration=duration or None, recording=replay_dir))
    if as_json:
        print_json(out)
    else:
        console.print(f"simulated {out['steps']} steps; messages sent: "
                      + ", ".join(f"{k}={v}" for k, v in sorted(out["sent"].items())))


@app.command()
def replay(
    directory: Path = typer.Argument(..., help="a Parquet recording directory (md-*.parquet)"),
    as_json: bool = typer.Option(False, "--json", help="print the counts as JSON"),
) -> None:
    """Summarise a recording: events per venue, channel and symbol, and the gaps it holds."""
    from tradeplane.feeds.sinks.parquet import summarise

    summary = summarise(directory)
    rows, gaps = summary["streams"], summary["gaps"]
    if as_json:
        print_json(summary)
        return
    t = Table(title=f"recording {directory}", title_justify="left")
    for col in ("venue", "channel", "symbol", "events"):
        t.add_column(col, justify="right" if col == "events" else "left")
    for r in rows:
        t.add_row(str(r["venue"]), str(r["channel"]), str(r["symbol"]), str(r["events"]))
    console.print(t)
    console.print(f"{len(gaps)} gap(s)")
