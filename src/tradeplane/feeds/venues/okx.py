"""OKX v5 public WebSocket: books (seqId/prevSeqId + CRC32 checksum), trades, bbo-tbt, funding-rate.

Rules from the v5 docs: subscribe with ``{"op": "subscribe", "args": [{"channel", "instId"}]}``;
the first ``books`` push is a snapshot (``prevSeqId`` -1), each update's ``prevSeqId`` equals
the previous push's ``seqId``; an update with no change repeats ``seqId == prevSeqId``
(keep-alive); ``seqId < prevSeqId`` after maintenance means the sequence was reset.
Checksum (retired: OKX announced on 2026-05-21 that from 2026-06-23 the ``checksum`` field of
``books``, ``books-l2-tbt`` and ``books50-l2-tbt`` stays in the push but is always 0, and
continuity is to be verified by ``seqId``/``prevSeqId`` only; a 0 is therefore read as "no
checksum"; a non-zero value, from an endpoint not yet changed, is still checked): the top 25 levels interleaved ``bid_px:bid_sz:ask_px:ask_sz:...`` (a side that
runs out just stops contributing), CRC32 as a signed 32-bit integer, over the price and
size strings as sent (OKX spells them without trailing zeros). The client sends "ping"
when it has had nothing for under 30 s; the server closes idle connections after 30 s.
Connection limit: 3 requests per second per IP; 480 (un)subscribe requests per hour per connection.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
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
    Funding,
    Heartbeat,
    Level,
    Trade,
    WireEvent,
)
from tradeplane.feeds.fixed import rate_e9
from tradeplane.feeds.venues.base import Channel, Limits, VenueAdapter, VenuePublisher, book_levels

_MS = 1_000_000
_CHANNEL: dict[Channel, str] = {"book": "books", "trades": "trades", "bbo": "bbo-tbt", "funding": "funding-rate"}


class _Arg(msgspec.Struct, gc=False):
    channel: str = ""
    instId: str = ""


class _Data(msgspec.Struct, gc=False):
    instId: str = ""
    asks: list[list[str]] = []
    bids: list[list[str]] = []
    ts: str = "0"
    checksum: int | None = None
    prevSeqId: int = NO_SEQ
    seqId: int = NO_SEQ
    tradeId: str = ""
    px: str = ""
    sz: str = ""
    side: str = ""
    fundingRate: str = ""
    nextFundingTime: str = "0"


class _Msg(msgspec.Struct, gc=False):
    arg: _Arg | None = None
    action: str = ""
    data: list[_Data] = []
    event: str = ""


_decoder = msgspec.json.Decoder(_Msg)


def okx_checksum_text(bids: Sequence[tuple[str, str]], asks: Sequence[tuple[str, str]]) -> str:
    parts: list[str] = []
    for i in range(max(len(bids), len(asks))):
        if i < len(bids):
            parts += bids[i]
        if i < len(asks):
            parts += asks[i]
    return ":".join(parts)


def signed_crc32(text: str) -> int:
    c = zlib.crc32(text.encode())
    return c - (1 << 32) if c >= 1 << 31 else c


class Okx(VenueAdapter):
    name: ClassVar[str] = "okx"
    integrity: ClassVar[str] = 'prevSeqId = previous seqId (seqId < prevSeqId: reset); CRC32 of top 25 retired 2026-06-23 (0 = none)'
    default_url: ClassVar[str] = "wss://ws.okx.com:8443/ws/v5/public"
    default_rest: ClassVar[str] = "https://www.okx.com"
    limits: ClassVar[Limits] = Limits(
        connections=3, window_s=1.0, subscribe_per_s=50.0, streams_per_connection=10_000,  # one batched subscribe
        ping_interval_s=25.0,
        # "480 subscribe/unsubscribe/login requests per hour per connection" (v5 docs, WebSocket limits)
        control_per_connection=(480, 3600.0),
    )
    arbitration: ClassVar[Mapping[Channel, Mode]] = {
        "book": "contiguous", "trades": "keyed", "bbo": "monotonic", "funding": "monotonic",
    }
    channels: ClassVar[tuple[Channel, ...]] = ("book", "trades", "bbo", "funding")
    has_checksum: ClassVar[bool] = True
    notes: ClassVar[Mapping[Channel, str]] = {
        "trades": "tradeId increases but is not contiguous: arbitrated by id (a copy one leg reorders is still "
                  "delivered); a trade lost on every leg cannot be detected",
        "bbo": "bbo-tbt seqId: newest wins",
        "funding": "funding-rate ts: newest wins; the channel carries no mark price (0)",
    }

    def subscribe_messages(self, symbols: Sequence[str], channels: Sequence[Channel]) -> list[str]:
        args = [{"channel": _CHANNEL[c], "instId": s} for s in symbols for c in channels if c in _CHANNEL]
        return [msgspec.json.encode({"op": "subscribe", "args": args}).decode()]

    def resubscribe_messages(self, symbol: str) -> list[str]:
        arg = [{"channel": "books", "instId": symbol}]
        return [msgspec.json.encode({"op": op, "args": arg}).decode() for op in ("unsubscribe", "subscribe")]

    def ping_message(self) -> str | None:
        return "ping"

    def checksum(self, book: OrderBook, symbol: str) -> int:
        inst = self.instruments[symbol]
        pt, qt = inst.price.to_text, inst.qty.to_text
        bids = [(pt(p, strip=True), qt(q, strip=True)) for p, q in book.top_bids(25)]
        asks = [(pt(p, strip=True), qt(q, strip=True)) for p, q in book.top_asks(25)]
        return signed_crc32(okx_checksum_text(bids, asks))

    def decode(self, raw: str | bytes, recv_ns: int) -> list[WireEvent]:
        if raw == "pong" or raw == b"pong":
            return []
        msg = _decoder.decode(raw)
        arg = msg.arg
        if arg is None or msg.event:
            return []
        ch = arg.channel
        out: list[WireEvent] = []
        for d in msg.data:
            inst = self.instruments.get(d.instId or arg.instId)
            if inst is None:
                continue
            sym = inst.symbol
            ts = int(d.ts) * _MS
            if ch == "books":
                bids, asks = book_levels(inst, d.bids), book_levels(inst, d.asks)
                # from 2026-06-23 OKX sends "checksum": 0 on every push (retired; continuity is by
                # seqId/prevSeqId): 0 means "no checksum", never "the CRC is 0"
                cs = NO_CHECKSUM if not d.checksum else d.checksum
                if msg.action == "snapshot":
                    out.append(BookSnapshot(self.name, sym, d.seqId, ts, recv_ns, bids, asks, cs))
                elif d.seqId == d.prevSeqId and not bids and not asks:
                    out.append(Heartbeat(self.name, sym, recv_ns))
                else:
                    out.append(BookDelta(self.name, sym, d.seqId, d.prevSeqId, ts, recv_ns, bids, asks, d.seqId, cs))
            elif ch == "trades":
                tid = int(d.tradeId)
                out.append(Trade(self.name, sym, tid, NO_SEQ, ts, recv_ns, inst.price.to_int(d.px),
                                 inst.qty.to_int(d.sz), BUY if d.side == "buy" else SELL, d.tradeId))
            elif ch == "bbo-tbt":
                if d.bids and d.asks:
                    b, a = d.bids[0], d.asks[0]
                    out.append(BBO(self.name, sym, d.seqId, NO_SEQ, ts, recv_ns, inst.price.to_int(b[0]),
                                   inst.qty.to_int(b[1]), inst.price.to_int(a[0]), inst.qty.to_int(a[1])))
            elif ch == "funding-rate":
                out.append(Funding(self.name, sym, int(d.ts), NO_SEQ, ts, recv_ns, 0, 0, rate_e9(d.fundingRate),
                                   int(d.nextFundingTime) * _MS))
        return out


# ---------------------------------------------------------------------- simulator side


class OkxPublisher(VenuePublisher):
    name: ClassVar[str] = "okx"

    def on_client(self, raw: str) -> tuple[list[tuple[str, str]], list[str]]:
        msg = msgspec.json.decode(raw)
        if not isinstance(msg, dict) or msg.get("op") not in ("subscribe", "unsubscribe"):
            return [], [msgspec.json.encode({"event": "error", "code": "60012", "msg": "Invalid request"}).decode()]
        back = {v: k for k, v in _CHANNEL.items()}
        topics: list[tuple[str, str]] = []
        replies: list[str] = []
        for a in msg.get("args", []):
            replies.append(msgspec.json.encode({"event": msg["op"], "arg": a, "connId": "sim"}).decode())
            if msg["op"] == "subscribe" and a.get("channel") in back and a.get("instId") in self.instruments:
                topics.append((back[a["channel"]], a["instId"]))
        return topics, replies

    def unsubscribed(self, raw: str) -> list[tuple[str, str]]:
        msg = msgspec.json.decode(raw)
        if isinstance(msg, dict) and msg.get("op") == "unsubscribe":
            back = {v: k for k, v in _CHANNEL.items()}
            return [(back[a["channel"]], a["instId"]) for a in msg.get("args", []) if a.get("channel") in back]
        return []

    def _lv(self, symbol: str, levels: Sequence[Level]) -> list[list[str]]:
        inst = self.instruments[symbol]
        return [[inst.price.to_text(p, strip=True), inst.qty.to_text(q, strip=True), "0", "1"] for p, q in levels]

    def _books(self, symbol: str, action: str, bids: Sequence[Level], asks: Sequence[Level], ts_ns: int,
               checksum: int, prev: int, seq: int) -> str:
        return msgspec.json.encode({
            "arg": {"channel": "books", "instId": symbol}, "action": action,
            "data": [{"asks": self._lv(symbol, asks), "bids": self._lv(symbol, bids), "ts": str(ts_ns // _MS),
                      "checksum": checksum, "prevSeqId": prev, "seqId": seq}],
        }).decode()

    def snapshot_message(self, symbol: str, book: OrderBook, seq: int, ts_ns: int, checksum: int) -> str | None:
        return self._books(symbol, "snapshot", book.top_bids(400), book.top_asks(400), ts_ns, checksum, -1, seq)

    def delta_message(self, symbol, seq, prev, ts_ns, bids, asks, checksum, first) -> str:  # type: ignore[no-untyped-def]
        return self._books(symbol, "update", bids, asks, ts_ns, checksum, prev, seq)

    def trade_message(self, symbol, trade_id, ts_ns, price, qty, side) -> str:  # type: ignore[no-untyped-def]
        inst = self.instruments[symbol]
        return msgspec.json.encode({"arg": {"channel": "trades", "instId": symbol}, "data": [{
            "instId": symbol, "tradeId": str(trade_id), "px": inst.price.to_text(price, strip=True),
            "sz": inst.qty.to_text(qty, strip=True), "side": "buy" if side == BUY else "sell",
            "ts": str(ts_ns // _MS), "count": "1"}]}).decode()

    def bbo_message(self, symbol, seq, ts_ns, bid, ask) -> str:  # type: ignore[no-untyped-def]
        return msgspec.json.encode({"arg": {"channel": "bbo-tbt", "instId": symbol}, "data": [{
            "asks": self._lv(symbol, [ask]), "bids": self._lv(symbol, [bid]), "ts": str(ts_ns // _MS),
            "seqId": seq}]}).decode()

    def funding_message(self, symbol, seq, ts_ns, mark, rate_e9) -> str | None:  # type: ignore[no-untyped-def]
        ms = ts_ns // _MS
        return msgspec.json.encode({"arg": {"channel": "funding-rate", "instId": symbol}, "data": [{
            "fundingRate": f"{rate_e9 / 1e9:.9f}", "fundingTime": str((ms // 28_800_000 + 1) * 28_800_000),
            "instId": symbol, "instType": "SWAP", "method": "current_period",
            "nextFundingTime": str((ms // 28_800_000 + 2) * 28_800_000), "ts": str(ms + seq)}]}).decode()

    def corrupt_checksum(self, message: str) -> str:
        msg = msgspec.json.decode(message)
        msg["data"][0]["checksum"] = int(msg["data"][0]["checksum"]) ^ 0x5A5A
        return msgspec.json.encode(msg).decode()


ADAPTERS = (Okx,)
PUBLISHERS = (OkxPublisher,)
