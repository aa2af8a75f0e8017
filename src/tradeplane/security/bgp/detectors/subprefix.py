"""Sub-prefix hijack: a more-specific of a watched prefix announced by another AS, or longer than
the owner ever announces (``max_length``) even from a legitimate origin (a leak or a forged path)."""

from __future__ import annotations

from tradeplane.security.bgp.detectors.base import Finding, RouteView, finding
from tradeplane.security.bgp.vrp import VrpSet
from tradeplane.security.bgp.watchlist import Watched


class SubPrefixHijack:
    kind = "BgpSubPrefixHijack"
    severity = "critical"

    def check(self, route: RouteView, watched: Watched, vrps: VrpSet | None) -> Finding | None:
        if route.prefix[2] <= watched.prefix[2]:
            return None
        legit = bool(route.origins) and set(route.origins) <= watched.origins
        if legit and route.prefix[2] <= watched.max_length:
            return None
        who = ",".join(f"AS{a}" for a in route.origins) or "no AS"
        if legit:
            return finding(self, route, watched,
                           f"{route.text} is more specific than {watched.text} allows (max /{watched.max_length}), "
                           f"from its own origin {who}: a leak or a forged path")
        return finding(self, route, watched, f"more-specific {route.text} of {watched.text} originated by {who}")


DETECTOR = SubPrefixHijack()
