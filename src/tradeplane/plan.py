"""The plan: everything tradeplane derives from one estate, in one pure call.

``tradeplane plan`` (the main job) is this function plus printing. Each section
comes from its package's public API; the plan only decides the order (placement
first, because Terraform renders the zones it chose) and what counts as blocking.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

from tradeplane import feeds, finops, net, placement, terraform
from tradeplane.estate import Estate, Summary, summarise
from tradeplane.feeds import VenueFeedPlan
from tradeplane.finops import Estimate
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
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    """Seconds each stage took (``STAGES`` order); for benchmarks and the progress display, not in JSON."""

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
            "blocking": self.blocking,
            "warnings": self.warnings,
        }


STAGES = ("summary", "placement", "budgets", "terraform", "references", "feeds", "cost", "verify")
"""The stages of ``build``, in the order it runs them."""

StageHook = Callable[[str, "float | None"], None]
"""Called with (stage, None) when a stage starts and (stage, seconds) when it ends."""

T = TypeVar("T")


def build(estate: Estate, on_stage: StageHook | None = None) -> Plan:
    """Place, render, verify and cost the estate; never raises for findings, only for bad input.

    ``on_stage`` hears each stage start and end (the CLI's progress display); the seconds
    of each stage are kept in ``Plan.timings`` either way."""
    timings: dict[str, float] = {}

    def stage(name: str, work: Callable[[], T]) -> T:
        if on_stage is not None:
            on_stage(name, None)
        start = time.perf_counter()
        out = work()
        timings[name] = time.perf_counter() - start
        if on_stage is not None:
            on_stage(name, timings[name])
        return out

    summary = stage("summary", lambda: summarise(estate))
    placed = stage("placement", lambda: placement.solve(estate))
    budgets = stage("budgets", lambda: tuple(placement.check_budgets(estate, placed)))
    zones = placement.zones_by_workload(placed) if placed.feasible else None
    rendered = stage("terraform", lambda: terraform.render(estate, zones=zones))
    dangling = stage("references", lambda: tuple(terraform.check_references(rendered)))
    feed_plans = stage("feeds", lambda: tuple(feeds.plan(estate)))
    cost = stage("cost", lambda: finops.estimate(estate))
    verified = stage("verify", lambda: net.verify(estate, placement=placed))
    return Plan(
        estate=estate,
        summary=summary,
        placement=placed,
        budgets=budgets,
        terraform=rendered,
        dangling=dangling,
        feeds=feed_plans,
        cost=cost,
        verify=verified,
        timings=timings,
    )
