"""`tradeplane plan ESTATE`: the main job, every analysis of the estate in one report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from tradeplane import collector
from tradeplane.cli._lazy import lazy
from tradeplane.cli.cost import render_estimate
from tradeplane.cli.estate import render_summary
from tradeplane.cli.net import render_report
from tradeplane.cli.output import Table, console, err_console, print_json
from tradeplane.cli.place import render_placement
from tradeplane.cli.terraform import render_counts
from tradeplane.errors import InputError
from tradeplane.plural import count
from tradeplane.writing import check_dir

if TYPE_CHECKING:
    from rich.progress import TaskID

    from tradeplane import estate as est
    from tradeplane import plan as planning
    from tradeplane import terraform
else:
    est = lazy("tradeplane.estate")
    planning = lazy("tradeplane.plan")
    terraform = lazy("tradeplane.terraform")


def register(app: typer.Typer) -> None:
    @app.command()
    def plan(
        path: Path = typer.Argument(..., help="estate directory", show_default=False),
        output: Path | None = typer.Option(None, "-o", "--output", help="also write the Terraform here"),
        strict: bool = typer.Option(False, "--strict", help="exit 1 when anything blocks an apply"),
        json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
        fmt: str = typer.Option("table", "--format", help="table, json, markdown (a PR comment), sarif or junit"),
        against: Path | None = typer.Option(None, "--against", help="the estate before this change: a change to a desk's path "
                                            "while its venues trade blocks an apply (exit 1 with --strict)"),
        at: str | None = typer.Option(None, "--at", help="judge the change freeze at this ISO 8601 instant "
                                      "(default now)"),
        emergency: str | None = typer.Option(None, "--emergency", help="let a frozen change through; give the reason"),
    ) -> None:
        """Validate, place, render, verify and cost the estate; say what blocks an apply."""
        if fmt not in FORMATS:
            raise InputError.single(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
        when = _instant(at)
        if emergency is not None and not emergency.strip():
            raise InputError.single("--emergency needs a reason: every format of the plan says it beside the frozen "
                                    "change", hint='e.g. --emergency "INC-123 stuck order router"')
        if against is None and (emergency is not None or at is not None):
            flag = "--emergency" if emergency is not None else "--at"
            raise InputError.single(f"{flag} is about the change freeze, which needs --against OLD_ESTATE",
                                    hint="give the estate before this change with --against")
        if output is not None:
            check_dir(output)  # before any work
        # This process runs one job on a large acyclic heap (tradeplane.collector): the output too, since
        # once the collector resumes, every collection walks the whole plan (at 20,000 subnets the JSON
        # took 7.0 s of CPU after the pause and 0.3 s inside it).
        with collector.paused():
            e, old, p = _load_and_build(path, against,
                                        show=not json and fmt == "table" and err_console.is_terminal)
            if old is not None:
                p = planning.judge_freeze(p, old, when, emergency)
            if output is not None:
                terraform.write(p.terraform, output)
            if json or fmt == "json":
                print_json(p.to_json())
            elif fmt == "table":
                _print(p, path, output)
            else:
                console.file.write(p.render(fmt))
            blocked = strict and bool(p.blocking)  # the freeze is in p.blocking: what every format counts
            del p, e, old  # freed by reference counting now, not walked by the collection that resuming brings
        if blocked:
            raise typer.Exit(1)


FORMATS = ("table", "json", "markdown", "sarif", "junit")


def _instant(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError.single(f"--at {text!r} is not an ISO 8601 instant",
                                hint="write it like 2026-12-01T15:30:00-06:00") from None
    if value.tzinfo is None:
        raise InputError.single(f"--at {text!r} has no time zone", hint="add Z or an offset such as -06:00")
    return value


def _load_and_build(path: Path, against: Path | None, *,
                    show: bool) -> tuple[est.Estate, est.Estate | None, planning.Plan]:
    """Load the estate (and the one ``--against`` names) and ``plan.build`` it, with a Rich progress
    display on stderr when ``show`` (a terminal only, and not with --json): one line per stage, the
    load first (about a fifth of a large plan), each gone when done and the whole display gone when the
    plan is. An interrupt (Ctrl-C) stops the display and restores the cursor before it propagates (the
    CLI's ``main`` prints "aborted" and exits 130)."""
    if not show:
        e = est.load(path)
        old = est.load(against) if against is not None else None
        return e, old, planning.build(e)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("plan: {task.description}"), TimeElapsedColumn(),
                        console=err_console, transient=True)
    tasks: dict[str, TaskID] = {}

    def on_stage(name: str, seconds: float | None) -> None:
        if seconds is None:
            tasks[name] = progress.add_task(name, total=1)
        else:
            progress.update(tasks[name], completed=1, visible=False)

    def load(name: str, where: Path) -> est.Estate:
        on_stage(name, None)
        loaded = est.load(where)
        on_stage(name, 0.0)
        return loaded

    try:
        with progress:
            e = load("load", path)
            old = load("load --against", against) if against is not None else None
            return e, old, planning.build(e, on_stage=on_stage)
    finally:
        # Progress.__exit__ stops the display and shows the cursor; an interrupt landing inside Rich's own
        # start or stop would skip that, so the cursor is shown again here whatever happened.
        err_console.show_cursor(True)


def _print(p: planning.Plan, path: Path, output: Path | None) -> None:
    console.rule(f"[bold]estate {p.estate.name}[/] ({path})")
    render_summary(p.summary)
    console.rule("[bold]placement[/]")
    render_placement(p.placement, list(p.budgets))
    console.rule("[bold]terraform[/]")
    render_counts(p.terraform, f"wrote {output}" if output else "rendered (write with -o DIR)")
    console.print(f"{count(p.terraform.total, 'resource')} in {count(len(p.terraform.files), 'file')}; "
                  + ("every reference resolves" if not p.dangling else
                     f"{count(len(p.dangling), 'dangling reference')}"))
    console.rule("[bold]network verification[/]")
    render_report(p.verify)
    if not p.placement.feasible:
        console.print("(latency budgets: judged by placement, which cannot place the estate; its explanations "
                      "above are the findings)", highlight=False, soft_wrap=True)
    console.rule("[bold]feeds[/]")
    t = Table("venue", "integrity", "legs", "problems", title="market-data legs per venue (tradeplane feeds)",
              title_justify="left")
    for f in p.feeds:
        t.add_row(f.venue, f.integrity, str(f.legs), "; ".join(f.problems))
    console.print(t)
    console.rule("[bold]cost[/]")
    render_estimate(p.cost, lines=False)
    if p.migration is not None:
        from tradeplane.cli.migrate import render_summary as migration_summary

        console.rule("[bold]migration[/] (tradeplane migrate plan)")
        migration_summary(p.migration)
    console.rule("[bold]verdict[/]")
    for line in p.warnings:
        console.print(f"[yellow]warning[/] {line}", highlight=False, soft_wrap=True)
    for line in p.overrides:
        console.print(f"[bold yellow]{escape(line)}[/]", highlight=False, soft_wrap=True)
    if p.blocking:
        things = count(len(p.blocking), "thing")
        console.print(f"[bold red]{things} {'blocks' if len(p.blocking) == 1 else 'block'} an apply[/]")
        for line in p.blocking:
            console.print(f"- {line}", markup=False, highlight=False, soft_wrap=True)
    else:
        console.print("[green]nothing blocks an apply[/]")
