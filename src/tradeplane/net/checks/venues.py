"""Exchange egress only via approved paths: each workload reaches each venue it trades on,
and only over a path the venue's ``connectivity`` lists (internet, private endpoint,
cross-connect at a site, interconnect)."""

from __future__ import annotations

from collections.abc import Iterator

from tradeplane.estate.model import Connectivity, DirectConnect, Interconnect, PrivateEndpoint, Venue, Vpn
from tradeplane.net.checks.base import MAX_TRACES, Context, Finding, fix_from, register
from tradeplane.net.dataplane import Dataplane
from tradeplane.net.trace import Trace


def path_kind(dp: Dataplane, t: Trace) -> str:
    """How a delivered trace reached a venue: internet, endpoint NAME, site NAME."""
    if t.at == "internet":
        return "internet"
    if t.at.startswith("endpoint:"):
        return f"endpoint {t.at[9:]}"
    pes = [h.link for h in t.hops if h.link and isinstance(dp.links.get(h.link), PrivateEndpoint)]
    if pes:
        return f"endpoint {pes[-1]}"
    if t.at.startswith("site:"):
        return f"site {t.at[5:]}"
    return t.at


def approved(dp: Dataplane, venue: Venue, t: Trace) -> bool:
    kind = path_kind(dp, t)
    links = t.links()
    return any(_matches(dp, c, kind, links) for c in venue.connectivity)


def _matches(dp: Dataplane, c: Connectivity, kind: str, links: frozenset[str]) -> bool:
    if c.kind == "internet":
        return kind == "internet"
    if c.kind in ("privatelink", "private_service_connect"):
        return kind.startswith("endpoint ") and (c.via is None or kind == f"endpoint {c.via}")
    if not kind.startswith("site "):
        return False
    site = kind[5:]
    if c.kind == "interconnect":
        return c.via is None or c.via in links
    if c.via is None or c.via == site or c.via in links:
        return True
    link = dp.links.get(c.via)
    if isinstance(link, DirectConnect | Interconnect):
        return link.site == site
    return isinstance(link, Vpn) and link.remote == site


@register("exchange-egress", severity="high", order=40,
          proves="each workload reaches each venue it trades on, only over a path the venue lists")
def check_venues(ctx: Context) -> Iterator[Finding]:
    dp = ctx.dp
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        for vname in sorted(w.venues):
            venue = ctx.estate.venue(vname)
            a = ctx.ask(w.name, vname, "tcp")
            flow = f"{w.name} -> venue {vname} tcp"
            delivered = [t for p in a.pairs for t in p.delivered]
            working = any(p.working for p in a.pairs)
            listed = ", ".join(f"{c.kind}{' via ' + c.via if c.via else ''}" for c in venue.connectivity)
            if not working:
                drops = [t for p in a.pairs for t in (*p.dropped, *p.reply_dropped)]
                fix, loc = fix_from(drops[0] if drops else None)
                reasons = sorted({t.reason for t in drops})
                yield Finding("exchange-egress", "high", f"{w.name} cannot reach venue {vname} it trades on",
                              (flow,), f"approved paths: {listed}; dropped: {'; '.join(reasons)}; "
                              f"workload at {ctx.where(w, 'venues')}",
                              fix or "open an approved path", loc, tuple(drops[:MAX_TRACES]))
                continue
            bad = [t for t in delivered if not approved(dp, venue, t)]
            if bad:
                kinds = sorted({path_kind(dp, t) for t in bad})
                fix, loc = fix_from(bad[0])
                yield Finding("exchange-egress", "high",
                              f"{w.name} reaches venue {vname} over an unapproved path ({', '.join(kinds)})",
                              (flow,), f"approved paths: {listed}", fix, loc, tuple(bad[:MAX_TRACES]))
            else:
                kinds = sorted({path_kind(dp, t) for t in delivered})
                ctx.note_pass(f"exchange egress: {w.name} -> {vname} only via {', '.join(kinds)}")
