"""Deribit JSON-RPC over WebSocket: book.{instrument}.100ms (change_id / prev_change_id),
trades.{instrument}.100ms (trade_seq), quote.{instrument} (BBO), ticker (mark price, funding).

Rules from the v2 API docs: subscribe with ``public/subscribe``; the first book notification
is a snapshot (``type: snapshot``, ``change_id``), each change carries ``prev_change_id``
equal to the previous notification's ``change_id`` — anything else means a lost update and
the book must be re-fetched (we resubscribe). Levels are ``[action, price, amount]`` with
action new / change / delete. ``public/set_heartbeat`` makes the server send
``test_request`` heartbeats, which must be answered with ``public/test`` or the connection
is closed. Trades carry ``trade_seq``, continuous per instrument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import count
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
    Funding,
    Level,
    Trade,
    WireEvent,
)
from tradeplane.feeds.venues.base import Channel, Limits, VenueAdapter, VenuePublisher, book_levels

_MS = 1_000_000


_ZERO = Decimal(0)


class _Book(msgspec.Struct, gc=False):
    type: str = ""
    timestamp: int = 0
    instrument_name: str = ""
    change_id: int = NO_SEQ
    prev_change_id: int = NO_SEQ
    bids: list[tuple[str, Decimal, Decimal]] = []
    asks: list[tuple[str, Decimal, Decimal]] = []
    best_bid_price: Decimal | None = None
    best_bid_amount: Decimal = _ZERO
    best_ask_price: Decimal | None = None
    best_ask_amount: Decimal = _ZERO
    mark_price: Decimal | None = None
    index_price: Decimal = _ZERO
    current_funding: Decimal = _ZERO


class _Trade(msgspec.Struct, gc=False):
    trade_seq: int
    trade_id: str
    timestamp: int
    price: Decimal
    amount: Decimal
    direction: str
    instrument_name: str


class _Params(msgspec.Struct, gc=False):
    channel: str = ""
    data: _Book | list[_Trade] | None = None
    type: str = ""


class _Msg(msgspec.Struct, gc=False):
    method: str = ""
    params: _Params | None = None
    id: int | None = None


_decoder = msgspec.json.Decoder(_Msg)


class Deribit(VenueAdapter):
    name: ClassVar[str] = "deribit"
    integrity: ClassVar[str] = 'prev_change_id = previous change_id'
    default_url: ClassVar[str] = "wss://www.deribit.com/ws/api/v2"
    default_rest: ClassVar[str] = "https://www.deribit.com/api/v2"
    # credit-based limits; unauthenticated non-matching requests are cheap: pace control at 5/s
    limits: ClassVar[Limits] = Limits(
        connections=20, window_s=1.0, subscribe_per_s=5.0, streams_per_connection=10_000,
        # credit-based limits (non-matching requests), approximated as 20 per second per connection
        control_per_connection=(20, 1.0),
    )
    arbitration: ClassVar[Mapping[Channel, Mode]] = {
        "book": "contiguous", "trades": "contiguous", "bbo": "monotonic", "funding": "monotonic",
    }
    channels: ClassVar[tuple[Channel, ...]] = ("book", "trades", "bbo", "funding")
    notes: ClassVar[Mapping[Channel, str]] = {
        "bbo": "quote timestamp: newest wins",
        "funding": "ticker timestamp: newest wins; perpetual funding accrues continuously (no next time)",
    }
    heartbeat_s: ClassVar[int] = 30

    def __init__(self, instruments: Sequence[Any]) -> None:
        super().__init__(instruments)
        self._id = count(1)

    def _rpc(self, method: str, params: dict[str, Any]) -> str:
        return msgspec.json.encode({"jsonrpc": "2.0", "id": next(self._id), "method": method, "params": params}).decode()

    def _channels(self, symbol: str, channels: Sequence[Channel]) -> list[str]:
        names = {"book": f"book.{symbol}.100ms", "trades": f"trades.{symbol}.100ms", "bbo": f"quote.{symbol}",
                 "funding": f"ticker.{symbol}.100ms"}
        return [names[c] for c in channels if c in names]

    def subscribe_messages(self, symbols: Sequence[str], channels: Sequence[Channel]) -> list[str]:
        chans = [c for s in symbols for c in self._channels(s, channels)]
        return [self._rpc("public/set_heartbeat", {"interval": self.heartbeat_s}),
                self._rpc("public/subscribe", {"channels": chans})]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        ch = [f"book.{symbol}.100ms"]
        return [self._rpc("public/unsubscribe", {"channels": ch}), self._rpc("public/subscribe", {"channels": ch})]

    def replies(self, raw: str | bytes) -> list[str]:
        if b"test_request" in (raw if isinstance(raw, bytes) else raw.encode()):
            return [self._rpc("public/test", {})]
        return []

    def decode(self, raw: str | bytes, recv_ns: int) -> list[WireEvent]:
        msg = _decoder.decode(raw)
        p = msg.params
        if msg.method != "subscription" or p is None or p.data is None:
            return []
        kind = p.channel.split(".", 1)[0]
        if isinstance(p.data, list):
            out: list[WireEvent] = []
            for t in p.data:
                inst = self.instruments.get(t.instrument_name)
                if inst is not None:
                    out.append(Trade(self.name, inst.symbol, t.trade_seq, t.trade_seq - 1, t.timestamp * _MS, recv_ns,
                                     inst.price.decimal_to_int(t.price), inst.qty.decimal_to_int(t.amount),
                                     BUY if t.direction == "buy" else SELL, t.trade_id))
            return out
        d = p.data
        inst = self.instruments.get(d.instrument_name)
        if inst is None:
            return []
        pf, qf = inst.price.decimal_to_int, inst.qty.decimal_to_int
        ts = d.timestamp * _MS
        if kind == "book":
            # ["new" | "change" | "delete", price, amount]: a delete removes the level (quantity 0)
            bids = book_levels(inst, [(x[1], _ZERO if x[0] == "delete" else x[2]) for x in d.bids], exact_json=True)
            asks = book_levels(inst, [(x[1], _ZERO if x[0] == "delete" else x[2]) for x in d.asks], exact_json=True)
            if d.type == "snapshot":
                return [BookSnapshot(self.name, inst.symbol, d.change_id, ts, recv_ns, bids, asks)]
            return [BookDelta(self.name, inst.symbol, d.change_id, d.prev_change_id, ts, recv_ns, bids, asks,
                              d.change_id)]
        if kind == "quote" and d.best_bid_price is not None and d.best_ask_price is not None:
            return [BBO(self.name, inst.symbol, d.timestamp, NO_SEQ, ts, recv_ns, pf(d.best_bid_price),
                        qf(d.best_bid_amount), pf(d.best_ask_price), qf(d.best_ask_amount))]
        if kind == "ticker" and d.mark_price is not None:
            return [Funding(self.name, inst.symbol, d.timestamp, NO_SEQ, ts, recv_ns, pf(d.mark_price),
                            pf(d.index_price or d.mark_price), int(d.current_funding.scaleb(9).to_integral_value()), 0)]
        return []


# ---------------------------------------------------------------------- simulator side


_numbers = msgspec.json.Encoder(decimal_format="number")  # Deribit sends JSON numbers: written exactly


class DeribitPublisher(VenuePublisher):
    name: ClassVar[str] = "deribit"

    def _topic(self, ch: str) -> tuple[str, str] | None:
        parts = ch.split(".")
        kinds = {"book": "book", "trades": "trades", "quote": "bbo", "ticker": "funding"}
        if len(parts) >= 2 and parts[0] in kinds:
            return (kinds[parts[0]], parts[1])
        return None

    def on_client(self, raw: str) -> tuple[list[tuple[str, str]], list[str]]:
        msg = msgspec.json.decode(raw)
        method = msg.get("method") if isinstance(msg, dict) else None
        rid = msg.get("id") if isinstance(msg, dict) else None
        chans = msg.get("params", {}).get("channels", []) if isinstance(msg, dict) else []
        reply = {"jsonrpc": "2.0", "id": rid, "result": chans if "subscribe" in str(method) else "ok"}
        if method == "public/subscribe":
            topics = [t for t in (self._topic(c) for c in chans) if t and t[1] in self.instruments]
            return topics, [msgspec.json.encode(reply).decode()]
        if method in ("public/unsubscribe", "public/set_heartbeat", "public/test"):
            return [], [msgspec.json.encode(reply).decode()]
        return [], [msgspec.json.encode({"jsonrpc": "2.0", "id": rid,
                                         "error": {"code": -32601, "message": "Method not found"}}).decode()]

    def unsubscribed(self, raw: str) -> list[tuple[str, str]]:
        msg = msgspec.json.decode(raw)
        if isinstance(msg, dict) and msg.get("method") == "public/unsubscribe":
            return [t for t in (self._topic(c) for c in msg.get("params", {}).get("channels", [])) if t]
        return []

    def _note(self, channel: str, data: Any) -> str:
        return _numbers.encode({"jsonrpc": "2.0", "method": "subscription",
                                "params": {"channel": channel, "data": data}}).decode()

    def _lv(self, symbol: str, levels: Sequence[Level], snapshot: bool) -> list[list[Any]]:
        inst = self.instruments[symbol]
        return [["new" if snapshot else ("delete" if q == 0 else "change"), inst.price.to_decimal(p),
                 inst.qty.to_decimal(q)] for p, q in levels]

    def snapshot_message(self, symbol: str, book: OrderBook, seq: int, ts_ns: int, checksum: int) -> str | None:
        return self._note(f"book.{symbol}.100ms", {
            "type": "snapshot", "timestamp": ts_ns // _MS, "instrument_name": symbol, "change_id": seq,
            "bids": self._lv(symbol, book.top_bids(10_000), True), "asks": self._lv(symbol, book.top_asks(10_000), True)})

    def delta_message(self, symbol, seq, prev, ts_ns, bids, asks, checksum, first) -> str:  # type: ignore[no-untyped-def]
        return self._note(f"book.{symbol}.100ms", {
            "type": "change", "timestamp": ts_ns // _MS, "instrument_name": symbol, "prev_change_id": prev,
            "change_id": seq, "bids": self._lv(symbol, bids, False), "asks": self._lv(symbol, asks, False)})

    def trade_message(self, symbol, trade_id, ts_ns, price, qty, side) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return self._note(f"trades.{symbol}.100ms", [{
            "trade_seq": trade_id, "trade_id": str(trade_id + 48_000_000), "timestamp": ts_ns // _MS,
            "tick_direction": 0, "price": inst.price.to_decimal(price), "instrument_name": symbol,
            "direction": "buy" if side == BUY else "sell", "amount": inst.qty.to_decimal(qty)}])

    def bbo_message(self, symbol, seq, ts_ns, bid, ask) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return self._note(f"quote.{symbol}", {
            "timestamp": ts_ns // _MS + seq, "instrument_name": symbol,
            "best_bid_price": inst.price.to_decimal(bid[0]), "best_bid_amount": inst.qty.to_decimal(bid[1]),
            "best_ask_price": inst.price.to_decimal(ask[0]), "best_ask_amount": inst.qty.to_decimal(ask[1])})

    def funding_message(self, symbol, seq, ts_ns, mark, rate_e9) -> str | None:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        m = inst.price.to_decimal(mark)
        return self._note(f"ticker.{symbol}.100ms", {
            "timestamp": ts_ns // _MS + seq, "instrument_name": symbol, "mark_price": m, "index_price": m,
            "current_funding": Decimal(rate_e9).scaleb(-9), "funding_8h": Decimal(rate_e9).scaleb(-9)})

    def heartbeat_message(self, symbol: str, ts_ns: int) -> str | None:
        return '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}'


ADAPTERS = (Deribit,)
PUBLISHERS = (DeribitPublisher,)
