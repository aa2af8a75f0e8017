"""Maintenance windows outside the trading hours the estate declares (``tradeplane.estate.hours``).

``weekly_window(estate, desk)`` is the longest stretch of the week in which no venue the desk
depends on trades, in UTC, in both daylight-saving states: it is computed on a January and a
July reference week (fixed dates, so the result never depends on the clock) and only minutes
closed in both count. The window keeps a margin of an hour on each side and lasts at most
48 hours. GKE needs each occurrence to last at least 4 hours (and 48 hours of availability in
32 days, which a weekly window of 12 hours or more gives), so a desk that trades 24x7 (or
nearly) gets ``None`` and the caller must say so.

``exclusions(estate, desk)`` are the one-off maintenance exclusions: one per dated busy
period (``MarketEvent``: a roll, an expiry, a rebalance) of the desk's venues, from midnight
before its first day to midnight after its last, in the venue's time zone, scoped
``NO_UPGRADES`` (no control-plane or node upgrade, patch versions included). GKE allows at most
30 days for that scope and 20 exclusions per cluster (``MAX_EXCLUSION_DAYS``,
``MAX_EXCLUSIONS``); ``exclusion_problems`` names the events beyond either.

Sources: Google Kubernetes Engine, "Maintenance windows and exclusions" (recurring windows are
RFC 5545 RRULEs; at least 48 hours of availability in a rolling 32 days, 4-hour minimum; a
"no upgrades" exclusion lasts at most 30 days); hashicorp/terraform-provider-google
``google_container_cluster.maintenance_policy.maintenance_exclusion`` (at most 20, with
``exclusion_name``, ``start_time``, ``end_time`` and ``exclusion_options.scope``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tradeplane.estate.hours import VenueEvent, closed_intervals, desk_events, desk_hours
from tradeplane.estate.model import Estate

__all__ = ["MAX_EXCLUSIONS", "MAX_EXCLUSION_DAYS", "Exclusion", "WeeklyWindow", "exclusion_problems", "exclusions",
           "weekly_window"]

MAX_EXCLUSIONS = 20
MAX_EXCLUSION_DAYS = 30  # scope NO_UPGRADES
_RFC3339 = "%Y-%m-%dT%H:%M:%SZ"

REFERENCE_WEEKS = (datetime(2025, 1, 13, tzinfo=UTC), datetime(2025, 7, 14, tzinfo=UTC))  # Mondays
MARGIN_MIN = 60
MIN_MINUTES = 4 * 60
MAX_MINUTES = 48 * 60
WEEK = 7 * 24 * 60
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class WeeklyWindow:
    start_minute: int  # minutes after Monday 00:00 UTC
    minutes: int

    @property
    def start_time(self) -> str:
        """The first occurrence on the January reference week, RFC 3339 (GKE's ``start_time``)."""
        return (REFERENCE_WEEKS[0] + timedelta(minutes=self.start_minute)).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def end_time(self) -> str:
        return (REFERENCE_WEEKS[0] + timedelta(minutes=self.start_minute + self.minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def recurrence(self) -> str:
        day = _DAYS[(self.start_minute // (24 * 60)) % 7]
        return f"FREQ=WEEKLY;BYDAY={day}"


def _closed_minutes(estate: Estate, desk: str, week: datetime) -> list[bool]:
    closed = [True] * WEEK
    for hours in desk_hours(estate, desk):
        shut = [False] * WEEK
        for start, end in closed_intervals(hours, week, week + timedelta(days=7)):
            a = int((start - week).total_seconds() // 60)
            b = int((end - week).total_seconds() // 60)
            for m in range(a, b):
                shut[m] = True
        closed = [c and s for c, s in zip(closed, shut, strict=True)]
    return closed


def weekly_window(estate: Estate, desk: str) -> WeeklyWindow | None:
    """The desk's weekly maintenance window (see the module doc), or None when it never closes long enough."""
    masks = [_closed_minutes(estate, desk, w) for w in REFERENCE_WEEKS]
    closed = [all(m[i] for m in masks) for i in range(WEEK)]
    if all(closed):
        return WeeklyWindow(5 * 24 * 60, MAX_MINUTES)  # the desk depends on no venue: Saturday and Sunday
    best_start, best_len = 0, 0
    start = next(i for i in range(WEEK) if not closed[i])  # begin scanning just after an open minute
    run_start, run = 0, 0
    for k in range(1, WEEK + 1):
        i = (start + k) % WEEK
        if closed[i]:
            if run == 0:
                run_start = i
            run += 1
            if run > best_len:
                best_start, best_len = run_start, run
        else:
            run = 0
    usable = min(best_len - 2 * MARGIN_MIN, MAX_MINUTES)
    if usable < MIN_MINUTES:
        return None
    return WeeklyWindow((best_start + MARGIN_MIN) % WEEK, usable)


@dataclass(frozen=True)
class Exclusion:
    """One GKE maintenance exclusion: ``name`` is ``<venue>-<event>``, times RFC 3339 in UTC."""

    name: str
    start_time: str
    end_time: str
    scope: str
    source: VenueEvent

    @property
    def days(self) -> int:
        """Calendar days of the event (first and last included)."""
        return (date.fromisoformat(self.source.event.end) - date.fromisoformat(self.source.event.start)).days + 1

    @property
    def too_long(self) -> bool:
        return self.source.end - self.source.start > timedelta(days=MAX_EXCLUSION_DAYS)


def exclusions(estate: Estate, desk: str) -> list[Exclusion]:
    """The desk's maintenance exclusions, one per busy period of its venues, sorted by start."""
    return [Exclusion(f"{e.venue}-{e.event.name}", e.start.astimezone(UTC).strftime(_RFC3339),
                      e.end.astimezone(UTC).strftime(_RFC3339), "NO_UPGRADES", e)
            for e in desk_events(estate, desk)]


def exclusion_problems(found: list[Exclusion]) -> list[tuple[Exclusion, str]]:
    """Each exclusion GKE would refuse, with why: longer than ``MAX_EXCLUSION_DAYS``, or beyond
    the ``MAX_EXCLUSIONS`` of one cluster (the first exclusion over the limit)."""
    out = [(x, f"lasts {x.days} days; a no-upgrades exclusion lasts at most {MAX_EXCLUSION_DAYS}")
           for x in found if x.too_long]
    if len(found) > MAX_EXCLUSIONS:
        out.append((found[MAX_EXCLUSIONS], f"is exclusion {MAX_EXCLUSIONS + 1} of {len(found)}; a cluster "
                                           f"holds at most {MAX_EXCLUSIONS}"))
    return out
