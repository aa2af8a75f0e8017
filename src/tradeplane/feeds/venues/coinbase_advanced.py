"""Coinbase Advanced Trade market data: ``level2`` (``l2_data``), ``market_trades``, ``ticker``, ``heartbeats``.

Integrity, from the Advanced Trade WebSocket docs (docs.cdp.coinbase.com, "WebSocket Overview",
"WebSocket Channels", "Level 2 order book", "WebSocket Rate Limits", read 2026-11):

- Endpoint ``wss://advanced-trade-ws.coinbase.com``. A ``subscribe`` must arrive within 5 s of
  connecting, and names **one channel** per message (``{"type": "subscribe", "product_ids": [...],
  "channel": "level2"}``). Most channels, ``level2`` included, are public; a ``jwt`` may be added
  to any subscribe ("for the most reliable connection") and must be a fresh one per message
  (each expires after 2 minutes): see ``cdp_jwt``.
- Every message has an envelope ``{"channel", "client_id", "timestamp", "sequence_num", "events"}``.
  ``sequence_num`` counts the messages **of one connection** across all its channels, from 0: it
  cannot be compared across legs, but a hole in it means that connection lost messages. The
  gateway checks it per connection (``connection_sequence``); the book is only resynced once
  every live connection has had a hole since the book was last complete (``Stream.connection_gap``).
- ``level2`` answers a subscribe with ``l2_data`` event ``type: "snapshot"``, then ``"update"``
  events whose ``updates`` are ``{side: bid|offer, event_time, price_level, new_quantity}``;
  ``new_quantity`` is the level's new size (absolute, not a delta), ``"0"`` removes it. No book
  sequence and no checksum: legs are merged by key (the updates' event time and content; an
  update sets absolute sizes, so a copy is recognised exactly), and a resync is an unsubscribe +
  subscribe of ``level2`` for the product on one connection.
- ``market_trades``: ``trades`` of ``{trade_id, product_id, price, size, side, time}``; trade ids are
  strings and not documented as contiguous: keyed by id. ``side`` is read as the aggressor's.
- ``ticker``: best bid/ask with quantities, no sequence of its own: keyed by content (a repeat of the
  same top of book says nothing new).
- ``heartbeats``: one message a second with ``heartbeat_counter``; keeps quiet subscriptions open
  (most channels close after 60-90 s without updates) and, through ``sequence_num``, proves the
  connection has lost nothing while the market is quiet.
- Limits ("WebSocket Rate Limits", Coinbase App page): 8 connections per second per IP, 8
  unauthenticated messages per second per IP (the Coinbase Business page says 750 connections
  per second; the lower figure is used).

Prices and sizes stay decimal text until converted exactly to ticks and lots (no float).
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
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
    iso_to_ns,
    ns_to_iso,
    sided_book_levels,
)

_CHANNEL: dict[Channel, str] = {"book": "level2", "trades": "market_trades", "bbo": "ticker"}
_RECEIVED = {"l2_data": "book", "market_trades": "trades", "ticker": "bbo"}


class _Update(msgspec.Struct, gc=False):
    side: str
    price_level: str
    new_quantity: str
    event_time: str = ""


class _Trade(msgspec.Struct, gc=False):
    trade_id: str
    product_id: str
    price: str
    size: str
    side: str
    time: str = ""


class _Ticker(msgspec.Struct, gc=False):
    product_id: str
    best_bid: str = ""
    best_bid_quantity: str = ""
    best_ask: str = ""
    best_ask_quantity: str = ""
    price: str = ""


class _Event(msgspec.Struct, gc=False):
    type: str = ""
    product_id: str = ""
    updates: list[_Update] = []
    trades: list[_Trade] = []
    tickers: list[_Ticker] = []


class _Envelope(msgspec.Struct, gc=False):
    channel: str = ""
    timestamp: str = ""
    sequence_num: int = NO_SEQ
    events: list[_Event] = []
    type: str = ""  # "error" messages carry type and message, no events


_decoder = msgspec.json.Decoder(_Envelope)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cdp_jwt(key_name: str, private_key_pem: str, now_s: int | None = None, ttl_s: int = 120) -> str:
    """A JWT for one Advanced Trade WebSocket message, signed with a CDP API key (ECDSA P-256, ES256).

    Shape (Coinbase "WebSocket Authentication" and the CDP SDKs' ``generateJwt`` for websockets, which
    omit the ``uri``/``uris`` claim): header ``{"alg": "ES256", "kid": key_name, "nonce": 16 random
    bytes hex, "typ": "JWT"}``, claims ``{"iss": "cdp", "sub": key_name, "nbf": now, "exp": now + 120}``,
    signature the raw 64-byte ``r || s``. Each subscribe needs a fresh one (they expire after 2 min).
    Raises ``ValueError`` if the key is not an EC P-256 private key in PEM.
    """
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("a CDP API key for Advanced Trade must be an EC P-256 (ES256) private key in PEM")
    now = int(time.time()) if now_s is None else now_s
    header = {"alg": "ES256", "kid": key_name, "nonce": os.urandom(16).hex(), "typ": "JWT"}
    claims = {"iss": "cdp", "sub": key_name, "nbf": now, "exp": now + ttl_s}
    signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + _b64url(json.dumps(claims, separators=(",", ":")).encode()))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class CoinbaseAdvanced(VenueAdapter):
    name: ClassVar[str] = "coinbase-advanced"
    default_url: ClassVar[str] = "wss://advanced-trade-ws.coinbase.com"
    default_rest: ClassVar[str] = "https://api.coinbase.com"
    limits: ClassVar[Limits] = Limits(
        connections=8, window_s=1.0, subscribe_per_s=4.0, streams_per_connection=10_000,
        # "8 per second per IP" for connections and for unauthenticated messages; legs share the IP
        control_per_ip=(8, 1.0),
    )
    arbitration: ClassVar[Mapping[Channel, Mode]] = {"book": "keyed", "trades": "keyed", "bbo": "keyed"}
    notes: ClassVar[Mapping[Channel, str]] = {
        "book": "level2: no book sequence; sequence_num per connection proves a leg complete; keyed by time + content",
        "trades": "market_trades: trade_id keyed (not documented contiguous)",
        "bbo": "ticker: keyed by content",
    }
    integrity: ClassVar[str] = (
        "sequence_num contiguous per connection (resync once every live connection has a hole); "
        "level2 keyed by event time + content, no checksum"
    )
    connection_sequence: ClassVar[bool] = True

    def __init__(self, instruments: Sequence[Any]) -> None:
        super().__init__(instruments)
        self.conn_seq = NO_SEQ
        # a fresh JWT per subscribe message, when the desk authenticates (None: public channels only)
        self.jwt: Callable[[], str] | None = None

    def _sub(self, kind: str, symbols: Sequence[str], channel: str) -> str:
        body: dict[str, Any] = {"type": kind, "product_ids": list(symbols), "channel": channel}
        if self.jwt is not None:
            body["jwt"] = self.jwt()
        return msgspec.json.encode(body).decode()

    def subscribe_messages(self, symbols: Sequence[str], channels: Sequence[Channel]) -> list[str]:
        # one channel per subscribe message (the docs); heartbeats first, so a quiet market keeps the socket
        chans = ["heartbeats"] + [_CHANNEL[c] for c in channels if c in _CHANNEL]
        return [self._sub("subscribe", symbols, c) for c in chans]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        return [self._sub("unsubscribe", [symbol], "level2"), self._sub("subscribe", [symbol], "level2")]

    def key(self, event: WireEvent) -> Hashable:
        if isinstance(event, Trade):
            return ("trade", event.trade_id)
        if isinstance(event, BBO):
            return ("bbo", event.bid_price, event.bid_qty, event.ask_price, event.ask_qty)
        return super().key(event)

    def decode(self, raw: str | bytes, recv_ns: int) -> list[WireEvent]:
        env = _decoder.decode(raw)
        self.conn_seq = env.sequence_num
        ch = env.channel
        out: list[WireEvent] = []
        if ch == "l2_data":
            for e in env.events:
                inst = self.instruments.get(e.product_id)
                if inst is None:
                    continue
                bids, asks = sided_book_levels(inst, [(u.side, u.price_level, u.new_quantity) for u in e.updates],
                                               "bid")
                ts = max((iso_to_ns(u.event_time) for u in e.updates if u.event_time), default=0)
                if e.type == "snapshot":
                    out.append(BookSnapshot(self.name, inst.symbol, NO_SEQ, ts, recv_ns, bids, asks))
                elif e.type == "update":
                    out.append(BookDelta(self.name, inst.symbol, NO_SEQ, NO_SEQ, ts, recv_ns, bids, asks))
        elif ch == "market_trades":
            for e in env.events:
                for t in e.trades:
                    inst = self.instruments.get(t.product_id)
                    if inst is None:
                        continue
                    tid = int(t.trade_id) if t.trade_id.isdigit() else NO_SEQ
                    out.append(Trade(self.name, inst.symbol, tid, NO_SEQ, iso_to_ns(t.time) if t.time else 0, recv_ns,
                                     inst.price.to_int(t.price), inst.qty.to_int(t.size),
                                     BUY if t.side.upper() == "BUY" else SELL, t.trade_id))
        elif ch == "ticker":
            ts = iso_to_ns(env.timestamp) if env.timestamp else 0
            for e in env.events:
                for k in e.tickers:
                    inst = self.instruments.get(k.product_id)
                    if inst is None or not (k.best_bid and k.best_ask):
                        continue
                    pt, qt = inst.price.to_int, inst.qty.to_int
                    out.append(BBO(self.name, inst.symbol, NO_SEQ, NO_SEQ, ts, recv_ns, pt(k.best_bid),
                                   qt(k.best_bid_quantity), pt(k.best_ask), qt(k.best_ask_quantity)))
        elif ch == "heartbeats":
            out.extend(Heartbeat(self.name, sym, recv_ns) for sym in self.instruments)
        return out


# ---------------------------------------------------------------------- simulator side


class CoinbaseAdvancedPublisher(VenuePublisher):
    """Advanced Trade as our local server speaks it: the same envelopes, one ``sequence_num`` count per
    connection (stamped as each message is queued, see ``stamp``)."""

    name: ClassVar[str] = "coinbase-advanced"
    stamps_connection: ClassVar[bool] = True
    _MARK: ClassVar[str] = '"sequence_num":0,'

    def __init__(self, instruments: Sequence[Any]) -> None:
        super().__init__(instruments)
        self._hb = 0

    def stamp(self, message: str, n: int) -> tuple[str, bool]:
        at = message.find(self._MARK, 0, 120)
        if at < 0:
            return message, False
        return f'{message[:at]}"sequence_num":{n},{message[at + len(self._MARK):]}', True

    def _env(self, channel: str, ts_ns: int, events: list[dict[str, Any]]) -> str:
        return msgspec.json.encode({"channel": channel, "client_id": "", "timestamp": ns_to_iso(ts_ns, 9),
                                    "sequence_num": 0, "events": events}).decode()

    def on_client(self, raw: str) -> tuple[list[tuple[str, str]], list[str]]:
        msg = msgspec.json.decode(raw)
        if not isinstance(msg, dict) or msg.get("type") not in ("subscribe", "unsubscribe") \
                or not isinstance(msg.get("channel"), str):
            return [], [msgspec.json.encode({"type": "error", "message": "Failure to subscribe"}).decode()]
        back = {v: k for k, v in _CHANNEL.items()}
        products = [p for p in msg.get("product_ids", []) if p in self.instruments]
        ch = msg["channel"]
        reply = self._env("subscriptions", time.time_ns(), [{"subscriptions": {ch: products}}])
        if msg["type"] == "unsubscribe" or ch not in back:
            return [], [reply]
        return [(back[ch], p) for p in products], [reply]

    def unsubscribed(self, raw: str) -> list[tuple[str, str]]:
        msg = msgspec.json.decode(raw)
        if isinstance(msg, dict) and msg.get("type") == "unsubscribe" and msg.get("channel") == "level2":
            return [("book", p) for p in msg.get("product_ids", [])]
        return []

    def _updates(self, symbol: str, ts_ns: int, bids: Sequence[Level], asks: Sequence[Level]) -> list[dict[str, str]]:
        inst = self.instruments[symbol]
        t = ns_to_iso(ts_ns, 9)
        return ([{"side": "bid", "event_time": t, "price_level": inst.price.to_text(p), "new_quantity": inst.qty.to_text(q)}
                 for p, q in bids]
                + [{"side": "offer", "event_time": t, "price_level": inst.price.to_text(p),
                    "new_quantity": inst.qty.to_text(q)} for p, q in asks])

    def snapshot_message(self, symbol: str, book: OrderBook, seq: int, ts_ns: int, checksum: int) -> str | None:
        ups = self._updates(symbol, ts_ns, book.top_bids(10_000), book.top_asks(10_000))
        return self._env("l2_data", ts_ns, [{"type": "snapshot", "product_id": symbol, "updates": ups}])

    def delta_message(self, symbol, seq, prev, ts_ns, bids, asks, checksum, first) -> str:  # type: ignore[no-untyped-def]
        ups = self._updates(symbol, ts_ns + seq % 1000, bids, asks)
        return self._env("l2_data", ts_ns, [{"type": "update", "product_id": symbol, "updates": ups}])

    def trade_message(self, symbol, trade_id, ts_ns, price, qty, side) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return self._env("market_trades", ts_ns, [{"type": "update", "trades": [{
            "trade_id": str(trade_id), "product_id": symbol, "price": inst.price.to_text(price),
            "size": inst.qty.to_text(qty), "side": "BUY" if side == BUY else "SELL", "time": ns_to_iso(ts_ns)}]}])

    def bbo_message(self, symbol, seq, ts_ns, bid, ask) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return self._env("ticker", ts_ns, [{"type": "update", "tickers": [{
            "type": "ticker", "product_id": symbol, "price": inst.price.to_text(bid[0]),
            "best_bid": inst.price.to_text(bid[0]), "best_bid_quantity": inst.qty.to_text(bid[1]),
            "best_ask": inst.price.to_text(ask[0]), "best_ask_quantity": inst.qty.to_text(ask[1])}]}])

    def heartbeat_message(self, symbol: str, ts_ns: int) -> str | None:
        self._hb += 1
        return self._env("heartbeats", ts_ns, [{"current_time": ns_to_iso(ts_ns, 9), "heartbeat_counter": str(self._hb)}])


ADAPTERS = (CoinbaseAdvanced,)
PUBLISHERS = (CoinbaseAdvancedPublisher,)
