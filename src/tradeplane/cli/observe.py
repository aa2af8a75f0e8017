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
    json: bool = JsonOpt,
) -> None:
    """The SLOs, their error budgets and alert windows."""
    from rich.table import Table

    from tradeplane import estate as est
    from tradeplane import observe

    rows = observe.slo_table(observe.compile_standard(est.load(path)))
    if json:
        print_json(rows)
        return
    table = Table("SLO", "owner", "objective", "window", "budget", "page / ticket (burn x, long/short)", "calendar")
    for r in rows:
        alerts = "; ".join(f"{a['severity']} {a['burn_rate']:g}x {a['long']}/{a['short']}" for a in r["alerts"])
        table.add_row(r["slo"], f"{r['desk']}/{r['team']}", f"{r['objective']:g}%", f"{r['window_days']}d",
                      f"{r['budget_minutes']:,.1f} min", alerts, ", ".join(r["calendar"]) or "24x7")
    console.print(table)


@app.command()
def lint(
    source: str = typer.Argument(..., help="a /metrics URL or a scrape file", show_default=False),
    estate: Path | None = typer.Option(None, "--estate", help="estate whose services and metrics to check against"),
    json: bool = JsonOpt,
) -> None:
    """Report every metric breaking the standard; exit 1 when any does, 2 when unreachable or malformed."""
    from tradeplane import estate as est
    from tradeplane import observe

    e = est.load(estate) if estate is not None else None
    findings = observe.lint_text(observe.fetch(source), e, source)
    if json:
        print_json([{"metric": f.metric, "rule": f.rule, "message": f.message} for f in findings])
    else:
        for f in findings:
            err_console.print(f.render(), markup=False, highlight=False)
        if not findings:
            console.print(f"ok {source} follows the standard")
    if findings:
        raise typer.Exit(1)
