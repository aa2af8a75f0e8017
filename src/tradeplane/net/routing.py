"""Route tables compiled for symbolic lookup: longest prefix, then priority, ties are ECMP.

A table's prefixes are laminar (any two are nested or disjoint), so one sweep
turns them into sorted, disjoint destination intervals, each with the routes that
win there. A lookup splits a header space by those intervals in one pass.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from ipaddress import IPv4Network
from typing import Any, NamedTuple, TypeVar

from tradeplane.net.space import MAX_IP, Box, Space, net_interval
from tradeplane.net.trace import RuleRef

__all__ = ["Learned", "PrefixSet", "Route", "RouteTable", "learned_route_by_route"]


class Route(NamedTuple):
    """One route. ``priority``: lower wins among equal prefixes (GCP priority, static over propagated).
    A named tuple, not a frozen dataclass: a desk matrix builds about a million of them (every GCP VPC
    learns every prefix of its transit gateway table), and a tuple is built three times faster."""

    prefix: IPv4Network
    priority: int
    hop: tuple[Any, ...]  # the next hop, interpreted by the engine, e.g. ("tgw", name)
    ref: RuleRef


class PrefixSet:
    """Distinct prefixes, sorted by first address then widest first, compiled once and shared by every
    table that learns them (``Learned``): the disjoint segments where each prefix is the longest (``idx``
    into ``items``), each prefix's innermost enclosing prefix, the maximal runs of adjacent covered
    addresses and the shortest prefix length."""

    def __init__(self, prefixes: Sequence[IPv4Network]) -> None:
        self.items: list[tuple[int, int, IPv4Network]] = sorted(
            ((*net_interval(p), p) for p in prefixes), key=lambda t: (t[0], -t[1]))
        self._compiled: tuple[list[tuple[int, int, int]], list[int], list[int], list[tuple[int, int]],
                              list[int]] | None = None
        self.min_len: int = min((p.prefixlen for _lo, _hi, p in self.items), default=33)
        """The shortest prefix length (33 when empty)."""

    def __len__(self) -> int:
        return len(self.items)

    def compiled(self) -> tuple[list[tuple[int, int, int]], list[int], list[int], list[tuple[int, int]], list[int]]:
        """(segments (first, last, prefix index), their first addresses, each prefix's enclosing prefix
        (-1: none), runs of adjacent segments (first, last), the runs' first addresses)."""
        if self._compiled is None:
            segs, parent = _sweep([(lo, hi, i) for i, (lo, hi, _p) in enumerate(self.items)])
            runs: list[tuple[int, int]] = []
            for lo, hi, _i in segs:
                if runs and runs[-1][1] + 1 == lo:
                    runs[-1] = (runs[-1][0], hi)
                else:
                    runs.append((lo, hi))
            self._compiled = (segs, [x[0] for x in segs], parent, runs, [r[0] for r in runs])
        return self._compiled


class Learned(NamedTuple):
    """Routes to many prefixes with one priority, next hop and reference: what a router learns over one
    link (a GCP VPC learns every prefix of its transit gateway's route table over a cross-cloud link).
    ``prefixes`` is shared by every table that learns them, less the indices in ``exclude`` (what this
    table's own attachment advertised); ``Route`` objects are made only for what a lookup returns."""

    prefixes: PrefixSet
    priority: int
    hop: tuple[Any, ...]
    ref: RuleRef
    exclude: frozenset[int] = frozenset()

    def routes(self) -> list[Route]:
        return [Route(p, self.priority, self.hop, self.ref) for i, (_lo, _hi, p) in enumerate(self.prefixes.items)
                if i not in self.exclude]


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


def _sweep(items: Sequence[tuple[int, int, T]]) -> tuple[list[tuple[int, int, T]], list[int]]:
    """Prefixes (nested or disjoint intervals) sorted by first address, widest first, each with a value,
    to the sorted, disjoint segments where each is the innermost (with its value), and each prefix's
    innermost enclosing prefix (its index; -1: none). One pass with a stack of the enclosing prefixes."""
    segs: list[tuple[int, int, T]] = []
    append = segs.append
    parent = [-1] * len(items)
    stack: list[tuple[int, int, T, int]] = []
    pos = 0
    for i, (lo, hi, value) in enumerate(items):
        while stack and stack[-1][1] < lo:
            top = stack.pop()
            if pos <= top[1]:
                append((pos, top[1], top[2]))
            pos = top[1] + 1
        if stack:
            parent[i] = stack[-1][3]
            if pos <= lo - 1:
                append((pos, lo - 1, stack[-1][2]))
        stack.append((lo, hi, value, i))
        pos = lo
    while stack:
        top = stack.pop()
        if pos <= top[1]:
            append((pos, top[1], top[2]))
        pos = top[1] + 1
    return segs, parent


def _merge_intervals(ivs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _by_ref(r: Route) -> RuleRef:
    return r.ref


Segment = tuple[int, int, tuple[Route, ...]]
T = TypeVar("T")


class RouteTable:
    """Compiled routes: ``lookup`` splits a space by the winning route(s) for each destination. ``routes``
    may hold ``Learned`` groups among the routes (the table's ``routes`` lists theirs in their place)."""

    def __init__(self, name: str, routes: Sequence[Route | Learned]) -> None:
        self.name = name
        self._parts = tuple(routes)
        self._compiled: tuple[list[int], list[Segment]] | None = None
        self._by_hop: tuple[list[int], list[Segment]] | None = None
        learned = [p for p in self._parts if isinstance(p, Learned)]
        self._learned = learned[0] if len(learned) == 1 and _SHARED[-1] else None
        if self._learned is None:
            self._compile()

    @property
    def _segments(self) -> list[Segment]:
        if self._compiled is None:
            self._compile()
        assert self._compiled is not None
        return self._compiled[1]

    @property
    def _starts(self) -> list[int]:
        if self._compiled is None:
            self._compile()
        assert self._compiled is not None
        return self._compiled[0]

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
            prio, hop, ref, skip = group.priority, group.hop, group.ref, group.exclude
            items: list[tuple[int, int, list[Route] | tuple[Route, ...]]] = [
                (lo, hi, (Route(p, prio, hop, ref),)) for i, (lo, hi, p) in enumerate(group.prefixes.items)
                if i not in skip]
            keys = [(lo, -hi) for lo, hi, _w in items]
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
        segs, _parents = _sweep([(lo, hi, tuple(w) if len(w) == 1 else tuple(sorted(w, key=_by_ref)))
                                 for lo, hi, w in prefixes])
        self._compiled = ([s[0] for s in segs], segs)

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
            for lo, hi, winners in (self._segments if self._learned is None else self._layered()):
                hops = (winners[0].hop,) if len(winners) == 1 else tuple(r.hop for r in winners)
                if merged and last == hops and merged[-1][1] + 1 == lo:
                    merged[-1] = (merged[-1][0], hi, merged[-1][2])
                else:
                    merged.append((lo, hi, winners))
                    last = hops
            self._by_hop = ([m[0] for m in merged], merged)
        return self._split(space, *self._by_hop)

    def _layered(self) -> list[Segment]:
        """Pieces of the table in address order, each with the winners at its first address and one set of
        next hops throughout, without compiling the learned group into this table: the group's shared
        segments and runs give the pieces where its prefixes win outright, and only where this table's
        own routes may beat or tie them (own prefixes at least as long as the group's shortest) and where
        it excludes prefixes is the table merged address by address (longest prefix, then priority, ties
        ECMP: what ``_compile`` gives)."""
        group = self._learned
        assert group is not None
        shared = group.prefixes
        segs, seg_starts, parent, runs, run_starts = shared.compiled()
        items, skip, prio = shared.items, group.exclude, group.priority
        own = RouteTable(self.name, [p for p in self._parts if not isinstance(p, Learned)])
        osegs, ostarts = own._segments, own._starts
        made: dict[object, tuple[Route, ...]] = {}

        def route(i: int) -> tuple[Route, ...]:
            got = made.get(i)
            if got is None:
                got = made[i] = (Route(items[i][2], prio, group.hop, group.ref),)
            return got

        def own_pieces(lo: int, hi: int) -> None:
            k = max(bisect.bisect_right(ostarts, lo) - 1, 0)
            while k < len(osegs) and osegs[k][0] <= hi:
                a, b, w = osegs[k]
                if b >= lo:
                    out.append((max(a, lo), min(b, hi), w))
                k += 1

        inside = _merge_intervals([(items[i][0], items[i][1]) for i in skip] +
                                  [(a, b) for a, b, w in osegs if w[0].prefix.prefixlen >= shared.min_len])
        out: list[Segment] = []
        pos = 0
        for a, b in [*inside, (MAX_IP + 1, MAX_IP + 1)]:
            # outside the merged ranges: the group wins wherever it has a prefix, own routes fill the rest
            end = min(a - 1, MAX_IP)
            j = max(bisect.bisect_right(run_starts, pos) - 1, 0)
            cur = pos
            while cur <= end:
                while j < len(runs) and runs[j][1] < cur:
                    j += 1
                if j < len(runs) and runs[j][0] <= cur:
                    stop = min(runs[j][1], end)
                    out.append((cur, stop, route(segs[bisect.bisect_right(seg_starts, cur) - 1][2])))
                else:
                    stop = min(end, runs[j][0] - 1) if j < len(runs) else end
                    own_pieces(cur, stop)
                cur = stop + 1
            if a > MAX_IP:
                break
            self._merge_range(a, b, out, osegs, ostarts, segs, seg_starts, parent, skip, prio, route, made)
            pos = b + 1
        return out

    @staticmethod
    def _merge_range(a: int, b: int, out: list[Segment], osegs: list[Segment], ostarts: list[int],
                     segs: list[tuple[int, int, int]], seg_starts: list[int], parent: list[int],
                     skip: frozenset[int], prio: int, route: Callable[[int], tuple[Route, ...]],
                     made: dict[object, tuple[Route, ...]]) -> None:
        """``_layered`` on ``[a, b]``: own segments and the group's (less excluded prefixes, whose
        enclosing prefix wins instead) compared address range by address range."""
        k = max(bisect.bisect_right(seg_starts, a) - 1, 0)
        o = max(bisect.bisect_right(ostarts, a) - 1, 0)
        cur = a
        while cur <= b:
            while k < len(segs) and segs[k][1] < cur:
                k += 1
            while o < len(osegs) and osegs[o][1] < cur:
                o += 1
            stop = b
            idx = -1
            if k < len(segs):
                if segs[k][0] <= cur:
                    idx, stop = segs[k][2], min(stop, segs[k][1])
                else:
                    stop = min(stop, segs[k][0] - 1)
            mine: tuple[Route, ...] = ()
            if o < len(osegs):
                if osegs[o][0] <= cur:
                    mine, stop = osegs[o][2], min(stop, osegs[o][1])
                else:
                    stop = min(stop, osegs[o][0] - 1)
            while idx != -1 and idx in skip:
                idx = parent[idx]
            winners: tuple[Route, ...] = mine
            if idx != -1:
                theirs = route(idx)
                if not mine:
                    winners = theirs
                else:
                    length, own_length = theirs[0].prefix.prefixlen, mine[0].prefix.prefixlen
                    if length > own_length or (length == own_length and prio < mine[0].priority):
                        winners = theirs
                    elif length == own_length and prio == mine[0].priority:
                        key = (idx, id(mine))
                        got = made.get(key)
                        if got is None:
                            got = made[key] = tuple(sorted((*mine, *theirs), key=_by_ref))
                        winners = got
            if winners:
                out.append((cur, stop, winners))
            cur = stop + 1

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
