"""Cutover windows: when the venue is closed, read from its hours in the estate.

The windows are the venue's closed intervals (``tradeplane.estate.hours.closed_intervals``):
one shorter than a day is the daily maintenance halt (CME Globex: 16:00-17:00 Central Time), a
longer one is the weekend close (or a holiday). A wave needs its cutover time (the sum of its
workloads' ``cutover_minutes``: the runbook runs them one after another) plus the rollback time
objective, so that a failed cutover is rolled back before the market opens. Each wave takes the
first allowed window, after the previous wave plus ``soak_days`` of parallel running, that is long
enough and overlaps no declared venue event (``MarketHours.events``: a roll, an expiry, a
rebalance, when volumes peak: ``Blackout``); the reason names the window, the arithmetic, the
events it had to wait for, and a clock change inside the window (the window is an hour longer or
shorter than on the wall clock; a wave that fits only thanks to it says so).

A wave that must wait more than ``MAX_WAIT_DAYS`` (28) for its window after it could go (the start
date, or the previous wave's cutover plus the soak) is flagged (``Slot.late``; the plan's window
check fails, so the wave is not ready). Why 28 days: until the wave moves, both sides run (the plan
prices it a month at a time) and the hybrid state's crossing flows hang on the Interconnect; four
weeks hold four weekend closes and about twenty daily halts, so a wave that finds no window in them
needs a close the venue's ordinary week does not give (a long holiday, the autumn clock change):
the wave is to be split or its cutover shortened, not scheduled months out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tradeplane.estate import Estate, MarketHours, hours

__all__ = ["HORIZON_DAYS", "MAX_WAIT_DAYS", "Blackout", "Slot", "Window", "blackouts", "fits", "local", "next_window",
           "schedule", "window_at", "windows"]

HORIZON_DAYS = 400
MAX_WAIT_DAYS = 28
"""Longest a wave may wait for its window after it could go; see the module docstring for why."""


@dataclass(frozen=True)
class Window:
    kind: str  # "weekend", "holiday" or "daily-halt"
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Blackout:
    """A declared venue event (``MarketEvent``: roll, expiry...) no cutover window may overlap;
    ``[start, end)`` in UTC, from midnight of its first day to midnight after its last, venue time."""

    venue: str
    name: str
    first: str  # YYYY-MM-DD, venue time zone
    last: str
    reason: str
    start: datetime
    end: datetime

    def overlaps(self, w: Window) -> bool:
        return w.start < self.end and self.start < w.end

    def to_json(self) -> dict[str, Any]:
        return {"venue": self.venue, "name": self.name, "first": self.first, "last": self.last,
                "reason": self.reason, "start": self.start.isoformat(), "end": self.end.isoformat()}

    @property
    def label(self) -> str:
        """``cme-globex event roll-2026-12 (2026-12-10 to 2026-12-18: December roll and expiry)``"""
        why = f": {self.reason}" if self.reason else ""
        return f"{self.venue} event {self.name} ({self.first} to {self.last}{why})"


@dataclass(frozen=True)
class Slot:
    """Where one wave goes: its window (or none) and why.

    ``notes``: what the choice had to step around or lean on (declared events skipped, a clock change
    inside the window); ``late``: why the wave waits too long for it (more than ``MAX_WAIT_DAYS``), or
    ``""``. A late slot has a window but the wave is not ready."""

    wave: int
    needs_minutes: int
    window: Window | None
    reason: str
    label: str = ""  # the window in the venue's local time, e.g. "daily halt Mon 2026-12-07 16:00 CST"
    notes: tuple[str, ...] = ()
    late: str = ""

    def to_json(self) -> dict[str, Any]:
        w = self.window
        return {"wave": self.wave, "needs_minutes": self.needs_minutes, "reason": self.reason, "label": self.label,
                "notes": list(self.notes), "late": self.late,
                "window": None if w is None else {"kind": w.kind, "start": w.start.isoformat(),
                                                  "end": w.end.isoformat(), "minutes": w.minutes}}


def windows(h: MarketHours, start: datetime, end: datetime) -> list[Window]:
    """Every closed interval of the venue within ``[start, end)``, classified."""
    zone = ZoneInfo(h.timezone)
    out: list[Window] = []
    for s, e in hours.closed_intervals(h, start, end):
        if e - s < timedelta(hours=24):
            kind = "daily-halt"
        else:
            days = {(s + timedelta(hours=i)).astimezone(zone).weekday() for i in range(int((e - s).total_seconds() // 3600))}
            kind = "weekend" if days & {5, 6} else "holiday"
        out.append(Window(kind, s, e))
    return out


def blackouts(estate: Estate, venues: Iterable[str]) -> list[Blackout]:
    """The declared events of the named venues (those the estate has hours for), sorted by start."""
    names = set(venues)
    out = [Blackout(v.name, e.name, e.start, e.end, e.reason, *hours.event_interval(v.hours, e))
           for v in estate.venues if v.name in names and v.hours for e in v.hours.events]
    return sorted(out, key=lambda b: (b.start, b.venue, b.name))


def _wanted(allowed: Iterable[str]) -> set[str]:
    allowed = set(allowed)
    return allowed | ({"holiday"} if "weekend" in allowed else set())


def fits(w: Window, need: int, allowed: Iterable[str], events: Sequence[Blackout]) -> bool:
    """A window a wave needing ``need`` minutes may use: an allowed kind, long enough, in no event."""
    return w.kind in _wanted(allowed) and w.minutes >= need and not any(b.overlaps(w) for b in events)


def window_at(h: MarketHours, at: datetime, need: int, allowed: Iterable[str],
              events: Sequence[Blackout]) -> Window | None:
    """The window ``at`` falls in (``start <= at < end``) when the wave may use it (``fits``), else None.

    The window is the whole closed interval around ``at`` (the one ``schedule`` planned), never one cut at
    the edge of the span read: the span widens until the interval ends inside it (up to ``HORIZON_DAYS``
    either side), so a 4,380 min holiday weekend is judged at its full length and by every event it meets."""
    span = timedelta(days=7)
    while True:
        lo, hi = at - span, at + span
        here = next((w for w in windows(h, lo, hi) if w.start <= at < w.end), None)
        if here is None:
            return None
        if (here.start > lo and here.end < hi) or span >= timedelta(days=HORIZON_DAYS):
            return here if fits(here, need, allowed, events) else None
        span *= 2


def next_window(h: MarketHours, after: datetime, need: int, allowed: Iterable[str],
                events: Sequence[Blackout]) -> Window | None:
    """The first window the wave may use that is open at or starts after ``after`` (within
    ``HORIZON_DAYS``), or None."""
    here = window_at(h, after, need, allowed, events)
    if here is not None:
        return here
    # A window starting at ``after`` is the tail of the one ``after`` falls in, which ``window_at`` refused whole.
    return next((w for w in windows(h, after, after + timedelta(days=HORIZON_DAYS))
                 if w.start > after and fits(w, need, allowed, events)), None)


def local(t: datetime, zone: ZoneInfo) -> str:
    """``Mon 2026-12-07 16:00 CST``: an instant in the venue's time zone."""
    x = t.astimezone(zone)
    return f"{x:%a %Y-%m-%d %H:%M} {x.tzname()}"


def _clock_change(w: Window, zone: ZoneInfo, need: int) -> str:
    """A note when the clocks change inside the window (its length differs from the wall clock's), or ``""``."""
    a, b = w.start.astimezone(zone), w.end.astimezone(zone)
    before, after = a.utcoffset(), b.utcoffset()
    if before is None or after is None or before == after:
        return ""
    shift = int((before - after).total_seconds() // 60)  # minutes the window gains (autumn) or loses (spring)
    t = w.start
    while t.astimezone(zone).utcoffset() == before and t < w.end:
        t += timedelta(minutes=15)
    when = f"{t.astimezone(zone):%a %Y-%m-%d}"
    change = f"the clocks change inside it ({a.tzname()} -> {b.tzname()} on {when})"
    usual = w.minutes - shift
    if shift > 0 and need > usual:
        return (f"it fits only because {change}: {w.minutes} min closed instead of the usual {usual}; "
                f"any other such window is {need - usual} min too short")
    if shift > 0:
        return f"{change}: {shift} min longer than on the wall clock"
    return f"{change}: {-shift} min shorter than on the wall clock"


def schedule(h: MarketHours, first_day: str, needs: list[int], allowed: tuple[str, ...], soak_days: int,
             rollback_minutes: int, venue: str, events: Sequence[Blackout] = ()) -> list[Slot]:
    """A slot per wave (``needs[i]`` = cutover minutes of wave i+1, rollback excluded); no window
    overlaps one of ``events``; a wave waiting more than ``MAX_WAIT_DAYS`` is ``late``."""
    zone = ZoneInfo(h.timezone)
    cursor = datetime.combine(date.fromisoformat(first_day), time(0), zone).astimezone(UTC)
    wanted = _wanted(allowed)
    pool = [w for w in windows(h, cursor, cursor + timedelta(days=HORIZON_DAYS)) if w.kind in wanted]
    halt = max((w.minutes for w in pool if w.kind == "daily-halt"), default=0)
    slots: list[Slot] = []
    since = f"the migration start {first_day}"
    for i, cut in enumerate(needs, start=1):
        need = cut + rollback_minutes
        arithmetic = f"cutover {cut} min + rollback {rollback_minutes} min = {need} min"
        chosen: Window | None = None
        skipped: dict[Blackout, list[Window]] = {}
        for w in pool:
            if w.start < cursor or w.minutes < need:
                continue
            hit = [b for b in events if b.overlaps(w)]
            if not hit:
                chosen = w
                break
            for b in hit:
                skipped.setdefault(b, []).append(w)
        notes = [f"not in {b.label}: {len(ws)} window(s) inside it skipped, from {local(ws[0].start, zone)}"
                 for b, ws in skipped.items()]
        if chosen is None:
            slots.append(Slot(i, need, None, f"no {'/'.join(allowed)} window of {venue} within "
                                             f"{HORIZON_DAYS} days is long enough ({arithmetic})"
                                             + "".join(f"; {n}" for n in notes), "none", tuple(notes)))
            continue
        short = local(chosen.start, zone)
        when = f"{short} ({chosen.minutes} min closed)"
        label = f"{chosen.kind.replace('-', ' ')} {short}"
        if chosen.kind == "daily-halt":
            why = f"daily halt {when}: {arithmetic} fits"
        elif halt and need <= halt and "daily-halt" in allowed:
            why = f"{chosen.kind} {when}: {arithmetic}; the first window after the soak"
        elif halt and "daily-halt" in allowed:
            why = f"{chosen.kind} {when}: {arithmetic}, longer than the {halt} min daily halt, so the {chosen.kind} window fits"
        else:
            why = f"{chosen.kind} {when}: {arithmetic}"
        dst = _clock_change(chosen, zone, need)
        if dst:
            notes.append(dst)
        wait = chosen.start - cursor
        late = ""
        if wait > timedelta(days=MAX_WAIT_DAYS):
            late = (f"the first window long enough, {short}, is {wait.days} days after {since}: more than the "
                    f"{MAX_WAIT_DAYS}-day bound (both sides run and the hybrid state holds until the wave moves); "
                    "split the wave or shorten its cutover_minutes")
        why += "".join(f"; {n}" for n in notes) + (f"; LATE: {late}" if late else "")
        slots.append(Slot(i, need, chosen, why, label, tuple(notes), late))
        cursor = max(cursor, chosen.start + timedelta(minutes=need) + timedelta(days=soak_days))
        since = f"wave {i}'s cutover plus the {soak_days}-day soak ({local(cursor, zone)})"
    return slots
