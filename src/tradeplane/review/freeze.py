"""The change-freeze gate: no change to a desk's path while its venues trade, unless an emergency.

Reads the venues' market hours from the estate (``tradeplane.estate.hours``): a desk is frozen at
an instant when any venue its workloads use is open then. ``plan --strict --against OLD`` refuses
(exit 1) a change that touches a frozen desk; ``--emergency REASON`` lets it through and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tradeplane.estate import Estate
from tradeplane.estate.hours import is_open, next_change, venue_hours
from tradeplane.review.changes import changed_fields
from tradeplane.review.formats import Rule

__all__ = ["RULE", "FreezeVerdict", "freeze"]

_SHOWN = 5  # changed fields named in one freeze line; the rest are counted

RULE = Rule("No change to a desk's path while its venues trade, unless an emergency.",
            "No change to a desk's path while its venues trade, unless an emergency. "
            + " ".join((__doc__ or "").split("\n\n")[1].replace("``", "").split()),
            "the venues' trading sessions, daily halts and holidays as the estate declares them",
            'docs/plan.md, section "Output formats and the change-freeze gate"')
"""The gate as a rule, for reviewers' tools (SARIF ``freeze/change-freeze``), from this module's docstring."""


@dataclass(frozen=True)
class FreezeVerdict:
    desk: str
    open_venues: tuple[str, ...]
    changes: tuple[str, ...]
    reopens: str  # when the freeze lifts (the next close of the last open venue), ISO 8601, or ""
    location: str = ""  # file:line of the first changed field (else object) in the new estate, "" when none
    details: tuple[str, ...] = ()  # what changed: field paths with their file:line (changes.FieldChange.render)

    def fix(self) -> str:
        """What to do about it."""
        if self.reopens:
            return f"apply from {self.reopens}, or give --emergency REASON"
        return "its venues never close: only --emergency REASON lets it through"

    def line(self) -> str:
        until = f"; the window opens at {self.reopens}" if self.reopens else "; its venues trade around the clock"
        return (f"change freeze: desk {self.desk} is trading on {', '.join(self.open_venues)} and this change "
                f"touches {self.touched()}{until}")

    def touched(self) -> str:
        """What the change touches: its changed fields with their file:line (``details``, at most
        ``_SHOWN`` of them, then how many more), else the changed objects (``kind:name``)."""
        if not self.details:
            return ", ".join(self.changes)
        more = len(self.details) - _SHOWN
        return ", ".join(self.details[:_SHOWN]) + (f" and {more} more" if more > 0 else "")


def freeze(estate: Estate, changed: dict[str, list[str]], at: datetime, old: Estate | None = None
           ) -> list[FreezeVerdict]:
    """One verdict per changed desk whose venues are open at ``at`` (timezone-aware). With ``old`` (the
    estate before the change) each verdict names the changed fields and their file:line in ``estate``
    (``changes.changed_fields``), and its location is the first of them."""
    out = []
    for desk, changes in sorted(changed.items()):
        venues = sorted({v for w in estate.workloads if w.desk == desk for v in w.venues})
        hours = {v: venue_hours(estate.venue(v)) for v in venues if any(x.name == v for x in estate.venues)}
        open_now = tuple(v for v, h in hours.items() if is_open(h, at))
        if not open_now:
            continue
        closes = [next_change(hours[v], at) for v in open_now]
        last = None if any(c is None for c in closes) else max(c for c in closes if c is not None)
        reopens = "" if last is None else last.astimezone(at.tzinfo).isoformat()
        fields = [f for c in changes for f in changed_fields(old, estate, c)] if old is not None else []
        location = next((f.location for f in fields if f.location), "") or _where(estate, changes)
        out.append(FreezeVerdict(desk, open_now, tuple(changes), reopens, location,
                                 tuple(f.render() for f in fields)))
    return out


def _where(estate: Estate, changes: list[str]) -> str:
    """file:line of the first of ``changes`` (``kind:name``) that the estate holds and knows the line of."""
    sections: dict[str, Sequence[object]] = {"workload": estate.workloads, "network": estate.networks, "link": estate.links,
                "venue": estate.venues}
    for change in changes:
        kind, _, name = change.partition(":")
        for obj in sections.get(kind, ()):
            if getattr(obj, "name", None) == name:
                where = estate.where(obj)
                if where is not None:
                    return str(where)
    return ""
