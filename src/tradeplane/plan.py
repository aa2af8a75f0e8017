"""The plan: everything tradeplane derives from one estate, in one pure call.

``tradeplane plan`` (the main job) is this function plus printing. Each section
comes from its package's public API; the plan only decides the order (placement
first, because Terraform renders the zones it chose) and what counts as blocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from tradeplane import feeds, finops, migrate, net, placement, terraform
from tradeplane.estate import Estate, Summary, summarise
from tradeplane.feeds import VenueFeedPlan
from tradeplane.finops import Estimate
from tradeplane.migrate import MigrationPlan
from tradeplane.net import Report
from tradeplane.placement import BudgetFinding, PlacementResult
from tradeplane.terraform import Reference, Rendered

BLOCKING_SEVERITIES = ("critical", "high")  # a verify finding of these stops an apply


@dataclass(frozen=True)
class Plan:
    estate: Estate
    summary: Summary
    placement: PlacementResult
    budgets: tuple[BudgetFinding, ...]
    terraform: Rendered
    dangling: tuple[Reference, ...]
    feeds: tuple[VenueFeedPlan, ...]
    cost: Estimate
    verify: Report
    migration: MigrationPlan | None = None  # the colocation's move into GCP, when the estate declares one

    @property
    def blocking(self) -> list[str]:
        """What must be fixed before this estate is applied, one line each."""
        out = [f"placement {self.placement.status}: {x.render()}" for x in self.placement.explanations]
        out += [f"terraform: dangling reference {r}" for r in self.dangling]
        out += [f"net verify {f.severity}: {f.title}" + (f" (fix at {f.fix_location})" if f.fix_location else "")
                for f in self.verify.findings if f.severity in BLOCKING_SEVERITIES]
        return out

    @property
    def warnings(self) -> list[str]:
        """What deserves a look but does not stop an apply."""
        by_desk = self.cost.by("desk")
        out = [f"desk {b.desk}: estimated ${by_desk[b.desk]:,.0f}/month is over its budget of "
               f"${b.monthly_usd:,.0f}" for b in self.estate.budgets if by_desk.get(b.desk, 0.0) > b.monthly_usd]
        out += [f"net verify {f.severity}: {f.title}" for f in self.verify.findings
                if f.severity not in BLOCKING_SEVERITIES]
        if self.migration is not None:
            out += [f"migration wave {w.number} is blocked: {b}" for w in self.migration.waves for b in w.blocking]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "estate": self.summary.to_json(),
            "placement": self.placement.to_json(),
            "latency_budgets": [b.to_json() for b in self.budgets],
            "terraform": self.terraform.to_json(),
            "feeds": [msgspec.to_builtins(f) for f in self.feeds],
            "cost": self.cost.to_json(),
            "verify": self.verify.to_json(),
            "migration": None if self.migration is None else
            {"ok": self.migration.ok, "summary": self.migration.summary_lines()},
            "blocking": self.blocking,
            "warnings": self.warnings,
        }


def build(estate: Estate) -> Plan:
    """Place, render, verify and cost the estate; never raises for findings, only for bad input."""
    placed = placement.solve(estate)
    zones = placement.zones_by_workload(placed) if placed.feasible else None
    rendered = terraform.render(estate, zones=zones)
    return Plan(
        estate=estate,
        summary=summarise(estate),
        placement=placed,
        budgets=tuple(placement.check_budgets(estate, placed)),
        terraform=rendered,
        dangling=tuple(terraform.check_references(rendered.files)),
        feeds=tuple(feeds.plan(estate)),
        cost=finops.estimate(estate),
        verify=net.verify(estate, placement=placed),
        migration=migrate.plan(estate) if estate.colocation and estate.colocation.migration else None,
    )
