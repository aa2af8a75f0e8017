"""Declared flows (each workload's ``depends_on``): no routing loop, blackhole, missing route
or filter in the way, and a working return path (stateless NACLs must pass the replies)."""

from __future__ import annotations

from collections.abc import Iterator

from tradeplane.net.checks.base import MAX_TRACES, Context, Finding, fix_from, flow_text, register


def _classify(reason: str) -> str:
    if reason.endswith("is not modelled"):
        return "undecided"
    if reason.startswith("routing loop"):
        return "routing loop"
    if reason == "blackhole route":
        return "blackhole"
    if reason.startswith(("no route", "site ")) or "not transitive" in reason:
        return "no route"
    return "filtered"


@register("declared-flows", severity="high", order=60,
          proves="each depends_on flow is delivered and its replies return")
def check_flows(ctx: Context) -> Iterator[Finding]:
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        for dep in w.depends_on:
            proto = dep.protocol.value
            flow = flow_text(w.name, dep.workload, proto, dep.ports)
            a = ctx.ask(w.name, dep.workload, proto, dep.ports)
            if a.verdict == "reachable":
                ctx.note_pass(f"declared flow {flow}: delivered and replies return")
                continue
            where = ctx.where(dep)
            fwd_drops = [t for p in a.pairs for t in (*p.undecided, *p.dropped)]
            reply_drops = [t for p in a.pairs for t in p.reply_dropped]
            forward_ok = all(p.forward and p.requested.subtract(p.forward).is_empty() for p in a.pairs)
            if forward_ok and reply_drops:
                fix, loc = fix_from(reply_drops[0])
                reasons = sorted({t.reason for t in reply_drops})
                yield Finding("return-path", "high", f"replies of {flow} do not return",
                              (flow,), f"the forward path works but the return traffic is dropped: "
                              f"{'; '.join(reasons)} (declared at {where})", fix, loc,
                              tuple(reply_drops[:MAX_TRACES]))
                continue
            kinds = sorted({_classify(t.reason) for t in fwd_drops}) or ["return path"]
            fix, loc = fix_from(fwd_drops[0] if fwd_drops else (reply_drops[0] if reply_drops else None))
            reasons = sorted({t.reason for t in (*fwd_drops, *reply_drops)})
            yield Finding("declared-flows", "high", f"declared flow {flow} is broken ({', '.join(kinds)})",
                          (flow,), f"{a.verdict}: {'; '.join(reasons)} (declared at {where})", fix, loc,
                          tuple((fwd_drops or reply_drops)[:MAX_TRACES]))
