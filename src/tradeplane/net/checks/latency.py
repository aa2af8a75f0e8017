"""Latency budgets as intents: every budget a workload declares holds where the solver puts it.

The placement package owns the latency model and the solver; this check only turns
its verdicts into findings, so ``net verify`` and ``place`` can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator

from tradeplane.net.verify import Context, Finding, register
from tradeplane.placement import check_budgets, solve


@register("latency-budgets")
def check_latency(ctx: Context) -> Iterator[Finding]:
    if not any(w.latency_budgets for w in ctx.estate.workloads):
        return
    result = ctx.placement if ctx.placement is not None else solve(ctx.estate)
    if not result.feasible:
        for x in result.explanations:
            yield Finding("latency-budgets", "high", f"no placement meets every budget: {x.message}",
                          (x.workload,) if x.workload else (), fix=x.hint, fix_location=x.where or None)
        return
    for b in check_budgets(ctx.estate, result):
        what = f"{b.workload} -> {b.to} round trip {b.rtt_us:,.0f} µs against a budget of {b.budget_us:,.0f} µs"
        if b.met:
            ctx.note_pass(f"latency budget {what}")
            continue
        yield Finding("latency-budgets", "high", f"latency budget not met: {what}",
                      (f"{b.workload} -> {b.to}",), detail=f"{b.zone} to {b.to_place}: {b.basis}",
                      fix="raise the budget or move the workload (tradeplane place shows the options)",
                      fix_location=b.where or None)
