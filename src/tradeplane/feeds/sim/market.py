"""A generated market: a deterministic random walk of an L2 book with trades.

The book keeps ``depth`` levels a side around a reference price; every step changes
one or a few levels (or moves the reference, taking out the touch with a trade).
Levels leaving the window are deleted explicitly, so venues that publish a limited
depth (Kraken 10) and full-depth venues see the same book.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.events import BUY, SELL, Level


@dataclass
class Step:
    bids: list[Level]
    asks: list[Level]
    trade: tuple[int, int, int] | None  # price, qty, aggressor side


@dataclass
class Market:
    seed: int
    ref: int = 1_000_000  # reference price in ticks (best ask when the touch is full)
    depth: int = 10
    max_qty: int = 5_000
    book: OrderBook = field(default_factory=OrderBook)
    rng: random.Random = field(init=False)
    trade_id: int = 1000

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        r = self.rng
        self.book.load(
            [(self.ref - 1 - k, r.randint(1, self.max_qty)) for k in range(self.depth)],
            [(self.ref + k, r.randint(1, self.max_qty)) for k in range(self.depth)],
        )

    def step(self) -> Step:
        r = self.rng
        book = self.book
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        trade = None
        x = r.random()
        if x < 0.12:  # the reference moves: the touch on one side is taken out
            up = r.random() < 0.5
            if up:
                p = book.best_ask if book.best_ask is not None else self.ref
                trade = (p, book.asks.get(p, 1), BUY)
                asks[p] = 0
                self.ref += 1
            else:
                p = book.best_bid if book.best_bid is not None else self.ref - 1
                trade = (p, book.bids.get(p, 1), SELL)
                bids[p] = 0
                self.ref -= 1
            ref, depth = self.ref, self.depth
            # the window moved by one tick: only levels at its edges can fall out of it
            for bp in (ref - depth - 1, ref, ref + 1):
                if bp in book.bids:
                    bids[bp] = 0
            for ap in (ref + depth, ref - 1, ref - 2):
                if ap in book.asks:
                    asks[ap] = 0
            # refill the new touch and the new far levels (and the taken level if still in the window)
            for bp in {ref - 1, ref - depth} | ({p} if ref - depth <= p <= ref - 1 else set()):
                if bp not in book.bids or bids.get(bp) == 0:
                    bids[bp] = r.randint(1, self.max_qty)
            for ap in {ref, ref + depth - 1} | ({p} if ref <= p <= ref + depth - 1 else set()):
                if ap not in book.asks or asks.get(ap) == 0:
                    asks[ap] = r.randint(1, self.max_qty)
        else:
            n = 1 + (r.random() < 0.3) + (r.random() < 0.1)
            for _ in range(n):
                k = min(int(r.expovariate(0.4)), self.depth - 1)
                if r.random() < 0.5:
                    p = self.ref - 1 - k
                    bids[p] = 0 if (r.random() < 0.1 and k > 0) else r.randint(1, self.max_qty)
                else:
                    p = self.ref + k
                    asks[p] = 0 if (r.random() < 0.1 and k > 0) else r.randint(1, self.max_qty)
            if x > 0.95:
                side = BUY if r.random() < 0.5 else SELL
                touch = book.best_ask if side == BUY else book.best_bid
                if touch is not None:
                    trade = (touch, r.randint(1, 50), side)
        # drop no-op deletes and apply
        bl = sorted(((p, q) for p, q in bids.items() if q or p in book.bids), reverse=True)
        al = sorted((p, q) for p, q in asks.items() if q or p in book.asks)
        book.apply(bl, al)
        assert not book.crossed(), "generated market crossed"
        if trade is not None:
            self.trade_id += 1
        return Step(bl, al, trade)
