"""What every venue module provides: the client side (subscribe, decode, sync rules,
checksum) and the simulator side (the same protocol spoken by our local server)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, Literal

from tradeplane.feeds.arbiter import Mode
from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.events import BookDelta, BookSnapshot, Level, WireEvent
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.ticks import TextLevels, TickCache

Channel = Literal["book", "trades", "bbo", "funding"]
CHANNELS: tuple[Channel, ...] = ("book", "trades", "bbo", "funding")
Fit = Literal["drop", "apply", "refetch"]
# an incremental book message read for the hot path: (symbol, seq, previous position, first position
# covered, exchange ns, bids, asks), levels as the venue's decimal text (see VenueAdapter.book_text)
TextDelta = tuple[str, int, int, int, int, TextLevels, TextLevels]


def content_key(event: WireEvent) -> Hashable:
    """The default identity of an event for keyed arbitration: a book update's exchange timestamp
    and levels ``(ts_exchange, bids, asks)``; any other event's ``(type name, seq, ts_exchange,
    trade_id)`` (0 / "" where it has none). Never the receive time: two legs' copies are one event."""
    if isinstance(event, BookDelta):
        return (event.ts_exchange, event.bids, event.asks)
    return (type(event).__name__, getattr(event, "seq", 0), getattr(event, "ts_exchange", 0),
            getattr(event, "trade_id", ""))


@dataclass(frozen=True)
class Limits:
    """A venue's published connection and subscription limits."""

    connections: int  # new connections allowed per window
    window_s: float
    subscribe_per_s: float  # outgoing control messages per second on one connection
    streams_per_connection: int
    max_connection_age_s: float | None = None  # forced disconnect (Binance: 24 h)
    ping_interval_s: float | None = None  # client-side application ping, if the venue wants one
    # resync budget (feeds.budget): (requests, window s) of control messages (subscribe/unsubscribe)
    control_per_connection: tuple[int, float] | None = None
    control_per_ip: tuple[int, float] | None = None
    # REST request weight per IP, (weight, window s), and what one depth snapshot costs
    rest_weight_per_ip: tuple[int, float] | None = None
    snapshot_weight: int = 1


class VenueAdapter(ABC):
    """One venue's public market-data protocol, client side."""

    name: ClassVar[str]
    default_url: ClassVar[str]
    default_rest: ClassVar[str] = ""
    limits: ClassVar[Limits]
    book_sync: ClassVar[Literal["rest", "inband"]] = "inband"
    book_depth: ClassVar[int | None] = None  # truncate the book to this many levels after each update
    arbitration: ClassVar[Mapping[Channel, Mode]]
    channels: ClassVar[tuple[Channel, ...]] = ("book", "trades", "bbo")
    has_checksum: ClassVar[bool] = False
    # the venue re-sends a snapshot on the same stream to reset the book (Bybit): a newer one is applied
    snapshot_resets: ClassVar[bool] = False
    # where the venue gives no sequence on a channel, the arbiter says so in `tradeplane feeds status`
    notes: ClassVar[Mapping[Channel, str]] = {}
    # the venue's book integrity rules in one line, with their source in the module docstring
    # (shown by ``tradeplane plan``'s feeds section)
    integrity: ClassVar[str] = ""
    # the venue numbers every message of a connection (Coinbase Advanced Trade ``sequence_num``): ``decode``
    # leaves the number of the message it just read in ``conn_seq`` (NO_SEQ when it carries none) and
    # the gateway checks each connection's numbers are contiguous (see Stream.connection_gap)
    connection_sequence: ClassVar[bool] = False
    conn_seq: int = -1

    def __init__(self, instruments: Sequence[Instrument]) -> None:
        self.instruments: dict[str, Instrument] = {i.symbol: i for i in instruments}

    # ----------------------------------------------------------------- session

    def url(self, base: str) -> str:
        return base

    def routes(self, channels: Sequence[Channel]) -> dict[str, tuple[Channel, ...]]:
        """Which endpoint carries which channels: route name -> channels. One connection per leg
        and route. The default is one route ("") for every channel."""
        return {"": tuple(channels)}

    def route_url(self, url: str, route: str) -> str:
        """The URL of ``route`` given a leg's configured URL (or the venue's default)."""
        return self.url(url)

    @abstractmethod
    def subscribe_messages(self, symbols: Sequence[str], channels: Sequence[Channel]) -> list[str]:
        """Control messages that subscribe to every (symbol, channel), within the venue's limits."""

    def resubscribe_messages(self, symbol: str) -> list[str]:
        """Messages that make the venue send a fresh book snapshot for ``symbol`` on this connection."""
        return []

    def ping_message(self) -> str | None:
        return None

    def replies(self, raw: str | bytes) -> list[str]:
        """Answers the venue demands to control traffic (e.g. Deribit test_request)."""
        return []

    @abstractmethod
    def decode(self, raw: str | bytes, recv_ns: int) -> list[WireEvent]:
        """Normalised events from one WebSocket message (control traffic yields [])."""

    def peek_book(self, raw: str | bytes) -> tuple[str, int, int] | None:
        """``(symbol, seq, exchange ns)`` of an incremental book message, read without decoding it.

        Lets the gateway drop another leg's copy of a delta the arbiter already has for the price
        of a byte scan. None when ``raw`` is anything else or cannot be read cheaply and surely
        (the message then takes the full ``decode``). Where it answers it must agree with
        ``decode`` (the venue tests check this on every sample).
        """
        return None

    def book_text(self, raw: bytes) -> TextDelta | None:
        """The gateway's hot path for contiguous books whose levels are decimal text (Binance): an
        incremental book message read straight into a ``TextDelta`` (no event object; the stream
        converts the levels only for the copy it keeps, through ``tick_caches``). None for any other
        message (it then takes ``decode``). Where it answers it must agree with ``decode``'s
        ``ParsedDelta`` (the venue tests check this on every sample)."""
        return None

    def tick_caches(self, symbol: str) -> tuple[TickCache, TickCache]:
        """The bounded text -> ticks / lots caches of ``symbol`` (venues with ``book_text``)."""
        raise NotImplementedError(f"{self.name} has no text book path")

    # ----------------------------------------------------------------- books

    def checksum(self, book: OrderBook, symbol: str) -> int:
        raise NotImplementedError(f"{self.name} has no book checksum")

    def snapshot_url(self, rest_base: str, symbol: str) -> str:
        raise NotImplementedError(f"{self.name} sends book snapshots in-band")

    def parse_snapshot(self, body: bytes, symbol: str, recv_ns: int) -> BookSnapshot:
        raise NotImplementedError(f"{self.name} sends book snapshots in-band")

    def first_fit(self, snapshot_seq: int, delta: BookDelta) -> Fit:
        """REST-synced venues: may ``delta`` be the first applied on a snapshot at ``snapshot_seq``?"""
        raise NotImplementedError

    def key(self, event: WireEvent) -> Hashable:
        """Identity of an event for keyed arbitration: the venue's timestamp and content
        (``content_key``, unless the venue knows better)."""
        return content_key(event)


class VenuePublisher(ABC):
    """The venue's market-data publisher: the same protocol, server side, for the exchange simulator."""

    name: ClassVar[str]
    rest_snapshot: ClassVar[bool] = False

    def __init__(self, instruments: Sequence[Instrument]) -> None:
        self.instruments: dict[str, Instrument] = {i.symbol: i for i in instruments}

    @abstractmethod
    def on_client(self, raw: str) -> tuple[list[tuple[str, str]], list[str]]:
        """A client message -> (topics subscribed [(channel, symbol)], replies to send)."""

    def unsubscribed(self, raw: str) -> list[tuple[str, str]]:
        return []

    def channels_on(self, path: str) -> frozenset[str] | None:
        """Channels the venue serves on a WebSocket path (None: every channel on any path;
        an empty set: nothing there, the handshake is refused)."""
        return None

    @abstractmethod
    def snapshot_message(self, symbol: str, book: OrderBook, seq: int, ts_ns: int, checksum: int) -> str | None:
        """The in-band snapshot a new subscriber gets (None for REST-synced venues)."""

    @abstractmethod
    def delta_message(
        self, symbol: str, seq: int, prev: int, ts_ns: int, bids: Sequence[Level], asks: Sequence[Level],
        checksum: int, first: int,
    ) -> str: ...

    @abstractmethod
    def trade_message(self, symbol: str, trade_id: int, ts_ns: int, price: int, qty: int, side: int) -> str: ...

    @abstractmethod
    def bbo_message(self, symbol: str, seq: int, ts_ns: int, bid: Level, ask: Level) -> str: ...

    def funding_message(self, symbol: str, seq: int, ts_ns: int, mark: int, rate_e9: int) -> str | None:
        return None

    def heartbeat_message(self, symbol: str, ts_ns: int) -> str | None:
        return None

    def rest_response(self, path: str, query: Mapping[str, str], book: OrderBook, seq: int) -> bytes | None:
        return None

    def corrupt_checksum(self, message: str) -> str:
        return message

    # venues that number every message of a connection (``VenueAdapter.connection_sequence``)
    stamps_connection: ClassVar[bool] = False

    def stamp(self, message: str, n: int) -> tuple[str, bool]:
        """``message`` as the ``n``-th of its connection, and whether it takes a number."""
        return message, False

    def seq_step(self) -> int:
        """How far the venue's book sequence advances per message (Binance: the batched update ids)."""
        return 1


# ---------------------------------------------------------------------- shared helpers


def book_levels(inst: Instrument, rows: Iterable[Sequence[Any]], *, exact_json: bool = False) -> tuple[Level, ...]:
    """Book levels as a venue sends them -> ``(price ticks, quantity lots)``, exactly (no float).

    ``rows``: ``[price, quantity, ...]`` rows (later columns, such as OKX's order counts, are
    ignored); prices and quantities are the venue's decimal text, or with ``exact_json`` JSON numbers
    decoded as ``Decimal`` (Kraken, Deribit). A quantity of 0 removes the level. Raises InputError
    when a value is not a multiple of the instrument's step (``fixed.Scale``)."""
    if exact_json:
        pd, qd = inst.price.decimal_to_int, inst.qty.decimal_to_int
        return tuple([(pd(x[0]), qd(x[1])) for x in rows])
    pt, qt = inst.price.to_int, inst.qty.to_int
    return tuple([(pt(x[0]), qt(x[1])) for x in rows])


def sided_book_levels(
    inst: Instrument, rows: Iterable[tuple[str, str, str]], bid: str
) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
    """``(side, price text, quantity text)`` rows, as Coinbase sends level changes (Exchange
    ``l2update`` changes, Advanced Trade ``l2_data`` updates), -> ``(bids, asks)`` in ticks and lots:
    a row whose side is ``bid`` is a bid, any other an ask. Exact, as ``book_levels``."""
    bids: list[tuple[str, str]] = []
    asks: list[tuple[str, str]] = []
    for side, p, q in rows:
        (bids if side == bid else asks).append((p, q))
    return book_levels(inst, bids), book_levels(inst, asks)


@lru_cache(maxsize=4096)
def _iso_seconds(prefix: str) -> int:
    return int(datetime.fromisoformat(prefix).replace(tzinfo=UTC).timestamp())


def iso_to_ns(text: str) -> int:
    """"2023-10-06T17:35:55.440295Z" -> ns since the epoch (exact; cached per second)."""
    body = text.rstrip("Z")
    dot = body.find(".")
    if dot < 0:
        return _iso_seconds(body) * 1_000_000_000
    frac = body[dot + 1 :]
    plus = max(frac.find("+"), frac.find("-"))
    if plus >= 0:
        frac = frac[:plus]
    return _iso_seconds(body[:dot]) * 1_000_000_000 + int(frac[:9].ljust(9, "0"))


def ns_to_iso(ns: int, digits: int = 6) -> str:
    s, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{str(frac).rjust(9, '0')[:digits]}Z"


def chunks(items: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]
