"""Normalised market-data events: msgspec Structs, integer ticks, integer nanoseconds.

Every event carries the venue's own sequence position (``seq``) and the position it
follows (``prev_seq``; ``NO_SEQ`` where the venue gives none), the exchange timestamp
and the local receive timestamp, both in integer nanoseconds since the Unix epoch.
Prices are integers of the instrument's tick, quantities integers of its lot.
"""

from __future__ import annotations

from typing import Final

import msgspec

from tradeplane.feeds.ticks import TextLevels, TickCache, to_levels

NO_SEQ: Final = -1
NO_CHECKSUM: Final = -(1 << 40)  # outside both signed (OKX) and unsigned (Kraken) 32-bit ranges

Level = tuple[int, int]  # (price ticks, quantity lots); quantity 0 removes the level

BUY: Final = 1
SELL: Final = -1


class BookDelta(msgspec.Struct, frozen=True, gc=False, tag="book_delta"):
    venue: str
    symbol: str
    seq: int
    prev_seq: int
    ts_exchange: int
    ts_recv: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    first_seq: int = NO_SEQ  # first update id covered (Binance ``U``); NO_SEQ when the message is one step
    checksum: int = NO_CHECKSUM


class BookSnapshot(msgspec.Struct, frozen=True, gc=False, tag="book_snapshot"):
    venue: str
    symbol: str
    seq: int
    ts_exchange: int
    ts_recv: int
    bids: tuple[Level, ...]  # best first
    asks: tuple[Level, ...]  # best first
    checksum: int = NO_CHECKSUM


class Trade(msgspec.Struct, frozen=True, gc=False, tag="trade"):
    venue: str
    symbol: str
    seq: int
    prev_seq: int
    ts_exchange: int
    ts_recv: int
    price: int
    qty: int
    side: int  # aggressor: BUY (1) or SELL (-1)
    trade_id: str


class BBO(msgspec.Struct, frozen=True, gc=False, tag="bbo"):
    venue: str
    symbol: str
    seq: int
    prev_seq: int
    ts_exchange: int
    ts_recv: int
    bid_price: int
    bid_qty: int
    ask_price: int
    ask_qty: int


class Funding(msgspec.Struct, frozen=True, gc=False, tag="funding"):
    venue: str
    symbol: str
    seq: int
    prev_seq: int
    ts_exchange: int
    ts_recv: int
    mark_price: int
    index_price: int
    rate_e9: int  # funding rate in units of 1e-9
    next_funding_ts: int


class Gap(msgspec.Struct, frozen=True, gc=False, tag="gap"):
    """A stretch of a stream lost on every leg; ``reason`` says how it was noticed."""

    venue: str
    symbol: str
    channel: str
    from_seq: int
    to_seq: int
    ts_recv: int
    reason: str


class Heartbeat(msgspec.Struct, frozen=True, gc=False, tag="heartbeat"):
    """A venue keep-alive; proves the socket is open, never that data flows."""

    venue: str
    symbol: str
    ts_recv: int


class ParsedDelta(msgspec.Struct, gc=False):
    """A book delta as parsed: levels still the venue's decimal text.

    Internal to the gateway: the arbiter judges it on its sequence first, so a duplicate from
    another leg is dropped without converting a single level; the winner's levels are converted
    to ticks through the instrument's bounded ``TickCache`` (exact: a miss is parsed exactly)
    while they are applied to the book, and it leaves as a ``BookDelta``.
    """

    venue: str
    symbol: str
    seq: int
    prev_seq: int
    first_seq: int
    ts_exchange: int
    ts_recv: int
    bids: TextLevels  # [("price", "qty"), ...] as the venue wrote them
    asks: TextLevels
    price: TickCache
    qty: TickCache

    def ticks(self) -> BookDelta:
        pc, qc = self.price, self.qty
        return BookDelta(
            self.venue, self.symbol, self.seq, self.prev_seq, self.ts_exchange, self.ts_recv,
            to_levels(self.bids, pc, qc), to_levels(self.asks, pc, qc),
            self.first_seq,
        )


MarketEvent = BookDelta | BookSnapshot | Trade | BBO | Funding | Gap
WireEvent = BookDelta | ParsedDelta | BookSnapshot | Trade | BBO | Funding | Heartbeat

CHANNEL_OF: Final[dict[type, str]] = {
    BookDelta: "book",
    BookSnapshot: "book",
    Trade: "trades",
    BBO: "bbo",
    Funding: "funding",
    Gap: "gap",
}

event_encoder = msgspec.msgpack.Encoder()
event_decoder: msgspec.msgpack.Decoder[MarketEvent] = msgspec.msgpack.Decoder(MarketEvent)
