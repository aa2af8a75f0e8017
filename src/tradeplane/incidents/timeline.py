"""The append-only, hash-chained timeline of an incident.

Every change to an incident is one entry: ``seq`` (1, 2, ...), time, actor, kind and a JSON
body. Each entry's ``hash`` is SHA-256 over the previous entry's hash (64 zeros for the
first) and the entry's canonical JSON; the incident row keeps the count and the head hash.
:func:`verify` recomputes the chain, so an edited entry (its hash no longer matches), a
deleted one (a gap in ``seq``, a broken link, or a count/head that no longer matches) or an
inserted one is reported with the ``seq`` where the chain breaks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeplane.incidents.store import GENESIS, IncidentRow, TimelineRow, chain_hash, dumps, iso

__all__ = ["Verification", "append", "chained", "entries", "verify"]


def chained(incident: IncidentRow, actor: str, kind: str, body: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The next entry of the incident's chain as a row of ``timeline`` (a dict, for a bulk
    insert by the caller), with the incident's count and head advanced in memory. Entries of
    one incident must be inserted in the order this returns them."""
    seq = incident.events + 1
    actor = actor[:200]  # the stored actor is what the hash covers
    text = dumps(body)
    when = iso(at)
    digest = chain_hash(incident.head_hash, incident.id, seq, when, actor, kind, text)
    row = {"incident_id": incident.id, "seq": seq, "at": when, "actor": actor, "kind": kind, "body": text,
           "prev_hash": incident.head_hash, "hash": digest}
    incident.events = seq
    incident.head_hash = digest
    return row


def append(session: Session, incident: IncidentRow, actor: str, kind: str, body: dict[str, Any],
           at: datetime) -> TimelineRow:
    """Add one entry at the head of the incident's chain (in the caller's transaction)."""
    row = TimelineRow(**chained(incident, actor, kind, body, at))
    session.add(row)
    return row


def entries(session: Session, incident_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(TimelineRow).where(TimelineRow.incident_id == incident_id)
                           .order_by(TimelineRow.seq)).all()
    return [{"seq": r.seq, "at": r.at, "actor": r.actor, "kind": r.kind, "body": json.loads(r.body),
             "prev_hash": r.prev_hash, "hash": r.hash} for r in rows]


@dataclass
class Verification:
    incident: int
    entries: int
    head: str
    ok: bool = True
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"incident": self.incident, "entries": self.entries, "head": self.head, "ok": self.ok,
                "problems": list(self.problems)}


def verify(session: Session, incident: IncidentRow) -> Verification:
    """Recompute the incident's chain; every break is one problem naming the entry."""
    rows = session.scalars(select(TimelineRow).where(TimelineRow.incident_id == incident.id)
                           .order_by(TimelineRow.seq, TimelineRow.id)).all()
    out = Verification(incident.id, len(rows), incident.head_hash)
    prev = GENESIS
    expected_seq = 1
    for r in rows:
        if r.seq != expected_seq:
            out.problems.append(f"entry {expected_seq} is missing (next entry is {r.seq}): deleted"
                                if r.seq > expected_seq else f"entry {r.seq} appears twice: inserted")
            expected_seq = r.seq
        if r.prev_hash != prev:
            out.problems.append(f"entry {r.seq}: does not follow the entry before it (chain broken)")
        digest = chain_hash(r.prev_hash, r.incident_id, r.seq, r.at, r.actor, r.kind, r.body)
        if digest != r.hash:
            out.problems.append(f"entry {r.seq}: content does not match its hash (edited)")
        prev = r.hash
        expected_seq += 1
    if len(rows) != incident.events:
        out.problems.append(f"the incident records {incident.events} entries but {len(rows)} remain"
                            + (": deleted at the end" if len(rows) < incident.events else ""))
    if prev != incident.head_hash:
        out.problems.append("the last entry is not the head the incident recorded")
    out.ok = not out.problems
    return out
