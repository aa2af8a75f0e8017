"""Unexpected first hop (a "type-1" hijack that forges the legitimate origin): the AS next to the
origin is not one of the origin's declared upstreams. Checked only where upstreams are declared."""

from __future__ import annotations

from tradeplane.security.bgp.detectors.base import Finding, RouteView, finding
from tradeplane.security.bgp.vrp import VrpSet
from tradeplane.security.bgp.watchlist import Watched


class UnexpectedFirstHop:
    kind = "BgpUnexpectedFirstHop"
    severity = "warning"

    def check(self, route: RouteView, watched: Watched, vrps: VrpSet | None) -> Finding | None:
        if not watched.upstreams or not route.origins or not set(route.origins) <= watched.origins:
            return None
        hop = route.first_hop()
        if hop is None or hop in watched.upstreams:
            return None
        expected = ", ".join(f"AS{a}" for a in sorted(watched.upstreams))
        return finding(self, route, watched, f"{route.text} reaches the legitimate origin through AS{hop}; "
                                             f"expected one of {expected}")


DETECTOR = UnexpectedFirstHop()
