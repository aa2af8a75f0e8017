"""Rightsizing hints from utilisation data: a small CSV every monitoring stack can produce.

The utilisation file has one row per instance per day::

    date,resource_id,provider,region,machine_type,cpu_avg_pct,cpu_p95_pct,mem_p95_pct
    2026-11-11,arn:aws:ec2:...:instance/i-0abc,aws,us-east-1,m6i.8xlarge,18.2,29.4,31.0

Over the window, an instance whose daily p95 CPU stays under ``cpu_p95_below`` and p95
memory under ``mem_p95_below`` is offered the next smaller size of its family (half the
vCPUs); one whose p95 CPU stays under ``idle_cpu_p95`` is flagged idle. Savings come
from the shared price table, so they agree with ``cost estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tradeplane.errors import InputError, Location, TradeplaneError
from tradeplane.estate.prices import HOURS_PER_MONTH, instance_price, price_table
from tradeplane.finops.billing_db import quote

__all__ = ["UTILISATION_COLUMNS", "RightsizingHint", "rightsizing_hints", "savings_by_currency", "smaller_type"]

UTILISATION_COLUMNS = ("date", "resource_id", "provider", "region", "machine_type", "cpu_avg_pct",
                       "cpu_p95_pct", "mem_p95_pct")


@dataclass(frozen=True)
class RightsizingHint:
    resource_id: str
    provider: str
    region: str
    machine_type: str
    suggestion: str  # a machine type, or "stop" for idle instances
    cpu_p95: float
    mem_p95: float
    days: int
    monthly_now: float
    monthly_after: float
    currency: str = "USD"  # the shipped price table is in USD; a session converting with rates converts these

    @property
    def monthly_saving(self) -> float:
        return self.monthly_now - self.monthly_after

    def to_json(self) -> dict[str, Any]:
        return {"resource_id": self.resource_id, "provider": self.provider, "region": self.region,
                "machine_type": self.machine_type, "suggestion": self.suggestion,
                "cpu_p95": round(self.cpu_p95, 2), "mem_p95": round(self.mem_p95, 2), "days": self.days,
                "monthly_now": round(self.monthly_now, 2), "monthly_after": round(self.monthly_after, 2),
                "monthly_saving": round(self.monthly_saving, 2), "currency": self.currency}


def smaller_type(provider: str, machine_type: str) -> str | None:
    """The same family with half the vCPUs, when the price table knows it."""
    if provider == "aws":
        family, _, size = machine_type.partition(".")
        sizes = price_table().data["aws"]["sizes"]
        units = sizes.get(size)
        if units is None or units <= 1:
            return None
        want = units / 2
        for name, u in sizes.items():
            if u == want and name != "metal":
                return f"{family}.{name}"
        return None
    parts = machine_type.split("-")
    if len(parts) == 3 and parts[2].isdigit():
        n = int(parts[2])
        if n >= 4:
            return f"{parts[0]}-{parts[1]}-{n // 2}"
    return None


def rightsizing_hints(con: duckdb.DuckDBPyConnection, path: str | Path, *, cpu_p95_below: float = 40.0,
                      mem_p95_below: float = 50.0, idle_cpu_p95: float = 5.0) -> list[RightsizingHint]:
    p = Path(path)
    if not p.is_file():
        raise InputError.single(f"no utilisation file at '{p}'", location=Location(str(p)),
                                hint="columns: " + ",".join(UTILISATION_COLUMNS))
    src = f"read_csv({quote(str(p))}, header = true, all_varchar = true)"
    try:
        cols = tuple(d[0] for d in con.execute(f"SELECT * FROM {src} LIMIT 0").description)
    except duckdb.Error as exc:
        raise InputError.single(f"cannot read: {str(exc).splitlines()[0]}", location=Location(str(p))) from None
    missing = [c for c in UTILISATION_COLUMNS if c not in cols]
    if missing:
        raise InputError.single(f"utilisation file lacks column(s) {', '.join(missing)}", location=Location(str(p)),
                                field=missing[0], hint="columns: " + ",".join(UTILISATION_COLUMNS))
    con.execute("SET preserve_insertion_order = true")
    try:
        bad = con.execute(f"""
            SELECT rn, col FROM (
              SELECT row_number() OVER () AS rn, * FROM {src}) t,
              LATERAL (SELECT unnest(['date', 'cpu_avg_pct', 'cpu_p95_pct', 'mem_p95_pct']) AS col,
                              unnest([TRY_CAST(t.date AS DATE) IS NULL,
                                      TRY_CAST(t.cpu_avg_pct AS DOUBLE) IS NULL,
                                      TRY_CAST(t.cpu_p95_pct AS DOUBLE) IS NULL,
                                      TRY_CAST(t.mem_p95_pct AS DOUBLE) IS NULL]) AS bad) c
            WHERE c.bad ORDER BY rn, col LIMIT 1""").fetchone()
    finally:
        con.execute("SET preserve_insertion_order = false")
    if bad is not None:
        raise InputError.single(f"row {bad[0]}: {bad[1]} is not a {'date' if bad[1] == 'date' else 'number'}",
                                location=Location(str(p), int(bad[0]) + 1), field=str(bad[1]))
    rows = con.execute(f"""
        SELECT resource_id, any_value(provider), any_value(region), any_value(machine_type),
               max(CAST(cpu_p95_pct AS DOUBLE)), max(CAST(mem_p95_pct AS DOUBLE)), count(DISTINCT date)
        FROM {src} GROUP BY resource_id ORDER BY resource_id""").fetchall()
    hints = []
    for rid, provider, region, mtype, cpu, mem, days in rows:
        cpu, mem = float(cpu), float(mem)
        try:
            now = instance_price(provider, region, mtype).hourly_usd * HOURS_PER_MONTH
        except TradeplaneError:
            continue
        if cpu < idle_cpu_p95:
            hints.append(RightsizingHint(rid, provider, region, mtype, "stop", cpu, mem, int(days), now, 0.0))
            continue
        if cpu >= cpu_p95_below or mem >= mem_p95_below:
            continue
        smaller = smaller_type(provider, mtype)
        if smaller is None:
            continue
        try:
            after = instance_price(provider, region, smaller).hourly_usd * HOURS_PER_MONTH
        except TradeplaneError:
            continue
        hints.append(RightsizingHint(rid, provider, region, mtype, smaller, cpu, mem, int(days), now, after))
    hints.sort(key=lambda h: (-h.monthly_saving, h.resource_id))
    return hints


def savings_by_currency(hints: list[RightsizingHint]) -> dict[str, float]:
    """Currency -> the monthly saving of ``hints`` (sorted by currency; amounts of two currencies never added)."""
    out: dict[str, float] = {}
    for h in hints:
        out[h.currency] = out.get(h.currency, 0.0) + h.monthly_saving
    return dict(sorted(out.items()))
