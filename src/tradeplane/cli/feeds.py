"""`tradeplane feeds ...`: run the market-data gateway, watch its health, run the venue simulator."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.live import Live
from rich.table import Table as RichTable

from tradeplane.cli.output import Table, console, print_json

app = typer.Typer(no_args_is_help=True, help="Redundant WebSocket market-data feeds: run, status, simulate, replay.")


def _tables(status: dict[str, Any]) -> RichTable:
    outer = RichTable.grid()  # a layout of tables, not a table of values
    s = Table(title="streams", title_justify="left")
    for col in ("stream", "state", "arbitration", "events", "gaps", "resyncs", "checksum fails", "bid", "ask"):
        s.add_column(col, justify="right" if col in ("events", "gaps", "resyncs", "checksum fails", "bid", "ask") else "left")
    colours = {"live": "green", "syncing": "yellow", "resyncing": "yellow", "stale": "red", "down": "red"}
    for r in status["streams"]:
        st = r["state"]
        s.add_row(r["stream"], f"[{colours.get(st, 'white')}]{st}[/]", r["mode"], str(r["delivered"]), str(r["gaps"]),
                  str(r["resyncs"]), str(r["checksum_failures"]), str(r["best_bid"] or ""), str(r["best_ask"] or ""))
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


@app.command()
def run(
    config: Path = typer.Argument(..., help="feeds YAML (venues, symbols, channels, legs, sinks)"),
    duration: float = typer.Option(0.0, help="stop after this many seconds (0: until Ctrl-C / SIGTERM)"),
    port: int = typer.Option(-1, help="override metrics.port (0 picks a free port)"),
    as_json: bool = typer.Option(False, "--json", help="print the final status as JSON"),
    incidents: str = typer.Option(None, "--incidents", help="post feed-health alerts to this incidents intake URL"),
    incidents_token: str = typer.Option(None, "--incidents-token", envvar="TRADEPLANE_INTAKE_TOKEN",
                                        help="bearer token for --incidents"),
) -> None:
    """Run the gateway: legs -> arbitration -> validated books -> sinks; /metrics and /status over HTTP."""
    from tradeplane.feeds.runner import json_logging, run_gateway, run_loop

    json_logging()
    status = run_loop(run_gateway(config, duration=duration or None, port=None if port < 0 else port,
                                  incidents=incidents, incidents_token=incidents_token))
    if as_json:
        print_json(status)
    else:
        console.print(_tables(status))


@app.command()
def status(
    url: str = typer.Option("http://127.0.0.1:9464", help="the gateway's metrics address"),
    watch: bool = typer.Option(False, "--watch", help="keep refreshing (a live table) until Ctrl-C"),
    interval: float = typer.Option(1.0, help="refresh interval with --watch"),
    as_json: bool = typer.Option(False, "--json", help="print the status as JSON"),
) -> None:
    """Show the state of every stream and leg of a running gateway."""
    from tradeplane.feeds.runner import fetch_status

    data = fetch_status(url)
    if as_json:
        print_json(data)
        return
    if not watch:
        console.print(_tables(data))
        return
    with Live(_tables(data), console=console, refresh_per_second=4) as live:
        try:
            while True:
                time.sleep(interval)
                live.update(_tables(fetch_status(url)))
        except KeyboardInterrupt:
            pass


@app.command()
def simulate(
    config: Path = typer.Argument(..., help="the feeds YAML whose loopback leg URLs the simulator serves"),
    rate: float = typer.Option(50.0, help="market steps per second (each step: book update, maybe trade/BBO)"),
    steps: int = typer.Option(0, help="stop the market after this many steps (0: run on)"),
    seed: int = typer.Option(1, help="market seed (same seed, same market)"),
    fault: list[str] = typer.Option([], help="ENDPOINT:KIND:AT_S[:DURATION_S[:VALUE]], KIND in close, stall, "
                                    "drop, duplicate, reorder, corrupt, burst; repeatable"),
    duration: float = typer.Option(0.0, help="stop after this many seconds (0: until Ctrl-C)"),
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
