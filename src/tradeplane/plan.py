"""The plan: everything tradeplane derives from one estate, in one pure call.

``tradeplane plan`` (the main job) is this function plus printing. Each section
comes from its package's public API; the plan only decides the order (placement
first, because Terraform renders the zones it chose) and what counts as blocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradeplane import feeds, placement, terraform
from tradeplane.estate import Estate, Summary, summarise
from tradeplane.feeds import VenueFeedPlan
from tradeplane.placement import BudgetFinding, PlacementResult
from tradeplane.terraform import Reference, Rendered


@dataclass(frozen=True)
class Plan:
    estate: Estate
    summary: Summary
    placement: PlacementResult
    budgets: tuple[BudgetFinding, ...]
    terraform: Rendered
    dangling: tuple[Reference, ...]
    feeds: tuple[VenueFeedPlan, ...]

    @property
    def blocking(self) -> list[str]:
        """What must be fixed before this estate is applied, one line each."""
        out = [f"placement {self.placement.status}: {x.render()}" for x in self.placement.explanations]
        out += [f"latency budget not met: {b.name} ({b.rtt_us:,.0f} µs > {b.budget_us:,.0f} µs)"
                for b in self.budgets if not b.met]
        out += [f"terraform: dangling reference {r}" for r in self.dangling]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "estate": self.summary.to_json(),
            "placement": self.placement.to_json(),
            "latency_budgets": [b.to_json() for b in self.budgets],
            "terraform": self.terraform.to_json(),
            "feeds": feeds.plan_rows(self.estate),
            "blocking": self.blocking,
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
    )
