"""``tradeplane incidents``: serve the intake and API; list, act on and write up incidents."""

from __future__ import annotations

from pathlib import Path

import typer

from tradeplane.cli.output import console, print_json

app = typer.Typer(no_args_is_help=True, help="Incidents: alerts in, owned incidents out, timeline, postmortems.")

CONFIG = typer.Argument(..., help="the incidents service config (incidents.yaml)")
DB = typer.Option(None, "--db", help="database path or URL, instead of the config's")
ACTOR = typer.Option(None, "--actor", help="who is acting (default: cli:<login name>)")


def _db(config: Path, db: str | None):  # type: ignore[no-untyped-def]
    from tradeplane.incidents.offline import Database

    return Database.open(str(config), db)


@app.command()
def serve(config: Path = CONFIG, host: str = typer.Option(None, help="listen address (default: config)"),
          port: int = typer.Option(None, help="listen port (default: config; 0: any free port)"),
          fd: int = typer.Option(None, "--fd", help="serve on this inherited listening socket (bound by the parent)"),
          ready_file: Path = typer.Option(None, "--ready-file",
                                          help="write {url, host, port, pid} here (JSON) once serving")) -> None:
    """Run the intake and API (uvicorn; OpenAPI at /openapi.json)."""
    from tradeplane.cli.output import err_console
    from tradeplane.incidents.api import serve as run

    def warn(line: str) -> None:
        err_console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)

    run(str(config), host=host, port=port, fd=fd, ready_file=str(ready_file) if ready_file else None, warn=warn)


@app.command("list")
def list_(config: Path = CONFIG, status: str = typer.Option(None, help="triggered|acknowledged|mitigated|resolved"),
          desk: str = typer.Option(None), limit: int = typer.Option(100), db: str = DB,
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Incidents, newest first."""
    from tradeplane.cli.output import Table

    rows = _db(config, db).list(status=status, desk=desk, limit=limit)
    if as_json:
        print_json(rows)
        return
    t = Table("id", "severity", "status", "desk", "team", "opened", "title")
    for r in rows:
        t.add_row(str(r["id"]), r["severity"], r["status"], r["desk"] or "-", r["team"] or "-",
                  r["opened_at"][:19], r["title"])
    console.print(t)


@app.command()
def show(config: Path = CONFIG, incident: int = typer.Argument(...), db: str = DB,
         as_json: bool = typer.Option(False, "--json")) -> None:
    """One incident: owner, alerts, timeline, open actions."""
    from tradeplane.cli.output import Table

    data = _db(config, db).show(incident)
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]incident {data['id']}[/bold] {data['title']}")
    console.print(f"{data['severity']} | {data['status']} | desk {data['desk']} | team {data['team']} | "
                  f"{data['owner'].get('basis', '')}")
    t = Table("#", "time (UTC)", "actor", "kind", "detail")
    for e in data["timeline"]:
        detail = e["body"].get("text") or e["body"].get("status") or e["body"].get("summary") or ""
        t.add_row(str(e["seq"]), e["at"][:19], e["actor"], e["kind"], str(detail))
    console.print(t)
    for a in data["open_actions"]:
        console.print(f"open action #{a['seq']}: {a['text']}")


def _act(action: str, config: Path, incident: int, text: str, actor: str | None, db: str | None,
         item: int | None = None) -> None:
    from tradeplane.incidents.lifecycle import Action
    from tradeplane.incidents.offline import default_actor

    entry = _db(config, db).act(incident, Action(action), actor or default_actor(), text=text, item=item)
    console.print(f"incident {incident}: {entry['kind']} #{entry['seq']} by {entry['actor']}"
                  + (f" -> {entry['body']['status']}" if "status" in entry["body"] else ""))


@app.command()
def ack(config: Path = CONFIG, incident: int = typer.Argument(...), text: str = typer.Option("", "--text"),
        actor: str = ACTOR, db: str = DB) -> None:
    """Acknowledge: stops the escalation."""
    _act("ack", config, incident, text, actor, db)


@app.command()
def note(config: Path = CONFIG, incident: int = typer.Argument(...), text: str = typer.Argument(...),
         action: bool = typer.Option(False, "--action", help="an action item the postmortem lists until done"),
         actor: str = ACTOR, db: str = DB) -> None:
    """Add a note (or, with --action, an action item) to the timeline."""
    _act("action" if action else "note", config, incident, text, actor, db)


@app.command()
def done(config: Path = CONFIG, incident: int = typer.Argument(...), item: int = typer.Argument(..., help="seq"),
         actor: str = ACTOR, db: str = DB) -> None:
    """Mark an action item done."""
    _act("action_done", config, incident, "", actor, db, item)


@app.command()
def mitigate(config: Path = CONFIG, incident: int = typer.Argument(...), text: str = typer.Option("", "--text"),
             actor: str = ACTOR, db: str = DB) -> None:
    """Mark mitigated (impact stopped; cause may remain)."""
    _act("mitigate", config, incident, text, actor, db)


@app.command()
def resolve(config: Path = CONFIG, incident: int = typer.Argument(...), text: str = typer.Option("", "--text"),
            actor: str = ACTOR, db: str = DB) -> None:
    """Resolve."""
    _act("resolve", config, incident, text, actor, db)


@app.command()
def reopen(config: Path = CONFIG, incident: int = typer.Argument(...), text: str = typer.Option("", "--text"),
           actor: str = ACTOR, db: str = DB) -> None:
    """Reopen a resolved incident (escalation starts again)."""
    _act("reopen", config, incident, text, actor, db)


@app.command()
def postmortem(config: Path = CONFIG, incident: int = typer.Argument(...), db: str = DB,
               output: Path = typer.Option(None, "-o", "--output", help="write the markdown here")) -> None:
    """The postmortem draft in markdown: summary, impact, timeline, TTA/TTR, open actions."""
    from tradeplane.writing import check_file, write_file

    if output:
        check_file(output)  # before any work
    text = _db(config, db).postmortem(incident)
    if output:
        write_file(output, text)
        console.print(f"wrote {output}")
    else:
        console.file.write(text)


@app.command()
def report(config: Path = CONFIG, db: str = DB, as_json: bool = typer.Option(False, "--json")) -> None:
    """MTTA and MTTR by desk and month."""
    from tradeplane.cli.output import Table
    from tradeplane.incidents.postmortem import duration_text

    rows = _db(config, db).report()
    if as_json:
        print_json(rows)
        return
    t = Table("desk", "month", "incidents", "acked", "resolved", "MTTA", "MTTR")
    for r in rows:
        t.add_row(r["desk"], r["month"], str(r["incidents"]), str(r["acknowledged"]), str(r["resolved"]),
                  duration_text(r["mtta_s"]), duration_text(r["mttr_s"]))
    console.print(t)


@app.command()
def verify(config: Path = CONFIG, incident: int = typer.Argument(...), db: str = DB,
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Recompute the timeline's hash chain; exit 1 when an entry was edited or deleted."""
    result = _db(config, db).verify(incident)
    if as_json:
        print_json(result)
    elif result["ok"]:
        console.print(f"ok incident {incident}: {result['entries']} entries, chain intact (head {result['head'][:16]})")
    else:
        console.print(f"TAMPERED incident {incident}:")
        for p in result["problems"]:
            console.print(f"  {p}")
    if not result["ok"]:
        raise typer.Exit(1)
