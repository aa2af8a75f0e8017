"""`tradeplane plan ESTATE`: the main job, every analysis of the estate in one report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from tradeplane import estate as est
from tradeplane import plan as planning
from tradeplane import terraform
from tradeplane.cli.cost import render_estimate
from tradeplane.cli.estate import render_summary
from tradeplane.cli.net import render_report
from tradeplane.cli.output import console, print_json
from tradeplane.cli.place import render_placement
from tradeplane.cli.terraform import render_counts


def register(app: typer.Typer) -> None:
    @app.command()
    def plan(
        path: Path = typer.Argument(..., help="estate directory", show_default=False),
        output: Path | None = typer.Option(None, "-o", "--output", help="also write the Terraform here"),
        strict: bool = typer.Option(False, "--strict", help="exit 1 when anything blocks an apply"),
        json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
    ) -> None:
        """Validate, place, render, verify and cost the estate; say what blocks an apply."""
        e = est.load(path)
        p = planning.build(e)
        if output is not None:
            terraform.write(p.terraform, output)
        if json:
            print_json(p.to_json())
        else:
            _print(p, path, output)
        if strict and p.blocking:
            raise typer.Exit(1)


def _print(p: planning.Plan, path: Path, output: Path | None) -> None:
    console.rule(f"[bold]estate {p.estate.name}[/] ({path})")
    render_summary(p.summary)
    console.rule("[bold]placement[/]")
    render_placement(p.placement, list(p.budgets))
    console.rule("[bold]terraform[/]")
    render_counts(p.terraform, f"wrote {output}" if output else "rendered (write with -o DIR)")
    console.print(f"{p.terraform.total} resources in {len(p.terraform.files)} files; "
                  + ("every reference resolves" if not p.dangling else f"{len(p.dangling)} dangling references"))
    console.rule("[bold]network verification[/]")
    render_report(p.verify)
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
    if p.blocking:
        console.print(f"[bold red]{len(p.blocking)} thing(s) block an apply[/]")
        for line in p.blocking:
            console.print(f"- {line}", markup=False, highlight=False, soft_wrap=True)
    else:
        console.print("[green]nothing blocks an apply[/]")
