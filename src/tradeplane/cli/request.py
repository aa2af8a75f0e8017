"""`tradeplane request workload|venue|flow|budget|file ... ESTATE`, `request list|show|approve|log`.

A self-serve change request: the estate patch, the whole plan on the patched copy, the verdict.
Exit 0 when acceptable, 1 when refused, 2 on bad input (nothing written).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from tradeplane.cli._lazy import lazy
from tradeplane.cli.output import console, print_json
from tradeplane.errors import InputError, Problem

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

_ACTOR = typer.Option(None, "--actor", help="who asks, for the audit log (default: $USER, else the login name)")
_ROLE = typer.Option("requester", "--role", help="viewer, requester, approver, platform or crypto")
_STATE = typer.Option(None, "--state", help="state directory (default: $TRADEPLANE_STATE_DIR or .tradeplane/selfserve)")
_JSON = typer.Option(False, "--json", help="print JSON")
_OUT = typer.Option(None, "--out", help="approve at once (approver/platform; a request someone else filed) "
                    "and write the patch here")
_BRANCH = typer.Option(None, "--branch", help="approve at once (approver/platform; a request someone else filed) "
                       "and create this branch")
_ESTATE = typer.Argument(..., help="estate directory", show_default=False)


def _actor(name: str | None, role: str) -> Any:
    """The actor: ``--actor``, else ``$USER``/``$LOGNAME``, else the login name of this process's user.
    Raises ``InputError`` naming ``--actor`` when none of them gives a name (never "unknown" in the log)."""
    if not name:
        import getpass

        try:
            name = getpass.getuser()  # $LOGNAME, $USER, $LNAME, $USERNAME, then the password database
        except Exception:  # no such variable and no passwd entry (a bare container)
            name = None
    if not name:
        raise InputError.single("actor: no --actor given, $USER is not set and this user has no login name",
                                field="actor", hint="pass --actor NAME (it is written into the audit log)")
    return roles.Actor(name, role)


def _run(data: dict[str, Any] | Any, estate: Path, as_json: bool, out: Path | None, branch: str | None,
         actor: str | None, role: str, state: Path | None) -> None:
    who = _actor(actor, role)
    if (out is not None or branch is not None) and not roles.can_approve(who):
        raise InputError.single(f"--out/--branch approve the request: role {role} may not approve", field="role",
                                hint="submit without them and ask an approver to run `tradeplane request approve ID`")
    s = store.Store(state)
    if out is not None or branch is not None:  # separation of duties: never your own request
        workflow.check_approve_at_once(s, data, who)
    if out is not None:
        from tradeplane.writing import check_file

        check_file(out, "--out")
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
    latency_us: str | None = typer.Option(None, "--latency-us", help="round-trip budget to each venue (µs)"),
    port: list[str] = typer.Option([], "--port", help="a port it listens on (repeat, or 9000-9010)"),
    machine_type: str | None = typer.Option(None, "--machine-type"),
    count: str = typer.Option("1", "--count", help="how many instances"),
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
    amount: str = typer.Argument(..., help="the monthly budget, e.g. 250000"),
    estate: Path = _ESTATE,
    currency: str = typer.Option("USD", "--currency", help="ISO 4217 code of the amount: USD, or one --rates "
                                 "converts into USD"),
    rates: Path | None = typer.Option(None, "--rates", help="a FinOps rate table into USD (as `cost report "
                                      "--rates` reads) for an amount not in USD; the budget is written in USD"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = _JSON, out: Path | None = _OUT, branch: str | None = _BRANCH,
    actor: str | None = _ACTOR, role: str = _ROLE, state: Path | None = _STATE,
) -> None:
    """Ask for a budget change (kept in USD: another currency is converted with --rates, else refused)."""
    data: dict[str, Any] = {"kind": "budget", "desk": desk, "amount": amount, "currency": currency, "reason": reason}
    if rates is not None:
        from tradeplane.finops import load_rates

        try:
            table = load_rates(rates)
        except InputError as exc:  # one line: the first located problem (and how many more)
            first = exc.problems[0] if exc.problems else None
            if first is None:
                raise
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            raise InputError(first.message + more, [Problem(first.message + more, first.location,
                                                            first.field or "--rates", first.hint)]) from None
        data["rates"] = {"currency": table.currency, "as_of": table.as_of, "source": table.source,
                         "rates": table.rates}
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
    """Every request (the crypto desk's names shown to the crypto and platform roles only)."""
    rows = workflow.visible(store.Store(state), _actor(actor, role))
    if as_json:
        print_json(rows)
        return
    # one line each, never cut by Rich (a narrow terminal wraps the summary, not the id)
    for r in rows:
        _say(f"{r['id']}  {r['kind']:<8} {r['verdict']:<10} {r['status']:<8} by {r['requested_by']['name']}: "
             f"{r['summary']}")
    if not rows:
        console.print("no requests yet")


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
            role: str = _ROLE,
            state: Path | None = _STATE) -> None:
    """Approve an acceptable request (--role approver or platform; never one you filed yourself): a patch
    file, and a branch when asked. Nothing is applied."""
    result = workflow.approve(store.Store(state), request_id, _actor(actor, role), out=out, branch=branch)
    if as_json:
        print_json(result)
        return
    console.print(f"approved {result['id']}: patch {result['patch']}"
                  + (f", branch {result['branch']} ({result['commit'][:12]})" if result["branch"] else ""))


@app.command("log")
def audit_log(as_json: bool = _JSON, actor: str | None = _ACTOR, role: str = _ROLE, state: Path | None = _STATE) -> None:
    """The audit log: every request and approval with its actor."""
    lines = workflow.audit_log(store.Store(state), _actor(actor, role))
    if as_json:
        print_json(lines)
        return
    for x in lines:
        console.print(f"{x['time']} {x['event']} {x['id'] or '-'} {x['verdict'] or '-'} by {x['actor']} ({x['role']})",
                      markup=False)


def _say(text: str, indent: str = "") -> None:
    """One line, never wrapped by Rich (addresses and trace hops stay whole; the terminal wraps)."""
    console.print(f"{indent}{text}", markup=False, soft_wrap=True)


def render(r: dict[str, Any]) -> None:
    """A request's outcome for people: verdict and why, trace, changes, placement, Terraform, cost,
    the findings the reasons do not already state, what is hidden, the estate diff."""
    colour = "green" if r["verdict"] == "acceptable" else "bold red"
    console.rule(f"[bold]{r['id']}[/] {escape(r['summary'])}")
    status = {"pending": "pending approval", "approved": "approved"}.get(r["status"], "")
    if r["status"] == "approved" and r.get("approval"):
        status = f"approved by {r['approval']['by']['name']}"
    console.print(f"verdict: [{colour}]{r['verdict']}[/]" + (f" ({escape(status)})" if status else ""))
    for reason in r["reasons"]:
        _say(f"- {reason}")
    if r.get("trace") and r["trace"].get("lines"):
        _say(f"trace of {r['trace']['flow']} on the patched estate ({r['trace']['verdict']}):")
        for line in r["trace"]["lines"]:
            _say(line, "  ")
    console.print("changes:")
    for c in r["changes"]:
        _say(c, "  ")
    for p in r.get("placement", []):
        budgets = "; ".join(f"{b['to']} {b['rtt_us']:,.0f}/{b['budget_us']:,.0f} µs"
                            f" {'met' if b['met'] else 'MISSED'}" for b in p.get("budgets", []))
        _say(f"placement: {p['workload']} in {', '.join(p.get('zones', [])) or '-'}" + (f" ({budgets})" if budgets else ""))
    tf = r.get("terraform", {})
    console.print(f"terraform: +{len(tf.get('added', []))} ~{len(tf.get('changed', []))} -{len(tf.get('removed', []))}")
    for sign, key in (("+", "added"), ("~", "changed"), ("-", "removed")):
        for addr in tf.get(key, []):
            _say(f"{sign} {addr}", "  ")
    for cur, c in r.get("cost", {}).get("currency", {}).items():
        console.print(f"cost: {c['old']:,.2f} -> {c['new']:,.2f} {cur}/month ({c['delta']:+,.2f})")
    for cur, b in r.get("cost", {}).get("budgets", {}).items():
        if b["delta"]:
            console.print(f"budgets: {b['old']:,.0f} -> {b['new']:,.0f} {cur}/month ({b['delta']:+,.0f})")
    stated = "\n".join(r["reasons"])
    for label, key in (("new", "new"), ("gone", "removed")):
        for f in r["findings"][key]:
            if key == "new" and f["title"] in stated:  # a blocking finding is already a reason above
                continue
            _say(f"{label} finding: {f['section']} {f['severity']}: {f['title']}")
    if r.get("hidden"):
        _say(f"{r['hidden']} details on the crypto desk's side are hidden (shown to the crypto and platform roles)")
    if r.get("estate_diff"):
        console.rule("estate diff")
        console.file.write(r["estate_diff"])
