"""Intake: alerts in, deduplicated, owned, grouped into incidents, committed.

One call handles one or more batches (webhook POSTs) in one transaction:

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

Cost per transaction, whatever the number of alerts: one bulk ``INSERT ... ON CONFLICT
(fingerprint, starts_at) DO NOTHING RETURNING`` (the unique index decides which alerts are new,
on SQLite and PostgreSQL alike), one ``SELECT`` of the repeats, one ``SELECT`` each of the
incidents holding the new fingerprints and of the groups in their window, one ``INSERT`` per
new incident, then executemany ``UPDATE`` of the alerts and one bulk ``INSERT`` of the timeline
entries, whose hash chain is computed in memory in order. Owners come from the estate's
:class:`~tradeplane.incidents.owners.OwnerIndex` (built once).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from tradeplane.estate.model import Estate
from tradeplane.incidents.alerts import Alert
from tradeplane.incidents.grouping import Grouping, group_key, severity_of, worst
from tradeplane.incidents.lifecycle import Action, Status, next_status
from tradeplane.incidents.owners import owner_index
from tradeplane.incidents.scrub import scrub
from tradeplane.incidents.store import GENESIS, AlertRow, IncidentRow, TimelineRow, dumps, iso
from tradeplane.incidents.timeline import chained

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


_ALERTS = cast(Table, AlertRow.__table__)
_TIMELINE = cast(Table, TimelineRow.__table__)


@functools.cache
def _insert_alerts(dialect: str) -> Any:
    """``INSERT INTO alerts ... ON CONFLICT (fingerprint, starts_at) DO NOTHING RETURNING ...``"""
    insert: Any = sqlite_insert if dialect == "sqlite" else pg_insert
    t = _ALERTS
    return (insert(t).on_conflict_do_nothing(index_elements=["fingerprint", "starts_at"])
            .returning(t.c.id, t.c.fingerprint, t.c.starts_at, t.c.status, t.c.ends_at))


@dataclass
class _Stored:
    """What the batch knows of one stored alert (a repeat, or new in this transaction)."""

    id: int
    status: str
    incident_id: int | None
    receipts: int
    ends_at: str | None
    last: str = ""
    changed: bool = False


@dataclass
class _Item:
    batch: int
    alert: Alert
    source: str
    now: datetime
    fp: str
    starts: str


class Intake:
    """Turns alert batches into incidents (see the module docstring)."""

    def __init__(self, sessions: sessionmaker[Session], estate: Estate, grouping: Grouping | None = None) -> None:
        self.sessions = sessions
        self.estate = estate
        self.grouping = grouping or Grouping()
        self.owners = owner_index(estate)

    def ingest(self, alerts: Sequence[Alert], source: str, now: datetime) -> IntakeResult:
        """One batch in one transaction (committed when this returns)."""
        return self.ingest_many([(alerts, source, now)])[0]

    def ingest_many(self, batches: Sequence[tuple[Sequence[Alert], str, datetime]]) -> list[IntakeResult]:
        """Several batches in one transaction, in order, as if ingested one after the other
        (the service's group commit); one result per batch."""
        results = [IntakeResult(received=len(alerts)) for alerts, _, _ in batches]
        items = []
        for b, (alerts, source, now) in enumerate(batches):
            for raw in alerts:
                alert = raw.model_copy(update={"labels": scrub(raw.labels), "annotations": scrub(raw.annotations)})
                items.append(_Item(b, alert, source[:200], now, alert.key(), iso(alert.startsAt)))
        if items:
            with self.sessions.begin() as s:
                _Batch(self, s, results).run(items)
        return results


class _Batch:
    """One transaction's work: the plan is made in memory; the statements are few and bulk."""

    def __init__(self, intake: Intake, s: Session, results: list[IntakeResult]) -> None:
        self.intake = intake
        self.s = s
        self.db = s.connection()  # Core statements go straight to the transaction's connection
        self.results = results
        self.stored: dict[tuple[str, str], _Stored] = {}
        self.new_keys: set[tuple[str, str]] = set()
        self.incidents: dict[int, IncidentRow] = {}
        # incidents holding an alert of a fingerprint (open when loaded), and incidents of a group
        # key that may be in its window; the newest that qualifies when asked is the answer
        self.by_fingerprint: dict[str, set[int]] = {}
        self.by_group: dict[str, set[int]] = {}
        self.firing_base: dict[int, int] = {}  # firing alerts per incident before this transaction
        self.firing_delta: dict[int, int] = {}
        self.timeline: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ the statements

    def _insert(self, items: list[_Item]) -> None:
        """Insert the first occurrence of every key; the unique index says which are new."""
        rows: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for it in items:
            key = (it.fp, it.starts)
            if key in seen:
                continue
            seen.add(key)
            a = it.alert
            stamp = iso(it.now)
            rows.append({"fingerprint": it.fp, "starts_at": it.starts,
                         "ends_at": iso(a.endsAt) if a.endsAt else None, "status": a.status, "source": it.source,
                         "labels": dumps(a.labels), "annotations": dumps(a.annotations),
                         "generator_url": a.generatorURL, "first_received_at": stamp, "last_received_at": stamp,
                         "receipts": 1, "incident_id": None})
        # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" sends multi-row INSERTs of
        # a cached statement; rows the unique index refuses return nothing
        for id_, fp, starts, status, ends in self.db.execute(_insert_alerts(self.db.dialect.name), rows):
            self.stored[(fp, starts)] = _Stored(id_, status, None, 0, ends)
            self.new_keys.add((fp, starts))
        repeats = seen - self.new_keys
        if repeats:
            fps = sorted({fp for fp, _ in repeats})
            for k in range(0, len(fps), 500):
                q = select(AlertRow.id, AlertRow.fingerprint, AlertRow.starts_at, AlertRow.status,
                           AlertRow.incident_id, AlertRow.receipts, AlertRow.ends_at).where(
                    AlertRow.fingerprint.in_(fps[k:k + 500]))
                for id_, fp, starts, status, incident_id, receipts, ends in self.db.execute(q):
                    if (fp, starts) in repeats:
                        self.stored[(fp, starts)] = _Stored(id_, status, incident_id, receipts, ends)

    def _preload(self, items: list[_Item]) -> None:
        """The incidents new alerts may join: two queries (by fingerprint, by group and window).

        By fingerprint: the open incidents, and the resolved ones whose last alert is inside the earliest
        grouping window of this transaction: a new alert of its group may reopen one of those before a
        later alert of the fingerprint arrives in the same transaction, which then joins it, as it would
        had the alerts come one at a time (found by the group-commit property test)."""
        windows: dict[str, str] = {}  # group key -> earliest window start among its alerts
        for it in items:
            if (it.fp, it.starts) in self.new_keys and it.alert.status == "firing":
                key = group_key(self.intake.owners.owner(it.alert.labels), it.alert.labels, self.intake.grouping)
                since = iso(it.now - self.intake.grouping.window)
                windows[key] = min(since, windows.get(key, since))
        live = IncidentRow.status != Status.RESOLVED.value
        if windows:
            live = or_(live, IncidentRow.last_alert_at >= min(windows.values()))
        new_fps = sorted({it.fp for it in items if (it.fp, it.starts) in self.new_keys})
        for k in range(0, len(new_fps), 500):
            q = (select(AlertRow.fingerprint, IncidentRow)
                 .join(IncidentRow, AlertRow.incident_id == IncidentRow.id)
                 .where(AlertRow.fingerprint.in_(new_fps[k:k + 500]), live)
                 .order_by(IncidentRow.id.desc()))
            for fp, incident in self.s.execute(q):
                self.incidents[incident.id] = incident
                self.by_fingerprint.setdefault(fp, set()).add(incident.id)
        keys = sorted(windows)
        for k in range(0, len(keys), 500):
            part = keys[k:k + 500]
            gq = (select(IncidentRow).where(IncidentRow.group_key.in_(part),
                                            IncidentRow.last_alert_at >= min(windows[x] for x in part))
                  .order_by(IncidentRow.id.desc()))
            for incident in self.s.scalars(gq):
                self.incidents.setdefault(incident.id, incident)
                self.by_group.setdefault(incident.group_key, set()).add(incident.id)
        # incidents of repeats are loaded only when a resolution needs them (_resolved)

    def _firing(self, incident_id: int) -> int:
        """Firing alerts of the incident now: stored before this transaction, plus this batch's."""
        if incident_id not in self.firing_base:
            self.firing_base[incident_id] = self.db.scalar(
                select(func.count()).select_from(AlertRow).where(AlertRow.incident_id == incident_id,
                                                                  AlertRow.status == "firing")) or 0
        return self.firing_base[incident_id] + self.firing_delta.get(incident_id, 0)

    def _write(self) -> None:
        table = _ALERTS
        changed = [{"b_id": st.id, "b_status": st.status, "b_incident": st.incident_id, "b_receipts": st.receipts,
                    "b_ends": st.ends_at, "b_last": st.last}
                   for st in self.stored.values() if st.changed]
        if changed:
            self.db.execute(table.update().where(table.c.id == bindparam("b_id")).values(
                status=bindparam("b_status"), incident_id=bindparam("b_incident"),
                receipts=bindparam("b_receipts"), ends_at=bindparam("b_ends"),
                last_received_at=bindparam("b_last")), changed)
        self.s.flush()  # the incidents' counts and heads, before their entries
        if self.timeline:
            self.db.execute(_TIMELINE.insert(), self.timeline)

    # ------------------------------------------------------------------ the plan

    def run(self, items: list[_Item]) -> None:
        self._insert(items)
        self._preload(items)
        for it in items:
            key = (it.fp, it.starts)
            if key in self.new_keys:
                self.new_keys.discard(key)  # a later repeat in the batch is a repeat
                self._new(it, self.stored[key])
            else:
                self._repeat(it, self.stored[key])
        self._write()

    def _entry(self, incident: IncidentRow, actor: str, kind: str, body: dict[str, Any], now: datetime) -> None:
        self.timeline.append(chained(incident, actor, kind, body, now))

    def _repeat(self, it: _Item, row: _Stored) -> None:
        result = self.results[it.batch]
        row.receipts += 1
        row.last = iso(it.now)
        row.changed = True
        if it.alert.status == "resolved" and row.status != "resolved":
            row.status = "resolved"
            row.ends_at = iso(it.alert.endsAt or it.now)
            result.resolved += 1
            if row.incident_id is not None:
                self._firing_changed(row.incident_id, -1)
                self._resolved(row.incident_id, it)
                result.incidents.append(row.incident_id)
        else:
            result.duplicates += 1
            if row.incident_id is not None:
                result.incidents.append(row.incident_id)

    def _firing_changed(self, incident_id: int, by: int) -> None:
        self.firing_delta[incident_id] = self.firing_delta.get(incident_id, 0) + by

    def _new(self, it: _Item, row: _Stored) -> None:
        result = self.results[it.batch]
        alert, fp, source, now = it.alert, it.fp, it.source, it.now
        stamp = iso(now)
        row.receipts, row.last, row.changed = 1, stamp, True
        result.new += 1
        incident = self._newest(self.by_fingerprint.get(fp), lambda i: i.status != Status.RESOLVED.value)
        if alert.status == "resolved":
            result.resolved += 1
            if incident is not None:
                row.incident_id = incident.id
                self.by_fingerprint.setdefault(fp, set()).add(incident.id)
                self._resolved(incident.id, it)
                result.incidents.append(incident.id)
            return
        owner = self.intake.owners.owner(alert.labels)
        key = group_key(owner, alert.labels, self.intake.grouping)
        severity = severity_of(alert.labels)
        if incident is None:
            since = iso(now - self.intake.grouping.window)
            incident = self._newest(self.by_group.get(key), lambda i: i.last_alert_at >= since)
        if incident is None:
            incident = IncidentRow(
                group_key=key, title=_title(alert, key), severity=severity, status=Status.TRIGGERED.value,
                desk=owner.desk, team=owner.team, venue=owner.venue, link=owner.link, workload=owner.workload,
                network=owner.network, owner=dumps(owner.to_json()), opened_at=stamp, last_alert_at=stamp,
                escalation_step=0, next_escalation_at=stamp, events=0, head_hash=GENESIS,
            )
            self.s.add(incident)
            self.s.flush()  # its id is in every hash of its chain
            self.incidents[incident.id] = incident
            self.firing_base[incident.id] = 0
            self._entry(incident, source, Action.TRIGGER.value,
                        {"title": incident.title, "severity": severity, "group_key": key, "owner": owner.to_json()},
                        now)
            result.opened.append(incident.id)
            result.fresh.append((incident.id, alert.labels, alert.annotations))
        elif incident.status == Status.RESOLVED.value:
            self._move(incident, Action.REOPEN, source, now, {"reason": f"alert {fp} fired again"})
        incident.last_alert_at = stamp
        if worst(severity, incident.severity) != incident.severity:
            self._entry(incident, source, "severity", {"from": incident.severity, "to": severity, "fingerprint": fp},
                        now)
            incident.severity = severity
        row.incident_id = incident.id
        self.by_fingerprint.setdefault(fp, set()).add(incident.id)
        self.by_group.setdefault(incident.group_key, set()).add(incident.id)  # its last alert is now
        self._firing_changed(incident.id, 1)
        self._entry(incident, source, Action.ALERT.value,
                    {"fingerprint": fp, "status": "firing", "starts_at": it.starts,
                     "alertname": alert.labels.get("alertname", ""),
                     "summary": alert.annotations.get("summary", "")}, now)
        result.incidents.append(incident.id)

    def _newest(self, ids: set[int] | None, ok: Callable[[IncidentRow], bool]) -> IncidentRow | None:
        """The newest incident of ``ids`` for which ``ok`` holds (what ``ORDER BY id DESC LIMIT 1`` would give)."""
        for i in sorted(ids or (), reverse=True):
            if ok(self.incidents[i]):
                return self.incidents[i]
        return None

    def _resolved(self, incident_id: int, it: _Item) -> None:
        incident = self.incidents.get(incident_id)
        if incident is None:
            incident = self.s.get(IncidentRow, incident_id)
            if incident is None:
                return
            self.incidents[incident_id] = incident
        alert, now = it.alert, it.now
        self._entry(incident, it.source, Action.ALERT.value,
                    {"fingerprint": it.fp, "status": "resolved", "starts_at": it.starts,
                     "ends_at": iso(alert.endsAt or now), "alertname": alert.labels.get("alertname", "")}, now)
        if self._firing(incident_id) <= 0 and incident.status != Status.RESOLVED.value:
            self._move(incident, Action.RESOLVE, it.source, now, {"reason": "every alert of the incident resolved"})

    def _move(self, incident: IncidentRow, action: Action, actor: str, now: datetime,
              body: dict[str, object]) -> None:
        status = next_status(Status(incident.status), action)
        apply_status(incident, status, now)
        self._entry(incident, actor, action.value, {**body, "status": status.value}, now)


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

