"""What a hijack detector is: one rule over one route and the watched prefix it falls in.

A detector module in this folder defines ``DETECTOR``, an object with a ``kind`` (the alert's
name), a ``severity`` and a ``check`` method; the folder is scanned, so adding a detector
touches only its own file and its tests (the BGPalerter / ARTEMIS split: one detector per
hijack type over pluggable route sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tradeplane.security.bgp.prefixes import Prefix
from tradeplane.security.bgp.vrp import VrpSet
from tradeplane.security.bgp.watchlist import Watched

__all__ = ["Detector", "Finding", "RouteView"]


@dataclass(frozen=True)
class RouteView:
    """One announced route as the detectors see it."""

    prefix: Prefix
    text: str
    path: tuple[int | tuple[int, ...], ...]
    origins: tuple[int, ...]
    as_set: bool

    def first_hop(self) -> int | None:
        """The AS next to the origin (prepending skipped), or ``None`` when the origin is the only AS."""
        if not self.origins or self.as_set:
            return None
        origin = self.origins[0]
        for asn in reversed(self.path[:-1]):
            if isinstance(asn, tuple):
                return None
            if asn != origin:
                return asn
        return None


@dataclass(frozen=True, order=True)
class Finding:
    """A route that breaks a rule for a watched prefix. ``key`` identifies it across peers."""

    kind: str
    severity: str
    watched: str
    announced: str
    origin: str
    detail: str
    owner: str = ""
    desk: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.watched, self.announced, self.origin)


class Detector(Protocol):
    kind: str
    severity: str

    def check(self, route: RouteView, watched: Watched, vrps: VrpSet | None) -> Finding | None: ...


def finding(detector: Detector, route: RouteView, watched: Watched, detail: str) -> Finding:
    origin = "AS-SET{" + ",".join(map(str, route.origins)) + "}" if route.as_set else f"AS{route.origins[0]}"
    return Finding(detector.kind, detector.severity, watched.text, route.text, origin, detail,
                   watched.owner, watched.desk or "")
