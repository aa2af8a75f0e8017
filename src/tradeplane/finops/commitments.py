"""Commitments (AWS Savings Plans and Reserved Instances, GCP committed use discounts) from FOCUS.

From the FOCUS commitment columns:

* utilisation of a commitment = EffectiveCost of its ``Used`` rows / (``Used`` + ``Unused``);
* coverage = on-demand-equivalent (ListCost) of compute usage a commitment covered / all
  commitment-eligible compute usage (``ServiceCategory = 'Compute'``, ``ChargeCategory = 'Usage'``,
  unused-commitment rows excluded), per provider and per desk;
* savings = ListCost - EffectiveCost of covered usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from tradeplane.estate import Estate
from tradeplane.finops.allocation import desk_expr
from tradeplane.finops.report import Period

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

    @property
    def utilisation(self) -> float:
        total = self.used + self.unused
        return self.used / total if total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "provider": self.provider, "type": self.type, "desk": self.desk,
                "used": round(self.used, 2), "unused": round(self.unused, 2), "savings": round(self.savings, 2),
                "utilisation": round(self.utilisation, 4)}


@dataclass(frozen=True)
class Coverage:
    provider: str
    desk: str
    eligible: float  # on-demand equivalent of eligible compute usage
    covered: float

    @property
    def coverage(self) -> float:
        return self.covered / self.eligible if self.eligible else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "desk": self.desk, "eligible": round(self.eligible, 2),
                "covered": round(self.covered, 2), "coverage": round(self.coverage, 4)}


@dataclass(frozen=True)
class CommitmentReport:
    period: Period
    synthetic: bool
    commitments: tuple[CommitmentUse, ...]
    coverage: tuple[Coverage, ...]  # per provider ("*" desk) then per provider and desk

    def to_json(self) -> dict[str, Any]:
        return {"period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
                "synthetic": self.synthetic, "commitments": [c.to_json() for c in self.commitments],
                "coverage": [c.to_json() for c in self.coverage]}


def commitment_report(con: duckdb.DuckDBPyConnection, estate: Estate, *, since: date, until: date,
                      synthetic: bool = False) -> CommitmentReport:
    period = Period(since, until)
    where = period.sql()
    desk = f"COALESCE({desk_expr(estate)}, 'unallocated')"
    rows = con.execute(f"""
        SELECT commitment_id, any_value(provider), COALESCE(any_value(commitment_type), ''),
               COALESCE(mode({desk}), 'unallocated'),
               COALESCE(SUM(effective_cost) FILTER (WHERE commitment_status = 'Used'), 0),
               COALESCE(SUM(effective_cost) FILTER (WHERE commitment_status = 'Unused'), 0),
               COALESCE(SUM(list_cost - effective_cost) FILTER (WHERE commitment_status = 'Used'), 0)
        FROM billing WHERE {where} AND commitment_id IS NOT NULL AND charge_category = 'Usage'
        GROUP BY commitment_id ORDER BY commitment_id""").fetchall()
    uses = tuple(CommitmentUse(str(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]), float(r[5]),
                               float(r[6])) for r in rows)
    cov = con.execute(f"""
        SELECT provider, {desk} AS desk, SUM(list_cost) AS eligible,
               COALESCE(SUM(list_cost) FILTER (WHERE commitment_id IS NOT NULL AND commitment_status = 'Used'), 0)
        FROM billing
        WHERE {where} AND service_category = 'Compute' AND charge_category = 'Usage'
          AND COALESCE(commitment_status, '') <> 'Unused'
        GROUP BY GROUPING SETS ((provider), (provider, {desk}))
        ORDER BY provider, desk NULLS FIRST""").fetchall()
    coverage = tuple(Coverage(str(r[0]), "*" if r[1] is None else str(r[1]), float(r[2] or 0), float(r[3] or 0))
                     for r in cov)
    return CommitmentReport(period, synthetic, uses, coverage)
