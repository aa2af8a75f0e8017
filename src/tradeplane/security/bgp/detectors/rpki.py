"""RPKI-invalid route (RFC 6811) for watched space, against the loaded VRP set."""

from __future__ import annotations

from tradeplane.security.bgp.detectors.base import Finding, RouteView, finding
from tradeplane.security.bgp.vrp import VrpSet
from tradeplane.security.bgp.watchlist import Watched


class RpkiInvalid:
    kind = "BgpRpkiInvalid"
    severity = "critical"

    def check(self, route: RouteView, watched: Watched, vrps: VrpSet | None) -> Finding | None:
        if vrps is None or vrps.validate(route.prefix, route.origins, route.as_set) != "invalid":
            return None
        return finding(self, route, watched, f"{route.text} from {','.join(f'AS{a}' for a in route.origins)} "
                                             "is RPKI-invalid: no ROA covers this origin and length")


DETECTOR = RpkiInvalid()
