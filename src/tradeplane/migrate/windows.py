"""Cutover windows: when the venue is closed, read from its hours in the estate.

The windows are the venue's closed intervals (``tradeplane.estate.hours.closed_intervals``):
one shorter than a day is the daily maintenance halt (CME Globex: 16:00-17:00 Central Time), a
longer one is the weekend close (or a holiday). A wave needs its cutover time (the sum of its
workloads' ``cutover_minutes``: the runbook runs them one after another) plus the rollback time
objective, so that a failed cutover is rolled back before the market opens. Each wave takes the
first allowed window, after the previous wave plus ``soak_days`` of parallel running, that is long
enough; the reason names the window and the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tradeplane.estate import MarketHours, hours

__all__ = ["Slot", "Window", "schedule", "windows"]

HORIZON_DAYS = 400


@dataclass(frozen=True)
class Window:
    kind: str  # "weekend", "holiday" or "daily-halt"
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Slot:
    """Where one wave goes: its window (or none) and why."""

    wave: int
    needs_minutes: int
    window: Window | None
    reason: str
    label: str = ""  # the window in the venue's local time, e.g. "daily halt Mon 2026-12-07 16:00 CST"

    def to_json(self) -> dict[str, Any]:
        w = self.window
        return {"wave": self.wave, "needs_minutes": self.needs_minutes, "reason": self.reason, "label": self.label,
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


def schedule(h: MarketHours, first_day: str, needs: list[int], allowed: tuple[str, ...], soak_days: int,
             rollback_minutes: int, venue: str) -> list[Slot]:
    """A slot per wave (``needs[i]`` = cutover minutes of wave i+1, rollback excluded)."""
    zone = ZoneInfo(h.timezone)
    cursor = datetime.combine(date.fromisoformat(first_day), time(0), zone).astimezone(UTC)
    wanted = set(allowed) | ({"holiday"} if "weekend" in allowed else set())
    pool = [w for w in windows(h, cursor, cursor + timedelta(days=HORIZON_DAYS)) if w.kind in wanted]
    halt = max((w.minutes for w in pool if w.kind == "daily-halt"), default=0)
    slots: list[Slot] = []
    for i, cut in enumerate(needs, start=1):
        need = cut + rollback_minutes
        arithmetic = f"cutover {cut} min + rollback {rollback_minutes} min = {need} min"
        chosen = next((w for w in pool if w.start >= cursor and w.minutes >= need), None)
        if chosen is None:
            slots.append(Slot(i, need, None, f"no {'/'.join(allowed)} window of {venue} within "
                                             f"{HORIZON_DAYS} days is long enough ({arithmetic})", "none"))
            continue
        local = chosen.start.astimezone(zone)
        short = f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"
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
        slots.append(Slot(i, need, chosen, why, label))
        cursor = max(cursor, chosen.start + timedelta(minutes=need) + timedelta(days=soak_days))
    return slots
