"""The feeds section of ``tradeplane plan``: what the gateway would run for each crypto venue.

Pure: Estate in, rows out (sorted, deterministic). For every crypto venue of the estate it
names the venue module that speaks its protocol, the endpoint, how books are synced and
checked, how legs are arbitrated per channel, the venue's connection limits, and the
routes (connectivity) legs can take; venues with no module are reported, not dropped.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tradeplane.estate import Estate
from tradeplane.feeds.venues import adapter_class, venue_names


class VenueFeedPlan(msgspec.Struct, frozen=True):
    venue: str
    module: str  # the venue module's name, or "" when none speaks this venue
    endpoint: str
    book_sync: str  # "REST snapshot + diff stream" / "in-band snapshot"
    integrity: str  # sequence rule and checksum
    arbitration: dict[str, str]  # channel -> mode
    limits: str
    routes: tuple[str, ...]  # connectivity kinds (each can carry a leg)
    legs: int  # recommended: one per distinct route, at least 2
    problems: tuple[str, ...]


def plan(estate: Estate) -> list[VenueFeedPlan]:
    known = set(venue_names())
    out = []
    for v in sorted(estate.venues, key=lambda x: x.name):
        if v.kind != "crypto":
            continue
        routes = tuple(sorted({c.kind + (f" via {c.via}" if c.via else "") for c in v.connectivity}))
        problems = []
        if v.name not in known:
            out.append(VenueFeedPlan(v.name, "", v.websocket or "", "", "", {}, "", routes, 0,
                                     (f"no venue module speaks {v.name}; known: {', '.join(sorted(known))}",)))
            continue
        a = adapter_class(v.name)
        if not v.websocket:
            problems.append(f"no websocket endpoint in the estate; the module's default {a.default_url} is used")
        if len(routes) < 2:
            problems.append("one route only: both legs share its failures (add a second connectivity path)")
        lim = a.limits
        limits = (f"{lim.connections} connections / {lim.window_s:g}s, {lim.subscribe_per_s:g} control msgs/s"
                  + (f", forced disconnect after {lim.max_connection_age_s / 3600:g} h (rotated early)"
                     if lim.max_connection_age_s else ""))
        out.append(VenueFeedPlan(
            v.name, f"tradeplane.feeds.venues.{a.__module__.rsplit('.', 1)[-1]}", v.websocket or a.default_url,
            "REST snapshot + diff stream" if a.book_sync == "rest" else "in-band snapshot",
            a.integrity, {ch: a.arbitration.get(ch, "keyed") for ch in a.channels}, limits, routes,
            max(2, len(routes)), tuple(problems),
        ))
    return out


def plan_rows(estate: Estate) -> list[dict[str, Any]]:
    """``plan`` as JSON-able dicts (for ``tradeplane plan --json``)."""
    return [msgspec.to_builtins(p) for p in plan(estate)]
