"""What responders do to an incident: acknowledge, note, add or close an action item,
mitigate, resolve, reopen. Each is one timeline entry with the actor and the time, in the
same transaction as the status change (``lifecycle`` decides which moves are allowed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tradeplane.errors import InputError
from tradeplane.incidents.intake import apply_status
from tradeplane.incidents.lifecycle import STATUS_ACTIONS, Action, Status, next_status
from tradeplane.incidents.timeline import append, entries
from tradeplane.incidents.views import Scope, load_incident

__all__ = ["HUMAN_ACTIONS", "act"]

HUMAN_ACTIONS = (Action.ACK, Action.NOTE, Action.ACTION_ITEM, Action.ACTION_DONE, Action.MITIGATE,
                 Action.RESOLVE, Action.REOPEN)


def act(session: Session, incident_id: int, action: Action, actor: str, now: datetime, *,
        text: str = "", scope: Scope | None = None, item: int | None = None) -> dict[str, Any]:
    """Apply ``action`` by ``actor``; return the timeline entry written.

    ``note`` and ``action`` need ``text``; ``action_done`` needs ``item`` (the seq of the action
    entry). Raises ``LifecycleError`` for a move the status does not allow, ``NotFound`` for an
    incident that does not exist or is outside ``scope``."""
    if action not in HUMAN_ACTIONS:
        raise InputError(f"'{action.value}' is not something a responder does")
    if not actor.strip():
        raise InputError("every change needs an actor: give --actor or use a token")
    incident = load_incident(session, incident_id, scope or Scope())
    body: dict[str, Any] = {}
    if text:
        body["text"] = text
    if action in (Action.NOTE, Action.ACTION_ITEM) and not text.strip():
        raise InputError(f"a {action.value} needs text")
    if action is Action.ACTION_DONE:
        timeline = entries(session, incident_id)
        if item is None or not any(e["seq"] == item and e["kind"] == Action.ACTION_ITEM.value for e in timeline):
            raise InputError(f"incident {incident_id} has no action item {item}; list them with `incidents show`")
        body["action"] = item
    if action in STATUS_ACTIONS:
        status = next_status(Status(incident.status), action)
        apply_status(incident, status, now)
        body["status"] = status.value
    row = append(session, incident, actor, action.value, body, now)
    return {"seq": row.seq, "at": row.at, "actor": row.actor, "kind": row.kind, "body": body, "hash": row.hash}
