"""`tradeplane request workload|venue|flow|budget|file ... ESTATE`, `request list|show|approve|log`.

A self-serve change request: the estate patch, the whole plan on the patched copy, the verdict.
Exit 0 when acceptable, 1 when refused, 2 on bad input (nothing written).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tradeplane.cli._lazy import lazy
from tradeplane.cli.output import console, print_json
from tradeplane.errors import InputError

if TYPE_CHECKING:
    from tradeplane import selfserve
    from tradeplane.selfserve import roles, store, workflow
else:
    selfserve = lazy("tradeplane.selfserve")
    roles = lazy("tradeplane.selfserve.roles")
    store = lazy("tradeplane.selfserve.store")
    workflow = lazy("tradeplane.selfserve.workflow")

app = typer.Typer(help="Self-serve change requests: patch, consequences, approval (never applied).",
                  no_args_is_help=True)

_ACTOR = typer.Option(None, "--actor", help="who asks (default: $USER)")
_ROLE = typer.Option("requester", "--role", help="viewer, requester, approver, platform or crypto")
_STATE = typer.Option(None, "--state", help="state directory (default: $TRADEPLANE_STATE_DIR or .tradeplane/selfserve)")
_JSON = typer.Option(False, "--json", help="print JSON")
_OUT = typer.Option(None, "--out", help="approve at once (approver/platform) and write the patch here")
_BRANCH = typer.Option(None, "--branch", help="approve at once (approver/platform) and create this branch")
_ESTATE = typer.Argument(..., help="estate directory", show_default=False)


def _actor(name: str | None, role: str) -> Any:
    return roles.Actor(name or os.environ.get("USER") or "unknown", role)


def _run(data: dict[str, Any] | Any, estate: Path, as_json: bool, out: Path | None, branch: str | None,
         actor: str | None, role: str, state: Path | None) -> None:
    who = _actor(actor, role)
    if (out is not None or branch is not None) and not roles.can_approve(who):
        raise InputError.single(f"--out/--branch approve the request: role {role} may not approve", field="role",
                                hint="submit without them and ask an approver to run `tradeplane request approve ID`")
    if out is not None:
        from tradeplane.writing import check_file

        check_file(out, "--out")
    s = store.Store(state)
    record = workflow.submit(estate, data, who, s)
    approval = None
    if record["verdict"] == "acceptable" and (out is not None or branch is not None):
        approval = workflow.approve(s, record["id"], who, out=out, branch=branch)
    if as_json:
        print_json({**record, "approval": approval})
    else:
        render(record)
        if approval:
            console.print(f"approved: patch {approval['patch']}"
                          + (f", branch {approval['branch']} ({approval['commit'][:12]})" if approval["branch"] else ""))
    if record["verdict"] != "acceptable":
        raise typer.Exit(1)


def _ports(values: list[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


@app.command()
def workload(
    name: str = typer.Argument(..., help="the new workload's name"),
    estate: Path = _ESTATE,
    desk: str = typer.Option(..., "--desk", help="the desk that owns it"),
    team: str | None = typer.Option(None, "--team", help="one of the desk's teams (default: its first)"),
    cloud: str | None = typer.Option(None, "--cloud", help="aws or gcp"),
    region: str | None = typer.Option(None, "--region"),
    near: str | None = typer.Option(None, "--near", help="placement hint: a venue or site to be close to"),
    venue: list[str] = typer.Option([], "--venue", help="a venue it trades on (repeat)"),
    latency_us: float | None = typer.Option(None, "--latency-us", help="round-trip budget to each venue (µs)"),
    port: list[str] = typer.Option([], "--port", help="a port it listens on (repeat, or 9000-9010)"),
    machine_type: str | None = typer.Option(None, "--machine-type"),
    count: int = typer.Option(1, "--count"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = _JSON, out: Path | None = _OUT, branch: str | None = _BRANCH,
    actor: str | None = _ACTOR, role: str = _ROLE, state: Path | None = _STATE,
) -> None:
    """Ask for a new workload; see where it would run, its Terraform and its cost."""
    data = {"kind": "workload", "name": name, "desk": desk, "team": team, "cloud": cloud, "region": region,
            "near": near, "venues": venue, "latency_us": latency_us, "ports": _ports(port),
            "machine_type": machine_type, "count": count, "reason": reason}
    _run({k: v for k, v in data.items() if v is not None}, estate, as_json, out, branch, actor, role, state)


@app.command()
def venue(
    target: str = typer.Argument(..., help="a workload, or a desk (each of its workloads)"),
    venue_name: str = typer.Argument(..., metavar="VENUE"),
    estate: Path = _ESTATE,
    connection: str = typer.Option("internet", "--connection", help="internet, privatelink, "
                                   "private_service_connect, cross_connect or interconnect"),
    via: str | None = typer.Option(None, "--via", help="the link or site that carries it"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = _JSON, out: Path | None = _OUT, branch: str | None = _BRANCH,
    actor: str | None = _ACTOR, role: str = _ROLE, state: Path | None = _STATE,
) -> None:
    """Ask for a venue connection."""
    data = {"kind": "venue", "target": target, "venue": venue_name, "connection": connection, "via": via,
            "reason": reason}
    _run({k: v for k, v in data.items() if v is not None}, estate, as_json, out, branch, actor, role, state)


@app.command()
def flow(
    src: str = typer.Argument(..., help="the workload that connects"),
    dst: str = typer.Argument(..., help="a workload or a desk"),
    estate: Path = _ESTATE,
    protocol: str = typer.Option("tcp", "--protocol", help="tcp, udp, icmp or all"),
    port: list[str] = typer.Option([], "--port", help="port or range (repeat)"),
    reason: str = typer.Option(..., "--reason", help="why; reviewers read it"),
    as_json: bool = _JSON, out: Path | None = _OUT, branch: str | None = _BRANCH,
    actor: str | None = _ACTOR, role: str = _ROLE, state: Path | None = _STATE,
) -> None:
    """Ask for a flow between desks; refused with the trace if it breaks isolation."""
    data = {"kind": "flow", "src": src, "dst": dst, "protocol": protocol, "ports": _ports(port), "reason": reason}
    _run(data, estate, as_json, out, branch, actor, role, state)


@app.command()
def budget(
    desk: str = typer.Argument(...),
    amount: float = typer.Argument(..., help="per month"),
    estate: Path = _ESTATE,
    currency: str = typer.Option("USD", "--currency", help="ISO 4217 code"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = _JSON, out: Path | None = _OUT, branch: str | None = _BRANCH,
    actor: str | None = _ACTOR, role: str = _ROLE, state: Path | None = _STATE,
) -> None:
    """Ask for a budget change."""
    data = {"kind": "budget", "desk": desk, "amount": amount, "currency": currency, "reason": reason}
    _run(data, estate, as_json, out, branch, actor, role, state)


@app.command("file")
def from_file(
    request: Path = typer.Argument(..., help="a request YAML file (kind: ... and its fields)"),
    estate: Path = _ESTATE,
    as_json: bool = _JSON, out: Path | None = _OUT, branch: str | None = _BRANCH,
    actor: str | None = _ACTOR, role: str = _ROLE, state: Path | None = _STATE,
) -> None:
    """Ask for any request kind from a YAML file (problems at file:line:column)."""
    _run(selfserve.load_request(request), estate, as_json, out, branch, actor, role, state)


@app.command("list")
def list_requests(as_json: bool = _JSON, actor: str | None = _ACTOR, role: str = _ROLE,
                  state: Path | None = _STATE) -> None:
    """The requests you may read."""
    rows = workflow.visible(store.Store(state), _actor(actor, role))
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    t = Table("id", "kind", "verdict", "status", "by", "summary")
    for r in rows:
        t.add_row(r["id"], r["kind"], r["verdict"], r["status"], r["requested_by"]["name"], r["summary"])
    console.print(t)


@app.command()
def show(request_id: str = typer.Argument(..., metavar="ID"), as_json: bool = _JSON,
         actor: str | None = _ACTOR, role: str = _ROLE, state: Path | None = _STATE) -> None:
    """One request: verdict, reasons, trace, placement, Terraform and cost diff, estate diff."""
    record = workflow.show(store.Store(state), request_id, _actor(actor, role))
    if as_json:
        print_json(record)
    else:
        render(record)


@app.command()
def approve(request_id: str = typer.Argument(..., metavar="ID"),
            out: Path | None = typer.Option(None, "--out", help="write the patch here (default STATE/patches/ID.patch)"),
            branch: str | None = typer.Option(None, "--branch", help="also create this branch (one commit)"),
            as_json: bool = _JSON, actor: str | None = _ACTOR,
            role: str = typer.Option("approver", "--role", help="approver or platform"),
            state: Path | None = _STATE) -> None:
    """Approve an acceptable request: a patch file, and a branch when asked. Nothing is applied."""
    result = workflow.approve(store.Store(state), request_id, _actor(actor, role), out=out, branch=branch)
    if as_json:
        print_json(result)
        return
    console.print(f"approved {result['id']}: patch {result['patch']}"
                  + (f", branch {result['branch']} ({result['commit'][:12]})" if result["branch"] else ""))


@app.command("log")
def audit_log(as_json: bool = _JSON, state: Path | None = _STATE) -> None:
    """The audit log: every request and approval with its actor."""
    lines = store.Store(state).audit_log()
    if as_json:
        print_json(lines)
        return
    for x in lines:
        console.print(f"{x['time']} {x['event']} {x['id'] or '-'} {x['verdict'] or '-'} by {x['actor']} ({x['role']})",
                      markup=False)


def render(r: dict[str, Any]) -> None:
    """A request's outcome for people."""
    colour = "green" if r["verdict"] == "acceptable" else "bold red"
    console.rule(f"[bold]{r['id']}[/] {r['summary']}")
    console.print(f"verdict: [{colour}]{r['verdict']}[/] ({r['status']})")
    for reason in r["reasons"]:
        console.print(f"- {reason}", markup=False, soft_wrap=True)
    if r.get("trace") and r["trace"].get("lines"):
        console.print(f"trace of {r['trace']['flow']} on the patched estate ({r['trace']['verdict']}):")
        for line in r["trace"]["lines"]:
            console.print(f"  {line}", markup=False, soft_wrap=True)
    console.print("changes:")
    for c in r["changes"]:
        console.print(f"  {c}", markup=False, soft_wrap=True)
    for p in r.get("placement", []):
        budgets = "; ".join(f"{b['to']} {b['rtt_us']:,.0f}/{b['budget_us']:,.0f} µs"
                            f" {'met' if b['met'] else 'MISSED'}" for b in p.get("budgets", []))
        console.print(f"placement: {p['workload']} in {', '.join(p.get('zones', [])) or '-'}"
                      + (f" ({budgets})" if budgets else ""), markup=False)
    tf = r.get("terraform", {})
    console.print(f"terraform: +{len(tf.get('added', []))} ~{len(tf.get('changed', []))} -{len(tf.get('removed', []))}")
    for sign, key in (("+", "added"), ("~", "changed"), ("-", "removed")):
        for addr in tf.get(key, []):
            console.print(f"  {sign} {addr}", markup=False)
    for cur, c in r.get("cost", {}).get("currency", {}).items():
        console.print(f"cost: {c['old']:,.2f} -> {c['new']:,.2f} {cur}/month ({c['delta']:+,.2f})")
    for cur, b in r.get("cost", {}).get("budgets", {}).items():
        if b["delta"]:
            console.print(f"budgets: {b['old']:,.0f} -> {b['new']:,.0f} {cur}/month ({b['delta']:+,.0f})")
    for label, key in (("new", "new"), ("gone", "removed")):
        for f in r["findings"][key]:
            console.print(f"{label} finding: {f['section']} {f['severity']}: {f['title']}", markup=False,
                          soft_wrap=True)
    if r.get("estate_diff"):
        console.rule("estate diff")
        console.file.write(r["estate_diff"])
