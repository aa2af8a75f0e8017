"""Coinbase Exchange WebSocket feed: level2_batch (snapshot + l2update), matches, ticker, heartbeat.

Rules from the Exchange WebSocket docs: send ``{"type": "subscribe", "product_ids": [...],
"channels": [...]}`` within 5 s of connecting; ``level2_batch`` sends a ``snapshot`` then
``l2update`` messages whose ``changes`` are ``[side, price, size]`` with size "0" removing the
level. Level-2 messages carry no sequence number, so legs are arbitrated by the update's
``time`` and content (updates set absolute sizes, so a copy is recognised exactly) and a loss
on every leg cannot be proven from the book channel; ``matches`` carry ``trade_id``,
continuous per product, so trade gaps are found; ``ticker`` carries the feed ``sequence``
(increasing, not continuous); ``heartbeat`` proves the socket is alive. ``side`` on a match
is the maker's side: the aggressor is the other side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import msgspec

from tradeplane.feeds.arbiter import Mode
from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.events import (
    BBO,
    BUY,
    NO_SEQ,
    SELL,
    BookDelta,
    BookSnapshot,
    Heartbeat,
    Level,
    Trade,
    WireEvent,
)
from tradeplane.feeds.venues.base import (
    Channel,
    Limits,
    VenueAdapter,
    VenuePublisher,
    book_levels,
    iso_to_ns,
    ns_to_iso,
    sided_book_levels,
)

_CHANNEL: dict[Channel, str] = {"book": "level2_batch", "trades": "matches", "bbo": "ticker"}


class _Msg(msgspec.Struct, gc=False):
    type: str = ""
    product_id: str = ""
    time: str = ""
    bids: list[tuple[str, str]] = []
    asks: list[tuple[str, str]] = []
    changes: list[tuple[str, str, str]] = []
    trade_id: int = NO_SEQ
    sequence: int = NO_SEQ
    price: str = ""
    size: str = ""
    side: str = ""
    best_bid: str = ""
    best_bid_size: str = ""
    best_ask: str = ""
    best_ask_size: str = ""


_decoder = msgspec.json.Decoder(_Msg)


class Coinbase(VenueAdapter):
    name: ClassVar[str] = "coinbase"
    integrity: ClassVar[str] = 'no sequence on level2 (trade_id continuous on matches)'
    default_url: ClassVar[str] = "wss://ws-feed.exchange.coinbase.com"
    default_rest: ClassVar[str] = "https://api.exchange.coinbase.com"
    limits: ClassVar[Limits] = Limits(
        connections=8, window_s=1.0, subscribe_per_s=8.0, streams_per_connection=10_000,
        # "8 requests per second per IP" for unauthenticated WebSocket messages
        control_per_ip=(8, 1.0),
    )
    arbitration: ClassVar[Mapping[Channel, Mode]] = {"book": "keyed", "trades": "contiguous", "bbo": "monotonic"}
    notes: ClassVar[Mapping[Channel, str]] = {
        "book": "level2 has no sequence: arbitrated by time + content; a loss on every leg cannot be detected",
        "bbo": "ticker sequence: newest wins",
    }

    def subscribe_messages(self, symbols: Sequence[str], channels: Sequence[Channel]) -> list[str]:
        chans = [_CHANNEL[c] for c in channels if c in _CHANNEL] + ["heartbeat"]
        return [msgspec.json.encode({"type": "subscribe", "product_ids": list(symbols), "channels": chans}).decode()]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        body: dict[str, Any] = {"product_ids": [symbol], "channels": ["level2_batch"]}
        return [msgspec.json.encode({"type": t, **body}).decode() for t in ("unsubscribe", "subscribe")]

    def decode(self, raw: str | bytes, recv_ns: int) -> list[WireEvent]:
        m = _decoder.decode(raw)
        t = m.type
        inst = self.instruments.get(m.product_id)
        if inst is None:
            return []
        sym = inst.symbol
        pt, qt = inst.price.to_int, inst.qty.to_int
        if t == "l2update":
            bids, asks = sided_book_levels(inst, m.changes, "buy")
            return [BookDelta(self.name, sym, NO_SEQ, NO_SEQ, iso_to_ns(m.time), recv_ns, bids, asks)]
        if t == "match":
            return [Trade(self.name, sym, m.trade_id, m.trade_id - 1, iso_to_ns(m.time), recv_ns, pt(m.price),
                          qt(m.size), BUY if m.side == "sell" else SELL, str(m.trade_id))]
        if t == "ticker" and m.best_bid and m.best_ask:
            return [BBO(self.name, sym, m.sequence, NO_SEQ, iso_to_ns(m.time) if m.time else 0, recv_ns,
                        pt(m.best_bid), qt(m.best_bid_size), pt(m.best_ask), qt(m.best_ask_size))]
        if t == "snapshot":
            return [BookSnapshot(self.name, sym, NO_SEQ, 0, recv_ns, book_levels(inst, m.bids),
                                 book_levels(inst, m.asks))]
        if t == "heartbeat":
            return [Heartbeat(self.name, sym, recv_ns)]
        return []


# ---------------------------------------------------------------------- simulator side


class CoinbasePublisher(VenuePublisher):
    name: ClassVar[str] = "coinbase"

    def on_client(self, raw: str) -> tuple[list[tuple[str, str]], list[str]]:
        msg = msgspec.json.decode(raw)
        if not isinstance(msg, dict) or msg.get("type") not in ("subscribe", "unsubscribe"):
            return [], [msgspec.json.encode({"type": "error", "message": "Failed to subscribe"}).decode()]
        back = {v: k for k, v in _CHANNEL.items()}
        products = [p for p in msg.get("product_ids", []) if p in self.instruments]
        chans = [c for c in msg.get("channels", []) if isinstance(c, str)]
        reply = msgspec.json.encode({"type": "subscriptions", "channels": [
            {"name": c, "product_ids": products} for c in chans]}).decode()
        if msg["type"] == "unsubscribe":
            return [], [reply]
        return [(back[c], p) for c in chans if c in back for p in products], [reply]

    def unsubscribed(self, raw: str) -> list[tuple[str, str]]:
        msg = msgspec.json.decode(raw)
        if isinstance(msg, dict) and msg.get("type") == "unsubscribe":
            back = {v: k for k, v in _CHANNEL.items()}
            return [(back[c], p) for c in msg.get("channels", []) if c in back for p in msg.get("product_ids", [])]
        return []

    def _lv(self, symbol: str, levels: Sequence[Level]) -> list[list[str]]:
        inst = self.instruments[symbol]
        return [[inst.price.to_text(p), inst.qty.to_text(q)] for p, q in levels]

    def snapshot_message(self, symbol: str, book: OrderBook, seq: int, ts_ns: int, checksum: int) -> str | None:
        return msgspec.json.encode({"type": "snapshot", "product_id": symbol, "bids": self._lv(symbol, book.top_bids(10_000)),
                                    "asks": self._lv(symbol, book.top_asks(10_000))}).decode()

    def delta_message(self, symbol, seq, prev, ts_ns, bids, asks, checksum, first) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        changes = [["buy", inst.price.to_text(p), inst.qty.to_text(q)] for p, q in bids]
        changes += [["sell", inst.price.to_text(p), inst.qty.to_text(q)] for p, q in asks]
        return msgspec.json.encode({"type": "l2update", "product_id": symbol, "changes": changes,
                                    "time": ns_to_iso(ts_ns + seq % 1000, 6)}).decode()

    def trade_message(self, symbol, trade_id, ts_ns, price, qty, side) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return msgspec.json.encode({"type": "match", "trade_id": trade_id, "sequence": trade_id * 10,
                                    "maker_order_id": "m", "taker_order_id": "t", "time": ns_to_iso(ts_ns),
                                    "product_id": symbol, "size": inst.qty.to_text(qty),
                                    "price": inst.price.to_text(price), "side": "sell" if side == BUY else "buy"}).decode()

    def bbo_message(self, symbol, seq, ts_ns, bid, ask) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return msgspec.json.encode({"type": "ticker", "sequence": seq, "product_id": symbol,
                                    "price": inst.price.to_text(bid[0]), "best_bid": inst.price.to_text(bid[0]),
                                    "best_bid_size": inst.qty.to_text(bid[1]), "best_ask": inst.price.to_text(ask[0]),
                                    "best_ask_size": inst.qty.to_text(ask[1]), "time": ns_to_iso(ts_ns)}).decode()

    def heartbeat_message(self, symbol: str, ts_ns: int) -> str | None:
        return msgspec.json.encode({"type": "heartbeat", "sequence": 0, "last_trade_id": 0, "product_id": symbol,
                                    "time": ns_to_iso(ts_ns)}).decode()


ADAPTERS = (Coinbase,)
PUBLISHERS = (CoinbasePublisher,)
