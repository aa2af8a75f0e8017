"""`tradeplane migrate plan|compare|status|advance|render|runbook`: moving the colocation into GCP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from tradeplane.cli.output import Table, console, print_json

app = typer.Typer(no_args_is_help=True, help="Move colocation workloads into GCP in safe waves: plan, parallel-run "
                                           "comparison, runbooks, state.")

JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")
EstateArg = typer.Argument(..., help="estate directory (or one YAML file)", show_default=False)
StateOpt = typer.Option(None, "--state", help="state file (default: ESTATE.migrate-state.json beside the estate)")


@app.command("plan")
def plan_cmd(
    path: Path = EstateArg,
    wave: int | None = typer.Option(None, "--wave", help="show one wave in full; exit 1 unless it is ready"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when any wave is blocked"),
    whole: bool = typer.Option(False, "--whole", help="prove every stage whole instead of only what each wave "
                                                      "changes (same verdicts, slower)"),
    json: bool = JsonOpt,
) -> None:
    """Waves, each intermediate state proven (network, placement, latency, capacity, cost), windows, Terraform."""
    from tradeplane import estate as est
    from tradeplane import migrate

    e = est.load(path)
    p = migrate.plan(e, incremental=not whole)
    if wave is not None:
        try:
            w = p.wave(wave)
        except KeyError:
            from tradeplane.errors import UnsupportedError

            raise UnsupportedError.single(f"the plan has no wave {wave}", field="--wave",
                                          hint=f"waves are 1..{len(p.waves)}") from None
        if json:
            print_json(w.to_json())
        else:
            render_wave(w)
        if not w.ok:
            raise typer.Exit(1)
        return
    if json:
        print_json(p.to_json())
    else:
        render_plan(p)
    if strict and not p.ok:
        raise typer.Exit(1)


def render_summary(p: object) -> None:
    """The one-screen summary (``tradeplane plan`` prints it too)."""
    from tradeplane.migrate import MigrationPlan

    assert isinstance(p, MigrationPlan)
    lines = p.summary_lines()
    console.print(lines[0], soft_wrap=True)
    t = Table("wave", "moves", "window", "needs", "both sides", "terraform", "verdict")
    for w in p.waves:
        verdict = "[green]ready[/]" if w.ok else f"[red]blocked ({len(w.blocking)})[/]"
        cost = w.proof.cloud_monthly + w.proof.colo_monthly
        t.add_row(str(w.number), ", ".join(w.wave.workloads), w.slot.label, f"{w.slot.needs_minutes} min",
                  f"${cost:,.0f}/mo", w.terraform.summary(), verdict)
    console.print(t)
    for w in p.waves:
        console.print(f"wave {w.number}: {w.slot.reason}", soft_wrap=True, markup=False)
    for b in p.blocked:
        console.print(f"[yellow]stays[/] {b.workload}: {b.reason}" + (f" ({b.where})" if b.where else ""),
                      soft_wrap=True, highlight=False)


def render_plan(p: object) -> None:
    from tradeplane.migrate import MigrationPlan

    assert isinstance(p, MigrationPlan)
    console.rule(f"[bold]migration of {p.site}[/] ({p.estate})")
    render_summary(p)
    glued = [u for u in p.units if u.reasons]
    if glued:
        console.rule("[bold]move together[/]")
        for u in glued:
            console.print(f"{', '.join(u.members)}:", soft_wrap=True)
            for r in u.reasons:
                console.print(f"  - {r}", soft_wrap=True, markup=False)
    for w in p.waves:
        render_wave(w)


def render_wave(w: object) -> None:
    from tradeplane.migrate import WavePlan

    assert isinstance(w, WavePlan)
    console.rule(f"[bold]wave {w.number}[/]: {', '.join(w.wave.workloads)}")
    t = Table("check", "ok", "summary", title=f"proven: {w.proof.mode}", title_justify="left")
    for c in w.checks:
        t.add_row(c.name, "[green]yes[/]" if c.ok else "[red]no[/]", c.summary)
    console.print(t)
    for line in w.blocking:
        console.print(f"[red]blocks[/] {line}", soft_wrap=True, highlight=False)
    for b in w.proof.crossings:
        console.print(f"budget {b.workload} -> {b.to}: {b.rtt_us:,.0f} µs of {b.budget_us:,.0f} µs "
                      f"({'met' if b.met else 'NOT met'}; {b.basis})", soft_wrap=True, markup=False)
    console.print(f"cost with both sides running: cloud ${w.proof.cloud_monthly:,.0f} + colocation "
                  f"${w.proof.colo_monthly:,.0f} a month", markup=False)
    d = w.terraform
    console.print(f"terraform {d.summary()}:", markup=False)
    for kind, items in (("+", d.added), ("~", d.changed), ("-", d.removed)):
        for a in items:
            console.print(f"  {kind} {a}", markup=False, highlight=False)


@app.command()
def compare(
    left: Path = typer.Argument(..., help="the colocation side's recording (pcap, pcapng, Parquet)",
                                show_default=False),
    right: Path = typer.Argument(..., help="the GCP side's recording", show_default=False),
    estate_path: Path | None = typer.Option(None, "--estate", help="take the cutover criteria from this estate"),
    window: int = typer.Option(100_000, "--window", min=1, help="sequence numbers (events, on a stream without them) before an event "
                                                     "counts missing"),
    json: bool = JsonOpt,
) -> None:
    """Event-by-event comparison of two recordings with a cutover verdict; exit 1 when it fails."""
    from tradeplane import migrate

    criteria = None
    if estate_path is not None:
        from tradeplane import estate as est

        e = est.load(estate_path)
        if e.colocation is not None and e.colocation.migration is not None:
            criteria = e.colocation.migration.criteria
    r = migrate.compare(left, right, criteria, window=window)
    if json:
        print_json(r.to_json())
    else:
        render_comparison(r)
    if not r.passed:
        raise typer.Exit(1)


def render_comparison(r: object) -> None:
    from tradeplane.migrate import Comparison

    assert isinstance(r, Comparison)
    t = Table("", "left (colo)", "right (GCP)")
    t.add_row("recording", f"{r.left.path} ({r.left.kind})", f"{r.right.path} ({r.right.kind})")
    t.add_row("events", f"{r.left.events:,}", f"{r.right.events:,}")
    t.add_row("streams", str(r.left.streams), str(r.right.streams))
    t.add_row("duplicated", f"{r.left.duplicated:,}", f"{r.right.duplicated:,}")
    t.add_row("reordered", f"{r.left.reordered:,}", f"{r.right.reordered:,}")
    t.add_row("not read (non-MDP frames, gap rows)", f"{r.left.skipped:,}", f"{r.right.skipped:,}")
    console.print(t)
    console.print(f"matched {r.matched:,}; missing on the right {r.missing:,}; extra on the right {r.extra:,}; "
                  f"differing {r.differing:,}", markup=False)
    console.print(r.latency_line(), markup=False)
    for what, sample in (("missing", r.missing_sample), ("extra", r.extra_sample),
                         ("differing", r.differing_sample), ("duplicated on the left", r.left.duplicated_sample),
                         ("duplicated on the right", r.right.duplicated_sample)):
        if sample:
            console.print(f"first {what}: {', '.join(sample)}", markup=False, soft_wrap=True)
    if r.passed:
        console.print("[green]verdict: pass[/]")
    else:
        console.print("[red]verdict: fail[/]")
        for reason in r.reasons:
            console.print(f"- {reason}", markup=False)


@app.command("status")
def status_cmd(path: Path = EstateArg, state: Path | None = StateOpt, json: bool = JsonOpt) -> None:
    """Which waves are done, which is next, and whether it is ready."""
    from tradeplane import estate as est
    from tradeplane import migrate

    e = est.load(path)
    p = migrate.plan(e)
    sp = state or migrate.state_path(path)
    waves, warnings = migrate.status(p, migrate.load_state(sp, e.name))
    if json:
        print_json({"state_file": str(sp), "waves": [w.to_json() for w in waves], "warnings": warnings})
        return
    t = Table("wave", "moves", "state", "ready", "detail", title=f"migration state ({sp})", title_justify="left")
    for w in waves:
        t.add_row(str(w.wave), ", ".join(w.workloads), w.state, "yes" if w.ready else "no", w.detail)
    console.print(t)
    for line in warnings:
        console.print(f"[yellow]warning[/] {line}", soft_wrap=True)


@app.command("advance")
def advance_cmd(
    path: Path = EstateArg,
    wave: int = typer.Argument(..., help="the wave to record as done", show_default=False),
    left: Path | None = typer.Option(None, "--left", help="the parallel run's colocation recording"),
    right: Path | None = typer.Option(None, "--right", help="the parallel run's GCP recording"),
    outside_window: str = typer.Option("", "--outside-window", metavar="REASON",
                                       help="record it although now is outside a cutover window it fits; the "
                                            "reason is kept in the state file and shown by 'migrate status'"),
    state: Path | None = StateOpt,
) -> None:
    """Record WAVE as done, only when its checks (and its parallel-run comparison) pass, the previous wave's
    soak has elapsed and now is inside a cutover window the wave fits."""
    from tradeplane import estate as est
    from tradeplane import migrate
    from tradeplane.errors import UnsupportedError

    e = est.load(path)
    p = migrate.plan(e)
    comparison = None
    if (left is None) != (right is None):
        raise UnsupportedError.single("give both --left and --right, or neither", field="--left/--right")
    if left is not None and right is not None:
        criteria = e.colocation.migration.criteria if e.colocation and e.colocation.migration else None
        comparison = migrate.compare(left, right, criteria)
    sp = state or migrate.state_path(path)
    new = migrate.advance(e, p, migrate.load_state(sp, e.name), wave, now(), comparison,
                          outside_window=outside_window)
    migrate.save_state(sp, new)
    console.print(f"[green]wave {wave} recorded done[/] in {sp}")
    if new.done[wave].outside_window:
        console.print(f"[yellow]recorded outside a cutover window[/]: {new.done[wave].outside_window} (kept in the "
                      "state file)", soft_wrap=True)


def now() -> datetime:
    """The instant ``advance`` records (the one clock read of the migrate commands; tests replace it)."""
    return datetime.now(UTC)


@app.command()
def render(
    path: Path = EstateArg,
    wave: int = typer.Option(..., "--wave", min=0, help="render the estate as it is once this wave is done "
                             "(0: before the first)", show_default=False),
    output: Path = typer.Option(..., "-o", "--output", help="directory to write the root modules into"),
    json: bool = JsonOpt,
) -> None:
    """The Terraform of the estate once WAVE is done (waves 1..WAVE moved, in the plan's zones), to plan and apply."""
    from tradeplane import estate as est
    from tradeplane import migrate
    from tradeplane import terraform as tf
    from tradeplane.cli.terraform import render_counts
    from tradeplane.errors import Problem, TradeplaneError, UnsupportedError
    from tradeplane.plan import render_terraform
    from tradeplane.writing import check_dir

    check_dir(output)
    e = est.load(path)
    p = migrate.plan(e)
    try:
        staged, zones = migrate.after_wave(e, p, wave)
    except KeyError:
        raise UnsupportedError.single(f"the plan has no wave {wave}", field="--wave",
                                      hint=f"waves are 1..{len(p.waves)} (0: the estate before the first)") from None
    rendered = render_terraform(staged, zones or None)
    problems = tf.check_references(rendered)
    if problems:  # a renderer bug, not a user mistake: nothing written
        raise TradeplaneError(f"rendered Terraform has {len(problems)} dangling reference(s); nothing written",
                              [Problem(f"terraform: dangling reference {r}", hint="a renderer bug: report it with "
                                       "the estate") for r in problems])
    tf.write(rendered, output)
    w = p.wave(wave) if wave else None
    if json:
        print_json({"output": str(output), "wave": wave, "change": w.terraform.to_json() if w else None,
                    **rendered.to_json()})
        return
    if w is None:
        render_counts(rendered, f"wrote {output}: the estate before the first wave")
        return
    render_counts(rendered, f"wrote {output}: the estate once wave {wave} is done")
    console.print(f"wave {wave} against the estate before it: terraform {w.terraform.summary()} "
                  f"({', '.join(w.wave.workloads)} moved)", markup=False, soft_wrap=True)


@app.command()
def runbook(
    path: Path = EstateArg,
    wave: int = typer.Argument(..., help="the wave", show_default=False),
    output: Path | None = typer.Option(None, "-o", "--output", help="write wave-N-cutover.md and "
                                       "wave-N-rollback.md here instead of printing"),
) -> None:
    """The cutover and rollback runbooks of WAVE (markdown)."""
    from tradeplane import estate as est
    from tradeplane import migrate
    from tradeplane.errors import UnsupportedError
    from tradeplane.writing import check_dir, write_tree

    if output is not None:
        check_dir(output)  # before any work
    e = est.load(path)
    p = migrate.plan(e)
    if wave not in [w.number for w in p.waves]:
        raise UnsupportedError.single(f"the plan has no wave {wave}", field="WAVE",
                                      hint=f"waves are 1..{len(p.waves)}")
    cut = migrate.cutover_runbook(e, p, wave, str(path))
    back = migrate.rollback_runbook(e, p, wave, str(path))
    if output is None:
        console.file.write(cut + "\n" + back)
        return
    # the folder gathers the runbooks of several waves: add this wave's, remove nothing
    for written in write_tree(output, {f"wave-{wave}-cutover.md": cut, f"wave-{wave}-rollback.md": back}):
        console.print(f"wrote {written}")
