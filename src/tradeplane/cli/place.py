"""`tradeplane place ESTATE` (solve) and `tradeplane place latency A B [ESTATE]`.

``tradeplane place ESTATE`` is short for ``tradeplane place solve ESTATE``: the
group runs ``solve`` when its first argument is not one of its commands.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from tradeplane.cli._lazy import lazy
from tradeplane.cli.output import TABLE_ROWS, Table, console, more, print_json
from tradeplane.errors import InputError, UnsupportedError
from tradeplane.plural import count

if TYPE_CHECKING:
    from tradeplane import estate as est
    from tradeplane import placement
else:
    est = lazy("tradeplane.estate")
    placement = lazy("tradeplane.placement")


class _SolveByDefault(TyperGroup):
    """``place ESTATE`` means ``place solve ESTATE``."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["solve", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_SolveByDefault,
    no_args_is_help=True,
    help="Place workloads where they meet their latency budgets at the lowest cost "
    "(`tradeplane place ESTATE` solves; `tradeplane place latency A B [ESTATE]` estimates a round trip).",
)

JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")


def _us(x: float) -> str:
    return f"{x:,.0f} µs" if x >= 10 else f"{x:.1f} µs"


@app.command()
def solve(
    path: Path = typer.Argument(..., help="estate directory (or one YAML file)", show_default=False),
    json: bool = JsonOpt,
    free_subnets: bool = typer.Option(
        False, "--free-subnets",
        help="let the solver move a workload to another subnet of its network with the same tier"),
    capacity: Path | None = typer.Option(None, "--capacity", help="a capacity table YAML (default: shipped)"),
    time_limit: float | None = typer.Option(None, "--time-limit", help="wall-clock seconds for the solver"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="CP-SAT worker threads"),
) -> None:
    """Solve the placement of an estate: zones per replica, groups, cost, budgets. Exit 2 if infeasible."""
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise InputError.single(f"--time-limit: must be a positive number of seconds; got {time_limit:g}",
                                hint="leave it out to let the solver finish, or give e.g. --time-limit 30")
    e = est.load(path)
    cap = _capacity(capacity) if capacity else None
    result = placement.solve(e, capacity=cap, free_subnets=free_subnets,
                             options=placement.SolverOptions(workers=workers, time_limit_s=time_limit))
    findings = placement.check_budgets(e, result)
    if json:
        print_json({**result.to_json(), "budgets": [f.to_json() for f in findings]})
    else:
        render_placement(result, findings)
    if not result.feasible:
        n = len(result.explanations)
        raise UnsupportedError.single(
            f"estate {e.name} cannot be placed ({result.status}): {n} reason{'s' if n != 1 else ''} above",
            hint="act on the explanations (budgets, capacity, groups, guardrails) and solve again")


def _capacity(path: Path) -> placement.Capacity:
    return placement.load_capacity(path)


def _usd(hourly: float) -> str:
    return f"{hourly:,.6f}"


def _zones_text(zones: tuple[str, ...]) -> str:
    counts = Counter(zones)
    return ", ".join(f"{z} x{n}" if n > 1 else z for z, n in sorted(counts.items()))


def render_placement(r: placement.PlacementResult, findings: list[placement.BudgetFinding]) -> None:
    if not r.feasible:
        console.print(f"[bold red]{r.status}[/]: estate {r.estate} cannot be placed")
        for x in r.explanations:
            console.print(f"- {x.render()}", markup=False, highlight=False, soft_wrap=True)
        return
    # $/hour to the micro-dollar: the price table's figures have up to six decimals, and the rows must add
    # up to the total row exactly (four decimals left the sum 0.0002 short of it).
    t = Table("workload", "cloud", "zones", "group", "$/hour", title="placement", title_justify="left")
    t.columns[-1].justify = "right"
    for w in r.workloads[:TABLE_ROWS]:
        group = f"{w.group} ({w.strategy})" if w.group else ("" if w.strategy == "none" else w.strategy)
        cost = "on nodes" if w.billed_to else _usd(w.hourly_usd)  # the group's row below
        t.add_row(w.workload, w.cloud, _zones_text(w.zones), group, cost)
    nodes = r.node_groups
    if nodes:  # sole-tenant nodes: Compute Engine bills the nodes, not the VMs on them
        t.add_section()
    for grp in nodes:
        t.add_row(f"{grp.name} nodes", grp.cloud, _zones_text(grp.zones),
                  f"{grp.nodes} x {grp.node_type} (sole_tenant)", _usd(grp.hourly_usd))
    t.add_section()
    parts = count(len(r.workloads), "workload") + (f" + {count(len(nodes), 'sole-tenant node group')}"
                                                  if nodes else "")
    t.add_row("total", "", "", parts, _usd(r.hourly_usd), style="bold")
    console.print(t)
    more(len(r.workloads), TABLE_ROWS, "workloads")
    if r.groups:
        g = Table("group", "strategy", "cloud", "zones", "instances", "nodes", title="groups",
                  title_justify="left")
        for grp in r.groups:
            g.add_row(grp.name, grp.strategy, grp.cloud, ", ".join(grp.zones), str(grp.instances),
                      f"{grp.nodes} x {grp.node_type}" if grp.node_type else "")
        console.print(g)
    if findings:
        # the zones each estimate is between are in --json and `place latency`: at 80 columns a seventh
        # column left every other one a few letters wide
        b = Table("workload", "to", "budget", "estimate", "ok", "confidence", title="latency budgets",
                  title_justify="left")
        for f in findings[:TABLE_ROWS]:
            b.add_row(f.workload, f.to, _us(f.budget_us), _us(f.rtt_us), "yes" if f.met else "[red]NO[/]",
                      f"{f.confidence}, {f.kind}")
        console.print(b)
        more(len(findings), TABLE_ROWS, "latency budgets")
    gap = f"gap {r.gap:.2%}"
    split = (f" = workloads ${r.workloads_hourly_usd:,.2f} + sole-tenant nodes ${r.nodes_hourly_usd:,.2f}"
             if nodes else "")
    console.print(f"[bold]{r.status}[/] ({gap}): placed instances ${r.hourly_usd:,.2f}/hour{split} (the total row, "
                  "rounded to cents), "
                  f"${r.monthly_usd:,.0f}/month (compute the solver chose; the estimate adds networks, links "
                  "and data transfer); "
                  f"round trips to venues and sites {r.latency_us:,.0f} µs summed over replicas")
    console.print("(tradeplane place latency A B ESTATE shows the basis of any estimate; --json has every basis)")


@app.command()
def latency(
    a: str = typer.Argument(..., metavar="A", help="a catalog region, zone, site or venue (or the estate's)",
                            show_default=False),
    b: str = typer.Argument(..., metavar="B", help="a catalog region, zone, site or venue (or the estate's)",
                            show_default=False),
    path: Path | None = typer.Argument(
        None, metavar="ESTATE", help="an estate: the figure plan and place judge budgets on (through its exits and paths)",
        show_default=False),
    via: str | None = typer.Option(None, "--via", help="a path link of the estate, as a budget's 'via' names it"),
    json: bool = JsonOpt,
) -> None:
    """The round-trip estimate between two places, its floors and its basis. With ESTATE: the estimate plan
    and place judge latency budgets on (``placement.Routes``: through the estate's Direct Connect /
    Interconnect exits and paths), the straight catalog figure beside it as context."""
    if path is None:
        if via is not None:
            raise InputError.single("--via names a path of an estate; give the estate too",
                                    hint=f"tradeplane place latency {a} {b} ESTATE --via {via}")
        e = placement.estimate_rtt(a, b)
        if json:
            print_json(e.to_json())
            return
        _print_estimate(a, b, e)
        console.print("  (between catalog places, with no estate: plan and place judge a budget on the route the "
                      "estate declares, through its Direct Connect / Interconnect location and paths, so their "
                      f"figure can differ; `tradeplane place latency {a} {b} ESTATE` shows it)",
                      markup=False, highlight=False, soft_wrap=True)
        return
    estate = est.load(path)
    judged = placement.Routes(estate).between(a, b, via)
    direct = placement.estimate_rtt(judged.a, judged.b)
    if json:
        # a and b as asked (a venue stays a venue); the estimate's own ends (a venue's site) are "a_place"/"b_place"
        print_json({**judged.to_json(), "a": a, "b": b, "a_place": judged.a, "b_place": judged.b,
                    "estate": estate.name, "via": via, "direct": direct.to_json()})
        return
    _print_estimate(a, b, judged, f"; what plan and place judge budgets on in estate {estate.name}")
    if judged.kind in ("routed", "path"):
        console.print(f"  direct, for context only: {_us(direct.rtt_us)} ({direct.kind}, {direct.confidence} "
                      f"confidence) on the straight catalog model, fibre floor {_us(direct.fibre_bound_us)} on the "
                      f"great circle; the estate's traffic does not take that line, so budgets are not judged on it",
                      markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(f"  (estate {estate.name} declares no exit or path between these places: the straight "
                      "catalog model is the route, as above)", markup=False, highlight=False, soft_wrap=True)


def _print_estimate(a: str, b: str, e: placement.Estimate, judged: str = "") -> None:
    console.print(f"[bold]{a} <-> {b}[/]: {_us(e.rtt_us)} round trip ({e.kind}, {e.confidence} confidence){judged}",
                  highlight=False, soft_wrap=True)
    for note in (placement.venue_note(a), placement.venue_note(b)):
        if note:
            console.print(f"  {note}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"  basis: {e.basis}", markup=False, highlight=False, soft_wrap=True)
    if e.kind in ("routed", "path"):
        console.print(f"  physical floor: {_us(e.bound_us)} ({e.distance_km:,.0f} km great circle between the ends "
                      "at the speed of light in vacuum; no network can beat it)", highlight=False, soft_wrap=True)
        console.print(f"  floor: {e.floor_text()}", markup=False, highlight=False, soft_wrap=True)
    elif e.distance_km:
        console.print(f"  physical floor: {_us(e.bound_us)} ({e.distance_km:,.0f} km great circle at the speed of "
                      "light in vacuum; no network can beat it)", highlight=False, soft_wrap=True)
        console.print(f"  fibre floor: {_us(e.fibre_bound_us)} (the same great circle in fibre; no fibre path can "
                      "beat it, microwave can)", highlight=False, soft_wrap=True)
    else:  # one region or one building: the floor is the fabric's or the cross-connect's figure, not a distance
        console.print(f"  floor: {e.floor_text()}", markup=False, highlight=False, soft_wrap=True)
    for src in e.sources:
        console.print(f"  source: {src}", markup=False, highlight=False, soft_wrap=True)
