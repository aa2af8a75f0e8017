"""`tradeplane plan ESTATE`: the main job, every analysis of the estate in one report."""

from __future__ import annotations

from pathlib import Path

import typer

from tradeplane import estate as est
from tradeplane.cli.estate import render_summary
from tradeplane.cli.output import console, print_json


def register(app: typer.Typer) -> None:
    @app.command()
    def plan(
        path: Path = typer.Argument(..., help="estate directory", show_default=False),
        json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
    ) -> None:
        """Validate the estate and report everything the platform derives from it."""
        e = est.load(path)
        s = est.summarise(e)
        if json:
            print_json({"estate": s.to_json()})
            return
        console.print(f"[green]ok[/] estate [bold]{e.name}[/] loaded from {path}")
        render_summary(s)
