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

from tradeplane.net.space import DIMS, MAX_IP, Box, Interval, Space

__all__ = ["Atoms", "bit_indices"]


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
