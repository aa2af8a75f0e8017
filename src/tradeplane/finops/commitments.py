"""Commitments (AWS Savings Plans and Reserved Instances, GCP committed use discounts) from FOCUS.

From the FOCUS commitment columns:

* utilisation of a commitment = EffectiveCost of its ``Used`` rows / (``Used`` + ``Unused``);
* coverage = on-demand-equivalent (ListCost) of compute usage a commitment covered / all
  commitment-eligible compute usage (``ServiceCategory = 'Compute'``, ``ChargeCategory = 'Usage'``,
  unused-commitment rows excluded), per provider and per desk;
* savings = ListCost - EffectiveCost of covered usage.

A commitment with nothing used and nothing unused in the period has no utilisation (``None``,
shown as n/a), not 0 %. Amounts stay in their billing currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from tradeplane.estate import Estate
from tradeplane.finops.allocation import desk_expr
from tradeplane.finops.currency import CurrencyView
from tradeplane.finops.report import Period, default_period

__all__ = ["CommitmentReport", "CommitmentUse", "Coverage", "commitment_report"]


@dataclass(frozen=True)
class CommitmentUse:
    id: str
    provider: str
    type: str
    desk: str
    used: float
    unused: float
    savings: float
    currency: str = "USD"

    @property
    def utilisation(self) -> float | None:
        """Used / (used + unused); ``None`` (n/a) when the period has neither."""
        total = self.used + self.unused
        return self.used / total if total else None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "provider": self.provider, "type": self.type, "desk": self.desk,
                "used": round(self.used, 2), "unused": round(self.unused, 2), "savings": round(self.savings, 2),
                "currency": self.currency,
                "utilisation": None if self.utilisation is None else round(self.utilisation, 4)}


@dataclass(frozen=True)
class Coverage:
    provider: str
    desk: str
    eligible: float  # on-demand equivalent of eligible compute usage
    covered: float
    currency: str = "USD"

    @property
    def coverage(self) -> float | None:
        """Covered / eligible; ``None`` (n/a) when nothing was eligible."""
        return self.covered / self.eligible if self.eligible else None

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "desk": self.desk, "currency": self.currency,
                "eligible": round(self.eligible, 2), "covered": round(self.covered, 2),
                "coverage": None if self.coverage is None else round(self.coverage, 4)}


@dataclass(frozen=True)
class CommitmentReport:
    period: Period
    synthetic: bool
    commitments: tuple[CommitmentUse, ...]
    coverage: tuple[Coverage, ...]  # per provider ("*" desk) then per provider and desk
    currency: CurrencyView | None = None  # how the session read currencies

    def to_json(self) -> dict[str, Any]:
        return {"period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
                "synthetic": self.synthetic, "currency": None if self.currency is None else self.currency.to_json(), "commitments": [c.to_json() for c in self.commitments],
                "coverage": [c.to_json() for c in self.coverage]}


def commitment_report(con: duckdb.DuckDBPyConnection, estate: Estate, *, since: date | None = None,
                      until: date | None = None, synthetic: bool = False,
                      currency: CurrencyView | None = None) -> CommitmentReport:
    """Utilisation, coverage and savings of every commitment in ``since``..``until`` (default: the month of
    the last day in the data)."""
    period = default_period(con, since, until, table="billing") if since is None or until is None \
        else Period(since, until)
    where = period.sql()
    desk = f"COALESCE({desk_expr(estate)}, 'unallocated')"
    rows = con.execute(f"""
        SELECT commitment_id, any_value(provider), COALESCE(any_value(commitment_type), ''),
               COALESCE(mode({desk}), 'unallocated'),
               COALESCE(SUM(effective_cost) FILTER (WHERE commitment_status = 'Used'), 0),
               COALESCE(SUM(effective_cost) FILTER (WHERE commitment_status = 'Unused'), 0),
               COALESCE(SUM(list_cost - effective_cost) FILTER (WHERE commitment_status = 'Used'), 0), currency
        FROM billing WHERE {where} AND commitment_id IS NOT NULL AND charge_category = 'Usage'
        GROUP BY commitment_id, currency ORDER BY commitment_id, currency""").fetchall()
    uses = tuple(CommitmentUse(str(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]), float(r[5]),
                               float(r[6]), str(r[7])) for r in rows)
    cov = con.execute(f"""
        SELECT provider, {desk} AS desk, SUM(list_cost) AS eligible,
               COALESCE(SUM(list_cost) FILTER (WHERE commitment_id IS NOT NULL AND commitment_status = 'Used'), 0),
               currency
        FROM billing
        WHERE {where} AND service_category = 'Compute' AND charge_category = 'Usage'
          AND COALESCE(commitment_status, '') <> 'Unused'
        GROUP BY GROUPING SETS ((provider, currency), (provider, currency, {desk}))
        ORDER BY provider, currency, desk NULLS FIRST""").fetchall()
    coverage = tuple(Coverage(str(r[0]), "*" if r[1] is None else str(r[1]), float(r[2] or 0), float(r[3] or 0),
                              str(r[4])) for r in cov)
    return CommitmentReport(period, synthetic, uses, coverage, currency)
