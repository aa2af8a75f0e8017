"""Trading-calendar exclusions: when an SLO's error budget is *not* being spent.

An SLO with a calendar spends its budget only while one of its venues trades (the venue's market
hours in the estate, read through ``tradeplane.estate.hours``: sessions, daily halts such as CME's
16:00-17:00 Chicago maintenance halt, weekends and holidays) and outside its declared maintenance
windows. Prometheus has no time zones, so the calendar is compiled to explicit UTC instants: the
closed intervals from ``start - window`` to ``start + horizon`` become one recording rule,
``<prefix>:slo_open{slo=...}``, present (value 1) while the budget is spent and absent otherwise;
the SLI's recording rules are joined with it (``and on() ...``), so closed periods leave no samples
and every window's error ratio is computed over trading time only. Outside the rendered span the
SLO counts as open (never assume a market is closed); re-render at least every ``horizon`` days
(``tradeplane plan`` and ``observe render`` take the start date).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tradeplane.estate.hours import Interval, open_intervals, venue_hours
from tradeplane.estate.model import Estate
from tradeplane.observe.standard import SloSpec

__all__ = ["HORIZON_DAYS", "closed_intervals", "open_expression"]

HORIZON_DAYS = 45


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _merge(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        elif e > s:
            out.append((s, e))
    return out


def closed_intervals(estate: Estate, slo: SloSpec, start: datetime) -> list[Interval]:
    """The UTC intervals in ``[start - window, start + HORIZON_DAYS)`` when ``slo`` spends no budget:
    every calendar venue closed, or a maintenance window running. Sorted and merged."""
    if not slo.calendar_venues and not slo.maintenance:
        return []
    lo = start - timedelta(days=slo.window_days)
    hi = start + timedelta(days=HORIZON_DAYS)
    closed: list[Interval] = []
    if slo.calendar_venues:
        opens = _merge([iv for v in slo.calendar_venues
                        for iv in open_intervals(venue_hours(estate.venue(v)), lo, hi)])
        cursor = lo
        for s, e in opens:
            if s > cursor:
                closed.append((cursor, s))
            cursor = max(cursor, e)
        if cursor < hi:
            closed.append((cursor, hi))
    for m_start, m_end, _ in slo.maintenance:
        s, e = max(_instant(m_start), lo), min(_instant(m_end), hi)
        if e > s:
            closed.append((s, e))
    return _merge(closed)


def open_expression(closed: list[Interval]) -> str:
    """PromQL that is 1 (no labels) while outside every ``closed`` interval and empty inside one."""
    if not closed:
        return "vector(1)"
    clauses = " or ".join(f"vector(time()) >= {int(s.timestamp())} < {int(e.timestamp())}" for s, e in closed)
    return f"vector(1) unless on() ({clauses})"
