"""A recorded market: replays a Parquet recording's book and trade events as simulator steps.

The recording's events (normalised, in ticks) drive the simulated venue instead of the
generated walk; the simulator re-encodes them in the venue's protocol with its own
sequence numbers and checksums. A snapshot in the recording (a resync) becomes the step
that turns the current book into the snapshot's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.events import BookDelta, BookSnapshot, Level, MarketEvent, Trade
from tradeplane.feeds.sim.market import Step


def _diff(old: dict[int, int], new: dict[int, int]) -> list[Level]:
    out = [(p, 0) for p in old if p not in new]
    out += [(p, q) for p, q in new.items() if old.get(p) != q]
    return out


class RecordedMarket:
    def __init__(self, events: Iterable[MarketEvent]) -> None:
        self.book = OrderBook()
        self.trade_id = 0
        self.exhausted = False
        self._it: Iterator[MarketEvent] = iter(events)
        for ev in self._it:  # start from the recording's first snapshot
            if isinstance(ev, BookSnapshot):
                self.book.load(ev.bids, ev.asks)
                break

    def step(self) -> Step | None:
        book = self.book
        for ev in self._it:
            if isinstance(ev, BookDelta):
                book.apply(ev.bids, ev.asks)
                return Step(sorted(ev.bids, reverse=True), sorted(ev.asks), None)
            if isinstance(ev, Trade):
                self.trade_id = int(ev.trade_id) if ev.trade_id.isdigit() else self.trade_id + 1
                return Step([], [], (ev.price, ev.qty, ev.side))
            if isinstance(ev, BookSnapshot):
                new_b = {p: q for p, q in ev.bids if q}
                new_a = {p: q for p, q in ev.asks if q}
                bids, asks = _diff(book.bids, new_b), _diff(book.asks, new_a)
                book.load(ev.bids, ev.asks)
                return Step(sorted(bids, reverse=True), sorted(asks), None)
        self.exhausted = True
        return None
