"""`tradeplane net reach|matrix|verify|diff|import`: network verification with traces.

ESTATE arguments take an estate directory, or ``aws:DIR`` / ``gcp:DIR`` for a
directory of real cloud exports (see docs/net.md for the export commands).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tradeplane.cli._lazy import lazy
from tradeplane.cli.output import Table, console, print_json
from tradeplane.plural import count
from tradeplane.writing import check_file, write_file

if TYPE_CHECKING:
    from tradeplane import estate as est
    from tradeplane import inventory, net, plan
else:
    est = lazy("tradeplane.estate")
    inventory = lazy("tradeplane.inventory")
    net = lazy("tradeplane.net")
    plan = lazy("tradeplane.plan")

app = typer.Typer(no_args_is_help=True, help="Prove isolation and reachability, with traces.")
import_app = typer.Typer(no_args_is_help=True, help="Build the data plane from real cloud exports.")
app.add_typer(import_app, name="import")

EstateArg = typer.Argument(..., help="estate directory, or aws:DIR / gcp:DIR of cloud exports", show_default=False)
JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")

PolicyOpt = typer.Option(None, "--policy", help="estate whose desk policy (may_talk_to, isolated) and intents "
                         "apply to the imported data plane")

VERDICT_STYLE = {"reachable": "green", "partial": "yellow", "unreachable": "red", "unknown": "magenta"}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _print_traces(traces: list[net.Trace], limit: int) -> None:
    for t in traces[:limit]:
        for line in t.render():
            console.print("  " + line, markup=False, highlight=False, soft_wrap=True)
    if len(traces) > limit:
        console.print(f"  ... {len(traces) - limit} more (use --json for all)")


@app.command()
def reach(
    estate: str = EstateArg,
    src: str = typer.Argument(..., help="workload, NETWORK/SUBNET, network, desk, site, venue, internet or CIDR"),
    dst: str = typer.Argument(..., help="same kinds as SRC"),
    proto: str = typer.Option("tcp", "--proto", help="tcp, udp, icmp or all"),
    port: list[str] = typer.Option([], "--port", help="destination port or range (repeatable)"),
    fail: list[str] = typer.Option([], "--fail", help="a link element that is down, e.g. cme-interconnect/ic-chi-ead1"),
    traces: int = typer.Option(3, "--traces", help="traces to print per endpoint pair"),
    json: bool = JsonOpt,
) -> None:
    """Can SRC reach DST (and do replies come back)? Verdict, traces, and why not."""
    net.parse_protocol(proto)
    e, notes = inventory.load_with_notes(estate)
    inventory.refuse_skipped(e, notes, (src, dst))
    dp = net.Dataplane.build(e, net.check_failed(e, fail))
    answer = net.reach(dp, src, dst, proto, net.parse_ports(port))
    if json:
        print_json(answer.to_json())
        return
    style = VERDICT_STYLE[answer.verdict]
    console.print(f"[bold]{src}[/] -> [bold]{dst}[/] {proto} {answer.ports}: [{style}]{answer.verdict}[/]")
    for p in answer.pairs:
        ps = VERDICT_STYLE[p.verdict]
        console.print(f"[bold]{p.src.name} -> {p.dst.name}[/]: [{ps}]{p.verdict}[/]"
                      + (f"  allowed: {p.working.describe()}" if p.working else ""), soft_wrap=True)
        if p.delivered and p.verdict != "reachable":
            console.print("  [bold]forward (delivered):[/]")
        _print_traces(p.delivered, traces)
        if p.verdict != "reachable":
            if p.dropped:
                console.print("  [bold]why not:[/]")
                _print_traces(p.dropped, traces)
            if p.reply_dropped:
                console.print("  [bold]replies dropped:[/]")
                _print_traces(p.reply_dropped, traces)
            if p.undecided:
                console.print("  [bold]undecided (rules the model does not resolve):[/]")
                _print_traces(p.undecided, traces)


@app.command()
def matrix(estate: str = EstateArg, proto: str = typer.Option("all", "--proto"), json: bool = JsonOpt) -> None:
    """Desk x desk (and internet) reachability: what each segment can open to each other."""
    m = net.matrix(inventory.load_any(estate), net.parse_protocol(proto))
    if json:
        print_json(m.to_json())
        return
    t = Table("from \\ to", *m.segments, title=f"reachability ({proto})", title_justify="left")
    for a in m.segments:
        row = []
        for b in m.segments:
            if a == b:
                row.append("[dim]-[/]")
                continue
            c = m.cell(a, b)
            row.append(f"[yellow]{c.count()[0]}/{c.count()[1]}[/]" if c.reachable else "[green]none[/]")
        t.add_row(a, *row)
    console.print(t)
    console.print("cells: endpoint pairs that reach / all pairs; what is open, to where:")
    for (a, b), c in sorted(m.cells.items()):
        if c.reachable:
            line = f"  {a} -> {b}: " + "; ".join(o.text() for o in c.openings())
            # wrapped at 80 columns whatever the terminal, so the text is the same everywhere
            for part in textwrap.wrap(line, 80, subsequent_indent="      ", break_on_hyphens=False):
                console.print(part, markup=False, highlight=False, soft_wrap=True)
    undecided = [(a, b, c.undecided_text()) for (a, b), c in sorted(m.cells.items()) if c.undecided_text()]
    if undecided:
        console.print("undecided (a rule the model cannot resolve decides them; see net reach for the rule):")
        for a, b, text in undecided:
            console.print(f"  {a} -> {b}: {text}", markup=False, soft_wrap=True)


@app.command()
def verify(estate: str = EstateArg, json: bool = JsonOpt,
           traces: int = typer.Option(1, "--traces", help="traces to print per finding")) -> None:
    """Check the estate's intents and the built-in properties; exit 1 on critical/high findings."""
    from tradeplane import plan  # the composer: latency-budget verdicts come from placement

    report = plan.verify(inventory.load_any(estate))
    if json:
        print_json(report.to_json())
    else:
        render_report(report, traces)
    if not report.ok:
        # SystemExit, not typer.Exit: main() runs click with standalone_mode=False, which turns
        # typer.Exit into a return value that main() does not pass on.
        raise SystemExit(1)


def render_report(report: net.Report, traces: int = 1) -> None:
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n) or "no findings"
    held = count(len(report.passed), "property", "properties") + (" holds" if len(report.passed) == 1 else " hold")
    console.print(f"[bold]net verify {report.estate}[/]: {count(len(report.checks), 'check')}, {held}, {counts}")
    for f in report.findings:
        console.print(f"[{SEVERITY_STYLE[f.severity]}]{f.severity.upper()}[/] [{f.check}] {f.title}",
                      soft_wrap=True, highlight=False)
        for fl in f.flows[:5]:
            console.print(f"  flow: {fl}", markup=False, soft_wrap=True)
        if f.detail:
            console.print(f"  {f.detail}", markup=False, soft_wrap=True)
        if f.fix:
            console.print(f"  fix: {f.fix}" + (f" at {f.fix_location}" if f.fix_location else ""), markup=False,
                          soft_wrap=True)
        _print_traces(list(f.traces), traces)


@app.command()
def diff(old: str = typer.Argument(..., help="the estate before"), new: str = typer.Argument(..., help="after"),
         json: bool = JsonOpt) -> None:
    """Flows whose verdict changes between two estates: what a change opens or breaks."""
    d = net.diff(inventory.load_any(old), inventory.load_any(new))
    if json:
        print_json(d.to_json())
        return
    console.print(f"[bold]net diff[/] {old} -> {new}: {len(d.changes)} of {d.flows_compared} flows change")
    t = Table("question", "src", "dst", "proto/ports", "old", "new", "opened", "closed")
    for c in d.changes:
        t.add_row(c.question, c.src, c.dst, f"{c.protocol} {c.ports}", c.old, c.new, c.opened, c.closed)
    if d.changes:
        console.print(t)


def _import(kind: str, directory: Path, json: bool, yaml_out: Path | None, run_verify: bool,
            policy: Path | None) -> None:
    if yaml_out is not None:
        check_file(yaml_out, "--yaml")  # before any work
    result = inventory.import_aws(directory) if kind == "aws" else inventory.import_gcp(directory)
    e = result.estate
    if policy is not None:
        e = inventory.with_policy(e, est.load(policy))
    if yaml_out is not None:
        write_file(yaml_out, est.to_yaml(e), "--yaml")
    # plan.verify, as `net verify` runs it: the same findings, and the same exit code for them
    report = plan.verify(e) if run_verify else None
    if json:
        print_json({"summary": result.summary(), "notes": result.notes,
                    "verify": report.to_json() if report else None})
    else:
        _print_import(kind, directory, result, yaml_out, report)
    if report is not None and not report.ok:
        raise SystemExit(1)  # findings at a blocking severity, as `net verify` exits for them


def _print_import(kind: str, directory: Path, result: inventory.ImportResult, yaml_out: Path | None,
                  report: net.Report | None) -> None:
    s = result.summary()
    console.print(f"[green]imported[/] {kind} exports from {directory}: "
                  + ", ".join(f"{v} {k}" for k, v in s.items() if v))
    for note in result.notes:
        console.print(f"  [yellow]note[/] {note}", markup=True, soft_wrap=True, highlight=False)
    if yaml_out is not None:
        console.print(f"wrote the imported estate to {yaml_out}")
    if report is not None:
        render_report(report)


@import_app.command("aws")
def import_aws(directory: Path = typer.Argument(..., help="directory of `aws ec2 describe-*` JSON exports"),
               json: bool = JsonOpt,
               yaml: Path | None = typer.Option(None, "--yaml", help="also write the imported estate as YAML"),
               run_verify: bool = typer.Option(True, "--verify/--no-verify", help="run net verify on it"),
               policy: Path | None = PolicyOpt) -> None:
    """Import AWS exports, then verify them like an estate (exit 1 on critical/high findings, as net verify)."""
    _import("aws", directory, json, yaml, run_verify, policy)


@import_app.command("gcp")
def import_gcp(directory: Path = typer.Argument(..., help="directory of `gcloud compute ... list --format=json`"),
               json: bool = JsonOpt,
               yaml: Path | None = typer.Option(None, "--yaml", help="also write the imported estate as YAML"),
               run_verify: bool = typer.Option(True, "--verify/--no-verify", help="run net verify on it"),
               policy: Path | None = PolicyOpt) -> None:
    """Import GCP exports, then verify them like an estate (exit 1 on critical/high findings, as net verify)."""
    _import("gcp", directory, json, yaml, run_verify, policy)
