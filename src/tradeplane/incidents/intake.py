"""Intake: alerts in, deduplicated, owned, grouped into incidents, committed.

One call handles one batch (one webhook POST) in one transaction:

- every label and annotation is scrubbed of secret-looking values first;
- an alert already stored as ``(fingerprint, startsAt)`` only counts a receipt (idempotent:
  Alertmanager's retries and repeats land once), or, when it now says ``resolved``, records
  the resolution; when every alert of an incident is resolved, the incident resolves itself
  (actor: the alert's source) — human notes stay in the timeline, nothing is deleted;
- a new firing alert joins the open incident that holds its fingerprint (dedup), else the
  incident of its group (same venue, link or desk, last alert within the window; a resolved
  one is reopened), else opens a new incident owned per the estate and due for its first page;
- a resolved alert never seen firing is stored (nothing is lost) and joins the open incident of
  its fingerprint, if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tradeplane.estate.model import Estate
from tradeplane.incidents.alerts import Alert
from tradeplane.incidents.grouping import Grouping, group_key, severity_of, worst
from tradeplane.incidents.lifecycle import Action, Status, next_status
from tradeplane.incidents.owners import owner_of
from tradeplane.incidents.scrub import scrub
from tradeplane.incidents.store import AlertRow, IncidentRow, dumps, iso
from tradeplane.incidents.timeline import append

__all__ = ["Intake", "IntakeResult"]


@dataclass
class IntakeResult:
    received: int = 0
    new: int = 0
    duplicates: int = 0
    resolved: int = 0
    incidents: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    fresh: list[tuple[int, dict[str, str], dict[str, str]]] = field(default_factory=list)
    """(incident, labels, annotations) of each alert that opened an incident: to enrich."""

    def to_json(self) -> dict[str, object]:
        return {"received": self.received, "new": self.new, "duplicates": self.duplicates,
                "resolved": self.resolved, "incidents": sorted(set(self.incidents)),
                "opened": sorted(set(self.opened))}


def _title(alert: Alert, subject: str) -> str:
    summary = alert.annotations.get("summary") or alert.annotations.get("description") or ""
    name = alert.labels.get("alertname", "alert")
    return (f"{name}: {summary}" if summary else f"{name} ({subject})")[:1000]


class Intake:
    """Turns alert batches into incidents (see the module docstring)."""

    def __init__(self, sessions: sessionmaker[Session], estate: Estate, grouping: Grouping | None = None) -> None:
        self.sessions = sessions
        self.estate = estate
        self.grouping = grouping or Grouping()

    def ingest(self, alerts: Sequence[Alert], source: str, now: datetime) -> IntakeResult:
        result = IntakeResult(received=len(alerts))
        with self.sessions.begin() as s:
            for raw in alerts:
                alert = raw.model_copy(update={"labels": scrub(raw.labels), "annotations": scrub(raw.annotations)})
                self._one(s, alert, source, now, result)
        return result

    def _one(self, s: Session, alert: Alert, source: str, now: datetime, result: IntakeResult) -> None:
        fp = alert.key()
        starts = iso(alert.startsAt)
        stamp = iso(now)
        row = s.scalar(select(AlertRow).where(AlertRow.fingerprint == fp, AlertRow.starts_at == starts))
        if row is not None:
            row.receipts += 1
            row.last_received_at = stamp
            if alert.status == "resolved" and row.status != "resolved":
                row.status = "resolved"
                row.ends_at = iso(alert.endsAt or now)
                result.resolved += 1
                if row.incident_id is not None:
                    self._resolved(s, row.incident_id, fp, alert, source, now)
                    result.incidents.append(row.incident_id)
            else:
                result.duplicates += 1
                if row.incident_id is not None:
                    result.incidents.append(row.incident_id)
            return
        result.new += 1
        row = AlertRow(fingerprint=fp, starts_at=starts, ends_at=iso(alert.endsAt) if alert.endsAt else None,
                       status=alert.status, source=source[:200], labels=dumps(alert.labels),
                       annotations=dumps(alert.annotations), generator_url=alert.generatorURL,
                       first_received_at=stamp, last_received_at=stamp, receipts=1)
        s.add(row)
        incident = self._open_with_fingerprint(s, fp)
        if alert.status == "resolved":
            result.resolved += 1
            if incident is not None:
                row.incident_id = incident.id
                s.flush()
                self._resolved(s, incident.id, fp, alert, source, now)
                result.incidents.append(incident.id)
            return
        owner = owner_of(self.estate, alert.labels)
        key = group_key(owner, alert.labels, self.grouping)
        severity = severity_of(alert.labels)
        if incident is None:
            incident = self._in_window(s, key, now)
        if incident is None:
            incident = IncidentRow(
                group_key=key, title=_title(alert, key), severity=severity, status=Status.TRIGGERED.value,
                desk=owner.desk, team=owner.team, venue=owner.venue, link=owner.link, workload=owner.workload,
                network=owner.network, owner=dumps(owner.to_json()), opened_at=stamp, last_alert_at=stamp,
                escalation_step=0, next_escalation_at=stamp, events=0,
            )
            s.add(incident)
            s.flush()
            append(s, incident, source, Action.TRIGGER.value,
                   {"title": incident.title, "severity": severity, "group_key": key, "owner": owner.to_json()}, now)
            result.opened.append(incident.id)
            result.fresh.append((incident.id, alert.labels, alert.annotations))
        elif incident.status == Status.RESOLVED.value:
            self._move(s, incident, Action.REOPEN, source, now, {"reason": f"alert {fp} fired again"})
        incident.last_alert_at = stamp
        if worst(severity, incident.severity) != incident.severity:
            append(s, incident, source, "severity", {"from": incident.severity, "to": severity, "fingerprint": fp},
                   now)
            incident.severity = severity
        row.incident_id = incident.id
        s.flush()
        append(s, incident, source, Action.ALERT.value,
               {"fingerprint": fp, "status": "firing", "starts_at": starts,
                "alertname": alert.labels.get("alertname", ""),
                "summary": alert.annotations.get("summary", "")}, now)
        result.incidents.append(incident.id)

    def _open_with_fingerprint(self, s: Session, fp: str) -> IncidentRow | None:
        q = (select(IncidentRow).join(AlertRow, AlertRow.incident_id == IncidentRow.id)
             .where(AlertRow.fingerprint == fp, IncidentRow.status != Status.RESOLVED.value)
             .order_by(IncidentRow.id.desc()).limit(1))
        return s.scalar(q)

    def _in_window(self, s: Session, key: str, now: datetime) -> IncidentRow | None:
        since = iso(now - self.grouping.window)
        q = (select(IncidentRow).where(IncidentRow.group_key == key, IncidentRow.last_alert_at >= since)
             .order_by(IncidentRow.id.desc()).limit(1))
        return s.scalar(q)

    def _resolved(self, s: Session, incident_id: int, fp: str, alert: Alert, source: str, now: datetime) -> None:
        incident = s.get(IncidentRow, incident_id)
        if incident is None:
            return
        append(s, incident, source, Action.ALERT.value,
               {"fingerprint": fp, "status": "resolved", "starts_at": iso(alert.startsAt),
                "ends_at": iso(alert.endsAt or now), "alertname": alert.labels.get("alertname", "")}, now)
        s.flush()
        firing = s.scalar(select(AlertRow.id).where(AlertRow.incident_id == incident_id,
                                                   AlertRow.status == "firing").limit(1))
        if firing is None and incident.status != Status.RESOLVED.value:
            self._move(s, incident, Action.RESOLVE, source, now,
                       {"reason": "every alert of the incident resolved"})

    @staticmethod
    def _move(s: Session, incident: IncidentRow, action: Action, actor: str, now: datetime,
              body: dict[str, object]) -> None:
        status = next_status(Status(incident.status), action)
        apply_status(incident, status, now)
        append(s, incident, actor, action.value, {**body, "status": status.value}, now)


def apply_status(incident: IncidentRow, status: Status, now: datetime) -> None:
    """Set the status and its timestamps; a reopened incident escalates again from the start."""
    stamp = iso(now)
    incident.status = status.value
    if status is Status.ACKNOWLEDGED:
        incident.acknowledged_at = incident.acknowledged_at or stamp
        incident.next_escalation_at = None
    elif status is Status.MITIGATED:
        incident.mitigated_at = incident.mitigated_at or stamp
        incident.next_escalation_at = None
    elif status is Status.RESOLVED:
        incident.resolved_at = stamp
        incident.next_escalation_at = None
    elif status is Status.TRIGGERED:  # reopened
        incident.resolved_at = None  # the first acknowledgement and mitigation times stay (MTTA)
        incident.escalation_step = 0
        incident.next_escalation_at = stamp

