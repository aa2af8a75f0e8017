"""`tradeplane observe render|lint|slo`: the observability standard, compiled and checked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer

from tradeplane.cli.output import console, err_console, print_json

app = typer.Typer(no_args_is_help=True, help="The firm's metric, SLO and alerting standard: render, lint, SLOs.")

JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")


def _start(day: str | None) -> datetime:
    from tradeplane.errors import InputError

    if day is None:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    except ValueError:
        raise InputError(f"--from {day!r}: give a date YYYY-MM-DD") from None


def _fit(width: int, headers: list[str], rows: list[list[str]], grow: tuple[int, ...]) -> list[int]:
    """Column widths of a table whose first column (the key) is never cut: every column gets its
    longest word ("desk/team" counts as two), the first its longest cell; the room left up to
    ``width`` goes to the columns of ``grow`` in that order, each up to its longest cell. The sum
    (plus one space between columns) exceeds ``width`` only when the longest words do. Rich's own
    shrinking would cut words where wrapping fits, hence this."""
    columns = [[headers[i], *(row[i] for row in rows)] for i in range(len(headers))]
    widths = [max(len(c) for c in columns[0])]
    widths += [max(len(w) for c in col for w in c.replace("/", "/ ").split()) for col in columns[1:]]
    room = width - sum(widths) - (len(widths) - 1)
    for i in grow:
        more = min(max(room, 0), max(len(c) for c in columns[i]) - widths[i])
        widths[i] += more
        room -= more
    return widths


@app.command()
def render(
    path: Path = typer.Argument(..., help="estate directory (or one YAML file)", show_default=False),
    out: Path = typer.Option(..., "-o", "--out", help="output folder (created when missing; files of an earlier "
                             "render that this one no longer writes are removed, any other file is left alone)"),
    start: str | None = typer.Option(None, "--from", help="anchor of trading calendars (default: today, UTC)"),
) -> None:
    """Write Prometheus rules and tests, Alertmanager, Grafana and OpenTelemetry configs. Exit 2 on bad input."""
    from tradeplane import estate as est
    from tradeplane import observe
    from tradeplane.writing import check_dir

    check_dir(out)  # before any work: a file or an unwritable folder is one line, and nothing is touched
    files = observe.render(est.load(path), _start(start))
    observe.write(files, out)
    console.print(f"ok {len(files)} files in {out}")


@app.command()
def slo(
    path: Path = typer.Argument(..., help="estate directory (or one YAML file)", show_default=False),
    start: str | None = typer.Option(None, "--from", help="budgets over the window ending at the start of this "
                                     "day, UTC (default: today)"),
    json: bool = JsonOpt,
) -> None:
    """The SLOs, their error budgets (over the time the rules count) and alert windows."""
    from rich import box
    from rich.console import Console

    from tradeplane import estate as est
    from tradeplane import observe
    from tradeplane.cli.output import Table

    end = _start(start)
    rows = observe.slo_table(observe.compile_standard(est.load(path)), end)
    if json:
        print_json(rows)
        return
    if not rows:
        console.print(f"no SLOs in {path}: declare them under observability.slos (docs/observe.md)", soft_wrap=True)
        return
    cells = []
    for r in rows:
        counted, whole = r["counted_minutes"] / 60, r["window_days"] * 24
        hours = f"{whole:,} h" if counted == whole else f"{counted:,.4g} h of {whole:,}"
        n = len(r["maintenance"])
        calendar = [*r["calendar_venues"], *([f"{n} maintenance window{'s' if n > 1 else ''}"] if n else [])]
        cells.append([r["slo"], f"{r['desk']}/{r['team']}", f"{r['objective']:g}% {r['window_days']}d",
                      r["budget"], f"{hours} ({', '.join(calendar) or '24x7'})"])
    headers = ["SLO", "owner", "target", "budget", "counted"]
    widths = _fit(console.width, headers, cells, grow=(3, 2, 4, 1))
    if widths[1] < max(len(row[1]) for row in cells):
        for row in cells:  # let desk/team wrap after the slash
            row[1] = row[1].replace("/", "/ ", 1)
    table = Table(*headers, title=f"SLOs: budgets over each window to {end:%Y-%m-%d %H:%M} UTC",
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=0)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    table.columns[0].no_wrap = True
    for row in cells:
        table.add_row(*row)
    need = sum(widths) + len(widths) - 1
    (console if need <= console.width else Console(width=need, highlight=False, emoji=False)).print(table)
    windows: dict[tuple[int, tuple[str, ...], float], str] = {}
    for r in rows:
        counted = r["factor_counted_minutes"]
        trading = tuple(r["calendar_venues"]) if counted != r["window_days"] * 1440 else ()
        windows.setdefault((r["window_days"], trading, counted), ", ".join(
            f"{a['severity']} {a['burn_rate']:g}x {a['long']}/{a['short']}" for a in r["alerts"]))
    for (days, trading, counted), alerts in sorted(windows.items()):
        hours = f" on {', '.join(trading)} hours, {counted / 60:,.4g} h counted" if trading else ""
        console.print(f"alerts of {days}d SLOs{hours} (burn rate, long/short window): {alerts}")
    console.print("budget: a time SLO in minutes of counted time; a ratio or latency SLO as a share of its events.")


@app.command()
def lint(
    source: str = typer.Argument(..., help="a /metrics URL or a scrape file", show_default=False),
    estate: Path | None = typer.Option(None, "--estate", help="estate whose services and metrics to check against"),
    json: bool = JsonOpt,
) -> None:
    """Report every metric breaking the standard (Prometheus text or OpenMetrics); exit 1 when any does,
    2 when unreachable, malformed or empty (nothing scraped)."""
    from tradeplane import estate as est
    from tradeplane import observe

    e = est.load(estate) if estate is not None else None
    findings = observe.lint_text(observe.fetch(source), e, source)
    if json:
        print_json([{"metric": f.metric, "rule": f.rule, "message": f.message} for f in findings])
    else:
        for f in findings:
            err_console.print(f.render(), markup=False, highlight=False, soft_wrap=True)
        if not findings:
            console.print(f"ok {source} follows the standard")
    if findings:
        raise typer.Exit(1)
