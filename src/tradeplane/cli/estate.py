"""`tradeplane estate validate|show|schema`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.tree import Tree

from tradeplane.cli._lazy import lazy
from tradeplane.cli.output import TABLE_ROWS, Table, console, print_json
from tradeplane.writing import write_file

if TYPE_CHECKING:
    from tradeplane import estate as est
else:
    est = lazy("tradeplane.estate")

app = typer.Typer(no_args_is_help=True, help="Load, check and describe the estate.")

EstateDir = typer.Argument(..., help="estate directory (or one YAML file)", show_default=False)
JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")


@app.command()
def validate(path: Path = EstateDir, json: bool = JsonOpt) -> None:
    """Check an estate: syntax, types, unknown fields, names and references."""
    e = est.load(path)
    s = est.summarise(e)
    if json:
        print_json({"valid": True, "estate": e.name, "counts": s.counts})
        return
    shown = ", ".join(f"{v} {k}" for k, v in s.counts.items() if v)
    console.print(f"[green]ok[/] estate [bold]{e.name}[/] is valid: {shown}")


@app.command()
def show(path: Path = EstateDir, json: bool = JsonOpt,
         everything: bool = typer.Option(False, "--all", help=f"print the whole tree of networks (it stops "
                                         f"at {TABLE_ROWS} lines otherwise)")) -> None:
    """A readable summary: counts by cloud and desk, and the tree of networks."""
    s = est.summarise(est.load(path))
    if json:
        print_json(s.to_json())
        return
    render_summary(s, rows=None if everything else TABLE_ROWS)


def render_summary(s: est.Summary, rows: int | None = TABLE_ROWS) -> None:
    """Counts by cloud and desk, the links, and the tree of networks and their subnets: at most ``rows``
    lines of tree (``None``: all), then how many networks and subnets were left out. At 20,000 subnets
    the whole tree is 21,024 lines; ``--json`` lists every one."""
    console.print(f"[bold]estate {s.name}[/]")
    t = Table("cloud", "networks", "subnets", "workloads", "instances", title="by cloud", title_justify="left")
    for cloud, c in s.by_cloud.items():
        t.add_row(cloud, *(str(c[k]) for k in ("networks", "subnets", "workloads", "instances")))
    console.print(t)
    t = Table("desk", "networks", "workloads", "instances", title="by desk", title_justify="left")
    for desk, c in s.by_desk.items():
        t.add_row(desk, *(str(c[k]) for k in ("networks", "workloads", "instances")))
    console.print(t)
    if s.links:
        console.print("links: " + ", ".join(f"{n} {k}" for k, n in s.links.items()))
    tree = Tree("networks")
    room = len(s.networks) + sum(len(n.subnets) for n in s.networks) if rows is None else rows
    networks = subnets = 0
    for n in s.networks:
        if room <= 0:
            break
        label = f"[bold]{n.name}[/] ({n.cloud}, {n.where}, desk {n.desk})"
        if n.cidrs:
            label += " " + ", ".join(n.cidrs)
        branch = tree.add(label)
        networks += 1
        room -= 1
        for name, cidr, where in n.subnets[:max(room, 0)]:
            branch.add(f"{name} {cidr} {where}")
        shown = min(len(n.subnets), max(room, 0))
        subnets += shown
        room -= shown
        if shown < len(n.subnets):
            branch.add(f"... {len(n.subnets) - shown:,} more subnets")
    console.print(tree)
    all_subnets = sum(len(n.subnets) for n in s.networks)
    if networks < len(s.networks) or subnets < all_subnets:
        console.print(f"... {len(s.networks) - networks:,} more networks and {all_subnets - subnets:,} more subnets "
                      f"not shown ({len(s.networks):,} networks and {all_subnets:,} subnets in all; --json lists "
                      "every one)", soft_wrap=True)


@app.command()
def schema(output: Path | None = typer.Option(None, "-o", "--output", help="write to this file")) -> None:
    """JSON Schema of estate files, for editor completion and checks."""
    text = est.json_schema()
    if output is None:
        console.file.write(text)
    else:
        write_file(output, text)
        console.print(f"wrote {output}")
