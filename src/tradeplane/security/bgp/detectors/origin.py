"""Exact-prefix origin hijack: the watched prefix itself announced by an AS not allowed to originate it."""

from __future__ import annotations

from tradeplane.security.bgp.detectors.base import Finding, RouteView, finding
from tradeplane.security.bgp.vrp import VrpSet
from tradeplane.security.bgp.watchlist import Watched


class OriginHijack:
    kind = "BgpOriginHijack"
    severity = "critical"

    def check(self, route: RouteView, watched: Watched, vrps: VrpSet | None) -> Finding | None:
        if route.prefix != watched.prefix or (route.origins and set(route.origins) <= watched.origins):
            return None
        allowed = ", ".join(f"AS{a}" for a in sorted(watched.origins))
        return finding(self, route, watched, f"{route.text} originated by {_origin(route)}; only {allowed} may")


def _origin(route: RouteView) -> str:
    return ",".join(f"AS{a}" for a in route.origins) or "no AS"


DETECTOR = OriginHijack()
