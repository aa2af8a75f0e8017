"""Single-failure survival of hybrid flows: every declared flow (depends_on, reachable intents,
venue sessions) that crosses an interconnect, Direct Connect, VPN or cross-cloud link must
still work when any one attachment, connection, virtual interface, tunnel or leg fails."""

from __future__ import annotations

from collections.abc import Iterator

from tradeplane.errors import InputError
from tradeplane.estate.model import PortRange
from tradeplane.net.checks.base import MAX_TRACES, Context, Finding, flow_text, register
from tradeplane.net.checks.survival import degraded_by_failures, hybrid_links


def _declared(ctx: Context) -> list[tuple[str, str, str, tuple[PortRange, ...], str | None]]:
    e = ctx.estate
    flows: list[tuple[str, str, str, tuple[PortRange, ...], str | None]] = []
    for w in e.workloads:
        for dep in w.depends_on:
            flows.append((w.name, dep.workload, dep.protocol.value, tuple(dep.ports), ctx.where(dep)))
        for v in w.venues:
            flows.append((w.name, v, "tcp", (), ctx.where(w, "venues")))
    for i in e.intents:
        if i.kind == "reachable":
            flows.append((i.src, i.dst, i.protocol.value, tuple(i.ports), ctx.where(i)))
    return sorted(set(flows), key=lambda f: (f[0], f[1], f[2], tuple(str(p) for p in f[3])))


@register("single-failure", severity="high", order=70,
          proves="every declared flow over a hybrid link survives each single failure")
def check_failures(ctx: Context) -> Iterator[Finding]:
    hybrid = hybrid_links(ctx)
    for src, dst, proto, ports, where in _declared(ctx):
        try:
            base = ctx.ask(src, dst, proto, ports)
        except InputError:
            continue  # an intent naming an absent endpoint: the intents check reports it
        if base.verdict == "unreachable":
            continue  # reported by the flow and venue checks
        used: set[str] = set()
        for p in base.pairs:
            used |= p.links() & hybrid
        if not used:
            continue
        flow = flow_text(src, dst, proto, ports)
        broken = degraded_by_failures(ctx, src, dst, proto, ports, base)
        if not broken:
            ctx.note_pass(f"single failure: {flow} survives any one failure of {', '.join(sorted(used))}")
            continue
        for element, answer in broken:
            drops = tuple(t for p in answer.pairs for t in (*p.dropped, *p.reply_dropped))
            yield Finding("single-failure", "high", f"{flow} breaks when {element} fails",
                          (flow,), f"with {element} down the flow is {answer.verdict} (declared at {where})",
                          f"add redundancy for {element.split('/')[0]} (a second attachment, connection or tunnel)",
                          where, drops[:MAX_TRACES])
