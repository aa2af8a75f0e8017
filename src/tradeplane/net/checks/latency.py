"""Latency budgets as intents: every budget a workload declares holds where the solver puts it.

The placement package owns the latency model and the solver; ``plan`` (the composer) computes
its verdicts once and hands them to ``verify`` (``latency=``). This check only turns them into
findings, so ``net verify`` and ``place`` can never disagree, and net never calls the solver.
"""

from __future__ import annotations

from collections.abc import Iterator

from tradeplane.net.checks.base import Context, Finding, register


@register("latency-budgets", severity="high", order=80,
          proves="every latency budget a workload declares is met where placement puts it")
def check_latency(ctx: Context) -> Iterator[Finding]:
    if not any(w.latency_budgets for w in ctx.estate.workloads):
        return
    if ctx.latency is None:
        ctx.note_pass("latency budgets: not judged here (no placement verdicts handed over; `tradeplane plan` "
                      "and `net verify` from the CLI pass them)")
        return
    if ctx.latency.unplaceable:
        for x in ctx.latency.unplaceable:
            yield Finding("latency-budgets", "high", f"no placement meets every budget: {x.message}",
                          (x.workload,) if x.workload else (), fix=x.hint, fix_location=x.where or None)
        return
    for b in ctx.latency.budgets:
        what = f"{b.workload} -> {b.to} round trip {b.rtt_us:,.0f} µs against a budget of {b.budget_us:,.0f} µs"
        if b.met:
            ctx.note_pass(f"latency budget {what}")
            continue
        yield Finding("latency-budgets", "high", f"latency budget not met: {what}",
                      (f"{b.workload} -> {b.to}",), detail=f"{b.zone} to {b.to_place}: {b.basis}",
                      fix="raise the budget or move the workload (tradeplane place shows the options)",
                      fix_location=b.where or None)
