"""Market hours: is a venue open at an instant, and its open and closed intervals.

The estate declares each venue's :class:`~tradeplane.estate.model.MarketHours` once (weekly
sessions, halts and holidays in the venue's own time zone); everything that needs to know
when a desk trades (change freezes, SLO error budgets, escalation, maintenance and migration
windows) asks this module. Pure functions: instants in, intervals out, no clock.

Instants are timezone-aware ``datetime`` values; naive ones raise ``ValueError``. Intervals
are half-open ``[start, end)`` pairs in UTC, sorted and merged. Daylight-saving changes are
handled by working in the venue's zone (a session "17:00 Chicago" is 23:00 UTC in winter and
22:00 UTC in summer).

Trading date and holidays: every session belongs to one *trading date*, the venue-local date on
which it closes (:func:`trading_date`). A session that closes on the day it opens (Nasdaq
09:30-16:00) trades for that day; one that runs past midnight belongs to the day it closes on
(CME Globex opens at 17:00 Chicago the evening before: Sunday's 17:00 open is Monday's trading
date). A holiday is a trading date on which the venue does not trade (exchanges publish their
holiday calendars by trade date, e.g. CME Group's holiday calendar), so it cancels every session
of that trading date, including the one that would open the evening before (Thursday 17:00 for
a Friday holiday); the session of the previous trading date still runs to its close. Every reader of market hours (change freezes, SLO budgets, escalation, maintenance and
migration windows) gets holidays only through :func:`open_intervals`, so they all agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from tradeplane.estate.model import Estate, MarketEvent, MarketHours, TradingSession, Venue, Weekday

__all__ = [
    "Interval",
    "VenueEvent",
    "closed_intervals",
    "desk_events",
    "desk_hours",
    "event_interval",
    "is_open",
    "next_change",
    "open_intervals",
    "trading_date",
    "venue_hours",
]

Interval = tuple[datetime, datetime]

_WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI, Weekday.SAT, Weekday.SUN)


def _clock(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def _aware(instant: datetime, what: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got {instant.isoformat()})")
    return instant.astimezone(UTC)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in intervals:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            next_pieces: list[Interval] = []
            for p_start, p_end in pieces:
                if h_end <= p_start or h_start >= p_end:
                    next_pieces.append((p_start, p_end))
                    continue
                if p_start < h_start:
                    next_pieces.append((p_start, h_start))
                if h_end < p_end:
                    next_pieces.append((h_end, p_end))
            pieces = next_pieces
        out.extend(pieces)
    return _merge(out)


def _local_span(day: date, start: str, end: str, zone: ZoneInfo) -> Interval:
    """``start`` on ``day`` to ``end`` (on the next day when at or before ``start``), in UTC."""
    opens = datetime.combine(day, _clock(start), zone)
    close_day = day if _clock(end) > _clock(start) else day + timedelta(days=1)
    closes = datetime.combine(close_day, _clock(end), zone)
    return opens.astimezone(UTC), closes.astimezone(UTC)


def trading_date(session: TradingSession, opens_on: date) -> date:
    """The trading date of ``session`` opening on ``opens_on`` (venue-local dates): the date on
    which it closes, i.e. ``opens_on`` for a session inside one day (or closing at midnight) and the
    next day for one that runs past midnight (CME Globex's Sunday 17:00 open trades for Monday).
    A holiday on that date cancels the session."""
    opens, closes = _clock(session.open), _clock(session.close)
    if closes > opens or closes == time(0):
        return opens_on
    return opens_on + timedelta(days=1)


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[date]:
    # One day of margin either side: a session that opened yesterday may still run.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def open_intervals(hours: MarketHours, start: datetime, end: datetime) -> list[Interval]:
    """The intervals within ``[start, end)`` in which the venue trades, in UTC, sorted and merged."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        return []
    if hours.always_open:
        return [(start, end)]
    zone = ZoneInfo(hours.timezone)
    holidays = {date.fromisoformat(d) for d in hours.holidays}
    sessions: list[Interval] = []
    halts: list[Interval] = []
    for day in _days(start, end, zone):
        weekday = _WEEKDAYS[day.weekday()]
        sessions.extend(
            _local_span(day, s.open, s.close, zone)
            for s in hours.sessions
            if weekday in s.days and trading_date(s, day) not in holidays
        )
        halts.extend(_local_span(day, h.start, h.end, zone) for h in hours.halts if weekday in h.days)
    clipped = [(max(s, start), min(e, end)) for s, e in _subtract(_merge(sessions), _merge(halts))]
    return _merge(clipped)


def closed_intervals(hours: MarketHours, start: datetime, end: datetime) -> list[Interval]:
    """The complement of :func:`open_intervals` within ``[start, end)``: halts, nights, weekends, holidays."""
    start, end = _aware(start, "start"), _aware(end, "end")
    closed: list[Interval] = []
    cursor = start
    for o_start, o_end in open_intervals(hours, start, end):
        if o_start > cursor:
            closed.append((cursor, o_start))
        cursor = max(cursor, o_end)
    if cursor < end:
        closed.append((cursor, end))
    return closed


def is_open(hours: MarketHours, instant: datetime) -> bool:
    """Whether the venue trades at ``instant`` (timezone-aware)."""
    instant = _aware(instant, "instant")
    return bool(open_intervals(hours, instant, instant + timedelta(microseconds=1)))


def next_change(hours: MarketHours, instant: datetime, horizon: timedelta = timedelta(days=14)) -> datetime | None:
    """The next instant after ``instant`` at which the venue opens or closes; ``None`` when it
    trades 24x7 or nothing changes within ``horizon``."""
    instant = _aware(instant, "instant")
    if hours.always_open:
        return None
    limit = instant + horizon
    intervals = open_intervals(hours, instant, limit)
    if not intervals:
        return None
    first_start, first_end = intervals[0]
    if first_start > instant:
        return first_start
    return first_end if first_end < limit else None


def venue_hours(venue: Venue) -> MarketHours:
    """A venue's declared hours; a venue with none declared is treated as trading 24x7 (the safe
    assumption for freezes and budgets: never assume a market is closed)."""
    return venue.hours or MarketHours(timezone="UTC", always_open=True, source="not declared: assumed 24x7")


def desk_hours(estate: Estate, desk: str) -> list[MarketHours]:
    """The hours of every venue the desk's workloads depend on (sorted by venue name)."""
    names: set[str] = set()
    for workload in estate.workloads:
        if workload.desk == desk:
            names.update(workload.venues)
            names.update(budget.to for budget in workload.latency_budgets)
    return [venue_hours(v) for v in sorted(estate.venues, key=lambda v: v.name) if v.name in names]


class VenueEvent(NamedTuple):
    """A venue's dated busy period (``MarketEvent``) and when it is, in UTC (half-open)."""

    venue: str
    event: MarketEvent
    start: datetime
    end: datetime


def event_interval(hours: MarketHours, event: MarketEvent) -> Interval:
    """``[start, end)`` in UTC of an event: from midnight of its first day to midnight after its
    last day, in the venue's time zone (so daylight saving is the venue's)."""
    zone = ZoneInfo(hours.timezone)
    first, last = date.fromisoformat(event.start), date.fromisoformat(event.end)
    return (datetime.combine(first, time(0), zone).astimezone(UTC),
            datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC))


def desk_events(estate: Estate, desk: str) -> list[VenueEvent]:
    """The dated busy periods of every venue the desk depends on (the venues of ``desk_hours``),
    sorted by start, venue and name."""
    names: set[str] = set()
    for workload in estate.workloads:
        if workload.desk == desk:
            names.update(workload.venues)
            names.update(budget.to for budget in workload.latency_budgets)
    out = [VenueEvent(v.name, e, *event_interval(v.hours, e))
           for v in estate.venues if v.name in names and v.hours for e in v.hours.events]
    return sorted(out, key=lambda x: (x.start, x.venue, x.event.name))
