"""Error budgets as the rendered rules measure them.

An SLO's error budget is ``1 - objective`` of what its indicator counts over its window, and the
rules (``observe.rules``) count only while the SLO's calendar is open: the SLI's recordings are
joined with ``<prefix>:slo_open``, which is absent while every calendar venue is closed or a
maintenance window runs (``observe.calendar.closed_intervals``). So:

* the *counted time* of a window is the window less those closed intervals (a 28-day window of
  Nasdaq's 09:30-16:00 New York session counts about 130 h, not 672 h);
* a **time** indicator (the share of evaluations a gauge is good) spends its budget in time:
  ``budget_minutes = (1 - objective) * counted minutes`` (99.95% of 130 h is 3.9 min);
* a **ratio** or **latency** indicator counts events (orders, feed events, observations), so its
  budget is a share of the events of the counted time, never minutes: an hour of closed market
  sends no events and a busy minute spends more budget than a quiet one.

The window is the rolling window of the rules evaluated at ``end``: ``[end - window_days, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tradeplane.observe.calendar import closed_intervals
from tradeplane.observe.standard import SloSpec, Standard

__all__ = ["Budget", "budget_of"]


@dataclass(frozen=True)
class Budget:
    """The error budget of one SLO over the window ending at ``end``.

    ``ratio`` is ``1 - objective/100``; ``counted`` the time the rules count within the window
    (all of it for a 24x7 SLO); ``minutes`` the budget in minutes for a time indicator, ``None``
    for an event-counting one (ratio, latency).
    """

    basis: Literal["time", "events"]
    ratio: float
    objective: float
    window: timedelta
    counted: timedelta
    end: datetime

    @property
    def minutes(self) -> float | None:
        if self.basis != "time":
            return None
        return self.ratio * self.counted.total_seconds() / 60

    @property
    def percent(self) -> str:
        """The budget as a percentage of what is counted: ``0.05%`` for 99.95."""
        return f"{round(100.0 - self.objective, 6):g}%"

    def text(self) -> str:
        """As ``observe slo`` prints it: ``3.9 min`` (time) or ``0.05% of events`` (events)."""
        minutes = self.minutes
        if minutes is None:
            return f"{self.percent} of events"
        return f"{minutes:,.1f} min"

    def counted_text(self) -> str:
        """The counted time: ``672 h`` for a whole 28-day window, ``130 h of 672`` for a calendar."""
        hours = self.counted.total_seconds() / 3600
        whole = self.window.total_seconds() / 3600
        if self.counted == self.window:
            return f"{whole:,.4g} h"
        return f"{hours:,.4g} h of {whole:,.4g}"


def budget_of(standard: Standard, slo: SloSpec, end: datetime) -> Budget:
    """The budget of ``slo`` over ``[end - window_days, end)`` (``end`` timezone-aware), counting the
    time its rendered rules count (the same ``closed_intervals`` the ``slo_open`` rule is built from)."""
    window = timedelta(days=slo.window_days)
    start = end - window
    closed = timedelta()
    for s, e in closed_intervals(standard.estate, slo, end):
        lo, hi = max(s, start), min(e, end)
        if hi > lo:
            closed += hi - lo
    basis: Literal["time", "events"] = "time" if slo.sli.kind == "time" else "events"
    return Budget(basis, slo.budget, slo.objective, window, window - closed, end)
