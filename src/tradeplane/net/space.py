"""Packet header space: sets of headers as unions of disjoint boxes.

A header is (source address, destination address, IP protocol, source port,
destination port). A ``Box`` is an inclusive interval on each of those five
dimensions; a ``Space`` is a union of boxes (disjoint unless built by concatenating
spaces, which every operation here tolerates; ``size`` needs disjoint boxes). Every question
the engine answers is a set operation on spaces, so one traversal covers all
traffic between two places at once instead of enumerating packets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from operator import itemgetter
from typing import NamedTuple

__all__ = ["ALL_PORTS", "DIMS", "EPHEMERAL", "PROTO_NUMBERS", "Box", "Header", "Interval", "Space"]

Interval = tuple[int, int]
DIMS = ("src", "dst", "proto", "sport", "dport")
MAX_IP = 2**32 - 1
ALL_PORTS: Interval = (0, 65535)
EPHEMERAL: Interval = (1024, 65535)
PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1}


@dataclass(frozen=True, order=True)
class Header:
    """One concrete packet header (the oracle's unit, and a space's example)."""

    src: int
    dst: int
    proto: int
    sport: int
    dport: int

    def describe(self) -> str:
        proto = {v: k for k, v in PROTO_NUMBERS.items()}.get(self.proto, str(self.proto))
        ports = f" {self.sport}->{self.dport}" if self.proto in (6, 17) else ""
        return f"{IPv4Address(self.src)} -> {IPv4Address(self.dst)} {proto}{ports}"

    def reply(self) -> Header:
        return Header(self.dst, self.src, self.proto, self.dport, self.sport)


class Box(NamedTuple):
    """An inclusive interval on each dimension. A named tuple (ordered, hashable and immutable like the
    frozen dataclass it was, and three times cheaper to make: every set operation makes boxes)."""

    src: Interval
    dst: Interval
    proto: Interval
    sport: Interval
    dport: Interval

    def dims(self) -> tuple[Interval, Interval, Interval, Interval, Interval]:
        return self

    def intersect(self, other: Box) -> Box | None:
        # unrolled: this is the innermost operation of every set computation
        s1, d1, p1, q1, r1 = self
        s2, d2, p2, q2, r2 = other
        dlo = d1[0] if d1[0] > d2[0] else d2[0]
        dhi = d1[1] if d1[1] < d2[1] else d2[1]
        if dlo > dhi:
            return None
        slo = s1[0] if s1[0] > s2[0] else s2[0]
        shi = s1[1] if s1[1] < s2[1] else s2[1]
        if slo > shi:
            return None
        plo = r1[0] if r1[0] > r2[0] else r2[0]
        phi = r1[1] if r1[1] < r2[1] else r2[1]
        if plo > phi:
            return None
        rlo = p1[0] if p1[0] > p2[0] else p2[0]
        rhi = p1[1] if p1[1] < p2[1] else p2[1]
        if rlo > rhi:
            return None
        qlo = q1[0] if q1[0] > q2[0] else q2[0]
        qhi = q1[1] if q1[1] < q2[1] else q2[1]
        if qlo > qhi:
            return None
        return _new_box(Box, ((slo, shi), (dlo, dhi), (rlo, rhi), (qlo, qhi), (plo, phi)))

    def subtract(self, other: Box) -> list[Box]:
        """``self - other`` as at most ten disjoint boxes."""
        cut = self.intersect(other)
        if cut is None:
            return [self]
        pieces: list[Box] = []
        current = list(self.dims())
        for i, (clo, chi) in enumerate(cut.dims()):
            lo, hi = current[i]
            if lo < clo:
                below = list(current)
                below[i] = (lo, clo - 1)
                pieces.append(Box(*below))
            if chi < hi:
                above = list(current)
                above[i] = (chi + 1, hi)
                pieces.append(Box(*above))
            current[i] = (clo, chi)
        return pieces

    def contains(self, h: Header) -> bool:
        return all(lo <= v <= hi for (lo, hi), v in
                   zip(self.dims(), (h.src, h.dst, h.proto, h.sport, h.dport), strict=True))

    def size(self) -> int:
        n = 1
        for lo, hi in self.dims():
            n *= hi - lo + 1
        return n

    def sample(self) -> Header:
        return Header(self.src[0], self.dst[0], self.proto[0], self.sport[0], self.dport[0])

    def swap(self) -> Box:
        """The reply direction: addresses and ports exchanged."""
        return Box(self.dst, self.src, self.proto, self.dport, self.sport)


_new_box = tuple.__new__
FULL_BOX = Box((0, MAX_IP), (0, MAX_IP), (0, 255), ALL_PORTS, ALL_PORTS)


def net_interval(net: IPv4Network) -> Interval:
    """A network's addresses as an inclusive interval (without ``broadcast_address``, which builds an
    address object per network: compiling 200,000 rules spent a fifth of its time there)."""
    lo = int(net.network_address)
    return (lo, lo | (MAX_IP >> net.prefixlen))


class Space:
    """A set of headers: a union of boxes. Immutable."""

    __slots__ = ("boxes",)

    def __init__(self, boxes: Iterable[Box] = ()) -> None:
        self.boxes: tuple[Box, ...] = tuple(boxes)

    # ------------------------------------------------------------------ constructors

    @staticmethod
    def full() -> Space:
        return Space([FULL_BOX])

    @staticmethod
    def empty() -> Space:
        return Space()

    @staticmethod
    def build(
        src: Iterable[Interval] | None = None,
        dst: Iterable[Interval] | None = None,
        proto: Iterable[Interval] | None = None,
        sport: Iterable[Interval] | None = None,
        dport: Iterable[Interval] | None = None,
    ) -> Space:
        """The product of unions of intervals per dimension (None means everything)."""
        dims: list[list[Interval]] = []
        single = True
        for given, full in zip((src, dst, proto, sport, dport), FULL_BOX.dims(), strict=True):
            if given is None:
                dims.append([full])
            elif isinstance(given, list | tuple) and len(given) == 1:  # most rules: nothing to merge
                dims.append([(given[0][0], given[0][1])])
            else:
                dims.append(_normalise(given))
                single = single and len(dims[-1]) == 1
        if single:
            return Space((Box(dims[0][0], dims[1][0], dims[2][0], dims[3][0], dims[4][0]),))
        boxes = [Box(a, b, c, d, e) for a in dims[0] for b in dims[1] for c in dims[2]
                 for d in dims[3] for e in dims[4]]
        return Space(boxes)

    @staticmethod
    def of_header(h: Header) -> Space:
        return Space([Box((h.src, h.src), (h.dst, h.dst), (h.proto, h.proto), (h.sport, h.sport),
                          (h.dport, h.dport))])

    # ------------------------------------------------------------------ algebra

    def __bool__(self) -> bool:
        return bool(self.boxes)

    def __iter__(self) -> Iterator[Box]:
        return iter(self.boxes)

    def __len__(self) -> int:
        return len(self.boxes)

    def intersect(self, other: Space) -> Space:
        out: list[Box] = []
        for a in self.boxes:
            for b in other.boxes:
                c = a.intersect(b)
                if c is not None:
                    out.append(c)
        return Space(out)

    def subtract(self, other: Space) -> Space:
        pieces = list(self.boxes)
        for b in other.boxes:
            nxt: list[Box] = []
            for p in pieces:
                nxt.extend(p.subtract(b))
            pieces = nxt
            if not pieces:
                break
        return Space(pieces)

    def union(self, other: Space) -> Space:
        if not self.boxes:
            return other
        if not other.boxes:
            return self
        return Space([*self.boxes, *other.subtract(self).boxes])

    def is_empty(self) -> bool:
        return not self.boxes

    def bounds(self) -> Box | None:
        """The smallest box holding the whole space (None when empty): a cheap overlap pre-check."""
        if not self.boxes:
            return None
        bs = self.boxes
        if len(bs) == 1:
            return bs[0]
        return Box((min(b.src[0] for b in bs), max(b.src[1] for b in bs)),
                   (min(b.dst[0] for b in bs), max(b.dst[1] for b in bs)),
                   (min(b.proto[0] for b in bs), max(b.proto[1] for b in bs)),
                   (min(b.sport[0] for b in bs), max(b.sport[1] for b in bs)),
                   (min(b.dport[0] for b in bs), max(b.dport[1] for b in bs)))

    def contains(self, h: Header) -> bool:
        return any(b.contains(h) for b in self.boxes)

    def size(self) -> int:
        return sum(b.size() for b in self.boxes)

    def sample(self) -> Header | None:
        return min((b.sample() for b in self.boxes), default=None)

    def swap(self) -> Space:
        return Space(b.swap() for b in self.boxes)

    def equals(self, other: Space) -> bool:
        return self.subtract(other).is_empty() and other.subtract(self).is_empty()

    def project(self, dim: str) -> list[Interval]:
        """The union of one dimension's intervals, merged and sorted."""
        i = DIMS.index(dim)
        return _normalise(b.dims()[i] for b in self.boxes)

    def compact(self) -> Space:
        """Merge boxes that differ in one dimension only and touch there (keeps spaces small)."""
        if len(self.boxes) < 2:
            return self
        if len(self.boxes) <= 4:
            return _compact_few(self.boxes)
        dims: list[tuple[Interval, ...]] = sorted({b.dims() for b in self.boxes})
        for _ in range(2):
            before = len(dims)
            for i in range(5):
                if len(dims) < 2:
                    break
                dims.sort(key=_SORT_KEYS[i])  # the other four dimensions, then this one
                out: list[tuple[Interval, ...]] = []
                last_key: tuple[Interval, ...] | None = None
                rest = _REST_KEYS[i]
                for d in dims:
                    key = rest(d)
                    if last_key == key and d[i][0] <= out[-1][i][1] + 1:
                        if d[i][1] > out[-1][i][1]:
                            prev = out[-1]
                            out[-1] = (*prev[:i], (prev[i][0], d[i][1]), *prev[i + 1:])
                        continue
                    out.append(d)
                    last_key = key
                dims = out
            if len(dims) == before:
                break
        return Space(Box(*d) for d in sorted(dims))

    def regroup(self) -> Space:
        """The same set with boxes that differ only in source merged across destinations: for each
        (protocol, source port, destination port) the destination axis is cut at every box edge and
        each slab gets the union of the sources over it. Many sources whose destinations differ a
        little (each misses its own network, say) become slabs with narrow destinations, so a route
        lookup splits each slab by the few routes under it instead of every source's wide box by all of
        them (n sources x m routes boxes become about n + m). Returns ``self`` when the result would have
        more than twice the boxes. Disjoint boxes stay disjoint."""
        if len(self.boxes) < 2:
            return self
        by_rest: dict[tuple[Interval, Interval, Interval], list[tuple[Interval, Interval]]] = {}
        for b in self.boxes:
            by_rest.setdefault((b.proto, b.sport, b.dport), []).append((b.dst, b.src))
        if len(by_rest) == len(self.boxes):
            return self
        limit = 2 * len(self.boxes)
        out: list[Box] = []
        for (proto, sport, dport), items in by_rest.items():
            if len(items) == 1:
                out.append(Box(items[0][1], items[0][0], proto, sport, dport))
                continue
            items.sort()
            points = sorted({d[0] for d, _ in items} | {d[1] + 1 for d, _ in items})
            active: dict[int, Interval] = {}
            ends: dict[int, list[int]] = {}
            j = 0
            slab: list[Interval] = []
            slab_lo, slab_hi = 0, -1
            for k in range(len(points) - 1):
                p, nxt = points[k], points[k + 1]
                for idx in ends.pop(p, ()):
                    del active[idx]
                while j < len(items) and items[j][0][0] == p:
                    active[j] = items[j][1]
                    ends.setdefault(items[j][0][1] + 1, []).append(j)
                    j += 1
                srcs = _normalise(active.values()) if active else []
                if srcs == slab and slab_hi + 1 == p:
                    slab_hi = nxt - 1
                    continue
                out.extend(Box(iv, (slab_lo, slab_hi), proto, sport, dport) for iv in slab)
                slab, slab_lo, slab_hi = srcs, p, nxt - 1
            out.extend(Box(iv, (slab_lo, slab_hi), proto, sport, dport) for iv in slab)
            if len(out) > limit:
                return self
        return Space(out) if len(out) <= limit else self

    def describe(self, limit: int = 3) -> str:
        """A short human description: address ranges, protocols and destination ports."""
        parts = [
            "src " + _ranges_text(self.project("src"), ip=True, limit=limit),
            "dst " + _ranges_text(self.project("dst"), ip=True, limit=limit),
            _proto_text(self.project("proto")),
        ]
        dports = self.project("dport")
        if dports != [ALL_PORTS]:
            parts.append("port " + _ranges_text(dports, ip=False, limit=limit))
        return " ".join(parts)


def _merged(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...] | None:
    """``a`` and ``b`` as one box when they differ in one dimension only and touch or overlap there."""
    diff = -1
    for i in range(5):
        if a[i] != b[i]:
            if diff >= 0:
                return None
            diff = i
    if diff < 0:
        return a
    (alo, ahi), (blo, bhi) = a[diff], b[diff]
    if blo > ahi + 1 or alo > bhi + 1:
        return None
    return (*a[:diff], (alo if alo < blo else blo, ahi if ahi > bhi else bhi), *a[diff + 1:])


def _compact_few(boxes: tuple[Box, ...]) -> Space:
    """``compact`` for a handful of boxes: merge pairs until none merges (the sorts cost more here)."""
    dims: list[tuple[Interval, ...]] = [b.dims() for b in boxes]
    merged = True
    while merged and len(dims) > 1:
        merged = False
        for i in range(len(dims)):
            for j in range(i + 1, len(dims)):
                m = _merged(dims[i], dims[j])
                if m is not None:
                    dims[i] = m
                    del dims[j]
                    merged = True
                    break
            if merged:
                break
    return Space(Box(*d) for d in sorted(dims))


_REST_KEYS = tuple(itemgetter(*(j for j in range(5) if j != i)) for i in range(5))
_SORT_KEYS = tuple(itemgetter(*(j for j in range(5) if j != i), i) for i in range(5))


def _normalise(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _ip_range_text(lo: int, hi: int) -> str:
    if lo == 0 and hi == MAX_IP:
        return "any"
    size = hi - lo + 1
    if size & (size - 1) == 0 and lo % size == 0:
        return str(IPv4Network((lo, 32 - size.bit_length() + 1)))
    return f"{IPv4Address(lo)}-{IPv4Address(hi)}"


def _ranges_text(ivs: list[Interval], *, ip: bool, limit: int) -> str:
    if ip:
        texts = [_ip_range_text(lo, hi) for lo, hi in ivs]
    else:
        texts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ivs]
    if len(texts) > limit:
        return ",".join(texts[:limit]) + f",+{len(texts) - limit} more"
    return ",".join(texts)


def _proto_text(ivs: list[Interval]) -> str:
    if ivs == [(0, 255)]:
        return "all protocols"
    names = {v: k for k, v in PROTO_NUMBERS.items()}
    out: list[str] = []
    for lo, hi in ivs:
        if hi - lo < 8:
            out.extend(names.get(p, str(p)) for p in range(lo, hi + 1))
        else:
            out.append(f"{lo}-{hi}")
    return "/".join(out)
