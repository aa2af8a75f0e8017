"""Desk segmentation: a desk reaches another only if one lists the other in ``may_talk_to``
(or the target is one of its ``shared_services``); an isolated desk talks to no one else."""

from __future__ import annotations

from collections.abc import Iterator

from tradeplane.estate.model import Desk
from tradeplane.net.checks.base import MAX_TRACES, Context, Finding, fix_from, register
from tradeplane.net.matrix import INTERNET
from tradeplane.net.trace import Trace


def allowed(a: Desk, b: Desk) -> bool:
    return b.name in a.may_talk_to or a.name in b.may_talk_to


@register("desk-segmentation", severity="critical", order=20,
          proves="a desk reaches another only if its policy (may_talk_to, shared_services, isolated) allows it")
def check_segmentation(ctx: Context) -> Iterator[Finding]:
    desks = {d.name: d for d in ctx.estate.desks}
    m = ctx.matrix()
    for (a, b), cell in sorted(m.cells.items()):
        if a == INTERNET or b == INTERNET:
            continue
        da, db = desks[a], desks[b]
        if allowed(da, db):
            continue
        leaks = [(src, dst, sp) for src, dst, sp in cell.leaks() if dst.name not in da.shared_services]
        if not leaks:
            ctx.note_pass(f"desk segmentation: {a} does not reach {b}")
            continue
        traces: list[Trace] = []
        for src, dst, _sp in leaks[:MAX_TRACES]:
            answer = ctx.ask(src.name, dst.name, "all", replies=False)
            traces += [t for p in answer.pairs for t in p.delivered][:1]
        fix, loc = fix_from(traces[0] if traces else None)
        isolated = da.isolated or db.isolated
        yield Finding(
            "desk-segmentation", "critical" if isolated else "high",
            f"desk {a} reaches desk {b}" + (" (an isolated desk)" if isolated else "")
            + " but neither lists the other in may_talk_to",
            tuple(f"{src.name} -> {dst.name}: {sp.describe()}" for src, dst, sp in leaks),
            f"{len(leaks)} of {cell.count()[1]} endpoint pairs reach"
            + (f"; desk {a} is declared at {ctx.where(da)}" if ctx.where(da) else ""),
            fix or "close the path shown in the trace", loc, tuple(traces))
