"""The estate's own intents: isolated, reachable, unreachable, survives_single_failure."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator

from tradeplane.errors import InputError
from tradeplane.estate.model import Intent
from tradeplane.net.checks.base import MAX_TRACES, Context, Finding, fix_from, flow_text, register
from tradeplane.net.checks.survival import degraded_by_failures
from tradeplane.net.reach import Answer


def _delivered(a: Answer) -> list[str]:
    return sorted({f"{p.src.name} -> {p.dst.name}: {p.forward.describe()}" for p in a.pairs if p.forward})


@register("intents", severity="critical", order=10,
          proves="every intents: entry holds (isolated, unreachable, reachable, survives_single_failure)")
def check_intents(ctx: Context) -> Iterator[Finding]:
    for intent in sorted(ctx.estate.intents, key=lambda i: i.name):
        try:
            yield from _one(ctx, intent)
        except InputError as exc:
            yield Finding("intents", "medium", f"intent '{intent.name}' cannot be checked: {exc.message}",
                          (flow_text(intent.src, intent.dst, intent.protocol.value, intent.ports),),
                          "the intent names an endpoint this estate does not have", "fix the intent's src/dst",
                          ctx.where(intent))


def _one(ctx: Context, i: Intent) -> Iterator[Finding]:
    proto = i.protocol.value
    flow = flow_text(i.src, i.dst, proto, i.ports)
    where = ctx.where(i)
    if i.kind in ("isolated", "unreachable"):
        answers = [ctx.ask(i.src, i.dst, proto, i.ports, replies=False)]
        if i.kind == "isolated":
            answers.append(ctx.ask(i.dst, i.src, proto, i.ports, replies=False))
        leaks = [p for a in answers for p in a.pairs if p.forward]
        undecided = [p for a in answers for p in a.pairs if p.undecided]
        if not leaks and undecided:
            traces = tuple(t for p in undecided for t in p.undecided)[:MAX_TRACES]
            fix, loc = fix_from(traces[0])
            yield Finding("intents", "high", f"intent '{i.name}' cannot be proven: {i.kind} depends on rules "
                          "the model does not resolve",
                          tuple(sorted({flow_text(p.src.name, p.dst.name, proto, i.ports) for p in undecided})),
                          "; ".join(sorted({t.reason for t in traces})) + f" (intent at {where})",
                          fix or "model the rule or replace it with explicit ranges", loc, traces)
            return
        if not leaks:
            ctx.note_pass(f"intent {i.name}: {i.kind} holds ({flow})")
            return
        traces = tuple(t for p in leaks for t in p.delivered)[:MAX_TRACES]
        fix, loc = fix_from(traces[0] if traces else None)
        yield Finding("intents", "critical" if i.kind == "isolated" else "high",
                      f"intent '{i.name}' is violated: {i.kind} but traffic gets through",
                      tuple(sorted({flow_text(p.src.name, p.dst.name, proto, i.ports) for p in leaks})),
                      "; ".join(functools.reduce(operator.iadd, (_delivered(a) for a in answers), [])) + f" (intent at {where})",
                      fix or "close the path shown in the trace", loc, traces)
        return
    a = ctx.ask(i.src, i.dst, proto, i.ports)
    if a.verdict != "reachable":
        bad = [p for p in a.pairs if p.verdict != "reachable"]
        traces = tuple(t for p in bad for t in (*p.undecided, *p.dropped, *p.reply_dropped))[:MAX_TRACES]
        fix, loc = fix_from(traces[0] if traces else None)
        reasons = sorted({t.reason for p in bad for t in (*p.undecided, *p.dropped, *p.reply_dropped)})
        yield Finding("intents", "high", f"intent '{i.name}' is violated: {i.src} does not reach {i.dst}"
                      f" ({a.verdict})", tuple(sorted(flow_text(p.src.name, p.dst.name, proto, i.ports) for p in bad)),
                      "; ".join(reasons) + f" (intent at {where})", fix or "open the path", loc, traces)
        return
    if i.kind == "reachable":
        ctx.note_pass(f"intent {i.name}: reachable holds ({flow})")
        return
    failures = degraded_by_failures(ctx, i.src, i.dst, proto, tuple(i.ports), a)
    if not failures:
        ctx.note_pass(f"intent {i.name}: survives any single failure ({flow})")
        return
    for element, answer in failures:
        bad = [p for p in answer.pairs if p.verdict != "reachable"]
        traces = tuple(t for p in bad for t in (*p.dropped, *p.reply_dropped))[:MAX_TRACES]
        yield Finding("intents", "high", f"intent '{i.name}' is violated: the flow breaks when {element} fails",
                      (flow,), f"with {element} down: {answer.verdict} (intent at {where})",
                      f"add a redundant path for {element.split('/')[0]}", where, traces)
