"""Route tables compiled for symbolic lookup: longest prefix, then priority, ties are ECMP.

A table's prefixes are laminar (any two are nested or disjoint), so one sweep
turns them into sorted, disjoint destination intervals, each with the routes that
win there. A lookup splits a header space by those intervals in one pass.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from ipaddress import IPv4Network
from typing import Any, NamedTuple

from tradeplane.net.space import Box, Space, net_interval
from tradeplane.net.trace import RuleRef

__all__ = ["Route", "RouteTable"]


class Route(NamedTuple):
    """One route. ``priority``: lower wins among equal prefixes (GCP priority, static over propagated).
    A named tuple, not a frozen dataclass: a desk matrix builds about a million of them (every GCP VPC
    learns every prefix of its transit gateway table), and a tuple is built three times faster."""

    prefix: IPv4Network
    priority: int
    hop: tuple[Any, ...]  # the next hop, interpreted by the engine, e.g. ("tgw", name)
    ref: RuleRef


def _by_ref(r: Route) -> RuleRef:
    return r.ref


class RouteTable:
    """Compiled routes: ``lookup`` splits a space by the winning route(s) for each destination."""

    def __init__(self, name: str, routes: Sequence[Route]) -> None:
        self.name = name
        self.routes = tuple(routes)
        self._starts: list[int] = []
        self._segments: list[tuple[int, int, tuple[Route, ...]]] = []
        self._by_hop: tuple[list[int], list[tuple[int, int, tuple[Route, ...]]]] | None = None
        self._compile()

    def _compile(self) -> None:
        best: dict[tuple[int, int], list[Route]] = {}
        for r in self.routes:
            key = net_interval(r.prefix)
            cur = best.get(key)
            if cur is None or r.priority < cur[0].priority:
                best[key] = [r]
            elif r.priority == cur[0].priority:
                cur.append(r)
        prefixes = sorted(best.items(), key=lambda kv: (kv[0][0], -kv[0][1]))
        segs: list[tuple[int, int, tuple[Route, ...]]] = []
        append = segs.append
        stack: list[tuple[int, int, tuple[Route, ...]]] = []
        pos = 0
        for (lo, hi), winners in prefixes:
            while stack and stack[-1][1] < lo:
                top = stack.pop()
                if pos <= top[1]:
                    append((pos, top[1], top[2]))
                pos = top[1] + 1
            if stack and pos <= lo - 1:
                append((pos, lo - 1, stack[-1][2]))
            stack.append((lo, hi, (winners[0],) if len(winners) == 1 else tuple(sorted(winners, key=_by_ref))))
            pos = lo
        while stack:
            top = stack.pop()
            if pos <= top[1]:
                append((pos, top[1], top[2]))
            pos = top[1] + 1
        self._segments = segs
        self._starts = [s[0] for s in segs]

    def match(self, address: int) -> tuple[Route, ...]:
        """The winning routes for one destination address (empty: no route)."""
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0:
            lo, hi, winners = self._segments[i]
            if lo <= address <= hi:
                return winners
        return ()

    def lookup(self, space: Space) -> tuple[list[tuple[tuple[Route, ...], Space]], Space]:
        """Split ``space`` by winning routes; also return the part with no route."""
        return self._split(space, self._starts, self._segments)

    def lookup_by_hop(self, space: Space) -> tuple[list[tuple[tuple[Route, ...], Space]], Space]:
        """Like ``lookup``, but adjacent destinations whose winners lead to the same next hops are one
        group (its winners are those of the group's first interval). Every header gets the same next
        hops as with ``lookup``; only which route is named for them differs. For dataflow walks, where a
        table with hundreds of learned prefixes behind one next hop would otherwise split every box
        hundreds of times."""
        if self._by_hop is None:
            merged: list[tuple[int, int, tuple[Route, ...]]] = []
            last: tuple[tuple[Any, ...], ...] | None = None
            for lo, hi, winners in self._segments:
                hops = (winners[0].hop,) if len(winners) == 1 else tuple(r.hop for r in winners)
                if merged and last == hops and merged[-1][1] + 1 == lo:
                    merged[-1] = (merged[-1][0], hi, merged[-1][2])
                else:
                    merged.append((lo, hi, winners))
                    last = hops
            self._by_hop = ([m[0] for m in merged], merged)
        return self._split(space, *self._by_hop)

    @staticmethod
    def _split(space: Space, starts: list[int], segments: list[tuple[int, int, tuple[Route, ...]]],
               ) -> tuple[list[tuple[tuple[Route, ...], Space]], Space]:
        groups: dict[int, tuple[tuple[Route, ...], list[Box]]] = {}  # keyed by the winners' identity
        unrouted: list[Box] = []
        n = len(segments)
        for box in space:
            lo, hi = box.dst
            i = max(bisect.bisect_right(starts, lo) - 1, 0)
            cur = lo
            while cur <= hi:
                if i < n:
                    slo, shi, winners = segments[i]
                    if shi < cur:
                        i += 1
                        continue
                    if slo > cur:
                        end = min(hi, slo - 1)
                        unrouted.append(Box(box.src, (cur, end), box.proto, box.sport, box.dport))
                        cur = end + 1
                        continue
                    end = min(hi, shi)
                    g = groups.get(id(winners))
                    if g is None:
                        g = groups[id(winners)] = (winners, [])
                    g[1].append(Box(box.src, (cur, end), box.proto, box.sport, box.dport))
                    cur = end + 1
                    i += 1
                else:
                    unrouted.append(Box(box.src, (cur, hi), box.proto, box.sport, box.dport))
                    break
        out = [(winners, Space(boxes).compact() if len(boxes) > 64 else Space(boxes))
               for winners, boxes in groups.values()]
        out.sort(key=lambda item: [r.ref for r in item[0]])
        return out, Space(unrouted)
