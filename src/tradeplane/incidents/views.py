"""Read views of incidents: the JSON shapes the API serves, scoped to what a token may see.

Desk scoping: a token scoped to desks sees the incidents of those desks; a token scoped to
the estate's infrastructure desk (the platform team) sees every desk's incidents; an
unscoped token sees everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tradeplane.errors import InputError
from tradeplane.incidents.store import AlertRow, IncidentRow
from tradeplane.incidents.timeline import entries

__all__ = ["NotFound", "Scope", "alerts_of", "incident_json", "list_incidents", "load_incident", "open_actions"]


class NotFound(InputError):
    """No such incident, or not visible to this token (HTTP 404 either way)."""


@dataclass(frozen=True)
class Scope:
    """Which desks' incidents are visible: ``None`` for all."""

    desks: frozenset[str] | None = None

    def allows(self, desk: str | None) -> bool:
        return self.desks is None or (desk is not None and desk in self.desks)

    def filter(self, query: Select[Any]) -> Select[Any]:
        if self.desks is None:
            return query
        return query.where(IncidentRow.desk.in_(sorted(self.desks)))


def load_incident(session: Session, incident_id: int, scope: Scope) -> IncidentRow:
    row = session.get(IncidentRow, incident_id)
    if row is None or not scope.allows(row.desk):
        raise NotFound(f"no incident {incident_id}", )
    return row


def summary_json(row: IncidentRow) -> dict[str, Any]:
    return {
        "id": row.id, "title": row.title, "severity": row.severity, "status": row.status,
        "desk": row.desk, "team": row.team, "venue": row.venue, "link": row.link, "workload": row.workload,
        "network": row.network, "group_key": row.group_key, "opened_at": row.opened_at,
        "acknowledged_at": row.acknowledged_at, "mitigated_at": row.mitigated_at,
        "resolved_at": row.resolved_at, "last_alert_at": row.last_alert_at,
        "escalation_step": row.escalation_step, "next_escalation_at": row.next_escalation_at,
    }


def alerts_of(session: Session, incident_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(AlertRow).where(AlertRow.incident_id == incident_id)
                           .order_by(AlertRow.starts_at, AlertRow.fingerprint)).all()
    return [{"fingerprint": a.fingerprint, "status": a.status, "starts_at": a.starts_at, "ends_at": a.ends_at,
             "source": a.source, "labels": json.loads(a.labels), "annotations": json.loads(a.annotations),
             "generator_url": a.generator_url, "receipts": a.receipts, "first_received_at": a.first_received_at,
             "last_received_at": a.last_received_at} for a in rows]


def open_actions(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Action items not yet marked done, in the order they were written."""
    done = {e["body"].get("action") for e in timeline if e["kind"] == "action_done"}
    return [{"seq": e["seq"], "text": e["body"].get("text", ""), "actor": e["actor"], "at": e["at"]}
            for e in timeline if e["kind"] == "action" and e["seq"] not in done]


def incident_json(session: Session, row: IncidentRow) -> dict[str, Any]:
    timeline = entries(session, row.id)
    return {**summary_json(row), "owner": json.loads(row.owner), "alerts": alerts_of(session, row.id),
            "timeline": timeline, "open_actions": open_actions(timeline)}


def list_incidents(session: Session, scope: Scope, *, status: str | None = None, desk: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    q = scope.filter(select(IncidentRow))
    if status:
        q = q.where(IncidentRow.status == status)
    if desk:
        q = q.where(IncidentRow.desk == desk)
    q = q.order_by(IncidentRow.id.desc()).limit(limit).offset(offset)
    return [summary_json(r) for r in session.scalars(q).all()]
