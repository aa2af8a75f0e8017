"""Route tables compiled for symbolic lookup: longest prefix, then priority, ties are ECMP.

A table's prefixes are laminar (any two are nested or disjoint), so one sweep
turns them into sorted, disjoint destination intervals, each with the routes that
win there. A lookup splits a header space by those intervals in one pass.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from ipaddress import IPv4Network
from typing import Any, NamedTuple

from tradeplane.net.space import Box, Space, net_interval
from tradeplane.net.trace import RuleRef

__all__ = ["Learned", "Route", "RouteTable", "learned_prefixes", "learned_route_by_route"]


class Route(NamedTuple):
    """One route. ``priority``: lower wins among equal prefixes (GCP priority, static over propagated).
    A named tuple, not a frozen dataclass: a desk matrix builds about a million of them (every GCP VPC
    learns every prefix of its transit gateway table), and a tuple is built three times faster."""

    prefix: IPv4Network
    priority: int
    hop: tuple[Any, ...]  # the next hop, interpreted by the engine, e.g. ("tgw", name)
    ref: RuleRef


class Learned(NamedTuple):
    """Routes to many prefixes with one priority, next hop and reference: what a router learns over one
    link (a GCP VPC learns every prefix of its transit gateway's route table over a cross-cloud link).
    ``prefixes``: (first address, last address, prefix), sorted by first address then widest first, no
    prefix twice; the triples are shared by every table that learns them, and the ``Route`` objects are
    made only when a table is compiled."""

    prefixes: Sequence[tuple[int, int, IPv4Network]]
    priority: int
    hop: tuple[Any, ...]
    ref: RuleRef

    def routes(self) -> list[Route]:
        return [Route(p, self.priority, self.hop, self.ref) for _lo, _hi, p in self.prefixes]


def learned_prefixes(prefixes: Sequence[IPv4Network]) -> list[tuple[int, int, IPv4Network]]:
    """``Learned.prefixes`` of distinct prefixes."""
    return sorted(((*net_interval(p), p) for p in prefixes), key=lambda t: (t[0], -t[1]))


_SHARED = [True]


@contextmanager
def learned_route_by_route() -> Iterator[None]:
    """Inside the block, tables compile ``Learned`` groups as plain routes, one ``Route`` each (the engine
    before shared learned prefixes): for the benchmark's before/after ratio and the agreement tests.
    Not thread-safe."""
    _SHARED.append(False)
    try:
        yield
    finally:
        _SHARED.pop()


def _by_ref(r: Route) -> RuleRef:
    return r.ref


Segment = tuple[int, int, tuple[Route, ...]]


class RouteTable:
    """Compiled routes: ``lookup`` splits a space by the winning route(s) for each destination. ``routes``
    may hold ``Learned`` groups among the routes (the table's ``routes`` lists theirs in their place)."""

    def __init__(self, name: str, routes: Sequence[Route | Learned]) -> None:
        self.name = name
        self._parts = tuple(routes)
        self._starts: list[int] = []
        self._segments: list[Segment] = []
        self._by_hop: tuple[list[int], list[Segment]] | None = None
        self._compile()

    @property
    def routes(self) -> tuple[Route, ...]:
        """Every route, in the order given (learned groups expanded)."""
        if not any(isinstance(p, Learned) for p in self._parts):
            return self._parts  # type: ignore[return-value]
        out: list[Route] = []
        for p in self._parts:
            if isinstance(p, Learned):
                out += p.routes()
            else:
                out.append(p)
        return tuple(out)

    def _compile(self) -> None:
        learned = [p for p in self._parts if isinstance(p, Learned)]
        own: list[Route] = [p for p in self._parts if not isinstance(p, Learned)]
        if len(learned) > 1 or (learned and not _SHARED[-1]):
            # several learned groups may share prefixes: resolve them route by route
            own, learned = list(self.routes), []
        best: dict[tuple[int, int], list[Route]] = {}
        for r in own:
            key = net_interval(r.prefix)
            cur = best.get(key)
            if cur is None or r.priority < cur[0].priority:
                best[key] = [r]
            elif r.priority == cur[0].priority:
                cur.append(r)
        if learned:
            # the learned prefixes arrive sorted: make their routes in one pass and place the table's own
            # few prefixes among them (the same prefix on both sides: lower priority wins, ties are ECMP)
            group = learned[0]
            prio, hop, ref = group.priority, group.hop, group.ref
            items: list[tuple[int, int, list[Route] | tuple[Route, ...]]] = [
                (lo, hi, (Route(p, prio, hop, ref),)) for lo, hi, p in group.prefixes]
            keys = [(lo, -hi) for lo, hi, _p in group.prefixes]
            for (lo, hi), winners in sorted(best.items(), key=lambda kv: (kv[0][0], -kv[0][1]), reverse=True):
                i = bisect.bisect_left(keys, (lo, -hi))
                if i < len(keys) and keys[i] == (lo, -hi):
                    theirs = items[i][2][0]
                    if theirs.priority < winners[0].priority:
                        continue
                    if theirs.priority == winners[0].priority:
                        winners = [*winners, theirs]
                    items[i] = (lo, hi, winners)
                else:
                    items.insert(i, (lo, hi, winners))
                    keys.insert(i, (lo, -hi))
            self._sweep(items)
        else:
            self._sweep([(lo, hi, winners) for (lo, hi), winners in
                         sorted(best.items(), key=lambda kv: (kv[0][0], -kv[0][1]))])

    def _sweep(self, prefixes: Sequence[tuple[int, int, Sequence[Route]]]) -> None:
        """Prefixes sorted by first address, widest first, each with its winners, to disjoint segments."""
        segs: list[Segment] = []
        append = segs.append
        stack: list[Segment] = []
        pos = 0
        for lo, hi, winners in prefixes:
            while stack and stack[-1][1] < lo:
                top = stack.pop()
                if pos <= top[1]:
                    append((pos, top[1], top[2]))
                pos = top[1] + 1
            if stack and pos <= lo - 1:
                append((pos, lo - 1, stack[-1][2]))
            stack.append((lo, hi, tuple(winners) if len(winners) == 1 else tuple(sorted(winners, key=_by_ref))))
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
