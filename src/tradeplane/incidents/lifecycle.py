"""The incident lifecycle: triggered -> acknowledged -> mitigated -> resolved, and reopened.

Pure: a status and an action in, the next status (or a ``LifecycleError``) out. Every action
that the store applies becomes one timeline event, including actions that do not change the
status (a note, an alert joining, an escalation), so no transition loses an event.

=============  =====================================  ======================================
action         allowed from                           to
=============  =====================================  ======================================
trigger        (new incident)                         triggered
ack            triggered                              acknowledged
mitigate       triggered, acknowledged                mitigated
resolve        triggered, acknowledged, mitigated     resolved
reopen         resolved                               triggered
note, action,  any                                    unchanged
alert, ...
=============  =====================================  ======================================
"""

from __future__ import annotations

from enum import StrEnum

from tradeplane.errors import InputError

__all__ = ["STATUS_ACTIONS", "Action", "LifecycleError", "Status", "next_status"]


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"


class Action(StrEnum):
    TRIGGER = "trigger"
    ACK = "ack"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    NOTE = "note"
    ACTION_ITEM = "action"  # a follow-up to do, listed by the postmortem until done
    ACTION_DONE = "action_done"
    ALERT = "alert"  # an alert joined, fired again or resolved
    EVIDENCE = "evidence"  # enrichment attached
    PAGE = "page"  # a notification sent (or failed)
    ESCALATE = "escalate"


class LifecycleError(InputError):
    """An action that the incident's status does not allow (HTTP 409)."""


_MOVES: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ACK: (frozenset({Status.TRIGGERED}), Status.ACKNOWLEDGED),
    Action.MITIGATE: (frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED}), Status.MITIGATED),
    Action.RESOLVE: (frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED}), Status.RESOLVED),
    Action.REOPEN: (frozenset({Status.RESOLVED}), Status.TRIGGERED),
}
STATUS_ACTIONS = frozenset(_MOVES)
"""The actions that change an incident's status."""


def next_status(status: Status | None, action: Action) -> Status:
    """The status after ``action``; ``LifecycleError`` when the status does not allow it.

    ``status`` is ``None`` only for a new incident, whose one allowed action is ``trigger``."""
    if status is None:
        if action is Action.TRIGGER:
            return Status.TRIGGERED
        raise LifecycleError(f"a new incident starts with 'trigger', not '{action.value}'")
    if action is Action.TRIGGER:
        raise LifecycleError("the incident already exists; 'trigger' starts a new one")
    move = _MOVES.get(action)
    if move is None:
        return status
    allowed, target = move
    if status not in allowed:
        froms = ", ".join(sorted(s.value for s in allowed))
        raise LifecycleError(f"cannot {action.value} an incident that is {status.value} (allowed from: {froms})")
    return target
