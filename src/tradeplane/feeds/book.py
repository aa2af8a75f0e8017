"""An L2 order book on integer ticks, with validation (crossed book) and top-N access."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable

from tradeplane.feeds.events import Level
from tradeplane.feeds.ticks import TextLevels, TickCache


class OrderBook:
    """Price levels per side. Sorted keys: asks ascending, bids stored negated (ascending = best first)."""

    __slots__ = ("_ask_keys", "_bid_keys", "asks", "bids")

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self._bid_keys: list[int] = []  # negated prices
        self._ask_keys: list[int] = []

    def clear(self) -> None:
        self.bids.clear()
        self.asks.clear()
        self._bid_keys.clear()
        self._ask_keys.clear()

    def copy(self) -> OrderBook:
        """An independent copy (trial application during a resync)."""
        other = OrderBook()
        other.bids, other.asks = dict(self.bids), dict(self.asks)
        other._bid_keys, other._ask_keys = list(self._bid_keys), list(self._ask_keys)
        return other

    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        self.clear()
        for p, q in bids:
            if q:
                self.bids[p] = q
        for p, q in asks:
            if q:
                self.asks[p] = q
        self._bid_keys = sorted(-p for p in self.bids)
        self._ask_keys = sorted(self.asks)

    def apply(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Set each level to its absolute quantity; 0 removes it."""
        book, keys = self.bids, self._bid_keys
        for p, q in bids:
            if q:
                if p not in book:
                    insort(keys, -p)
                book[p] = q
            elif p in book:
                del book[p]
                del keys[bisect_left(keys, -p)]
        book, keys = self.asks, self._ask_keys
        for p, q in asks:
            if q:
                if p not in book:
                    insort(keys, p)
                book[p] = q
            elif p in book:
                del book[p]
                del keys[bisect_left(keys, p)]

    def apply_text(
        self, bids: TextLevels, asks: TextLevels, price: TickCache, qty: TickCache
    ) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        """Convert text levels to ticks (exactly, through the caches) and apply them in one pass.

        Returns the levels in ticks. A text that is not a multiple of its step raises InputError
        part way: the caller must then treat the book as lost (resync).
        """
        pm, qm = price.map, qty.map
        book, keys = self.bids, self._bid_keys
        out_b = []
        for pt, qt in bids:
            try:  # prices repeat: a hit costs a subscript (free try in 3.11); a miss parses exactly and remembers
                p = pm[pt]
            except KeyError:
                p = price.miss(pt)
            q = qm.get(qt)  # sizes often do not repeat: no exception per miss (raising one costs more)
            if q is None:
                q = qty.miss(qt)
            out_b.append((p, q))
            if q:
                if p not in book:
                    insort(keys, -p)
                book[p] = q
            elif p in book:
                del book[p]
                del keys[bisect_left(keys, -p)]
        book, keys = self.asks, self._ask_keys
        out_a = []
        for pt, qt in asks:
            try:  # prices repeat: a hit costs a subscript (free try in 3.11); a miss parses exactly and remembers
                p = pm[pt]
            except KeyError:
                p = price.miss(pt)
            q = qm.get(qt)  # sizes often do not repeat: no exception per miss (raising one costs more)
            if q is None:
                q = qty.miss(qt)
            out_a.append((p, q))
            if q:
                if p not in book:
                    insort(keys, p)
                book[p] = q
            elif p in book:
                del book[p]
                del keys[bisect_left(keys, p)]
        return tuple(out_b), tuple(out_a)


    def truncate(self, depth: int) -> None:
        """Keep the best ``depth`` levels per side (venues that stop sending levels out of scope)."""
        while len(self._bid_keys) > depth:
            del self.bids[-self._bid_keys.pop()]
        while len(self._ask_keys) > depth:
            del self.asks[self._ask_keys.pop()]

    @property
    def best_bid(self) -> int | None:
        return -self._bid_keys[0] if self._bid_keys else None

    @property
    def best_ask(self) -> int | None:
        return self._ask_keys[0] if self._ask_keys else None

    def crossed(self) -> bool:
        """True when the best bid is at or above the best ask: the book cannot be right."""
        return bool(self._bid_keys and self._ask_keys and -self._bid_keys[0] >= self._ask_keys[0])

    def top_bids(self, n: int) -> list[Level]:
        b = self.bids
        return [(-k, b[-k]) for k in self._bid_keys[:n]]

    def top_asks(self, n: int) -> list[Level]:
        a = self.asks
        return [(k, a[k]) for k in self._ask_keys[:n]]

    def levels(self) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        return tuple(self.top_bids(len(self.bids))), tuple(self.top_asks(len(self.asks)))

    def __len__(self) -> int:
        return len(self.bids) + len(self.asks)
