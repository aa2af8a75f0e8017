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
from tradeplane.finops.allocation import UNALLOCATED, allocate, desk_expr, maps_of, shared_rule_expr
from tradeplane.finops.allocation_rules import AllocationRules
from tradeplane.finops.billing_db import quote
from tradeplane.finops.currency import CurrencyView
from tradeplane.finops.focus import Billing
from tradeplane.writing import staged_file

__all__ = [
    "BILLED_TABLE",
    "BudgetLine",
    "Correction",
    "CostReport",
    "Period",
    "Row",
    "TagKeyMatch",
    "UntaggedResource",
    "build_report",
    "data_range",
    "default_period",
    "export_allocation",
]


BILLED_TABLE = "allocated_billed"  # the allocation of the billed amounts, when the session converts or filters


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
    share: float  # of the total in the same currency
    direct: float = 0.0
    shared: float = 0.0
    currency: str = "USD"

    def to_json(self, names: tuple[str, ...]) -> dict[str, Any]:
        d: dict[str, Any] = dict(zip(names, self.key, strict=True))
        d.update(cost=round(self.cost, 2), share=round(self.share, 4), direct=round(self.direct, 2),
                 shared=round(self.shared, 2), currency=self.currency)
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
    currency: str = "USD"  # the budget's currency: only spend in it is compared
    not_compared: tuple[tuple[str, float], ...] = ()  # the desk's month-to-date spend in other currencies

    def to_json(self) -> dict[str, Any]:
        return {"desk": self.desk, "currency": self.currency, "budget": round(self.budget, 2),
                "month_to_date": round(self.month_to_date, 2),
                "forecast": round(self.forecast, 2), "used": round(self.used, 4),
                "forecast_used": round(self.forecast_used, 4), "status": self.status,
                "alert_at": list(self.alert_at), "crossed": list(self.crossed),
                "not_compared": {c: round(v, 2) for c, v in self.not_compared}}


@dataclass(frozen=True)
class UntaggedResource:
    resource_id: str
    service: str
    sub_account: str
    cost: float
    allocated_to: str
    currency: str = "USD"

    def to_json(self) -> dict[str, Any]:
        return {"resource_id": self.resource_id, "service": self.service, "sub_account": self.sub_account,
                "cost": round(self.cost, 2), "currency": self.currency, "allocated_to": self.allocated_to}


@dataclass(frozen=True)
class Correction:
    """``ChargeClass = Correction`` rows of one billing period correcting one charge month."""

    billing_period: str  # the invoice month the correction was booked in (BillingPeriodStart)
    charge_month: str  # the month it corrects (ChargePeriodStart)
    currency: str
    rows: int
    cost: float

    @property
    def booked(self) -> str:
        return "its own period" if self.billing_period == self.charge_month else "a later invoice"

    def to_json(self) -> dict[str, Any]:
        return {"billing_period": self.billing_period, "charge_month": self.charge_month, "currency": self.currency,
                "rows": self.rows, "cost": round(self.cost, 2),
                "counted_in": f"charge period {self.charge_month} (the period it corrects)",
                "booked_in": f"billing period {self.billing_period} ({self.booked})"}


@dataclass(frozen=True)
class TagKeyMatch:
    """Which tag key of the data was read as which key of the estate's tag schema."""

    key: str  # the schema key (desk, team, env, workload, cost-centre)
    matched: str  # the key as written in the data (e.g. user:Desk)
    rows: int

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "matched": self.matched, "rows": self.rows}


def _one(values: dict[str, float]) -> float | None:
    """The single currency's figure; ``None`` when the data has several (they are never added)."""
    if len(values) > 1:
        return None
    return next(iter(values.values()), 0.0)


@dataclass
class CostReport:
    period: Period
    month: str
    as_of: date
    synthetic: bool
    files: tuple[str, ...]
    cost_basis: str
    totals: dict[str, float]  # currency -> total
    currency: CurrencyView = field(default_factory=lambda: CurrencyView("per-currency", ()))
    by_desk: list[Row] = field(default_factory=list)
    by_team: list[Row] = field(default_factory=list)
    by_service: list[Row] = field(default_factory=list)
    by_cloud: list[Row] = field(default_factory=list)
    by_env: list[Row] = field(default_factory=list)
    by_method: list[Row] = field(default_factory=list)
    daily: list[tuple[str, str, str, float]] = field(default_factory=list)  # (day, desk, currency, cost)
    budgets: list[BudgetLine] = field(default_factory=list)
    untagged_costs: dict[str, float] = field(default_factory=dict)
    unallocated_costs: dict[str, float] = field(default_factory=dict)
    untagged_top: list[UntaggedResource] = field(default_factory=list)
    required_tags: tuple[str, ...] = ()
    rules_source: str = ""
    compliant_costs: dict[str, float] = field(default_factory=dict)  # usage rows carrying every schema tag
    usage_costs: dict[str, float] = field(default_factory=dict)  # all usage rows (no shared rules, commitments)
    missing_costs: dict[str, dict[str, float]] = field(default_factory=dict)  # currency -> tag -> cost lacking it
    tag_keys: list[TagKeyMatch] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted(self.totals))

    @property
    def total(self) -> float | None:
        """The total when the report has one currency; ``None`` when it has several."""
        return _one(self.totals)

    @property
    def untagged_cost(self) -> float | None:
        return _one(self.untagged_costs)

    @property
    def unallocated_cost(self) -> float | None:
        return _one(self.unallocated_costs)

    @property
    def usage_cost(self) -> float | None:
        return _one(self.usage_costs)

    @property
    def compliant_cost(self) -> float | None:
        return _one(self.compliant_costs)

    @property
    def missing_by_tag(self) -> dict[str, float]:
        """Tag -> cost of rows lacking it, for a one-currency report (empty when there are several)."""
        return dict(next(iter(self.missing_costs.values()))) if len(self.missing_costs) == 1 else {}

    def compliance_in(self, currency: str) -> float:
        usage = self.usage_costs.get(currency, 0.0)
        return self.compliant_costs.get(currency, 0.0) / usage if usage else 1.0

    @property
    def tag_compliance(self) -> float:
        """Share of usage cost carrying every schema tag (in the one currency; the least of them when several)."""
        return min((self.compliance_in(c) for c in self.usage_costs), default=1.0)

    @property
    def notice(self) -> str:
        return ("GENERATED DATA: this report runs on synthetic FOCUS billing made by `tradeplane cost generate`, "
                "not on a real bill") if self.synthetic else ""

    def to_json(self) -> dict[str, Any]:
        def cents(d: dict[str, float]) -> dict[str, float]:
            return {k: round(v, 2) for k, v in sorted(d.items())}

        total = self.total
        return {
            "synthetic": self.synthetic,
            "notice": self.notice,
            "files": list(self.files),
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat(),
                       "days": self.period.days},
            "cost_basis": self.cost_basis,
            "rules": self.rules_source,
            "currency": self.currency.to_json(),
            "total": None if total is None else round(total, 2),
            "totals": cents(self.totals),
            "by_desk": [r.to_json(("desk",)) for r in self.by_desk],
            "by_team": [r.to_json(("desk", "team")) for r in self.by_team],
            "by_service": [r.to_json(("cloud", "service")) for r in self.by_service],
            "by_cloud": [r.to_json(("cloud",)) for r in self.by_cloud],
            "by_env": [r.to_json(("env",)) for r in self.by_env],
            "by_method": [r.to_json(("method",)) for r in self.by_method],
            "budgets": {"month": self.month, "as_of": self.as_of.isoformat(),
                        "desks": [b.to_json() for b in self.budgets]},
            "untagged": {"cost": cents(self.untagged_costs), "unallocated_cost": cents(self.unallocated_costs),
                         "top_resources": [u.to_json() for u in self.untagged_top]},
            "tag_compliance": {"required": list(self.required_tags), "share": round(self.tag_compliance, 4),
                               "by_currency": {c: round(self.compliance_in(c), 4) for c in sorted(self.usage_costs)},
                               "compliant_cost": cents(self.compliant_costs),
                               "usage_cost": cents(self.usage_costs),
                               "missing_by_tag": {c: cents(m) for c, m in sorted(self.missing_costs.items())},
                               "keys_matched": [m.to_json() for m in self.tag_keys]},
            "corrections": [c.to_json() for c in self.corrections],
            "daily": [{"day": d, "desk": k, "currency": c, "cost": round(v, 2)} for d, k, c, v in self.daily],
        }


def data_range(con: duckdb.DuckDBPyConnection, table: str = "allocated") -> tuple[date, date]:
    row = con.execute(f"SELECT min(day), max(day) FROM {table}").fetchone()
    if row is None or row[0] is None:
        raise InputError.single("the billing data has no rows", hint="check the files and the period")
    return row[0], row[1]


def default_period(con: duckdb.DuckDBPyConnection, since: date | None = None, until: date | None = None,
                   table: str = "allocated") -> Period:
    """The period a report covers: ``since``..``until``, by default the month of the last day in the data.

    Raises ``InputError`` when the period is empty or outside the data.
    """
    first, last = data_range(con, table)
    end = min(until or last, last)
    start = since or end.replace(day=1)
    if start > end:
        raise InputError.single(f"the period {start} .. {end} is empty",
                                hint=f"the billing data covers {first} .. {last}")
    return Period(max(start, first), end)


def _rows(con: duckdb.DuckDBPyConnection, keys: str, where: str, totals: dict[str, float]) -> list[Row]:
    n = len(keys.split(","))
    q = (f"SELECT {keys}, currency, SUM(cost), SUM(cost) FILTER (WHERE NOT starts_with(method, 'shared')), "
         f"SUM(cost) FILTER (WHERE starts_with(method, 'shared')) FROM allocated WHERE {where} "
         f"GROUP BY {keys}, currency ORDER BY currency, SUM(cost) DESC, {keys}")
    out = []
    for r in con.execute(q).fetchall():
        cur = str(r[n])
        cost = float(r[n + 1] or 0.0)
        total = totals.get(cur, 0.0)
        out.append(Row(tuple(str(x) for x in r[:n]), cost, cost / total if total else 0.0,
                       float(r[n + 2] or 0.0), float(r[n + 3] or 0.0), cur))
    return out


def build_report(con: duckdb.DuckDBPyConnection, estate: Estate, billing: Billing, rules: AllocationRules,
                 *, since: date | None = None, until: date | None = None, top: int = 10,
                 allocated: bool = False, currency: CurrencyView | None = None,
                 billed_table: str = BILLED_TABLE) -> CostReport:
    """The full cost report. ``since``/``until`` default to the month of the last day in the data.

    Every amount is per currency (see ``tradeplane.finops.currency``); ``currency`` says how the session
    read them (default: as billed). When it converts or filters, ``billed_table`` must hold the allocation
    of the billed amounts (``open_session`` makes it): budgets are compared from it (see ``_budgets``).
    """
    if not allocated:
        allocate(con, estate, rules)
    period = default_period(con, since, until)
    end = period.end
    where = period.sql()
    totals = {str(c): float(v) for c, v in con.execute(
        f"SELECT currency, SUM(cost) FROM allocated WHERE {where} GROUP BY currency ORDER BY currency").fetchall()}
    view = currency or CurrencyView("per-currency", billing.currencies)
    rep = CostReport(period, end.strftime("%Y-%m"), end, billing.synthetic, billing.paths, rules.cost, totals, view)
    rep.rules_source = rules.source
    rep.by_desk = _rows(con, "desk", where, totals)
    rep.by_team = _rows(con, "desk, team", where, totals)
    rep.by_service = _rows(con, "provider, service", where, totals)
    rep.by_cloud = _rows(con, "provider", where, totals)
    rep.by_env = _rows(con, "env", where, totals)
    rep.by_method = _rows(con, "method", where, totals)
    rep.daily = [(d.isoformat(), k, str(c), float(v)) for d, k, c, v in con.execute(
        f"SELECT day, desk, currency, SUM(cost) FROM allocated WHERE {where} GROUP BY day, desk, currency "
        "ORDER BY day, desk, currency").fetchall()]
    rep.budgets = _budgets(con, estate, end, view, billed_table)
    _untagged(con, estate, rules, rep, period, top)
    rep.corrections = _corrections(con, rules, period)
    rep.tag_keys = [TagKeyMatch(str(k).split("=", 1)[0], str(k).split("=", 1)[1], int(n)) for k, n in con.execute(
        f"SELECT k, count(*) FROM (SELECT unnest(tag_keys) AS k FROM billing WHERE {where}) GROUP BY k ORDER BY k"
    ).fetchall()]
    return rep


def _corrections(con: duckdb.DuckDBPyConnection, rules: AllocationRules, period: Period) -> list[Correction]:
    """Correction rows whose charge period falls in ``period``: where they were booked, and counted."""
    cost = "effective_cost" if rules.cost == "effective" else "billed_cost"
    rows = con.execute(f"""
        SELECT strftime(billing_period, '%Y-%m'), strftime(day, '%Y-%m'), currency, count(*), SUM({cost})
        FROM billing WHERE {period.sql()} AND charge_class = 'Correction'
        GROUP BY ALL ORDER BY 1, 2, 3""").fetchall()
    return [Correction(str(b), str(m), str(c), int(n), float(v or 0.0)) for b, m, c, n, v in rows]


def _budgets(con: duckdb.DuckDBPyConnection, estate: Estate, as_of: date, view: CurrencyView,
             billed: str) -> list[BudgetLine]:
    """Each budget against the month-to-date spend in its own currency.

    A budget is compared with the converted amounts (``allocated``) only when the session converts into
    the budget's currency; otherwise with the billed amounts of ``billed`` (the allocation before any
    conversion or ``--currency`` filter), so a display choice never hides an overspend.
    """
    month_start = as_of.replace(day=1)
    days_in_month = calendar.monthrange(as_of.year, as_of.month)[1]
    elapsed = (as_of - month_start).days + 1
    remaining = days_in_month - elapsed
    recent_start = max(month_start, as_of - timedelta(days=6))
    q = f"""SELECT desk, currency, SUM(cost),
                   SUM(cost) FILTER (WHERE day >= DATE {quote(recent_start.isoformat())}
                                     AND frequency NOT IN ('One-Time', 'Recurring'))
            FROM {{table}} WHERE day BETWEEN DATE {quote(month_start.isoformat())} AND DATE {quote(as_of.isoformat())}
            GROUP BY desk, currency"""
    spent_in: dict[str, dict[tuple[str, str], tuple[float, float]]] = {}

    def spent_of(table: str) -> dict[tuple[str, str], tuple[float, float]]:
        if table not in spent_in:
            spent_in[table] = {(r[0], r[1]): (float(r[2] or 0), float(r[3] or 0))
                               for r in con.execute(q.format(table=table)).fetchall()}
        return spent_in[table]
    recent_days = (as_of - recent_start).days + 1
    out = []
    for b in sorted(estate.budgets, key=lambda b: b.desk):
        spent = spent_of(billed if view.reads_billed(b.currency) else "allocated")
        mtd, recent = spent.get((b.desk, b.currency), (0.0, 0.0))
        other = tuple(sorted((str(c), v[0]) for (d, c), v in spent.items() if d == b.desk and c != b.currency))
        # Run rate of the last 7 days of usage-based charges; recurring and one-time charges are taken
        # as already charged for the month (a monthly support fee does not recur within it).
        forecast = mtd + (recent / recent_days) * remaining if recent_days else mtd
        used, fused = mtd / b.monthly_usd, forecast / b.monthly_usd
        crossed = tuple(a for a in sorted(b.alert_at) if used >= a)
        warn = max((a for a in b.alert_at if a < 1.0), default=0.8)
        status = "over" if fused > 1.0 else ("at-risk" if fused >= warn else "ok")
        out.append(BudgetLine(b.desk, b.monthly_usd, mtd, forecast, used, fused, status, crossed,
                              tuple(b.alert_at), b.currency, other))
    return out


def _untagged(con: duckdb.DuckDBPyConnection, estate: Estate, rules: AllocationRules, rep: CostReport,
              period: Period, top: int) -> None:
    m = maps_of(estate)
    desks = ", ".join(quote(d) for d in m.desks) or "''"
    cost = "effective_cost" if rules.cost == "effective" else "billed_cost"
    where = period.sql()
    rows = con.execute(f"""
        SELECT COALESCE(resource_id, '(no resource id: ' || service || ')') AS rid, any_value(service),
               any_value(sub_account), SUM({cost}) AS c, COALESCE(any_value({desk_expr(estate, by_tag=False)}),
               '{UNALLOCATED}'), currency
        FROM billing
        WHERE {where} AND (tag_desk IS NULL OR tag_desk NOT IN ({desks}))
          AND charge_category = 'Usage' AND COALESCE(commitment_status, '') <> 'Unused'
          AND ({shared_rule_expr(estate, rules)}) IS NULL
        GROUP BY rid, currency HAVING SUM({cost}) <> 0 ORDER BY c DESC, rid, currency""").fetchall()
    rep.untagged_costs = {}
    for r in rows:
        rep.untagged_costs[str(r[5])] = rep.untagged_costs.get(str(r[5]), 0.0) + float(r[3])
    rep.untagged_top = [UntaggedResource(str(r[0]), str(r[1]), str(r[2]), float(r[3]), str(r[4]), str(r[5]))
                        for r in rows[:top]]
    rep.unallocated_costs = {str(c): float(v) for c, v in con.execute(
        f"SELECT currency, SUM(cost) FROM allocated WHERE {where} AND desk = '{UNALLOCATED}' GROUP BY currency"
    ).fetchall()}
    # Tag compliance against the estate's tag schema, over the rows a team can tag (its own usage).
    usage = (f"{where} AND charge_category = 'Usage' AND COALESCE(commitment_status, '') <> 'Unused' "
             f"AND ({shared_rule_expr(estate, rules)}) IS NULL")
    rep.required_tags = tuple(sorted(estate.tags.required))
    rep.usage_costs, rep.compliant_costs = {}, {}
    for cur, all_cost, ok_cost in con.execute(
            f"SELECT currency, COALESCE(SUM({cost}), 0), COALESCE(SUM({cost}) FILTER (WHERE len(missing_tags) = 0), 0) "
            f"FROM billing WHERE {usage} GROUP BY currency").fetchall():
        rep.usage_costs[str(cur)], rep.compliant_costs[str(cur)] = float(all_cost), float(ok_cost)
    rep.missing_costs = {}
    for cur, k, v in con.execute(
            f"SELECT currency, k, SUM(c) FROM (SELECT currency, unnest(missing_tags) AS k, {cost} AS c FROM billing "
            f"WHERE {usage}) GROUP BY currency, k ORDER BY currency, k").fetchall():
        rep.missing_costs.setdefault(str(cur), {})[str(k)] = float(v)


def export_allocation(con: duckdb.DuckDBPyConnection, period: Period, path: str | Path) -> str:
    """Write the allocated rows of ``period`` to CSV or Parquet (by the file's suffix)."""
    p = Path(path)
    fmt = "parquet" if p.suffix == ".parquet" else "csv" if p.suffix == ".csv" else ""
    if not fmt:
        raise InputError.single(f"cannot tell the format of '{p}'", location=Location(str(p)),
                                hint="name the file .csv or .parquet")
    opts = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    with staged_file(p, f"--{fmt}") as tmp:  # whole or not at all: into a file beside it, then renamed
        con.execute(f"""COPY (SELECT day, provider, desk, team, workload, env, service, service_category, method,
                                   rule, frequency, currency, round(cost, 6) AS cost, round(list_cost, 6) AS list_cost
                            FROM allocated WHERE {period.sql()}
                            ORDER BY day, provider, desk, team, workload, env, service, method, rule, frequency,
                                     currency)
                       TO {quote(str(tmp))} ({opts})""")
    return str(p)
