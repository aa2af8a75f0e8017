"""Escalation that knows the market and the clock on the on-call person's wall.

Pure: estate, desk, severity, step and instant in; the page to send out. The desk's policy
(``estate.oncall.policies``) lists levels; each applies always, only while the desk's venues
trade, or only while they are closed (``tradeplane.estate.hours``: a desk with no venue, or a
venue with no declared hours, counts as open — never assume a market is closed). Step ``k`` of
an incident pages the ``k``-th applicable level (levels run ``repeat + 1`` times), and the
incident waits ``timeout_minutes`` (``closed_timeout_minutes`` while closed) for an
acknowledgement before step ``k + 1``.

Local time: a contact in their quiet hours is not paged while the desk's venues are closed,
unless the incident is critical; for ``oncall:TEAM`` the rotation's next member who is awake
covers (follow the sun), and when everyone is asleep the scheduled person is paged anyway
(someone always is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tradeplane.estate import hours
from tradeplane.estate.model import Contact, EscalationLevel, EscalationPolicy, Estate, QuietHours, Rotation

__all__ = ["Page", "Recipient", "desk_market_open", "on_call", "page_for", "policy_of"]


@dataclass(frozen=True)
class Recipient:
    contact: str
    email: str
    webhook: str | None
    channels: tuple[str, ...]
    why: str
    local_time: str  # HH:MM in the contact's zone, at the page

    def to_json(self) -> dict[str, object]:
        return {"contact": self.contact, "email": self.email, "webhook": self.webhook,
                "channels": list(self.channels), "why": self.why, "local_time": self.local_time}


@dataclass(frozen=True)
class Page:
    """What step ``step`` of an incident's escalation sends, and when the next step is due."""

    desk: str
    step: int
    level: int  # index into the policy's levels
    recipients: tuple[Recipient, ...]
    market_open: bool
    market_basis: str
    timeout: timedelta
    next_at: datetime | None  # None: this was the last step

    def to_json(self) -> dict[str, object]:
        return {"desk": self.desk, "step": self.step, "level": self.level,
                "recipients": [r.to_json() for r in self.recipients], "market_open": self.market_open,
                "market_basis": self.market_basis, "timeout_s": int(self.timeout.total_seconds()),
                "next_at": self.next_at.isoformat() if self.next_at else None}


def policy_of(estate: Estate, desk: str) -> EscalationPolicy | None:
    return next((p for p in estate.oncall.policies if p.desk == desk), None)


def desk_market_open(estate: Estate, desk: str, now: datetime) -> tuple[bool, str]:
    """Whether any venue the desk depends on trades at ``now``, and why."""
    venue_names = sorted({v for w in estate.workloads if w.desk == desk for v in w.venues}
                         | {b.to for w in estate.workloads if w.desk == desk for b in w.latency_budgets
                            if b.to in {x.name for x in estate.venues}})
    if not venue_names:
        return True, "the desk trades on no venue: treated as open"
    open_now = [v for v in venue_names if hours.is_open(hours.venue_hours(estate.venue(v)), now)]
    if open_now:
        return True, f"open: {', '.join(open_now)}"
    return False, f"closed: {', '.join(venue_names)}"


def _clock(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def _quiet(q: QuietHours | None, zone: str, now: datetime) -> bool:
    if q is None:
        return False
    local = now.astimezone(ZoneInfo(zone)).time()
    start, end = _clock(q.start), _clock(q.end)
    return start <= local < end if start < end else (local >= start or local < end)


def on_call(rotation: Rotation, now: datetime) -> int:
    """Index into ``rotation.members`` of the member on call at ``now``."""
    start = datetime.fromisoformat(rotation.start)
    shifts = int((now - start) // timedelta(hours=rotation.shift_hours))
    return shifts % len(rotation.members)


def _local(contact: Contact, now: datetime) -> str:
    return now.astimezone(ZoneInfo(contact.timezone)).strftime("%H:%M")


def _applicable(policy: EscalationPolicy, market_open: bool) -> list[int]:
    wanted = {"always", "market_open" if market_open else "market_closed"}
    return [i for i, lv in enumerate(policy.levels) if lv.when in wanted]


def page_for(estate: Estate, desk: str, severity: str, step: int, now: datetime) -> Page | None:
    """The page of escalation step ``step`` (0 = the first page) at ``now``; ``None`` when the
    desk has no policy or the policy is exhausted."""
    policy = policy_of(estate, desk)
    if policy is None:
        return None
    market_open, basis = desk_market_open(estate, desk, now)
    levels = _applicable(policy, market_open)
    total = len(levels) * (policy.repeat + 1)
    if not levels or step >= total:
        return None
    index = levels[step % len(levels)]
    level = policy.levels[index]
    timeout = timedelta(minutes=level.timeout_minutes if market_open or level.closed_timeout_minutes is None
                        else level.closed_timeout_minutes)
    recipients = _recipients(estate, level, severity, market_open, now)
    return Page(desk, step, index, recipients, market_open, basis, timeout,
                now + timeout if step + 1 < total else None)


def _recipients(estate: Estate, level: EscalationLevel, severity: str, market_open: bool,
                now: datetime) -> tuple[Recipient, ...]:
    contacts = {c.name: c for c in estate.oncall.contacts}
    rotations = {r.team: r for r in estate.oncall.rotations}
    may_wake = market_open or severity == "critical"
    out: dict[str, Recipient] = {}

    def add(c: Contact, why: str, team_hook: str | None) -> None:
        if c.name not in out:
            out[c.name] = Recipient(c.name, c.email, c.webhook or team_hook, level.channels, why, _local(c, now))

    for target in level.notify:
        kind, _, name = target.partition(":")
        if kind == "contact":
            c = contacts[name]
            if may_wake or not _quiet(c.quiet_hours, c.timezone, now) or not _others(level, target):
                add(c, f"{target}", None)
            continue
        rot = rotations[name]
        members = [contacts[m] for m in rot.members]
        if kind == "team":
            awake = [c for c in members if may_wake or not _quiet(c.quiet_hours, c.timezone, now)]
            for c in awake or members:
                add(c, f"{target}" + ("" if awake else " (everyone in quiet hours: paged anyway)"), rot.webhook)
            continue
        first = on_call(rot, now)
        order = [members[(first + k) % len(members)] for k in range(len(members))]
        chosen = next((c for c in order if may_wake or not _quiet(c.quiet_hours, c.timezone, now)), None)
        if chosen is None:
            add(order[0], f"{target} (on call; all members in quiet hours: paged anyway)", rot.webhook)
        elif chosen is order[0]:
            add(chosen, f"{target} (on call)", rot.webhook)
        else:
            add(chosen, f"{target} (covering: {order[0].name} is in quiet hours at {_local(order[0], now)} "
                        f"and the market is closed)", rot.webhook)
    return tuple(out[k] for k in sorted(out))


def _others(level: EscalationLevel, target: str) -> bool:
    return any(t != target for t in level.notify)
