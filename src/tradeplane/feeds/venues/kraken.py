"""Kraken Spot WebSocket v2: book (snapshot + updates, CRC32 of the top 10), trade, ticker (BBO).

Rules from the v2 docs: ``{"method": "subscribe", "params": {"channel": "book", "symbol": [...],
"depth": 10}}``; apply every level of an update, drop levels with qty 0, then truncate the
book to the subscribed depth (levels that fall out of scope are not deleted on the wire);
the checksum is CRC32 over the top 10 asks (low to high) then the top 10 bids (high to low),
each level as price then qty formatted at the pair's precision with the "." removed and
leading zeros stripped, compared as an unsigned 32-bit integer. Kraken sends a heartbeat
each second on a subscribed connection; ``{"method": "ping"}`` is answered with a pong.
The book carries no sequence number: legs are arbitrated by the update's own timestamp
and content (an update sets absolute quantities, so a copy is recognised exactly), and
losses are caught by the checksum. Connection attempts: about 150 per rolling 10 minutes per IP.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import count
from typing import ClassVar

import msgspec

from tradeplane.feeds.arbiter import Mode
from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.events import (
    BBO,
    BUY,
    NO_CHECKSUM,
    NO_SEQ,
    SELL,
    BookDelta,
    BookSnapshot,
    Heartbeat,
    Level,
    Trade,
    WireEvent,
)
from tradeplane.feeds.fixed import Scale, format_scaled
from tradeplane.feeds.venues.base import (
    Channel,
    Limits,
    VenueAdapter,
    VenuePublisher,
    book_levels,
    iso_to_ns,
    ns_to_iso,
)

_CHANNEL: dict[Channel, str] = {"book": "book", "trades": "trade", "bbo": "ticker"}


_ZERO = Decimal(0)


class _Level(msgspec.Struct, gc=False):
    price: Decimal  # Kraken sends JSON numbers; msgspec keeps their exact text (no float)
    qty: Decimal


class _Data(msgspec.Struct, gc=False):
    symbol: str = ""
    bids: list[_Level] = []
    asks: list[_Level] = []
    checksum: int | None = None
    timestamp: str = ""
    side: str = ""
    price: Decimal = _ZERO
    qty: Decimal = _ZERO
    trade_id: int = NO_SEQ
    bid: Decimal = _ZERO
    bid_qty: Decimal = _ZERO
    ask: Decimal = _ZERO
    ask_qty: Decimal = _ZERO


class _Msg(msgspec.Struct, gc=False):
    channel: str = ""
    type: str = ""
    data: list[_Data] = []
    method: str = ""


_decoder = msgspec.json.Decoder(_Msg)


def _decimals(values: Iterable[Decimal]) -> int:
    """The most decimal places among numbers as sent (Kraken pads to the pair's precision)."""
    most = 0
    for v in values:
        exp = v.as_tuple().exponent
        if isinstance(exp, int) and -exp > most:
            most = -exp
    return most


def _text(scale: Scale, steps: int, decimals: int) -> str:
    """``steps`` of ``scale`` written with exactly ``decimals`` places (exact; no float)."""
    value = steps * scale.unit
    if decimals >= scale.decimals:
        return format_scaled(value * 10 ** (decimals - scale.decimals), decimals)
    return format(scale.to_decimal(steps).quantize(Decimal(1).scaleb(-decimals)), "f")


def kraken_level_text(price: str, qty: str) -> str:
    return price.replace(".", "").lstrip("0") + qty.replace(".", "").lstrip("0")


class Kraken(VenueAdapter):
    name: ClassVar[str] = "kraken"
    integrity: ClassVar[str] = 'CRC32 of top 10 on every update (no sequence)'
    default_url: ClassVar[str] = "wss://ws.kraken.com/v2"
    default_rest: ClassVar[str] = "https://api.kraken.com"
    limits: ClassVar[Limits] = Limits(
        connections=150, window_s=600.0, subscribe_per_s=5.0, streams_per_connection=10_000, ping_interval_s=None,
        # no published (un)subscribe limit for public v2: a conservative 60 per minute per connection
        control_per_connection=(60, 60.0),
    )
    book_depth: ClassVar[int | None] = 10
    arbitration: ClassVar[Mapping[Channel, Mode]] = {"book": "keyed", "trades": "keyed", "bbo": "keyed"}
    has_checksum: ClassVar[bool] = True
    notes: ClassVar[Mapping[Channel, str]] = {
        "book": "no sequence: arbitrated by update timestamp + content; losses caught by the CRC32 checksum",
        "trades": "trade_id: arbitrated by id (a copy one leg reorders is still delivered)",
        "bbo": "ticker has no sequence: arbitrated by content",
    }

    def __init__(self, instruments: Sequence) -> None:  # type: ignore[type-arg]
        super().__init__(instruments)
        self._req = count(1)
        self._precision: dict[str, tuple[int, int]] = {}  # symbol -> (price, qty) decimals as Kraken writes them

    def _sub(self, method: str, channel: str, symbols: Sequence[str]) -> str:
        params: dict[str, object] = {"channel": channel, "symbol": list(symbols)}
        if channel == "book":
            params["depth"] = self.book_depth
            params["snapshot"] = True
        elif channel == "ticker":
            params["event_trigger"] = "bbo"
        elif channel == "trade":
            params["snapshot"] = False
        return msgspec.json.encode({"method": method, "params": params, "req_id": next(self._req)}).decode()

    def subscribe_messages(self, symbols: Sequence[str], channels: Sequence[Channel]) -> list[str]:
        return [self._sub("subscribe", _CHANNEL[c], symbols) for c in channels if c in _CHANNEL]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        return [self._sub("unsubscribe", "book", [symbol]), self._sub("subscribe", "book", [symbol])]

    def checksum(self, book: OrderBook, symbol: str) -> int:
        """CRC32 over the levels as Kraken writes them: at the pair's precision, which is read off
        the wire (the decimals of the snapshot's own numbers), so the text is the exact text sent."""
        inst = self.instruments[symbol]
        pd, qd = self._precision.get(symbol, (inst.price.decimals, inst.qty.decimals))
        pt, qt = inst.price, inst.qty
        parts = [kraken_level_text(_text(pt, p, pd), _text(qt, q, qd)) for p, q in book.top_asks(10)]
        parts += [kraken_level_text(_text(pt, p, pd), _text(qt, q, qd)) for p, q in book.top_bids(10)]
        return zlib.crc32("".join(parts).encode())

    def key(self, event: WireEvent) -> Hashable:
        if isinstance(event, BBO):
            return (event.bid_price, event.bid_qty, event.ask_price, event.ask_qty, event.ts_exchange)
        return super().key(event)

    def decode(self, raw: str | bytes, recv_ns: int) -> list[WireEvent]:
        msg = _decoder.decode(raw)
        ch = msg.channel
        if ch == "heartbeat":
            return [Heartbeat(self.name, "", recv_ns)]
        if not ch or msg.method:
            return []
        out: list[WireEvent] = []
        for d in msg.data:
            inst = self.instruments.get(d.symbol)
            if inst is None:
                continue
            ts = iso_to_ns(d.timestamp) if d.timestamp else 0
            pf, qf = inst.price.decimal_to_int, inst.qty.decimal_to_int
            if ch == "book":
                bids = book_levels(inst, [(x.price, x.qty) for x in d.bids], exact_json=True)
                asks = book_levels(inst, [(x.price, x.qty) for x in d.asks], exact_json=True)
                cs = NO_CHECKSUM if d.checksum is None else d.checksum
                if msg.type == "snapshot" and (d.bids or d.asks):
                    self._precision[inst.symbol] = (_decimals(x.price for x in (*d.bids, *d.asks)),
                                                    _decimals(x.qty for x in (*d.bids, *d.asks)))
                if msg.type == "snapshot":
                    out.append(BookSnapshot(self.name, inst.symbol, NO_SEQ, ts, recv_ns, bids, asks, cs))
                else:
                    out.append(BookDelta(self.name, inst.symbol, NO_SEQ, NO_SEQ, ts, recv_ns, bids, asks, NO_SEQ, cs))
            elif ch == "trade":
                out.append(Trade(self.name, inst.symbol, d.trade_id, NO_SEQ, ts, recv_ns, pf(d.price), qf(d.qty),
                                 BUY if d.side == "buy" else SELL, str(d.trade_id)))
            elif ch == "ticker":
                out.append(BBO(self.name, inst.symbol, NO_SEQ, NO_SEQ, ts, recv_ns, pf(d.bid), qf(d.bid_qty),
                               pf(d.ask), qf(d.ask_qty)))
        return out


# ---------------------------------------------------------------------- simulator side


_numbers = msgspec.json.Encoder(decimal_format="number")  # Kraken sends JSON numbers: written exactly
_exact = msgspec.json.Decoder(float_hook=Decimal)


class KrakenPublisher(VenuePublisher):
    name: ClassVar[str] = "kraken"

    def on_client(self, raw: str) -> tuple[list[tuple[str, str]], list[str]]:
        msg = msgspec.json.decode(raw)
        if not isinstance(msg, dict):
            return [], []
        if msg.get("method") == "ping":
            return [], [msgspec.json.encode({"method": "pong", "req_id": msg.get("req_id")}).decode()]
        if msg.get("method") not in ("subscribe", "unsubscribe"):
            return [], [msgspec.json.encode({"error": "Method not found", "success": False}).decode()]
        p = msg.get("params", {})
        back = {v: k for k, v in _CHANNEL.items()}
        ch = back.get(p.get("channel", ""))
        syms = [s for s in p.get("symbol", []) if s in self.instruments]
        replies = [msgspec.json.encode({"method": msg["method"], "result": {"channel": p.get("channel"), "symbol": s},
                                        "success": True, "req_id": msg.get("req_id")}).decode() for s in syms]
        if ch is None or msg["method"] != "subscribe":
            return [], replies
        return [(ch, s) for s in syms], replies

    def unsubscribed(self, raw: str) -> list[tuple[str, str]]:
        msg = msgspec.json.decode(raw)
        if isinstance(msg, dict) and msg.get("method") == "unsubscribe":
            back = {v: k for k, v in _CHANNEL.items()}
            p = msg.get("params", {})
            ch = back.get(p.get("channel", ""))
            return [(ch, s) for s in p.get("symbol", [])] if ch else []
        return []

    def _lv(self, symbol: str, levels: Sequence[Level]) -> list[dict[str, Decimal]]:
        inst = self.instruments[symbol]
        return [{"price": inst.price.to_decimal(p), "qty": inst.qty.to_decimal(q)} for p, q in levels]

    def snapshot_message(self, symbol: str, book: OrderBook, seq: int, ts_ns: int, checksum: int) -> str | None:
        return _numbers.encode({"channel": "book", "type": "snapshot", "data": [{
            "symbol": symbol, "bids": self._lv(symbol, book.top_bids(10)), "asks": self._lv(symbol, book.top_asks(10)),
            "checksum": checksum, "timestamp": ns_to_iso(ts_ns)}]}).decode()

    def delta_message(self, symbol, seq, prev, ts_ns, bids, asks, checksum, first) -> str:  # type: ignore[no-untyped-def]
        return _numbers.encode({"channel": "book", "type": "update", "data": [{
            "symbol": symbol, "bids": self._lv(symbol, bids), "asks": self._lv(symbol, asks), "checksum": checksum,
            "timestamp": ns_to_iso(ts_ns + seq % 1000)}]}).decode()

    def trade_message(self, symbol, trade_id, ts_ns, price, qty, side) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return _numbers.encode({"channel": "trade", "type": "update", "data": [{
            "symbol": symbol, "side": "buy" if side == BUY else "sell", "price": inst.price.to_decimal(price),
            "qty": inst.qty.to_decimal(qty), "ord_type": "market", "trade_id": trade_id,
            "timestamp": ns_to_iso(ts_ns)}]}).decode()

    def bbo_message(self, symbol, seq, ts_ns, bid, ask) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return _numbers.encode({"channel": "ticker", "type": "update", "data": [{
            "symbol": symbol, "bid": inst.price.to_decimal(bid[0]), "bid_qty": inst.qty.to_decimal(bid[1]),
            "ask": inst.price.to_decimal(ask[0]), "ask_qty": inst.qty.to_decimal(ask[1]),
            "timestamp": ns_to_iso(ts_ns + seq % 1000)}]}).decode()

    def heartbeat_message(self, symbol: str, ts_ns: int) -> str | None:
        return '{"channel":"heartbeat"}'

    def corrupt_checksum(self, message: str) -> str:
        msg = _exact.decode(message)
        msg["data"][0]["checksum"] = (int(msg["data"][0]["checksum"]) ^ 0x5A5A) & 0xFFFFFFFF
        return _numbers.encode(msg).decode()


ADAPTERS = (Kraken,)
PUBLISHERS = (KrakenPublisher,)
