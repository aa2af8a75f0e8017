"""`tradeplane security check|bgp|chain`: key custody, perimeter, BGP hijack and reorg watch."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from tradeplane import estate as est
from tradeplane.cli.output import Table, console, err_console, print_json
from tradeplane.errors import InputError

if TYPE_CHECKING:
    from tradeplane.security.bgp.sources import SourceStats
    from tradeplane.security.chain.watch import ChainWatcher

app = typer.Typer(no_args_is_help=True, help="Crypto security: key custody, perimeter, BGP hijacks, chain reorgs.")
bgp_app = typer.Typer(no_args_is_help=True, help="BGP hijack watch over RIS Live, MRT or a live ExaBGP session.")
chain_app = typer.Typer(no_args_is_help=True, help="Chain reorganisation watch over several RPC endpoints.")
app.add_typer(bgp_app, name="bgp")
app.add_typer(chain_app, name="chain")

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
EstateArg = typer.Argument(..., help="estate directory", show_default=False)
JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")
IntakeOpt = typer.Option(None, "--incidents", "--intake",
                         help="POST alerts (Alertmanager webhook v4) to this incidents intake URL; default stdout")
TokenOpt = typer.Option(None, "--token", envvar="TRADEPLANE_INTAKE_TOKEN", help="bearer token for --intake")


def _sink(intake: str | None, token: str | None):  # type: ignore[no-untyped-def]
    from tradeplane.security import JsonLinesSink, WebhookSink

    return WebhookSink(intake, token) if intake else JsonLinesSink()


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError.single(f"--as-of {text!r} is not a date", hint="write it as YYYY-MM-DD") from None


@app.command()
def check(path: Path = EstateArg,
          keys: Path | None = typer.Option(None, "--keys", help="key inventory YAML (creation dates, desks)"),
          as_of: str | None = typer.Option(None, "--as-of", help="judge key ages on this date (default today)"),
          strict: bool = typer.Option(False, "--strict", help="exit 1 when a finding blocks an apply"),
          json: bool = JsonOpt) -> None:
    """Key custody and the DDoS perimeter, on the estate and its rendered Terraform."""
    from tradeplane import terraform
    from tradeplane.plan import security_review
    from tradeplane.security import load_inventory

    e = est.load(path)
    inventory = load_inventory(keys) if keys else None
    judged = _date(as_of) or (date.today() if inventory else None)
    report = security_review(e, terraform.render(e), inventory, judged)
    if json:
        print_json(report.to_json())
    else:
        findings = report.sorted()
        console.print(f"[bold]security check {e.name}[/]: {len(report.passed)} rules hold, "
                      f"{len(findings)} finding(s), {len(report.blocking)} blocking")
        for f in findings:
            console.print(f"[{SEVERITY_STYLE.get(f.severity, 'default')}]{f.severity.upper()}[/] "
                          + escape(f"[{f.rule}] {f.subject}: {f.title}"), soft_wrap=True, highlight=False)
            for line in (f.detail, f"fix: {f.fix}" + (f" at {f.location}" if f.location else "") if f.fix else ""):
                if line:
                    console.print(f"  {line}", markup=False, soft_wrap=True)
            for line in f.trace[:8]:
                console.print(f"  trace: {line}", markup=False, soft_wrap=True)
    if strict and report.blocking:
        raise typer.Exit(1)


@bgp_app.command("replay")
def bgp_replay(path: Path = EstateArg,
               updates: Path = typer.Argument(..., help="RIS Live JSON lines, an MRT file, or ExaBGP JSON lines"),
               fmt: str | None = typer.Option(None, "--format", help="ris, mrt or exabgp (default: guessed)"),
               vrps: Path | None = typer.Option(None, "--vrps", help="RPKI VRPs (rpki-client / routinator JSON)"),
               json: bool = JsonOpt) -> None:
    """Replay recorded BGP updates through the watcher; print every alert that fired or resolved."""
    from tradeplane.security.bgp.run import replay

    if fmt not in (None, "ris", "mrt", "exabgp"):
        raise InputError.single(f"--format {fmt!r} is not one of ris, mrt, exabgp")
    result = replay(est.load(path), updates, fmt, vrps)  # type: ignore[arg-type]
    if json:
        print_json({"alerts": [a.to_dict() for a in result.alerts], "watched": result.watched, "format": result.format,
                    "read": result.source.read, "malformed": result.source.malformed,
                    "malformed_examples": result.source.examples, "notes": result.notes,
                    "updates": result.monitor.updates, "relevant": result.monitor.relevant})
        return
    console.print(f"[bold]bgp replay[/] {updates}: {result.source.read} messages, {result.monitor.relevant} "
                  f"announcements in watched space ({result.watched} prefixes), {len(result.alerts)} alert changes")
    rows = [(a, a.labels.get("announced", ""), a.labels.get("prefix", "")) for a in result.alerts]
    # The prefixes are what the rows are about: their columns are never cut or wrapped; the others give way
    # (the time wraps at its space, the alert name folds), and a table that still cannot fit is printed wider
    # than the terminal rather than cut.
    announced = max((len(r[1]) for r in rows), default=9)
    watched = max((len(r[2]) for r in rows), default=7)
    name = max((len(r[0].labels["alertname"].removeprefix("Bgp")) for r in rows), default=5)
    origin = max((len(r[0].labels.get("origin_as", "")) for r in rows), default=6)
    narrow = console.width < 19 + 8 + name + announced + origin + watched + 5  # the time then wraps at its space
    table = Table(box=None, padding=(0, 1), collapse_padding=True, pad_edge=False)
    table.add_column("time (UTC)", width=10 if narrow else 19)
    table.add_column("status", no_wrap=True, width=8)
    table.add_column("alert", overflow="fold", min_width=min(name, 15))
    table.add_column("announced", no_wrap=True, min_width=announced)
    table.add_column("origin", overflow="fold", min_width=min(origin, 8))
    table.add_column("watched", no_wrap=True, min_width=watched)
    for a, _, _ in rows:
        d = a.to_dict()
        when = (d["startsAt"] if a.status == "firing" else d["endsAt"])[:19].replace("T", " ")
        table.add_row(when, a.status, a.labels["alertname"].removeprefix("Bgp"), a.labels.get("announced", ""),
                      a.labels.get("origin_as", ""), a.labels.get("prefix", ""))
    if result.alerts:
        narrowest = 10 + 8 + 6 + announced + 6 + watched + 5
        console.print(table, width=max(console.width, narrowest), crop=False)
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    if result.source.malformed:
        err_console.print(f"{result.source.malformed} malformed message(s) skipped; first: "
                          f"{result.source.examples[0]}", markup=False, highlight=False, soft_wrap=True)


@bgp_app.command("watch")
def bgp_watch(path: Path = EstateArg,
              exabgp: str | None = typer.Option(None, "--exabgp", help="ExaBGP JSON API output: a file to follow, "
                                                "or - for stdin (run it as ExaBGP's process)"),
              ris: Path | None = typer.Option(None, "--ris", help="a RIS Live JSON-lines file to follow"),
              vrps: Path | None = typer.Option(None, "--vrps", help="RPKI VRPs (rpki-client / routinator JSON)"),
              intake: str | None = IntakeOpt, token: str | None = TokenOpt) -> None:
    """Watch a live BGP feed and send alerts (firing and resolved) as they change; Ctrl-C stops."""
    from tradeplane.security.bgp.run import watch

    if (exabgp is None) == (ris is None):
        raise InputError.single("give exactly one of --exabgp FILE|- or --ris FILE")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    source = Path(exabgp) if exabgp not in (None, "-") else (ris if ris else None)
    sink = _sink(intake, token)

    def garbage(stats: SourceStats, example: str) -> None:  # the 1st, 10th, 100th ... malformed message
        if len(str(stats.malformed).rstrip("0")) == 1 and str(stats.malformed)[0] == "1":
            err_console.print(f"bgp watch: {stats.malformed} of {stats.read} message(s) malformed so far; "
                              f"latest: {example}", markup=False, highlight=False, soft_wrap=True)

    try:
        with contextlib.suppress(KeyboardInterrupt):
            result = watch(est.load(path), source, "exabgp" if exabgp else "ris", sink, vrps, follow=True,
                           stop=stop.is_set, on_skip=garbage)
            if result.source.ended:
                err_console.print(f"bgp watch: the feed ended: {result.source.ended}; {result.source.read} "
                                  f"message(s) read, {result.source.malformed} malformed; BgpFeedLost raised, "
                                  "nothing is watched any more", markup=False, highlight=False, soft_wrap=True)
                raise typer.Exit(1)
    finally:
        getattr(sink, "close", lambda: None)()  # deliver what is queued


@chain_app.command("watch")
def chain_watch(path: Path = EstateArg,
                chain: list[str] = typer.Option([], "--chain", help="only these chains (repeat); default all"),
                poll: float = typer.Option(2.0, "--poll", min=0.05, max=3600, help="seconds between polls"),
                once: bool = typer.Option(False, "--once", help="poll every endpoint once and exit"),
                intake: str | None = IntakeOpt, token: str | None = TokenOpt) -> None:
    """Watch the estate's chains: reorgs, endpoint disagreement, finality; deposit events on stdout."""
    from tradeplane.security.chain.run import select_chains, watch_chains

    chains = select_chains(est.load(path), chain)
    stop = asyncio.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        watchers.extend(await watch_chains(chains, sink, poll, stop, once=once))

    sink = _sink(intake, token)
    watchers: list[ChainWatcher] = []
    try:
        asyncio.run(main())
    finally:
        getattr(sink, "close", lambda: None)()  # deliver what is queued
    blind = [w for w in watchers if w.blind]
    for w in blind:
        err_console.print(f"chain watch: {w.chain.name} is blind: all {len(w.states)} endpoint(s) down ("
                          + "; ".join(s.error or s.endpoint.name for s in w.states) + "); ChainBlind raised",
                          markup=False, highlight=False, soft_wrap=True)
    if blind:
        raise typer.Exit(1)
