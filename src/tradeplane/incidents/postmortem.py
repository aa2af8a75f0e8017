"""Postmortem drafts and response-time reports.

``postmortem`` writes markdown from one incident (the JSON of ``views.incident_json``) and the
estate: summary, impact (duration; desks, venues and workloads affected, from the estate), the
timeline, time to acknowledge (TTA: opened -> first acknowledgement) and to resolve (TTR:
opened -> resolved), and the open action items. ``report`` gives MTTA and MTTR (means, in
seconds) by desk and month of opening; incidents not yet acknowledged or resolved count in
``incidents`` but not in the means.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeplane.estate.model import Estate
from tradeplane.incidents.store import IncidentRow
from tradeplane.incidents.views import Scope

__all__ = ["affected", "duration_text", "postmortem", "report"]


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    parts = [f"{d}d"] if d else []
    parts += [f"{h}h"] if h else []
    parts += [f"{m}m"] if m else []
    parts += [f"{s}s"] if s or not parts else []
    return " ".join(parts)


def _between(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def affected(estate: Estate, incident: dict[str, Any]) -> dict[str, list[str]]:
    """Desks, venues and workloads the incident touches: its owner's, its alerts' labels, and
    what the estate connects them to (a venue's workloads; a desk's workloads on that venue)."""
    venues: set[str] = set()
    workloads: set[str] = set()
    desks: set[str] = set(incident["owner"].get("affected_desks") or [])
    known_v = {v.name for v in estate.venues}
    known_w = {w.name: w for w in estate.workloads}
    for src in [incident, *({**a["labels"]} for a in incident["alerts"])]:
        if src.get("venue") in known_v:
            venues.add(src["venue"])
        if src.get("workload") in known_w:
            workloads.add(src["workload"])
        if src.get("desk") in {d.name for d in estate.desks}:
            desks.add(src["desk"])
    for w in estate.workloads:
        if venues & set(w.venues):
            workloads.add(w.name)
    for e in incident["timeline"]:
        net = e["body"].get("network") if e["kind"] == "evidence" else None
        for lost in (net or {}).get("whole_link_down_loses", []):
            src = lost["flow"].split(" -> ")[0]
            if src in known_w:
                workloads.add(src)
    desks |= {known_w[w].desk for w in workloads}
    if incident.get("desk"):
        desks.add(incident["desk"])
    return {"desks": sorted(desks), "venues": sorted(venues), "workloads": sorted(workloads)}


def _entry_text(e: dict[str, Any]) -> str:
    body = e["body"]
    kind = e["kind"]
    if kind == "trigger":
        return f"opened: {body.get('title', '')} ({body.get('severity', '')}, {body.get('owner', {}).get('basis', '')})"
    if kind == "alert":
        return f"alert {body.get('alertname', '')} {body.get('fingerprint', '')} {body.get('status', '')}"
    if kind in ("page", "escalate"):
        if body.get("exhausted"):
            return f"escalation stopped: {body.get('why', '')}"
        who = ", ".join(r["contact"] for r in body.get("recipients", []))
        ok = sum(1 for d in body.get("deliveries", []) if d.get("ok"))
        return (f"paged level {body.get('level', 0) + 1}: {who} ({ok}/{len(body.get('deliveries', []))} "
                f"deliveries ok; market {body.get('market_basis', '')})")
    if kind == "evidence":
        return "evidence attached: " + ", ".join(sorted(body))
    if kind == "severity":
        return f"severity {body.get('from')} -> {body.get('to')}"
    text = body.get("text", "")
    status = body.get("status")
    head = kind.replace("_", " ")
    return f"{head}" + (f" -> {status}" if status else "") + (f": {text}" if text else "")


def postmortem(estate: Estate, incident: dict[str, Any]) -> str:
    """The postmortem draft of one incident, in markdown."""
    i = incident
    tta = _between(i["opened_at"], i["acknowledged_at"])
    ttr = _between(i["opened_at"], i["resolved_at"])
    hit = affected(estate, i)
    first = min((a["starts_at"] for a in i["alerts"]), default=i["opened_at"])
    last = i["resolved_at"] or max((a["ends_at"] or "" for a in i["alerts"]), default="") or None
    lines = [
        f"# Incident {i['id']}: {i['title']}",
        "",
        "## Summary",
        "",
        f"- Severity: **{i['severity']}**; status: **{i['status']}**",
        f"- Owner: desk {i['desk'] or '-'}, team {i['team'] or '-'} ({i['owner'].get('basis', '')})",
        f"- Opened {i['opened_at']}; acknowledged {i['acknowledged_at'] or '-'}; mitigated "
        f"{i['mitigated_at'] or '-'}; resolved {i['resolved_at'] or '-'}",
        f"- Alerts: {len(i['alerts'])} ({sum(1 for a in i['alerts'] if a['status'] == 'firing')} still firing)",
        "",
        "## Impact",
        "",
        f"- Duration: {duration_text(_between(first, last)) if last else 'ongoing since ' + first}"
        f" (first alert {first} to {'resolution ' + last if last else 'now'})",
        f"- Desks: {', '.join(hit['desks']) or '-'}",
        f"- Venues: {', '.join(hit['venues']) or '-'}",
        f"- Workloads: {', '.join(hit['workloads']) or '-'}",
    ]
    for e in i["timeline"]:
        net = e["body"].get("network") if e["kind"] == "evidence" else None
        if net and net.get("whole_link_down_loses"):
            flows = ", ".join(x["flow"] for x in net["whole_link_down_loses"])
            lines.append(f"- With {net['link']} down, net verify says these flows lose reachability: {flows}")
    lines += [
        "",
        "## Response times",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| time to acknowledge (TTA) | {duration_text(tta)} |",
        f"| time to resolve (TTR) | {duration_text(ttr)} |",
        "",
        "## Timeline",
        "",
        "| # | time (UTC) | actor | what |",
        "| --- | --- | --- | --- |",
    ]
    for e in i["timeline"]:
        what = _entry_text(e).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {e['seq']} | {e['at'][:19].replace('T', ' ')} | {e['actor']} | {what} |")
    lines += ["", "## Open actions", ""]
    if i["open_actions"]:
        lines += [f"- [ ] {a['text']} (#{a['seq']}, {a['actor']})" for a in i["open_actions"]]
    else:
        lines.append("- none")
    return "\n".join(lines) + "\n"


def report(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """MTTA and MTTR by desk and month (``YYYY-MM`` of opening), sorted by desk then month."""
    rows = session.execute(scope.filter(select(IncidentRow)).with_only_columns(
        IncidentRow.desk, IncidentRow.opened_at, IncidentRow.acknowledged_at, IncidentRow.resolved_at)).all()
    groups: dict[tuple[str, str], list[tuple[float | None, float | None]]] = defaultdict(list)
    for desk, opened, acked, resolved in rows:
        groups[(desk or "-", opened[:7])].append((_between(opened, acked), _between(opened, resolved)))
    out = []
    for (desk, month), items in sorted(groups.items()):
        tta = [a for a, _ in items if a is not None]
        ttr = [r for _, r in items if r is not None]
        out.append({"desk": desk, "month": month, "incidents": len(items), "acknowledged": len(tta),
                    "resolved": len(ttr), "mtta_s": round(sum(tta) / len(tta), 3) if tta else None,
                    "mttr_s": round(sum(ttr) / len(ttr), 3) if ttr else None})
    return out
