"""Bybit v5 public WebSocket: orderbook.{depth} (snapshot/delta, update id ``u``), publicTrade,
orderbook.1 (BBO) and tickers (funding, linear only).

Rules from the v5 docs: ``{"op": "subscribe", "args": ["orderbook.50.BTCUSDT"]}`` (spot: at
most 10 args per request); after subscribing a snapshot arrives, then deltas (size "0"
deletes a level); ``u`` is the book's update id and is continuous, so each delta follows
``u - 1``; a new snapshot resets the book, and ``u == 1`` is a snapshot after a service
restart. ``seq`` is the cross sequence (orders levels across depths; not continuous).
The client sends ``{"op": "ping"}`` every 20 s. 500 connections per 5 minutes per IP.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
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
from tradeplane.feeds.fixed import rate_e9
from tradeplane.feeds.venues.base import Channel, Limits, VenueAdapter, VenuePublisher, book_levels, chunks

_MS = 1_000_000


class _Data(msgspec.Struct, gc=False):
    s: str = ""
    b: list[tuple[str, str]] = []
    a: list[tuple[str, str]] = []
    u: int = NO_SEQ
    seq: int = NO_SEQ
    T: int = 0
    S: str = ""
    v: str = ""
    p: str = ""
    i: str = ""
    symbol: str = ""
    markPrice: str = ""
    indexPrice: str = ""
    fundingRate: str = ""
    nextFundingTime: str = ""


class _Msg(msgspec.Struct, gc=False):
    topic: str = ""
    type: str = ""
    ts: int = 0
    data: _Data | list[_Data] | None = None
    op: str = ""
    cs: int = NO_SEQ


_decoder = msgspec.json.Decoder(_Msg)


class Bybit(VenueAdapter):
    name: ClassVar[str] = "bybit"
    integrity: ClassVar[str] = 'u continuous; a new snapshot (or u = 1) resets'
    default_url: ClassVar[str] = "wss://stream.bybit.com/v5/public/spot"
    default_rest: ClassVar[str] = "https://api.bybit.com"
    limits: ClassVar[Limits] = Limits(
        connections=500, window_s=300.0, subscribe_per_s=10.0, streams_per_connection=10_000, ping_interval_s=20.0,
        # no published (un)subscribe rate for public v5 streams: a conservative 60 per minute per connection
        control_per_connection=(60, 60.0),
    )
    arbitration: ClassVar[Mapping[Channel, Mode]] = {
        "book": "contiguous", "trades": "keyed", "bbo": "monotonic", "funding": "monotonic",
    }
    snapshot_resets: ClassVar[bool] = True
    depth: ClassVar[int] = 50
    args_per_request: ClassVar[int] = 10
    notes: ClassVar[Mapping[Channel, str]] = {
        "trades": "trade id is a UUID: arbitrated by id; a lost trade cannot be detected",
        "bbo": "orderbook.1 u: newest wins",
    }

    def __init__(self, instruments: Sequence[Any]) -> None:
        super().__init__(instruments)
        self._req = count(1)
        self._top: dict[str, list[tuple[str, str]]] = {}
        self._tick: dict[str, _Data] = {}

    def _topics(self, symbol: str, channels: Sequence[Channel]) -> list[str]:
        names = {"book": f"orderbook.{self.depth}.{symbol}", "trades": f"publicTrade.{symbol}",
                 "bbo": f"orderbook.1.{symbol}", "funding": f"tickers.{symbol}"}
        return [names[c] for c in channels if c in names and c in self.channels]

    def subscribe_messages(self, symbols: Sequence[str], channels: Sequence[Channel]) -> list[str]:
        args = [t for s in symbols for t in self._topics(s, channels)]
        return [msgspec.json.encode({"req_id": str(next(self._req)), "op": "subscribe", "args": list(part)}).decode()
                for part in chunks(args, self.args_per_request)]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        arg = [f"orderbook.{self.depth}.{symbol}"]
        return [msgspec.json.encode({"req_id": str(next(self._req)), "op": op, "args": arg}).decode()
                for op in ("unsubscribe", "subscribe")]

    def ping_message(self) -> str | None:
        return msgspec.json.encode({"req_id": str(next(self._req)), "op": "ping"}).decode()

    def key(self, event: WireEvent) -> Hashable:
        if isinstance(event, Trade):
            return event.trade_id
        return super().key(event)

    def decode(self, raw: str | bytes, recv_ns: int) -> list[WireEvent]:
        msg = _decoder.decode(raw)
        topic = msg.topic
        if not topic or msg.data is None:
            return []
        kind, _, rest = topic.partition(".")
        ts = msg.ts * _MS
        if kind == "publicTrade":
            out: list[WireEvent] = []
            for t in msg.data if isinstance(msg.data, list) else [msg.data]:
                inst = self.instruments.get(t.s)
                if inst is not None:
                    out.append(Trade(self.name, inst.symbol, t.seq, NO_SEQ, t.T * _MS, recv_ns, inst.price.to_int(t.p),
                                     inst.qty.to_int(t.v), BUY if t.S == "Buy" else SELL, t.i))
            return out
        d = msg.data
        assert not isinstance(d, list)
        if kind == "tickers":
            inst = self.instruments.get(d.symbol)
            if inst is None:
                return []
            cur = self._tick.get(inst.symbol)
            if msg.type == "snapshot" or cur is None:
                cur = self._tick[inst.symbol] = d
            else:
                for f in ("markPrice", "indexPrice", "fundingRate", "nextFundingTime"):
                    if getattr(d, f):
                        setattr(cur, f, getattr(d, f))
            if not cur.markPrice:
                return []
            return [Funding(self.name, inst.symbol, msg.cs if msg.cs != NO_SEQ else msg.ts, NO_SEQ, ts, recv_ns,
                            inst.price.to_int(cur.markPrice), inst.price.to_int(cur.indexPrice or cur.markPrice),
                            rate_e9(cur.fundingRate), int(cur.nextFundingTime or 0) * _MS)]
        inst = self.instruments.get(d.s)
        if inst is None or kind != "orderbook":
            return []
        pt, qt = inst.price.to_int, inst.qty.to_int
        if rest.startswith("1."):
            top = self._top.setdefault(inst.symbol, [("0", "0"), ("0", "0")])
            if d.b:
                top[0] = d.b[0]
            if d.a:
                top[1] = d.a[0]
            if top[0][1] in ("0", "") or top[1][1] in ("0", ""):
                return []
            return [BBO(self.name, inst.symbol, d.u, NO_SEQ, ts, recv_ns, pt(top[0][0]), qt(top[0][1]),
                        pt(top[1][0]), qt(top[1][1]))]
        bids, asks = book_levels(inst, d.b), book_levels(inst, d.a)
        if msg.type == "snapshot":
            return [BookSnapshot(self.name, inst.symbol, d.u, ts, recv_ns, bids, asks)]
        return [BookDelta(self.name, inst.symbol, d.u, d.u - 1, ts, recv_ns, bids, asks, d.u)]


class BybitLinear(Bybit):
    name: ClassVar[str] = "bybit-linear"
    default_url: ClassVar[str] = "wss://stream.bybit.com/v5/public/linear"
    channels: ClassVar[tuple[Channel, ...]] = ("book", "trades", "bbo", "funding")
    args_per_request: ClassVar[int] = 100
    notes: ClassVar[Mapping[Channel, str]] = {
        **Bybit.notes, "funding": "tickers (snapshot + delta merged): cross sequence cs, newest wins",
    }


# ---------------------------------------------------------------------- simulator side


class BybitPublisher(VenuePublisher):
    name: ClassVar[str] = "bybit"

    def _topic(self, arg: str) -> tuple[str, str] | None:
        parts = arg.split(".")
        if parts[0] == "orderbook" and len(parts) == 3:
            return ("bbo" if parts[1] == "1" else "book", parts[2])
        if parts[0] == "publicTrade":
            return ("trades", parts[1])
        if parts[0] == "tickers":
            return ("funding", parts[1])
        return None

    def on_client(self, raw: str) -> tuple[list[tuple[str, str]], list[str]]:
        msg = msgspec.json.decode(raw)
        op = msg.get("op") if isinstance(msg, dict) else None
        if op == "ping":
            return [], [msgspec.json.encode({"success": True, "ret_msg": "pong", "conn_id": "sim",
                                             "req_id": msg.get("req_id", ""), "op": "ping"}).decode()]
        if op not in ("subscribe", "unsubscribe"):
            return [], [msgspec.json.encode({"success": False, "ret_msg": "invalid op", "op": op}).decode()]
        reply = msgspec.json.encode({"success": True, "ret_msg": "", "conn_id": "sim",
                                     "req_id": msg.get("req_id", ""), "op": op}).decode()
        if op == "unsubscribe":
            return [], [reply]
        topics = [t for t in (self._topic(a) for a in msg.get("args", [])) if t and t[1] in self.instruments]
        return topics, [reply]

    def unsubscribed(self, raw: str) -> list[tuple[str, str]]:
        msg = msgspec.json.decode(raw)
        if isinstance(msg, dict) and msg.get("op") == "unsubscribe":
            return [t for t in (self._topic(a) for a in msg.get("args", [])) if t]
        return []

    def _lv(self, symbol: str, levels: Sequence[Level]) -> list[list[str]]:
        inst = self.instruments[symbol]
        return [[inst.price.to_text(p), inst.qty.to_text(q)] for p, q in levels]

    def _ob(self, depth: int, symbol: str, kind: str, ts_ns: int, bids: Sequence[Level], asks: Sequence[Level],
            u: int) -> str:
        return msgspec.json.encode({"topic": f"orderbook.{depth}.{symbol}", "type": kind, "ts": ts_ns // _MS, "data": {
            "s": symbol, "b": self._lv(symbol, bids), "a": self._lv(symbol, asks), "u": u, "seq": u * 7},
            "cts": ts_ns // _MS}).decode()

    def snapshot_message(self, symbol: str, book: OrderBook, seq: int, ts_ns: int, checksum: int) -> str | None:
        return self._ob(50, symbol, "snapshot", ts_ns, book.top_bids(50), book.top_asks(50), seq)

    def delta_message(self, symbol, seq, prev, ts_ns, bids, asks, checksum, first) -> str:  # type: ignore[no-untyped-def]
        return self._ob(50, symbol, "delta", ts_ns, bids, asks, seq)

    def trade_message(self, symbol, trade_id, ts_ns, price, qty, side) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return msgspec.json.encode({"topic": f"publicTrade.{symbol}", "type": "snapshot", "ts": ts_ns // _MS,
                                    "data": [{"T": ts_ns // _MS, "s": symbol, "S": "Buy" if side == BUY else "Sell",
                                              "v": inst.qty.to_text(qty), "p": inst.price.to_text(price),
                                              "L": "PlusTick", "i": f"sim-{trade_id}", "BT": False,
                                              "seq": trade_id}]}).decode()

    def bbo_message(self, symbol, seq, ts_ns, bid, ask) -> str:  # type: ignore[no-untyped-def]
        return self._ob(1, symbol, "snapshot", ts_ns, [bid], [ask], seq)

    def funding_message(self, symbol, seq, ts_ns, mark, rate_e9) -> str | None:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        ms = ts_ns // _MS
        return msgspec.json.encode({"topic": f"tickers.{symbol}", "type": "snapshot", "cs": seq, "ts": ms, "data": {
            "symbol": symbol, "markPrice": inst.price.to_text(mark), "indexPrice": inst.price.to_text(mark),
            "fundingRate": f"{rate_e9 / 1e9:.9f}", "nextFundingTime": str((ms // 28_800_000 + 1) * 28_800_000)}}).decode()


class BybitLinearPublisher(BybitPublisher):
    name: ClassVar[str] = "bybit-linear"


ADAPTERS = (Bybit, BybitLinear)
PUBLISHERS = (BybitPublisher, BybitLinearPublisher)
