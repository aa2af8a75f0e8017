"""Binance spot and USD-M futures market streams.

Follows "How to manage a local order book correctly" (spot and USD-M):
open the diff-depth stream, buffer, GET the REST depth snapshot, then
- spot: drop events with ``u <= lastUpdateId``; the first applied has
  ``U <= lastUpdateId + 1 <= u``; each next ``U`` is the previous ``u + 1``.
- USD-M: drop events with ``u < lastUpdateId``; the first applied has
  ``U <= lastUpdateId <= u``; each next ``pu`` equals the previous ``u``.
Anything else: fetch the snapshot again. A connection is cut after 24 hours, so the
gateway rotates it before then (a second connection overlaps; the arbiter drops the copies).
The server pings every 20 s (spot) / 3 min (futures); the websockets library answers pongs.
Combined streams (``/stream?streams=``) wrap each payload as ``{"stream": ..., "data": ...}``.
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
    Funding,
    Level,
    ParsedDelta,
    Trade,
    WireEvent,
)
from tradeplane.feeds.fixed import rate_e9
from tradeplane.feeds.ticks import TextLevels, TickCache
from tradeplane.feeds.venues.base import (
    Channel,
    Fit,
    Limits,
    TextDelta,
    VenueAdapter,
    VenuePublisher,
    book_levels,
    chunks,
)

_MS = 1_000_000

PairList = list[tuple[str, str]]


class _Data(msgspec.Struct, gc=False):
    """Every payload kind in one struct. Every price and quantity stays the venue's decimal text
    and converts exactly (no float anywhere); depth levels go through a bounded cache, and only
    for the copy the arbiter keeps."""

    e: str = ""
    E: int = 0
    T: int = 0
    s: str = ""
    U: int = NO_SEQ
    u: int = NO_SEQ
    pu: int = NO_SEQ
    b: TextLevels | str = ""  # bids (depth) or best bid (bookTicker)
    a: TextLevels | str | int = ""  # asks (depth), best ask (bookTicker), aggregate trade id (aggTrade)
    B: str = ""
    A: str = ""
    t: int = NO_SEQ  # trade id
    p: str = ""
    q: str = ""
    m: bool = False
    i: str = ""  # index price (markPriceUpdate)
    r: str = ""  # funding rate


class _Env(msgspec.Struct, gc=False):
    stream: str = ""
    data: _Data | None = None
    id: int | None = None


class _Snapshot(msgspec.Struct, gc=False):
    lastUpdateId: int
    bids: PairList
    asks: PairList
    E: int = 0


class _PeekData(msgspec.Struct, gc=False):
    """Only what arbitration needs of a depth update; everything else is skipped unparsed."""

    e: str = ""
    E: int = 0
    s: str = ""
    u: int = NO_SEQ


class _PeekEnv(msgspec.Struct, gc=False):
    data: _PeekData | None = None


class _Depth(msgspec.Struct, gc=False):
    """A diff-depth payload alone: exact types, no unions (about 40% cheaper to decode than ``_Data``)."""

    e: str = ""
    E: int = 0
    s: str = ""
    U: int = NO_SEQ
    u: int = NO_SEQ
    pu: int = NO_SEQ
    b: TextLevels = []
    a: TextLevels = []


class _DepthEnv(msgspec.Struct, gc=False):
    data: _Depth | None = None


_env_decoder = msgspec.json.Decoder(_Env, strict=False)
_depth_decoder = msgspec.json.Decoder(_DepthEnv, strict=False)
# a combined-stream diff-depth message names its kind within its first bytes:
# {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate",...
_DEPTH_TAG = b'"e":"depthUpdate"'
_TAG_WITHIN = 192
_peek_decoder = msgspec.json.Decoder(_PeekEnv)
_snap_decoder = msgspec.json.Decoder(_Snapshot)


class BinanceSpot(VenueAdapter):
    name: ClassVar[str] = "binance"
    integrity: ClassVar[str] = 'U/u continuity (first: U <= lastUpdateId+1 <= u, then U = previous u + 1); REST snapshot /api/v3/depth'
    default_url: ClassVar[str] = "wss://stream.binance.com:9443/stream"
    default_rest: ClassVar[str] = "https://api.binance.com"
    # 5 incoming messages/s per connection, 1024 streams per connection,
    # 300 connections per 5 minutes per IP, 24 h connection lifetime.
    limits: ClassVar[Limits] = Limits(
        connections=300, window_s=300.0, subscribe_per_s=5.0, streams_per_connection=1024,
        max_connection_age_s=24 * 3600.0,
        # REST: 6000 request weight per minute per IP; GET /api/v3/depth limit=5000 weighs 250
        rest_weight_per_ip=(6000, 60.0), snapshot_weight=250,
    )
    book_sync: ClassVar = "rest"
    arbitration: ClassVar[Mapping[Channel, Mode]] = {
        "book": "contiguous", "trades": "contiguous", "bbo": "monotonic", "funding": "monotonic",
    }
    notes: ClassVar[Mapping[Channel, str]] = {
        "bbo": "bookTicker: newest order-book update id wins; a lost tick cannot be detected",
    }
    futures: ClassVar[bool] = False
    depth_path: ClassVar[str] = "/api/v3/depth"
    depth_limit: ClassVar[int] = 5000
    depth_stream: ClassVar[str] = "depth@100ms"
    trade_stream: ClassVar[str] = "trade"

    def __init__(self, instruments: Sequence[Any]) -> None:
        super().__init__(instruments)
        self._by_upper = {s.upper(): i for s, i in self.instruments.items()}
        # per instrument: bounded exact text -> ticks / lots maps for depth levels
        self._ticks = {s.upper(): (i, TickCache(i.price), TickCache(i.qty)) for s, i in self.instruments.items()}
        self._sub_id = 0

    def tick_caches(self, symbol: str) -> tuple[TickCache, TickCache]:
        _i, pc, qc = self._ticks[symbol.upper()]
        return pc, qc

    def _streams(self, symbol: str, channels: Sequence[Channel]) -> list[str]:
        s = symbol.lower()
        out = []
        for ch in channels:
            if ch == "book":
                out.append(f"{s}@{self.depth_stream}")
            elif ch == "trades":
                out.append(f"{s}@{self.trade_stream}")
            elif ch == "bbo":
                out.append(f"{s}@bookTicker")
            elif ch == "funding" and self.futures:
                out.append(f"{s}@markPrice@1s")
        return out

    def subscribe_messages(self, symbols: Sequence[str], channels: Sequence[Channel]) -> list[str]:
        streams = [st for sym in symbols for st in self._streams(sym, channels)]
        msgs = []
        for part in chunks(streams, 200):
            self._sub_id += 1
            msgs.append(msgspec.json.encode({"method": "SUBSCRIBE", "params": list(part), "id": self._sub_id}).decode())
        return msgs

    def snapshot_url(self, rest_base: str, symbol: str) -> str:
        return f"{rest_base.rstrip('/')}{self.depth_path}?symbol={symbol.upper()}&limit={self.depth_limit}"

    def parse_snapshot(self, body: bytes, symbol: str, recv_ns: int) -> BookSnapshot:
        snap = _snap_decoder.decode(body)
        inst = self.instruments[symbol]
        return BookSnapshot(self.name, symbol, snap.lastUpdateId, snap.E * _MS, recv_ns, book_levels(inst, snap.bids),
                            book_levels(inst, snap.asks))

    def first_fit(self, snapshot_seq: int, delta: BookDelta) -> Fit:
        if delta.seq <= snapshot_seq:
            return "drop"
        if delta.first_seq <= snapshot_seq + 1 <= delta.seq:
            return "apply"
        return "refetch"

    def peek_book(self, raw: str | bytes) -> tuple[str, int, int] | None:
        # a real JSON parse that skips the levels without building them (about half a full decode)
        d = _peek_decoder.decode(raw).data
        if d is None or d.e != "depthUpdate":
            return None
        inst = self._by_upper.get(d.s)
        if inst is None:
            return None
        return inst.symbol, d.u, d.E * _MS

    def book_text(self, raw: bytes) -> TextDelta | None:
        """A diff-depth message as ``(symbol, u, previous position, U, E ns, bids, asks)``, levels as
        the venue's text (the gateway's hot path; see ``VenueAdapter.book_text``). None for anything
        else (found by the ``"e":"depthUpdate"`` tag near the start, so other kinds cost one
        bounded byte search) or a symbol not subscribed."""
        if raw.find(_DEPTH_TAG, 0, _TAG_WITHIN) < 0:
            return None
        d = _depth_decoder.decode(raw).data
        if d is None or d.e != "depthUpdate":
            return None
        got = self._ticks.get(d.s)
        if got is None:
            return None
        return got[0].symbol, d.u, d.pu if self.futures else d.U - 1, d.U, d.E * _MS, d.b, d.a

    def decode(self, raw: str | bytes, recv_ns: int) -> list[WireEvent]:
        text = self.book_text(raw if isinstance(raw, bytes) else raw.encode())
        if text is not None:
            sym, seq, prev, first, ts, tb, ta = text
            pc, qc = self.tick_caches(sym)
            return [ParsedDelta(self.name, sym, seq, prev, first, ts, recv_ns, tb, ta, pc, qc)]
        env = _env_decoder.decode(raw)
        d = env.data
        if d is None:
            return []
        if d.e == "depthUpdate":
            got = self._ticks.get(d.s)
            if got is None:
                return []
            di, pc, qc = got
            b, a = d.b, d.a
            assert isinstance(b, list) and isinstance(a, list)
            return [ParsedDelta(
                self.name, di.symbol, d.u, d.pu if self.futures else d.U - 1, d.U, d.E * _MS, recv_ns, b, a, pc, qc,
            )]
        inst = self._by_upper.get(d.s)
        if inst is None:
            return []
        e = d.e
        if e == "trade":
            return [Trade(
                self.name, inst.symbol, d.t, d.t - 1, d.T * _MS, recv_ns, inst.price.to_int(d.p),
                inst.qty.to_int(d.q), SELL if d.m else BUY, str(d.t),
            )]
        if e == "aggTrade":
            agg = d.a
            assert isinstance(agg, int)
            return [Trade(
                self.name, inst.symbol, agg, agg - 1, d.T * _MS, recv_ns, inst.price.to_int(d.p),
                inst.qty.to_int(d.q), SELL if d.m else BUY, str(agg),
            )]
        if e == "markPriceUpdate":
            rate = rate_e9(d.r)
            idx = inst.price.to_int(d.i) if d.i else 0
            return [Funding(
                self.name, inst.symbol, d.E, NO_SEQ, d.E * _MS, recv_ns, inst.price.to_int(d.p), idx, rate,
                d.T * _MS,
            )]
        if (e == "" or e == "bookTicker") and isinstance(d.b, str) and d.b:
            pt, qt = inst.price.to_int, inst.qty.to_int
            return [BBO(
                self.name, inst.symbol, d.u, NO_SEQ, (d.E or 0) * _MS, recv_ns,
                pt(d.b), qt(d.B), pt(d.a), qt(d.A),  # type: ignore[arg-type]
            )]
        return []


# USD-M market streams by endpoint (Binance change notice 2026-03-06; the legacy
# wss://fstream.binance.com/stream and /ws URLs were retired on 2026-04-23): order-book data
# (depth, bookTicker) from /public, market data (aggTrade, markPrice, kline, ticker) from /market.
USDM_ROUTES: dict[str, tuple[Channel, ...]] = {"public": ("book", "bbo"), "market": ("trades", "funding")}


class BinanceUsdm(BinanceSpot):
    name: ClassVar[str] = "binance-usdm"
    integrity: ClassVar[str] = 'pu = previous u (first: U <= lastUpdateId <= u); REST snapshot /fapi/v1/depth'
    default_url: ClassVar[str] = "wss://fstream.binance.com"  # + /public/stream or /market/stream per channel
    default_rest: ClassVar[str] = "https://fapi.binance.com"
    # 10 incoming messages/s per connection, 1024 streams per connection, 24 h lifetime.
    limits: ClassVar[Limits] = Limits(
        connections=300, window_s=300.0, subscribe_per_s=10.0, streams_per_connection=1024,
        max_connection_age_s=24 * 3600.0,
        # REST: 2400 request weight per minute per IP; GET /fapi/v1/depth limit=1000 weighs 20
        rest_weight_per_ip=(2400, 60.0), snapshot_weight=20,
    )
    channels: ClassVar[tuple[Channel, ...]] = ("book", "trades", "bbo", "funding")
    futures: ClassVar[bool] = True
    depth_path: ClassVar[str] = "/fapi/v1/depth"
    depth_limit: ClassVar[int] = 1000
    trade_stream: ClassVar[str] = "aggTrade"
    notes: ClassVar[Mapping[Channel, str]] = {
        "bbo": "bookTicker: newest order-book update id wins; a lost tick cannot be detected",
        "funding": "markPrice@1s: newest event time wins",
    }

    def routes(self, channels: Sequence[Channel]) -> dict[str, tuple[Channel, ...]]:
        out = {r: tuple(c for c in channels if c in chans) for r, chans in USDM_ROUTES.items()}
        return {r: chans for r, chans in out.items() if chans}

    def route_url(self, url: str, route: str) -> str:
        """``wss://fstream.binance.com`` (or a legacy ``.../stream``, ``.../ws``, or a route's own URL)
        -> ``wss://fstream.binance.com/<route>/stream`` (combined streams on that endpoint)."""
        base = url.rstrip("/")
        for tail in ("/stream", "/ws"):
            if base.endswith(tail):
                base = base[: -len(tail)]
        for r in USDM_ROUTES:
            if base.endswith(f"/{r}"):
                base = base[: -len(r) - 1]
        return f"{base}/{route}/stream"

    def first_fit(self, snapshot_seq: int, delta: BookDelta) -> Fit:
        if delta.seq < snapshot_seq:
            return "drop"
        if delta.first_seq <= snapshot_seq <= delta.seq:
            return "apply"
        return "refetch"


# ---------------------------------------------------------------------- simulator side


def _txt(inst: Any, levels: Sequence[Level]) -> list[list[str]]:
    return [[inst.price.to_text(p), inst.qty.to_text(q)] for p, q in levels]


class BinanceSpotPublisher(VenuePublisher):
    name: ClassVar[str] = "binance"
    rest_snapshot: ClassVar[bool] = True
    futures: ClassVar[bool] = False
    trade_stream: ClassVar[str] = "trade"

    def _topic(self, stream: str) -> tuple[str, str] | None:
        sym, _, kind = stream.partition("@")
        inst = next((i for s, i in self.instruments.items() if s.lower() == sym), None)
        if inst is None:
            return None
        kind = kind.split("@")[0]
        ch = {"depth": "book", "trade": "trades", "aggTrade": "trades", "bookTicker": "bbo", "markPrice": "funding"}
        return (ch[kind], inst.symbol) if kind in ch else None

    def on_client(self, raw: str) -> tuple[list[tuple[str, str]], list[str]]:
        msg = msgspec.json.decode(raw)
        if not isinstance(msg, dict) or msg.get("method") not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return [], [msgspec.json.encode({"error": {"code": 2, "msg": "Invalid request"}, "id": None}).decode()]
        topics = [t for t in (self._topic(s) for s in msg.get("params", [])) if t]
        reply = msgspec.json.encode({"result": None, "id": msg.get("id")}).decode()
        return (topics if msg["method"] == "SUBSCRIBE" else []), [reply]

    def unsubscribed(self, raw: str) -> list[tuple[str, str]]:
        msg = msgspec.json.decode(raw)
        if isinstance(msg, dict) and msg.get("method") == "UNSUBSCRIBE":
            return [t for t in (self._topic(s) for s in msg.get("params", [])) if t]
        return []

    def snapshot_message(self, symbol: str, book: OrderBook, seq: int, ts_ns: int, checksum: int) -> str | None:
        return None

    def _wrap(self, stream: str, data: dict[str, Any]) -> str:
        return msgspec.json.encode({"stream": stream, "data": data}).decode()

    def delta_message(self, symbol, seq, prev, ts_ns, bids, asks, checksum, first) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        data: dict[str, Any] = {"e": "depthUpdate", "E": ts_ns // _MS}
        if self.futures:
            data["T"] = ts_ns // _MS
        data.update({"s": symbol.upper(), "U": first, "u": seq})
        if self.futures:
            data["pu"] = prev
        data.update({"b": _txt(inst, bids), "a": _txt(inst, asks)})
        return self._wrap(f"{symbol.lower()}@depth@100ms" if not self.futures else f"{symbol.lower()}@depth", data)

    def trade_message(self, symbol, trade_id, ts_ns, price, qty, side) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        ms = ts_ns // _MS
        if self.futures:
            data = {"e": "aggTrade", "E": ms, "s": symbol.upper(), "a": trade_id, "p": inst.price.to_text(price),
                    "q": inst.qty.to_text(qty), "f": trade_id * 2, "l": trade_id * 2 + 1, "T": ms, "m": side == SELL}
            return self._wrap(f"{symbol.lower()}@aggTrade", data)
        data = {"e": "trade", "E": ms, "s": symbol.upper(), "t": trade_id, "p": inst.price.to_text(price),
                "q": inst.qty.to_text(qty), "T": ms, "m": side == SELL, "M": True}
        return self._wrap(f"{symbol.lower()}@trade", data)

    def bbo_message(self, symbol, seq, ts_ns, bid, ask) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        data: dict[str, Any] = {"u": seq, "s": symbol.upper(), "b": inst.price.to_text(bid[0]),
                                "B": inst.qty.to_text(bid[1]), "a": inst.price.to_text(ask[0]),
                                "A": inst.qty.to_text(ask[1])}
        if self.futures:
            data = {"e": "bookTicker", **data, "E": ts_ns // _MS, "T": ts_ns // _MS}
        return self._wrap(f"{symbol.lower()}@bookTicker", data)

    def rest_response(self, path, query, book, seq) -> bytes | None:  # type: ignore[no-untyped-def]
        want = "/fapi/v1/depth" if self.futures else "/api/v3/depth"
        if path != want:
            return None
        sym = query.get("symbol", "")
        inst = next((i for s, i in self.instruments.items() if s.upper() == sym), None)
        if inst is None:
            return msgspec.json.encode({"code": -1121, "msg": "Invalid symbol."})
        limit = int(query.get("limit", "100"))
        body: dict[str, Any] = {"lastUpdateId": seq}
        if self.futures:
            body["E"] = 0
            body["T"] = 0
        body["bids"] = _txt(inst, book.top_bids(limit))
        body["asks"] = _txt(inst, book.top_asks(limit))
        return msgspec.json.encode(body)

    def seq_step(self) -> int:
        return 3


class BinanceUsdmPublisher(BinanceSpotPublisher):
    name: ClassVar[str] = "binance-usdm"
    futures: ClassVar[bool] = True

    def channels_on(self, path: str) -> frozenset[str] | None:
        """As Binance serves USD-M since 2026-04-23: depth/bookTicker on /public, aggTrade/markPrice
        on /market; the retired legacy paths serve nothing (empty set: the handshake is refused)."""
        for route, chans in USDM_ROUTES.items():
            if path.startswith(f"/{route}/"):
                return frozenset(chans)
        return frozenset()

    def funding_message(self, symbol, seq, ts_ns, mark, rate_e9) -> str | None:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        ms = ts_ns // _MS
        rate = f"{rate_e9 / 1e9:.8f}"
        data = {"e": "markPriceUpdate", "E": ms, "s": symbol.upper(), "p": inst.price.to_text(mark),
                "i": inst.price.to_text(mark), "P": inst.price.to_text(mark), "r": rate,
                "T": (ms // 28_800_000 + 1) * 28_800_000}
        return self._wrap(f"{symbol.lower()}@markPrice@1s", data)


ADAPTERS = (BinanceSpot, BinanceUsdm)
PUBLISHERS = (BinanceSpotPublisher, BinanceUsdmPublisher)
