"""One analysis session: billing files validated, registered and allocated on a bounded DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb

from tradeplane.errors import InputError, UnsupportedError
from tradeplane.estate import Estate
from tradeplane.finops.allocation import allocate
from tradeplane.finops.allocation_rules import AllocationRules, default_rules
from tradeplane.finops.anomalies import Anomaly, AnomalySettings, find_anomalies
from tradeplane.finops.billing_db import BillingDbConfig, connect
from tradeplane.finops.commitments import CommitmentReport, commitment_report
from tradeplane.finops.currency import CurrencyView, Rates, currency_sql, rows
from tradeplane.finops.focus import Billing, open_billing
from tradeplane.finops.html import render_html
from tradeplane.finops.report import BILLED_TABLE, CostReport, build_report
from tradeplane.finops.rightsizing import RightsizingHint, rightsizing_hints

__all__ = ["CostSession", "open_session"]


@dataclass
class CostSession:
    con: duckdb.DuckDBPyConnection
    estate: Estate
    billing: Billing
    rules: AllocationRules
    allocated_rows: int
    currency: CurrencyView

    def html(self, report: CostReport) -> str:
        """The HTML page of ``report`` with this session's anomalies and the period's commitments."""
        anomalies = find_anomalies(self.con, self.estate, self.rules)
        commits = commitment_report(self.con, self.estate, since=report.period.start, until=report.period.end,
                                    synthetic=report.synthetic, currency=self.currency)
        return render_html(report, anomalies, commits)

    def anomalies(self, settings: AnomalySettings | None = None) -> list[Anomaly]:
        """The anomalies of this session's rows (see ``find_anomalies``); ``currency`` says which rows."""
        return find_anomalies(self.con, self.estate, self.rules, settings)

    def commitments(self, *, since: date | None = None, until: date | None = None) -> CommitmentReport:
        """The commitment report of this session, carrying its currency view."""
        return commitment_report(self.con, self.estate, since=since, until=until, synthetic=self.billing.synthetic,
                                 currency=self.currency)

    def rightsizing(self, utilisation: str | Path) -> list[RightsizingHint]:
        """Rightsizing hints priced from the shipped (USD) price table, converted with the session's rates
        when they convert USD; otherwise left in USD (``RightsizingHint.currency`` says which)."""
        hints = rightsizing_hints(self.con, utilisation)
        rates = self.currency.rates
        rate = rates.rate("USD") if rates is not None else None
        if rates is None or rate is None or rates.currency == "USD":
            return hints
        return [replace(h, monthly_now=h.monthly_now * rate, monthly_after=h.monthly_after * rate,
                        currency=rates.currency) for h in hints]

    def report(self, *, since: date | None = None, until: date | None = None, top: int = 10) -> CostReport:
        """The cost report of this session (see ``build_report``)."""
        return build_report(self.con, self.estate, self.billing, self.rules, since=since, until=until, top=top,
                            allocated=True, currency=self.currency)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> CostSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_session(estate: Estate, paths: Sequence[str | Path], *, rules: AllocationRules | None = None,
                 db: BillingDbConfig | None = None, check: bool = True, currency: str | None = None,
                 rates: Rates | None = None) -> CostSession:
    """Validate the FOCUS files, create the ``billing`` view and the ``allocated`` table.

    ``currency``/``rates``: how amounts of different billing currencies are read (see
    ``tradeplane.finops.currency``); by default every figure stays per currency.
    """
    r = rules or default_rules(estate)
    r.check(estate)
    con = connect(db)
    try:
        billing = open_billing(con, paths, check=check, required_tags=estate.tags.required,
                               allowed_envs=estate.tags.allowed_envs, aliases=estate.tags.aliases,
                               view="billing_source")
        sql, view = currency_sql(billing.currencies, "billing_source", currency, rates)
        if view.mode == "only":
            counts = {str(c): int(n) for c, n in con.execute(
                "SELECT currency, count(*) FROM billing_source GROUP BY currency ORDER BY currency").fetchall()}
            left = {c: n for c, n in counts.items() if c != view.currency}
            if left and view.currency not in counts:
                raise InputError.single(
                    f"no billing row is in {view.currency}, so every row would be left out: the data is billed in "
                    + ", ".join(f"{c} ({rows(n)})" for c, n in left.items()), field="--currency",
                    hint=f"give --rates FILE to convert into {view.currency}, or choose "
                         f"--currency {' or '.join(left)}")
            view = CurrencyView(view.mode, view.currencies, view.currency, None, left)
        con.execute(f"CREATE OR REPLACE VIEW billing AS {sql}")
        n = allocate(con, estate, r)
        if any(view.reads_billed(b.currency) for b in estate.budgets):
            allocate(con, estate, r, table=BILLED_TABLE, source="billing_source")
    except duckdb.OutOfMemoryException as exc:
        con.close()
        limit = (db or BillingDbConfig()).memory_limit
        raise UnsupportedError.single(f"the allocation needs more memory than the {limit} limit: "
                                      f"{str(exc).splitlines()[0]}", field="memory_limit",
                                      hint="raise --memory-limit; DuckDB spills to disk above it") from None
    except BaseException:
        con.close()
        raise
    return CostSession(con, estate, billing, r, n, view)
