"""`tradeplane terraform render|guardrails`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tradeplane.cli._lazy import lazy
from tradeplane.cli.output import Table, console, print_json
from tradeplane.errors import Problem, TradeplaneError
from tradeplane.writing import check_dir

if TYPE_CHECKING:
    from tradeplane import estate as est
    from tradeplane import terraform as tf
else:
    est = lazy("tradeplane.estate")
    tf = lazy("tradeplane.terraform")

app = typer.Typer(no_args_is_help=True, help="Terraform for AWS and GCP, compiled from the estate.")

JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")


@app.command()
def render(
    path: Path = typer.Argument(..., help="estate directory", show_default=False),
    output: Path = typer.Option(..., "-o", "--output", help="directory to write the root modules into"),
    place: bool = typer.Option(False, "--place", help="refuse (exit 2) when the placement solver finds no "
                               "placement, instead of using the estate's own zones as plan -o does"),
    json: bool = JsonOpt,
) -> None:
    """Render one Terraform root module per cloud and stage, check its references, write it. Replicas go
    in the zones plan -o and k8s render use: the placement solver's."""
    check_dir(output)  # before any work: a folder that cannot be written is one line, not a traceback
    e = est.load(path)
    from tradeplane.plan import render_placed

    rendered, placed = render_placed(e, strict=place)
    problems = tf.check_references(rendered)
    if problems:  # a renderer bug, not a user mistake: the finding plan blocks on, and nothing written
        n = len(problems)
        raise TradeplaneError(
            f"rendered Terraform has {n} dangling reference{'s' if n != 1 else ''}; nothing written",
            [Problem(f"terraform: dangling reference {r}",
                     hint="a renderer bug, not an estate mistake: report it with the estate") for r in problems])
    tf.write(rendered, output)
    if json:
        print_json({"output": str(output), **rendered.to_json()})
        return
    render_counts(rendered, f"wrote {output}")
    if not placed.feasible:
        console.print(f"[yellow]placement {placed.status}[/]: replicas are in the estate's own zones, as plan -o "
                      "writes them (tradeplane place explains; --place refuses instead)", highlight=False)
    console.print(f"[green]ok[/] {rendered.total} resources in {len(rendered.files)} files; every reference resolves")


def render_counts(rendered: tf.Rendered, title: str) -> None:
    t = Table("stage", "resources", "top resource types", title=title, title_justify="left")
    for cloud, stages in rendered.counts.items():
        for stage, types in stages.items():
            top = ", ".join(f"{n} {k}" for k, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
            t.add_row(f"{cloud}/{stage}", str(sum(types.values())), top)
    console.print(t)


@app.command()
def guardrails(
    path: Path | None = typer.Argument(None, help="estate directory: also show its guardrails", show_default=False),
    json: bool = JsonOpt,
) -> None:
    """The AWS SCP <-> GCP Organization Policy mapping of every guardrail control."""
    rows = [{"control": m.control.value, "aws_scp_denies": m.aws, "aws_fidelity": m.aws_fidelity,
             "gcp_constraints": list(m.gcp), "gcp_fidelity": m.gcp_fidelity, "note": m.note}
            for m in sorted(tf.MAPPING.values(), key=lambda m: m.control.value)]
    used: dict[str, list[str]] = {}
    if path is not None:
        e = est.load(path)
        tf.render(e)  # raises UnsupportedError when a guardrail cannot render on a cloud
        for g in e.guardrails:
            used.setdefault(g.control.value, []).append(g.name)
    if json:
        print_json({"mapping": rows, "estate_guardrails": {k: sorted(v) for k, v in sorted(used.items())}})
        return
    t = Table(title="guardrails on both clouds", title_justify="left", show_lines=True)
    for column in ("control", "AWS: SCP denies", "GCP: constraints", "notes"):
        t.add_column(column, overflow="fold")
    for r in rows:
        note = r["note"]
        fid = f"aws {r['aws_fidelity']}, gcp {r['gcp_fidelity']}"
        names = used.get(str(r["control"]))
        label = str(r["control"]) + (f"\n({', '.join(sorted(names))})" if names else "")
        t.add_row(label, str(r["aws_scp_denies"]), "\n".join(r["gcp_constraints"]) or "(built in)",
                  f"{fid}. {note}" if note else fid)
    console.print(t)
