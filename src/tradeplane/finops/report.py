"""Cost reports over the allocation: by desk, team, service, cloud; budgets with a forecast; untagged spend.

Every figure is an aggregate computed by DuckDB; Python only sees the small results.
``CostReport.to_json`` is deterministic (sorted, rounded to the cent).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from tradeplane.errors import InputError, Location
from tradeplane.estate import Estate
from tradeplane.finops.allocation import UNALLOCATED, allocate, maps_of, shared_rule_expr
from tradeplane.finops.engine import quote
from tradeplane.finops.focus import Billing
from tradeplane.finops.rules import AllocationRules

__all__ = ["BudgetLine", "CostReport", "Period", "Row", "UntaggedResource", "build_report", "data_range",
           "export_allocation"]


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def sql(self, column: str = "day") -> str:
        return f"{column} BETWEEN DATE {quote(self.start.isoformat())} AND DATE {quote(self.end.isoformat())}"

    def __str__(self) -> str:
        return f"{self.start.isoformat()} .. {self.end.isoformat()}"


@dataclass(frozen=True)
class Row:
    key: tuple[str, ...]
    cost: float
    share: float
    direct: float = 0.0
    shared: float = 0.0

    def to_json(self, names: tuple[str, ...]) -> dict[str, Any]:
        d: dict[str, Any] = dict(zip(names, self.key, strict=True))
        d.update(cost=round(self.cost, 2), share=round(self.share, 4), direct=round(self.direct, 2),
                 shared=round(self.shared, 2))
        return d


@dataclass(frozen=True)
class BudgetLine:
    desk: str
    budget: float
    month_to_date: float
    forecast: float
    used: float  # month_to_date / budget
    forecast_used: float
    status: str  # ok, at-risk (forecast past the last alert below 100%), over (forecast past the budget)
    crossed: tuple[float, ...]  # alert_at thresholds month-to-date spend has passed
    alert_at: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {"desk": self.desk, "budget": round(self.budget, 2), "month_to_date": round(self.month_to_date, 2),
                "forecast": round(self.forecast, 2), "used": round(self.used, 4),
                "forecast_used": round(self.forecast_used, 4), "status": self.status,
                "alert_at": list(self.alert_at), "crossed": list(self.crossed)}


@dataclass(frozen=True)
class UntaggedResource:
    resource_id: str
    service: str
    sub_account: str
    cost: float
    allocated_to: str

    def to_json(self) -> dict[str, Any]:
        return {"resource_id": self.resource_id, "service": self.service, "sub_account": self.sub_account,
                "cost": round(self.cost, 2), "allocated_to": self.allocated_to}


@dataclass
class CostReport:
    period: Period
    month: str
    as_of: date
    synthetic: bool
    files: tuple[str, ...]
    cost_basis: str
    total: float
    by_desk: list[Row] = field(default_factory=list)
    by_team: list[Row] = field(default_factory=list)
    by_service: list[Row] = field(default_factory=list)
    by_cloud: list[Row] = field(default_factory=list)
    by_env: list[Row] = field(default_factory=list)
    by_method: list[Row] = field(default_factory=list)
    daily: list[tuple[str, str, float]] = field(default_factory=list)  # (day, desk, cost)
    budgets: list[BudgetLine] = field(default_factory=list)
    untagged_cost: float = 0.0
    unallocated_cost: float = 0.0
    untagged_top: list[UntaggedResource] = field(default_factory=list)
    required_tags: tuple[str, ...] = ()
    rules_source: str = ""
    compliant_cost: float = 0.0  # cost of usage rows carrying every tag of the schema
    usage_cost: float = 0.0  # cost of all usage rows (shared-rule rows and commitments excluded)
    missing_by_tag: dict[str, float] = field(default_factory=dict)  # tag -> cost of rows lacking it

    @property
    def tag_compliance(self) -> float:
        return self.compliant_cost / self.usage_cost if self.usage_cost else 1.0

    @property
    def notice(self) -> str:
        return ("GENERATED DATA: this report runs on synthetic FOCUS billing made by `tradeplane cost generate`, "
                "not on a real bill") if self.synthetic else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "synthetic": self.synthetic,
            "notice": self.notice,
            "files": list(self.files),
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat(),
                       "days": self.period.days},
            "cost_basis": self.cost_basis,
            "rules": self.rules_source,
            "total": round(self.total, 2),
            "by_desk": [r.to_json(("desk",)) for r in self.by_desk],
            "by_team": [r.to_json(("desk", "team")) for r in self.by_team],
            "by_service": [r.to_json(("cloud", "service")) for r in self.by_service],
            "by_cloud": [r.to_json(("cloud",)) for r in self.by_cloud],
            "by_env": [r.to_json(("env",)) for r in self.by_env],
            "by_method": [r.to_json(("method",)) for r in self.by_method],
            "budgets": {"month": self.month, "as_of": self.as_of.isoformat(),
                        "desks": [b.to_json() for b in self.budgets]},
            "untagged": {"cost": round(self.untagged_cost, 2), "unallocated_cost": round(self.unallocated_cost, 2),
                         "top_resources": [u.to_json() for u in self.untagged_top]},
            "tag_compliance": {"required": list(self.required_tags), "share": round(self.tag_compliance, 4),
                               "compliant_cost": round(self.compliant_cost, 2),
                               "usage_cost": round(self.usage_cost, 2),
                               "missing_by_tag": {k: round(v, 2) for k, v in sorted(self.missing_by_tag.items())}},
            "daily": [{"day": d, "desk": k, "cost": round(c, 2)} for d, k, c in self.daily],
        }


def data_range(con: duckdb.DuckDBPyConnection, table: str = "allocated") -> tuple[date, date]:
    row = con.execute(f"SELECT min(day), max(day) FROM {table}").fetchone()
    if row is None or row[0] is None:
        raise InputError.single("the billing data has no rows", hint="check the files and the period")
    return row[0], row[1]


def _rows(con: duckdb.DuckDBPyConnection, keys: str, where: str, total: float) -> list[Row]:
    n = len(keys.split(","))
    q = (f"SELECT {keys}, SUM(cost), SUM(cost) FILTER (WHERE NOT starts_with(method, 'shared')), "
         f"SUM(cost) FILTER (WHERE starts_with(method, 'shared')) FROM allocated WHERE {where} "
         f"GROUP BY {keys} ORDER BY SUM(cost) DESC, {keys}")
    out = []
    for r in con.execute(q).fetchall():
        cost = float(r[n] or 0.0)
        out.append(Row(tuple(str(x) for x in r[:n]), cost, cost / total if total else 0.0,
                       float(r[n + 1] or 0.0), float(r[n + 2] or 0.0)))
    return out


def build_report(con: duckdb.DuckDBPyConnection, estate: Estate, billing: Billing, rules: AllocationRules,
                 *, since: date | None = None, until: date | None = None, top: int = 10,
                 allocated: bool = False) -> CostReport:
    """The full cost report. ``since``/``until`` default to the month of the last day in the data."""
    if not allocated:
        allocate(con, estate, rules)
    first, last = data_range(con)
    end = min(until or last, last)
    start = since or end.replace(day=1)
    if start > end:
        raise InputError.single(f"the period {start} .. {end} is empty",
                                hint=f"the billing data covers {first} .. {last}")
    period = Period(max(start, first), end)
    where = period.sql()
    tot = con.execute(f"SELECT COALESCE(SUM(cost), 0) FROM allocated WHERE {where}").fetchone()
    total = float(tot[0]) if tot else 0.0
    rep = CostReport(period, end.strftime("%Y-%m"), end, billing.synthetic, billing.paths, rules.cost, total)
    rep.rules_source = rules.source
    rep.by_desk = _rows(con, "desk", where, total)
    rep.by_team = _rows(con, "desk, team", where, total)
    rep.by_service = _rows(con, "provider, service", where, total)
    rep.by_cloud = _rows(con, "provider", where, total)
    rep.by_env = _rows(con, "env", where, total)
    rep.by_method = _rows(con, "method", where, total)
    rep.daily = [(d.isoformat(), k, float(c)) for d, k, c in con.execute(
        f"SELECT day, desk, SUM(cost) FROM allocated WHERE {where} GROUP BY day, desk ORDER BY day, desk").fetchall()]
    rep.budgets = _budgets(con, estate, end)
    _untagged(con, estate, rules, rep, period, top)
    return rep


def _budgets(con: duckdb.DuckDBPyConnection, estate: Estate, as_of: date) -> list[BudgetLine]:
    month_start = as_of.replace(day=1)
    days_in_month = calendar.monthrange(as_of.year, as_of.month)[1]
    elapsed = (as_of - month_start).days + 1
    remaining = days_in_month - elapsed
    recent_start = max(month_start, as_of - timedelta(days=6))
    q = f"""SELECT desk, SUM(cost),
                   SUM(cost) FILTER (WHERE day >= DATE {quote(recent_start.isoformat())}
                                     AND frequency NOT IN ('One-Time', 'Recurring'))
            FROM allocated WHERE day BETWEEN DATE {quote(month_start.isoformat())} AND DATE {quote(as_of.isoformat())}
            GROUP BY desk"""
    spent = {r[0]: (float(r[1] or 0), float(r[2] or 0)) for r in con.execute(q).fetchall()}
    recent_days = (as_of - recent_start).days + 1
    out = []
    for b in sorted(estate.budgets, key=lambda b: b.desk):
        mtd, recent = spent.get(b.desk, (0.0, 0.0))
        # Run rate of the last 7 days of usage-based charges; recurring and one-time charges are taken
        # as already charged for the month (a monthly support fee does not recur within it).
        forecast = mtd + (recent / recent_days) * remaining if recent_days else mtd
        used, fused = mtd / b.monthly_usd, forecast / b.monthly_usd
        crossed = tuple(a for a in sorted(b.alert_at) if used >= a)
        warn = max((a for a in b.alert_at if a < 1.0), default=0.8)
        status = "over" if fused > 1.0 else ("at-risk" if fused >= warn else "ok")
        out.append(BudgetLine(b.desk, b.monthly_usd, mtd, forecast, used, fused, status, crossed,
                              tuple(b.alert_at)))
    return out


def _untagged(con: duckdb.DuckDBPyConnection, estate: Estate, rules: AllocationRules, rep: CostReport,
              period: Period, top: int) -> None:
    m = maps_of(estate)
    desks = ", ".join(quote(d) for d in m.desks) or "''"
    acct = " ".join(f"WHEN {quote(a)} THEN {quote(d)}" for a, d in m.account_desk)
    acct_case = f"CASE sub_account {acct} END" if acct else "CAST(NULL AS VARCHAR)"
    cost = "effective_cost" if rules.cost == "effective" else "billed_cost"
    where = period.sql()
    rows = con.execute(f"""
        SELECT COALESCE(resource_id, '(no resource id: ' || service || ')') AS rid, any_value(service),
               any_value(sub_account), SUM({cost}) AS c, COALESCE(any_value({acct_case}), '{UNALLOCATED}')
        FROM billing
        WHERE {where} AND (tag_desk IS NULL OR tag_desk NOT IN ({desks}))
          AND charge_category = 'Usage' AND COALESCE(commitment_status, '') <> 'Unused'
          AND ({shared_rule_expr(estate, rules)}) IS NULL
        GROUP BY rid HAVING SUM({cost}) <> 0 ORDER BY c DESC, rid""").fetchall()
    rep.untagged_cost = sum(float(r[3]) for r in rows)
    rep.untagged_top = [UntaggedResource(str(r[0]), str(r[1]), str(r[2]), float(r[3]), str(r[4]))
                        for r in rows[:top]]
    un = con.execute(f"SELECT COALESCE(SUM(cost), 0) FROM allocated WHERE {where} AND desk = '{UNALLOCATED}'"
                     ).fetchone()
    rep.unallocated_cost = float(un[0]) if un else 0.0
    # Tag compliance against the estate's tag schema, over the rows a team can tag (its own usage).
    usage = (f"{where} AND charge_category = 'Usage' AND COALESCE(commitment_status, '') <> 'Unused' "
             f"AND ({shared_rule_expr(estate, rules)}) IS NULL")
    comp = con.execute(f"SELECT COALESCE(SUM({cost}), 0), COALESCE(SUM({cost}) FILTER (WHERE len(missing_tags) = 0), 0) "
                       f"FROM billing WHERE {usage}").fetchone()
    rep.required_tags = tuple(sorted(estate.tags.required))
    rep.usage_cost, rep.compliant_cost = (float(comp[0]), float(comp[1])) if comp else (0.0, 0.0)
    rep.missing_by_tag = {str(k): float(v) for k, v in con.execute(
        f"SELECT k, SUM(c) FROM (SELECT unnest(missing_tags) AS k, {cost} AS c FROM billing WHERE {usage}) "
        "GROUP BY k ORDER BY k").fetchall()}


def export_allocation(con: duckdb.DuckDBPyConnection, period: Period, path: str | Path) -> str:
    """Write the allocated rows of ``period`` to CSV or Parquet (by the file's suffix)."""
    p = Path(path)
    fmt = "parquet" if p.suffix == ".parquet" else "csv" if p.suffix == ".csv" else ""
    if not fmt:
        raise InputError.single(f"cannot tell the format of '{p}'", location=Location(str(p)),
                                hint="name the file .csv or .parquet")
    opts = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    p.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"""COPY (SELECT day, provider, desk, team, workload, env, service, service_category, method,
                               rule, frequency, round(cost, 6) AS cost, round(list_cost, 6) AS list_cost
                        FROM allocated WHERE {period.sql()}
                        ORDER BY day, provider, desk, team, workload, env, service, method, rule, frequency)
                   TO {quote(str(p))} ({opts})""")
    return str(p)
