"""Spend anomalies: daily cost per desk and service against its own weekday baseline.

For each (desk, service) series the baseline of a day is the median of the same
weekday in the four previous weeks (so a Monday is compared with Mondays: weekend
batch scale-downs are not anomalies). A day is anomalous when it exceeds the
baseline by more than ``max(k x robust spread, relative floor, absolute floor)``;
the robust spread is 1.4826 x the median absolute deviation of those four weeks.
Consecutive anomalous days form one anomaly: its start, its days, its excess over
the baseline, and the resources whose cost grew most (the drivers).
Only direct (non-shared) spend is examined: a shared split moves with its drivers.

Charges are treated by their FOCUS ``ChargeFrequency``: only usage-based charges form the
daily series. A ``Recurring`` charge (a monthly fee on the 1st) or a ``One-Time`` one
(a purchase) is not daily usage; recurring charges are compared month with month instead
(an anomaly when a month's recurring total of a desk and service grows by more than the
same relative and absolute floors over the previous month). Amounts of different
currencies are separate series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb

from tradeplane.errors import InputError
from tradeplane.estate import Estate
from tradeplane.finops.allocation import desk_expr, shared_rule_expr
from tradeplane.finops.allocation_rules import AllocationRules
from tradeplane.finops.billing_db import quote

__all__ = ["Anomaly", "AnomalySettings", "Driver", "find_anomalies"]


@dataclass(frozen=True)
class AnomalySettings:
    days: int = 30  # examine the last N days of the data
    k: float = 4.0
    min_relative: float = 0.2  # at least +20 % over the baseline
    max_gap: int = 2  # anomalous days this close together are one anomaly
    min_absolute: float = 50.0  # and at least this many dollars a day


@dataclass(frozen=True)
class Driver:
    resource_id: str
    before_daily: float
    during_daily: float
    excess: float

    def to_json(self) -> dict[str, Any]:
        return {"resource_id": self.resource_id, "before_daily": round(self.before_daily, 2),
                "during_daily": round(self.during_daily, 2), "excess": round(self.excess, 2)}


@dataclass(frozen=True)
class Anomaly:
    desk: str
    service: str
    start: date
    end: date
    days: int  # calendar days from start to end
    cost: float  # on the anomalous days
    baseline: float
    excess: float
    peak_ratio: float
    ongoing: bool
    drivers: tuple[Driver, ...] = field(default_factory=tuple)
    currency: str = "USD"
    frequency: str = "Usage-Based"  # Usage-Based: a daily series; Recurring: month against month

    def to_json(self) -> dict[str, Any]:
        return {"desk": self.desk, "service": self.service, "currency": self.currency, "frequency": self.frequency,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(), "days": self.days, "cost": round(self.cost, 2),
                "baseline": round(self.baseline, 2), "excess": round(self.excess, 2),
                "peak_ratio": round(self.peak_ratio, 3), "ongoing": self.ongoing,
                "drivers": [d.to_json() for d in self.drivers]}


def find_anomalies(con: duckdb.DuckDBPyConnection, estate: Estate, rules: AllocationRules,
                   settings: AnomalySettings | None = None, *, top_drivers: int = 5) -> list[Anomaly]:
    """Anomalies in the last ``settings.days`` days of ``allocated`` (run ``allocate`` first)."""
    s = settings or AnomalySettings()
    row = con.execute("SELECT min(day), max(day) FROM allocated").fetchone()
    if row is None or row[0] is None:
        return []
    first, last = row
    span = (last - first).days + 1
    if not 1 <= s.days <= span:
        raise InputError.single(f"must be between 1 and the days in the data ({span})", field="--days",
                                hint=f"the billing data covers {first} .. {last}")
    since = max(first + timedelta(days=28), last - timedelta(days=s.days - 1))
    q = f"""
    WITH series AS (
      SELECT desk, service, currency, day, SUM(cost) AS cost FROM allocated
      WHERE NOT starts_with(method, 'shared') AND desk <> 'unallocated' AND {_USAGE_BASED}
      GROUP BY desk, service, currency, day
    ),
    keys AS (SELECT DISTINCT desk, service, currency FROM series),
    grid AS (
      SELECT k.desk, k.service, k.currency, CAST(g.day AS DATE) AS day, COALESCE(s.cost, 0) AS cost
      FROM keys k
      CROSS JOIN generate_series(DATE {quote(first.isoformat())}, DATE {quote(last.isoformat())},
                                 INTERVAL 1 DAY) g(day)
      LEFT JOIN series s ON s.desk = k.desk AND s.service = k.service AND s.currency = k.currency
        AND s.day = CAST(g.day AS DATE)
    ),
    lagged AS (
      SELECT *, [lag(cost, 7) OVER w, lag(cost, 14) OVER w, lag(cost, 21) OVER w, lag(cost, 28) OVER w] AS prev
      FROM grid WINDOW w AS (PARTITION BY desk, service, currency ORDER BY day)
    ),
    scored AS (
      SELECT desk, service, currency, day, cost, list_median(prev) AS baseline,
             1.4826 * list_median(list_transform(prev, lambda x: abs(x - list_median(prev)))) AS spread
      FROM lagged WHERE day >= DATE {quote(since.isoformat())} AND list_count(prev) = 4
    )
    SELECT desk, service, currency, day, cost, baseline FROM scored
    WHERE cost - baseline > greatest({s.k} * spread, {s.min_relative} * baseline, {s.min_absolute})
    ORDER BY desk, service, currency, day"""
    flagged = con.execute(q).fetchall()
    episodes: list[list[tuple[Any, ...]]] = []
    for r in flagged:
        prev = episodes[-1][-1] if episodes else None
        if prev is not None and prev[:3] == r[:3] and r[3] - prev[3] <= timedelta(days=s.max_gap + 1):
            episodes[-1].append(r)
        else:
            episodes.append([r])
    out = []
    for ep in episodes:
        desk, service, cur = ep[0][0], ep[0][1], ep[0][2]
        start, end = ep[0][3], ep[-1][3]
        cost = sum(float(x[4]) for x in ep)
        base = sum(float(x[5]) for x in ep)
        peak = max(float(x[4]) / float(x[5]) if x[5] else float("inf") for x in ep)
        drivers = _drivers(con, estate, rules, desk, service, cur, start, end, top_drivers)
        out.append(Anomaly(desk, service, start, end, (end - start).days + 1, cost, base, cost - base,
                           peak if peak != float("inf") else 0.0, end == last, drivers, cur))
    out.extend(_recurring(con, s, since, last))
    out.sort(key=lambda a: (-a.excess, a.desk, a.service, a.start))
    return out


_USAGE_BASED = "COALESCE(frequency, 'Usage-Based') NOT IN ('Recurring', 'One-Time')"


def _recurring(con: duckdb.DuckDBPyConnection, s: AnomalySettings, since: date, last: date) -> list[Anomaly]:
    """Recurring charges, month against the previous month (a monthly fee is not a daily spike)."""
    rows = con.execute(f"""
      WITH m AS (
        SELECT desk, service, currency, date_trunc('month', day) AS month, SUM(cost) AS cost FROM allocated
        WHERE NOT starts_with(method, 'shared') AND desk <> 'unallocated' AND frequency = 'Recurring'
        GROUP BY ALL),
      l AS (SELECT *, lag(cost) OVER (PARTITION BY desk, service, currency ORDER BY month) AS prev,
                  lag(month) OVER (PARTITION BY desk, service, currency ORDER BY month) AS prev_month FROM m)
      SELECT desk, service, currency, CAST(month AS DATE), cost, prev FROM l
      WHERE prev IS NOT NULL AND prev_month = month - INTERVAL 1 MONTH
        AND CAST(month AS DATE) >= DATE {quote(since.replace(day=1).isoformat())}
        AND cost - prev > greatest({s.min_relative} * abs(prev), {s.min_absolute})
      ORDER BY ALL""").fetchall()
    out = []
    for desk, service, cur, month, cost, prev in rows:
        cost, prev = float(cost), float(prev)
        end = min(last, (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
        out.append(Anomaly(desk, service, month, end, (end - month).days + 1, cost, prev, cost - prev,
                           cost / prev if prev else 0.0, end == last, (), str(cur), "Recurring"))
    return out


def _drivers(con: duckdb.DuckDBPyConnection, estate: Estate, rules: AllocationRules, desk: str, service: str,
             currency: str, start: date, end: date, top: int) -> tuple[Driver, ...]:
    cost = "effective_cost" if rules.cost == "effective" else "billed_cost"
    before = start - timedelta(days=28)
    days = (end - start).days + 1
    q = f"""
    SELECT COALESCE(resource_id, '(no resource id)') AS rid,
           SUM({cost}) FILTER (WHERE day < DATE {quote(start.isoformat())}) / 28.0 AS before_daily,
           SUM({cost}) FILTER (WHERE day >= DATE {quote(start.isoformat())}) / {days}.0 AS during_daily
    FROM billing
    WHERE day BETWEEN DATE {quote(before.isoformat())} AND DATE {quote(end.isoformat())}
      AND service = {quote(service)} AND ({desk_expr(estate)}) = {quote(desk)} AND currency = {quote(currency)}
      AND COALESCE(charge_frequency, 'Usage-Based') NOT IN ('Recurring', 'One-Time')
      AND ({shared_rule_expr(estate, rules)}) IS NULL
    GROUP BY rid"""
    rows = []
    for rid, b, d in con.execute(q).fetchall():
        b, d = float(b or 0.0), float(d or 0.0)
        rows.append(Driver(str(rid), b, d, (d - b) * days))
    rows.sort(key=lambda x: (-x.excess, x.resource_id))
    return tuple(r for r in rows[:top] if r.excess > 0)
