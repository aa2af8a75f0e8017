"""The BGP watcher's state machine: routes per collector peer, alerts that fire and resolve.

Feed it :class:`~tradeplane.security.bgp.route.Update` and ``PeerDown`` items in time order
(any source); it returns the alerts whose state changed. An offending route (any detector's
finding) keeps its alert firing while at least one peer still carries it; the alert resolves
when the last peer withdraws it, replaces it with a legitimate route, or goes down, so the
incident can close itself. Visibility: a watched prefix seen (with a legitimate origin) by at
least ``min_peers`` peers that falls below ``min_peers`` fires ``BgpVisibilityLoss`` and
resolves when it is back.

Only routes inside watched space are kept; everything else costs one covering lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tradeplane.security.alerts import Alert
from tradeplane.security.bgp.detectors import DETECTORS, Detector, Finding, RouteView
from tradeplane.security.bgp.prefixes import format_prefix, parse_prefix
from tradeplane.security.bgp.route import PeerDown, Update, origin_of
from tradeplane.security.bgp.vrp import VrpSet
from tradeplane.security.bgp.watchlist import Watched, Watchlist

__all__ = ["BgpMonitor", "MonitorStats"]

RouteKey = tuple[str, str]  # (peer, prefix text)


@dataclass
class MonitorStats:
    updates: int = 0
    announcements: int = 0
    withdrawals: int = 0
    relevant: int = 0
    malformed: int = 0
    fired: int = 0
    resolved: int = 0
    malformed_examples: list[str] = field(default_factory=list)


@dataclass
class _Held:
    finding: Finding
    holders: set[RouteKey]
    starts_ns: int
    first_path: str


class BgpMonitor:
    """Detect hijacks and visibility loss for a :class:`Watchlist`; see the module docstring."""

    def __init__(self, watch: Watchlist, vrps: VrpSet | None = None,
                 detectors: Sequence[Detector] = DETECTORS, generator_url: str = "") -> None:
        self.watch = watch
        self.vrps = vrps
        self.detectors = tuple(detectors)
        self.generator_url = generator_url
        self.stats = MonitorStats()
        self._route_findings: dict[RouteKey, tuple[tuple[str, str, str, str], ...]] = {}
        self._route_watched: dict[RouteKey, Watched] = {}
        self._peer_routes: dict[str, set[str]] = {}
        self._held: dict[tuple[str, str, str, str], _Held] = {}
        self._visible: dict[str, set[str]] = {}
        self._visibility_seen: set[str] = set()
        self._visibility_lost: dict[str, int] = {}

    # ------------------------------------------------------------------ input

    def process(self, item: Update | PeerDown) -> list[Alert]:
        """Apply one update (or a peer going down); return the alerts that fired or resolved."""
        out: list[Alert] = []
        if isinstance(item, PeerDown):
            for text in sorted(self._peer_routes.pop(item.peer, set())):
                self._drop((item.peer, text), item.time_ns, out)
            return out
        self.stats.updates += 1
        for text in item.withdrawn:
            self.stats.withdrawals += 1
            key = (item.peer, text)
            if key in self._route_watched:
                self._drop(key, item.time_ns, out)
                continue
            # The same prefix may be written differently (IPv6 zeros, host bits): canonicalise
            # only when it falls in watched space.
            try:
                prefix = parse_prefix(text)
            except ValueError:
                self._malformed(f"{item.source}: peer {item.peer}: bad withdrawn prefix {text!r}")
                continue
            if self.watch.authority(prefix) is not None:
                self._drop((item.peer, format_prefix(prefix)), item.time_ns, out)
        if item.announced:
            origins = origin_of(item.path)
            as_set = bool(item.path) and isinstance(item.path[-1], tuple)
            for text in item.announced:
                self.stats.announcements += 1
                try:
                    prefix = parse_prefix(text)
                except ValueError:
                    self._malformed(f"{item.source}: peer {item.peer}: bad prefix {text!r}")
                    continue
                watched = self.watch.authority(prefix)
                if watched is None:
                    continue
                self.stats.relevant += 1
                route = RouteView(prefix, format_prefix(prefix), item.path, origins, as_set)
                self._install(item.peer, route, watched, item.time_ns, out)
        return out

    def run(self, items: Iterable[Update | PeerDown]) -> list[Alert]:
        """Process every item; return every alert change in order."""
        out: list[Alert] = []
        for item in items:
            out.extend(self.process(item))
        return out

    def active(self) -> list[Finding]:
        """The findings firing now, sorted."""
        return sorted(h.finding for h in self._held.values())

    # ------------------------------------------------------------------ state

    def _malformed(self, what: str) -> None:
        self.stats.malformed += 1
        if len(self.stats.malformed_examples) < 20:
            self.stats.malformed_examples.append(what)

    def _install(self, peer: str, route: RouteView, watched: Watched, time_ns: int, out: list[Alert]) -> None:
        key = (peer, route.text)
        if key in self._route_watched:
            self._drop(key, time_ns, out, replacing=True)
        findings = [f for d in self.detectors if (f := d.check(route, watched, self.vrps)) is not None]
        self._route_watched[key] = watched
        self._peer_routes.setdefault(peer, set()).add(route.text)
        keys = []
        for f in findings:
            keys.append(f.key)
            held = self._held.get(f.key)
            if held is None:
                path = " ".join(str(a) if isinstance(a, int) else "{" + ",".join(map(str, a)) + "}" for a in route.path)
                self._held[f.key] = _Held(f, {key}, time_ns, path)
                out.append(self._alert(f, "firing", time_ns, path, peers=1))
                self.stats.fired += 1
            else:
                held.holders.add(key)
        self._route_findings[key] = tuple(keys)
        legit = not findings and route.prefix == watched.prefix
        if legit:
            self._see(watched, peer, time_ns, out)

    def _drop(self, key: RouteKey, time_ns: int, out: list[Alert], replacing: bool = False) -> None:
        watched = self._route_watched.pop(key, None)
        if watched is None:
            return
        if not replacing:
            routes = self._peer_routes.get(key[0])
            if routes is not None:
                routes.discard(key[1])
        for fkey in self._route_findings.pop(key, ()):
            held = self._held.get(fkey)
            if held is None:
                continue
            held.holders.discard(key)
            if not held.holders:
                del self._held[fkey]
                out.append(self._alert(held.finding, "resolved", held.starts_ns, held.first_path, ends_ns=time_ns))
                self.stats.resolved += 1
        if key[1] == watched.text:
            self._unsee(watched, key[0], time_ns, out)

    def _see(self, watched: Watched, peer: str, time_ns: int, out: list[Alert]) -> None:
        peers = self._visible.setdefault(watched.text, set())
        peers.add(peer)
        if len(peers) >= self.watch.min_peers:
            self._visibility_seen.add(watched.text)
            started = self._visibility_lost.pop(watched.text, None)
            if started is not None:
                out.append(self._visibility_alert(watched, "resolved", started, len(peers), ends_ns=time_ns))
                self.stats.resolved += 1

    def _unsee(self, watched: Watched, peer: str, time_ns: int, out: list[Alert]) -> None:
        peers = self._visible.get(watched.text)
        if peers is None or peer not in peers:
            return
        peers.discard(peer)
        if (watched.text in self._visibility_seen and len(peers) < self.watch.min_peers
                and watched.text not in self._visibility_lost):
            self._visibility_lost[watched.text] = time_ns
            out.append(self._visibility_alert(watched, "firing", time_ns, len(peers)))
            self.stats.fired += 1

    # ------------------------------------------------------------------ alerts

    def _alert(self, f: Finding, status: str, starts_ns: int, path: str, ends_ns: int = 0,
               peers: int = 0) -> Alert:
        labels = {
            "alertname": f.kind, "severity": f.severity, "source": "tradeplane-bgp",
            "prefix": f.watched, "announced": f.announced, "origin_as": f.origin, "owner": f.owner,
        }
        if f.desk:
            labels["desk"] = f.desk
        annotations = {
            "summary": f"{f.kind}: {f.announced} from {f.origin}",
            "description": f.detail,
            "as_path": path,
            "runbook_url": "docs/security.md#bgp-hijack-watch",
        }
        return Alert("firing" if status == "firing" else "resolved", labels, annotations, starts_ns, ends_ns,
                     self.generator_url)

    def _visibility_alert(self, w: Watched, status: str, starts_ns: int, peers: int, ends_ns: int = 0) -> Alert:
        labels = {"alertname": "BgpVisibilityLoss", "severity": "warning", "source": "tradeplane-bgp",
                  "prefix": w.text, "owner": w.owner}
        if w.desk:
            labels["desk"] = w.desk
        annotations = {
            "summary": f"BgpVisibilityLoss: {w.text} seen by {peers} peer(s)",
            "description": f"{w.text} ({w.owner}) is seen with a legitimate origin by {peers} collector peer(s), "
                           f"fewer than {self.watch.min_peers}",
            "runbook_url": "docs/security.md#bgp-hijack-watch",
        }
        return Alert("firing" if status == "firing" else "resolved", labels, annotations, starts_ns, ends_ns,
                     self.generator_url)
