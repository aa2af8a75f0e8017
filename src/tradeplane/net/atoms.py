"""Atoms: one axis of the header space cut once into disjoint intervals, so sets are int bitsets.

Given the interval sets a computation will restrict by (every destination endpoint's
addresses, say), the axis is cut at every boundary of every set: the pieces between
consecutive cuts are the *atoms*. Each set is then exactly a union of atoms, an ``int``
with bit ``i`` set for atom ``i``, and the intersection of two sets is ``a & b``. A space
is cut along the axis once (``split``: its boxes by atom); restricting it to a set is then
picking the pieces of the set's atoms, with no box intersections at all. This is the idea of
atomic predicates (Yang and Lam, "Real-time verification of network properties using Atomic
Predicates", IEEE/ACM ToN 2016), applied to one axis: what made per-destination restriction
quadratic (every endpoint x every trace box) becomes linear in the pieces.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from itertools import product

from tradeplane.net.space import DIMS, MAX_IP, Box, Interval, Space

__all__ = ["DEFAULT", "Atoms", "BitBox", "FilterAtoms", "bit_indices"]


def bit_indices(bits: int) -> Iterator[int]:
    """The set bits of ``bits``, lowest first."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


class Atoms:
    """The atoms of one axis (``dim``: ``src`` or ``dst``, or a port axis with ``top=65535``) cut at every
    boundary of ``sets``. Atom ``i`` is ``[starts[i], starts[i + 1] - 1]``; the atoms cover the whole axis."""

    __slots__ = ("_index", "dim", "starts", "top")

    def __init__(self, sets: Iterable[Iterable[Interval]], dim: str = "dst", top: int = MAX_IP) -> None:
        cuts = {0}
        for ivs in sets:
            for lo, hi in ivs:
                cuts.add(lo)
                if hi < top:
                    cuts.add(hi + 1)
        self.dim = dim
        self.top = top
        self.starts: list[int] = sorted(cuts)
        self._index = DIMS.index(dim)

    def __len__(self) -> int:
        return len(self.starts)

    def atom(self, i: int) -> Interval:
        end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else self.top
        return (self.starts[i], end)

    def bits(self, intervals: Iterable[Interval]) -> int:
        """The atoms an interval set covers (its boundaries must be cuts: any set given at construction)."""
        out = 0
        starts = self.starts
        for lo, hi in intervals:
            i = bisect.bisect_right(starts, lo) - 1
            j = bisect.bisect_right(starts, hi)  # atoms i .. j-1 overlap [lo, hi]
            out |= ((1 << (j - i)) - 1) << i
        return out

    def intervals(self, bits: int) -> list[Interval]:
        """The interval set of a bitset, adjacent atoms merged."""
        out: list[Interval] = []
        for i in bit_indices(bits):
            lo, hi = self.atom(i)
            if out and out[-1][1] + 1 == lo:
                out[-1] = (out[-1][0], hi)
            else:
                out.append((lo, hi))
        return out

    def split(self, space: Space | Sequence[Box]) -> dict[int, list[Box]]:
        """Each box of ``space`` cut at the atom boundaries on this axis: atom -> its pieces."""
        out: dict[int, list[Box]] = {}
        starts = self.starts
        n = len(starts)
        d = self._index
        for box in space:
            dims = box.dims()
            lo, hi = dims[d]
            i = bisect.bisect_right(starts, lo) - 1
            while i < n and starts[i] <= hi:
                a_lo = starts[i] if starts[i] > lo else lo
                a_hi = starts[i + 1] - 1 if i + 1 < n else self.top
                if a_hi > hi:
                    a_hi = hi
                if a_lo == lo and a_hi == hi:
                    piece = box
                else:
                    cut = list(dims)
                    cut[d] = (a_lo, a_hi)
                    piece = Box(*cut)
                out.setdefault(i, []).append(piece)
                i += 1
        return out


# --------------------------------------------------------------------------- five axes: filters on bitsets

BitBox = tuple[int, int, int, int, int]
"""A box of atoms: one bitset per axis (src, dst, proto, sport, dport). Each axis may hold any set of
atoms, not only a run, so one bit-box stands for what takes many interval boxes."""

_TOPS = (MAX_IP, MAX_IP, 255, 65535, 65535)
DEFAULT = -1
"""The rule index ``FilterAtoms.decide`` gives to what no rule decided (the filter's default)."""


def _minus(r: BitBox, cut: BitBox) -> list[BitBox]:
    """``r - cut`` for ``cut`` inside ``r``: at most five disjoint bit-boxes (axis by axis)."""
    out: list[BitBox] = []
    r0, r1, r2, r3, r4 = r
    c0, c1, c2, c3, c4 = cut
    if r0 != c0:
        out.append((r0 & ~c0, r1, r2, r3, r4))
    if r1 != c1:
        out.append((c0, r1 & ~c1, r2, r3, r4))
    if r2 != c2:
        out.append((c0, c1, r2 & ~c2, r3, r4))
    if r3 != c3:
        out.append((c0, c1, c2, r3 & ~c3, r4))
    if r4 != c4:
        out.append((c0, c1, c2, c3, r4 & ~c4))
    return out


class FilterAtoms:
    """A first-match filter cut into atoms on all five axes (atomic predicates per filter).

    ``stages``: for each stage, its rules in order as (match boxes, action); actions as in
    ``tradeplane.net.filters`` (allow, deny, unknown, goto_next). Every axis is cut at every boundary
    of every rule's boxes, so each rule is a union of bit-boxes and no rule cuts an atom: every header
    of one cell (an atom on each axis) gets the same decision. A header box is then decided by its
    *closure* (the atoms it touches on each axis, five bitsets): first-match on bit-boxes, where an
    intersection is five ``&`` and a difference at most five pieces, memoised per closure (boxes that
    touch the same atoms share the work), and the decided bit-boxes are turned back into intervals and
    clipped to the box. Same sets as evaluating the boxes rule by rule (``tests/net/test_atoms.py``).
    """

    __slots__ = ("_intervals", "_memo", "axes", "stages")

    def __init__(self, stages: Sequence[Sequence[tuple[Sequence[Box], str]]]) -> None:
        self.axes = tuple(Atoms(([b.dims()[d]] for st in stages for boxes, _ in st for b in boxes), DIMS[d], _TOPS[d])
                          for d in range(5))
        compiled: list[list[tuple[tuple[BitBox, ...], str, int]]] = []
        index = 0
        for st in stages:
            rules: list[tuple[tuple[BitBox, ...], str, int]] = []
            for boxes, action in st:
                bits = {self.closure(b) for b in boxes}
                rules.append((tuple(bits), action, index))
                index += 1
            compiled.append(rules)
        self.stages = compiled
        self._memo: dict[BitBox, list[tuple[int, list[BitBox]]]] = {}
        self._intervals: tuple[dict[int, list[Interval]], ...] = ({}, {}, {}, {}, {})

    def closure(self, box: Box) -> BitBox:
        """The atoms ``box`` touches on each axis."""
        a = self.axes
        d = box.dims()
        return (a[0].bits((d[0],)), a[1].bits((d[1],)), a[2].bits((d[2],)), a[3].bits((d[3],)), a[4].bits((d[4],)))

    def decide(self, key: BitBox) -> list[tuple[int, list[BitBox]]]:
        """First match over the stages for the bit-box ``key``: (rule index, the bit-boxes it decided) in
        rule order, ``DEFAULT`` last for what no rule decided. goto_next parts go to the next stage."""
        got = self._memo.get(key)
        if got is not None:
            return got
        remaining = [key]
        decided: dict[int, list[BitBox]] = {}
        for stage in self.stages:
            deferred: list[BitBox] = []
            for rule_bits, action, index in stage:
                if not remaining:
                    break
                taken: list[BitBox] = []
                for rb in rule_bits:
                    b0, b1, b2, b3, b4 = rb
                    nxt: list[BitBox] = []
                    for r in remaining:
                        c0 = r[0] & b0
                        c1 = r[1] & b1 if c0 else 0
                        c2 = r[2] & b2 if c1 else 0
                        c3 = r[3] & b3 if c2 else 0
                        c4 = r[4] & b4 if c3 else 0
                        if not c4:
                            nxt.append(r)
                            continue
                        cut = (c0, c1, c2, c3, c4)
                        taken.append(cut)
                        nxt.extend(_minus(r, cut))
                    remaining = nxt
                if taken:
                    if action == "goto_next":
                        deferred.extend(taken)
                    else:
                        decided[index] = taken
            remaining = remaining + deferred
        if remaining:
            decided[DEFAULT] = remaining
        out = sorted(decided.items(), key=lambda kv: kv[0] if kv[0] != DEFAULT else 1 << 62)
        self._memo[key] = out
        return out

    def boxes(self, bits: BitBox, clip: Box) -> list[Box]:
        """The interval boxes of a bit-box, clipped to ``clip``."""
        per_axis: list[list[Interval]] = []
        cd = clip.dims()
        for d in range(5):
            cache = self._intervals[d]
            ivs = cache.get(bits[d])
            if ivs is None:
                ivs = cache[bits[d]] = self.axes[d].intervals(bits[d])
            lo, hi = cd[d]
            kept = [(a if a > lo else lo, b if b < hi else hi) for a, b in ivs if a <= hi and b >= lo]
            if not kept:
                return []
            per_axis.append(kept)
        return [Box(*dims) for dims in product(*per_axis)]

    def evaluate(self, space: Space | Sequence[Box]) -> dict[int, list[Box]]:
        """Each rule index (``DEFAULT`` for the filter's default) with the headers of ``space`` it decides."""
        out: dict[int, list[Box]] = {}
        for box in space:
            for index, parts in self.decide(self.closure(box)):
                dest = out.setdefault(index, [])
                for bits in parts:
                    dest.extend(self.boxes(bits, box))
        return out
