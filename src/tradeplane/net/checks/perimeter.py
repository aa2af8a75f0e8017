"""No internet ingress except via the perimeter: only public-tier subnets may take traffic
from the internet; every other subnet and the workloads in it must be unreachable from it."""

from __future__ import annotations

from collections.abc import Iterator

from tradeplane.net.checks.base import MAX_TRACES, Context, Finding, fix_from, register
from tradeplane.net.reach import pair_results, request_space


@register("internet-ingress", severity="critical", order=30,
          proves="nothing on the internet reaches a non-public subnet or its workloads")
def check_perimeter(ctx: Context) -> Iterator[Finding]:
    dp = ctx.dp
    inside = [ep for ep in sorted(dp.endpoints.values(), key=lambda e: e.key)
              if ep.kind in ("workload", "subnet") and ep.tier != "public"]
    internet = dp.endpoints["internet"]
    results = pair_results(dp, internet, internet.addresses, [(ep, ep.addresses) for ep in inside],
                           request_space("all"), replies=False)
    leaks = [p for p in results if p.forward]
    if not leaks:
        ctx.note_pass(f"internet ingress: none of {len(inside)} non-public subnets and workloads is reachable")
        return
    by_subnet: dict[str, list[object]] = {}
    for p in leaks:
        by_subnet.setdefault(f"{p.dst.network}/{p.dst.subnet}", []).append(p)
    for subnet, prs in sorted(by_subnet.items()):
        traces = tuple(t for p in prs for t in p.delivered)[:MAX_TRACES]  # type: ignore[attr-defined]
        fix, loc = fix_from(traces[0] if traces else None)
        yield Finding(
            "internet-ingress", "critical",
            f"the internet reaches {subnet} (tier {prs[0].dst.tier}) outside the perimeter",  # type: ignore[attr-defined]
            tuple(sorted(f"internet -> {p.dst.name}: {p.forward.describe()}" for p in prs)),  # type: ignore[attr-defined]
            "only public-tier subnets may take traffic from the internet", fix, loc, traces)
