"""One logical stream (venue, channel, symbol): arbitration, book sync and validation.

Pure: the caller passes time in and executes the returned actions (fetch a REST
snapshot, resubscribe a leg for a fresh in-band snapshot).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Literal

from tradeplane.errors import InputError
from tradeplane.feeds.arbiter import LEAD_MASK, RING, Arbiter
from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.events import (
    NO_CHECKSUM,
    NO_SEQ,
    BookDelta,
    BookSnapshot,
    Gap,
    MarketEvent,
    ParsedDelta,
    WireEvent,
)
from tradeplane.feeds.health import HealthBoard, State
from tradeplane.feeds.ticks import TickCache, to_levels
from tradeplane.feeds.venues.base import Channel, TextDelta, VenueAdapter

_LIVE = State.LIVE
_RING_MASK = RING - 1
ActionKind = Literal["fetch_snapshot", "resubscribe"]


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    venue: str
    symbol: str


@dataclass
class StreamStats:
    delivered: int = 0
    gaps: int = 0
    resyncs: int = 0
    checksum_failures: int = 0
    crossed: int = 0
    resync_blocked: int = 0  # resyncs the venue's limits held back past the patience


@dataclass
class Stream:
    adapter: VenueAdapter
    channel: Channel
    symbol: str
    board: HealthBoard
    arbiter: Arbiter = field(init=False)
    book: OrderBook = field(default_factory=OrderBook)
    stats: StreamStats = field(default_factory=StreamStats)
    actions: list[Action] = field(default_factory=list)
    max_buffer: int = 50_000
    route: str = ""  # the venue route (endpoint) whose connections carry this stream
    _buffer: list[BookDelta] = field(default_factory=list)
    # keyed in-band books while resyncing: first copy of each update, in arrival order (see _on_inband_snapshot)
    _held: dict[Hashable, tuple[str, BookDelta]] = field(default_factory=dict)
    _snapshot_seq: int = NO_SEQ
    # connections that lost messages (a hole in their per-connection numbers) since the book was last
    # known complete; the book is lost only when every live connection is in here (connection_gap)
    _lossy: set[str] = field(default_factory=set)
    # keyed streams: lossy connections whose copies wait for a clean connection's -> the key of the first
    # message each brought after its hole (None until it brings one); see connection_gap
    _demoted: dict[str, Hashable | None] = field(default_factory=dict)
    _need_fit: bool = False
    _snapshot_requested: bool = False

    def __post_init__(self) -> None:
        self.arbiter = Arbiter(mode=self.adapter.arbitration.get(self.channel, "keyed"))
        self._ring = self.arbiter.ring  # the same list for the arbiter's life
        self._offer = self.arbiter.offer_contiguous if self.arbiter.mode == "contiguous" else self.arbiter.offer_monotonic
        self._depth = self.adapter.book_depth
        self.venue = self.adapter.name
        self.name = f"{self.venue}/{self.channel}/{self.symbol}"
        self.is_book = self.channel == "book"
        self.keyed = self.arbiter.mode == "keyed"
        self.state = State.SYNCING
        self._contiguous = self.arbiter.mode == "contiguous"
        # text -> ticks / lots caches for the venue's text book path (VenueAdapter.book_text)
        self._pc: TickCache | None = None
        self._qc: TickCache | None = None
        if self.is_book and type(self.adapter).book_text is not VenueAdapter.book_text:
            self._pc, self._qc = self.adapter.tick_caches(self.symbol)
        self.board.set_stream(self.name, State.SYNCING, 0, "created")

    # ------------------------------------------------------------------ state

    def _set(self, state: State, now_ns: int, reason: str) -> None:
        self.state = state
        self.board.set_stream(self.name, state, now_ns, reason)

    def legs_down(self, now_ns: int) -> None:
        """Every leg of the venue is down or stale."""
        if self.state == State.LIVE:
            self._set(State.DOWN, now_ns, "no live leg")

    def legs_back(self, now_ns: int) -> None:
        if self.state == State.DOWN and not self.is_book:
            self._set(State.LIVE, now_ns, "leg back")

    def _resync(self, now_ns: int, reason: str) -> None:
        self.stats.resyncs += 1
        self.book.clear()
        self._buffer.clear()
        self._held.clear()
        self._need_fit = False
        self._snapshot_requested = False
        self._set(State.RESYNCING, now_ns, reason)
        if self.adapter.book_sync == "rest":
            self._request_snapshot()
        else:
            self.actions.append(Action("resubscribe", self.venue, self.symbol))

    def cannot_resync(self, now_ns: int, reason: str) -> None:
        """The resync this stream needs is held back by the venue's limits (see feeds.budget)."""
        if self.state in (State.RESYNCING, State.SYNCING):
            self.stats.resync_blocked += 1
            self._set(State.CANNOT_RESYNC, now_ns, reason)

    @property
    def needs_snapshot(self) -> bool:
        return self.state in (State.RESYNCING, State.SYNCING, State.CANNOT_RESYNC)

    def _request_snapshot(self) -> None:
        if not self._snapshot_requested:
            self._snapshot_requested = True
            self.actions.append(Action("fetch_snapshot", self.venue, self.symbol))

    def _live(self) -> bool:
        return self.state == State.LIVE

    # ------------------------------------------------------------------ input

    def take_text(self, leg: str, d: TextDelta, now_ns: int, ts_recv: int | None = None) -> list[MarketEvent]:
        """The hot path of a contiguous book whose levels are decimal text (``VenueAdapter.book_text``).

        A copy of a position the chain holds is accounted for and dropped before a level is
        converted; the next message of the chain on a live plain book is converted and applied in
        one pass (``OrderBook.apply_text``); anything else (held ahead of a hole, waiting for a
        snapshot, a chain that restarts) takes the general path as a ``BookDelta``. ``ts_recv`` is the
        event's receive stamp when it is not ``now_ns``."""
        _sym, seq, prev, first, ts, bids, asks = d
        recv = now_ns if ts_recv is None else ts_recv
        arb = self.arbiter
        last = arb.last
        if last is not None and seq <= last and self._contiguous:
            self.drop_copy(leg, seq, now_ns)
            return []
        if self.state is _LIVE and prev == last and not (arb.pending or self._need_fit or self._depth):
            # Arbiter.take, inline (one call less a message): the chain's end now, the win counted and
            # remembered for the lead of the copies that follow
            t = arb.tallies.get(leg) or arb.tally(leg)
            if seq > t.high_water:
                t.high_water = seq
            arb.last = seq
            t.wins += 1
            self._ring[seq & _RING_MASK] = (seq, leg, now_ns)
            book = self.book
            try:
                tb, ta = book.apply_text(bids, asks, self._pc, self._qc)  # type: ignore[arg-type]
            except InputError as exc:  # a level that is no multiple of its step: the book is lost
                self._resync(now_ns, f"undecodable level: {exc}")
                return [Gap(self.venue, self.symbol, "book", seq, seq, now_ns, "undecodable level")]
            bk, ak = book._bid_keys, book._ask_keys
            if bk and ak and -bk[0] >= ak[0]:
                return self._crossed(seq, now_ns)
            self.stats.delivered += 1
            return [BookDelta(self.venue, self.symbol, seq, prev, ts, recv, tb, ta, first)]
        pc, qc = self._pc, self._qc
        assert pc is not None and qc is not None
        return self.on_wire(leg, BookDelta(self.venue, self.symbol, seq, prev, ts, recv, to_levels(bids, pc, qc),
                                           to_levels(asks, pc, qc), first), now_ns)

    def _crossed(self, seq: int, now_ns: int) -> list[MarketEvent]:
        """The book just crossed at position ``seq``: it cannot be right; a ``Gap`` and a resync."""
        self.stats.crossed += 1
        self._resync(now_ns, "crossed book")
        return [Gap(self.venue, self.symbol, "book", seq, seq, now_ns, "crossed book")]

    def on_wire(self, leg: str, ev: WireEvent, now_ns: int) -> list[MarketEvent]:
        arb = self.arbiter
        if type(ev) is ParsedDelta:
            return self.take_text(leg, (ev.symbol, ev.seq, ev.prev_seq, ev.first_seq, ev.ts_exchange, ev.bids, ev.asks),
                                  now_ns, ev.ts_recv)
        if type(ev) is BookDelta and self.state is _LIVE and ev.prev_seq == arb.last and not (
            arb.pending or self._need_fit or self._depth or ev.checksum != NO_CHECKSUM
        ):
            # the common case, kept flat: the next message of the chain on a live, plain book
            seq = ev.seq
            arb.take(leg, seq, now_ns)
            book = self.book
            book.apply(ev.bids, ev.asks)
            bk, ak = book._bid_keys, book._ask_keys
            if bk and ak and -bk[0] >= ak[0]:
                return self._crossed(seq, now_ns)
            self.stats.delivered += 1
            return [ev]
        if isinstance(ev, BookSnapshot):
            return self._on_inband_snapshot(ev, now_ns)
        if self.is_book and ev.seq < ev.prev_seq:  # type: ignore[union-attr]
            # OKX: the venue reset its sequence (maintenance); the chain cannot continue
            if self.state in (State.LIVE, State.DOWN):
                self._resync(now_ns, "venue reset its sequence")
            return []
        if self.keyed:
            key = self.adapter.key(ev)
            if self.is_book and self.state is not _LIVE and self.state is not State.DOWN:
                # waiting for a snapshot: an update may be one the snapshot will not contain, so it is
                # held, not marked seen (else the resubscribed leg's copy after its snapshot would be
                # dropped as a duplicate and the next checksum would fail again)
                if key not in self._held and len(self._held) < self.max_buffer and isinstance(ev, BookDelta):
                    self._held[key] = (leg, ev)
                return []
            demoted = self._demoted
            if demoted:
                if leg in demoted:
                    # this connection lost messages that a clean one is still bringing: its own copies
                    # would apply ahead of them (out of the venue's order), so the clean one's are taken
                    # until it has caught up with the first message this one brought after its hole
                    if demoted[leg] is None:
                        demoted[leg] = key
                    if key not in arb._seen:
                        return []
                got = arb.offer_keyed(leg, key, ev, now_ns)
                if got:
                    for c in [c for c, k in demoted.items() if k == key and c != leg]:
                        del demoted[c]  # the clean connection is past the hole: c's order is good again
            else:
                got = arb.offer_keyed(leg, key, ev, now_ns)
        else:
            got = self._offer(leg, ev.seq, ev.prev_seq, ev, now_ns)  # type: ignore[union-attr]
        if not got:
            return []
        if not self.is_book:
            if self.state != State.LIVE:
                self._set(State.LIVE, now_ns, "first message")
            self.stats.delivered += len(got)
            return got
        out: list[MarketEvent] = []
        for d in got:
            self._apply(d, now_ns, out)
        return out

    def drop_copy(self, leg: str, seq: int, now_ns: int) -> bool:
        """If book position ``seq`` from ``leg`` is a copy of one the chain already holds, account
        for it (duplicate, the winning leg's lead when sampled) and return True: the caller drops
        the message without converting (or even decoding) a level. Else change nothing, False."""
        arb = self.arbiter
        last = arb.last
        if last is None or seq > last or not self._contiguous:
            return False
        t = arb.tallies.get(leg) or arb.tally(leg)
        dups = t.duplicates = t.duplicates + 1  # (a copy leaves the high water alone: see LegTally)
        if dups & LEAD_MASK == 1:  # a sampled copy (arbiter.LEAD_EVERY): the lead of the leg that won seq
            arb.lead(leg, seq, now_ns)
        return True

    def connection_gap(self, conn: str, live_conns: list[str], now_ns: int, missed: tuple[int, int]) -> list[MarketEvent]:
        """Connection ``conn`` skipped its own message numbers ``missed`` (first, last) (Coinbase
        Advanced Trade ``sequence_num``, one count per connection across every channel).

        The numbers cannot be compared across connections, so the legs are still merged by key; but
        a connection that kept every number since the stream was last known complete has delivered
        everything the venue sent, so while one live connection is clean the merged stream is
        complete and the loss costs nothing. Once every live connection has had a hole, a message may
        be lost on all of them: a ``Gap``, and a book resyncs (a new snapshot is a new start)."""
        self._lossy.add(conn)
        self._lossy &= set(live_conns) | {conn}
        if any(c not in self._lossy for c in live_conns):
            if self.keyed:
                self._demoted[conn] = None
            return []
        self._lossy.clear()
        self._demoted.clear()
        self.stats.gaps += 1
        reason = f"sequence_num {missed[0]}..{missed[1]} missed on {conn}; no live connection without a hole"
        out: list[MarketEvent] = [Gap(self.venue, self.symbol, self.channel, NO_SEQ, NO_SEQ, now_ns, reason)]
        if self.is_book and self.state in (State.LIVE, State.DOWN):
            self._resync(now_ns, reason)
        return out

    def connection_closed(self, conn: str, live_conns: list[str], now_ns: int) -> list[MarketEvent]:
        """``conn`` is gone. If it was the clean connection covering another's hole before that one
        caught up, nothing proves the covered messages all arrived: a ``Gap``, and a book resyncs."""
        self._lossy.discard(conn)
        self._demoted.pop(conn, None)
        if not self._demoted or any(c not in self._demoted for c in live_conns):
            return []
        self._demoted.clear()
        self._lossy.clear()
        self.stats.gaps += 1
        reason = f"{conn} closed while covering another connection's sequence_num hole"
        if self.is_book and self.state in (State.LIVE, State.DOWN):
            self._resync(now_ns, reason)
        return [Gap(self.venue, self.symbol, self.channel, NO_SEQ, NO_SEQ, now_ns, reason)]

    def on_snapshot(self, snap: BookSnapshot, now_ns: int) -> list[MarketEvent]:
        """A REST snapshot arrived (venues that sync from REST)."""
        self._snapshot_requested = False
        if self.state == State.LIVE:
            return []
        self.book.load(snap.bids, snap.asks)
        self._snapshot_seq = snap.seq
        self._need_fit = True
        out: list[MarketEvent] = [snap]
        self._set(State.LIVE, now_ns, "snapshot applied")
        buffered, self._buffer = self._buffer, []
        for d in buffered:
            self._apply(d, now_ns, out)
            if not self._live():
                return [e for e in out if not isinstance(e, BookDelta | BookSnapshot)]
        return out

    def _on_inband_snapshot(self, snap: BookSnapshot, now_ns: int) -> list[MarketEvent]:
        last = self.arbiter.last
        if self.state == State.LIVE and not (
            self.adapter.snapshot_resets and last is not None and (snap.seq > last or snap.seq == 1)
        ):
            return []  # another leg joining: its later updates arbitrate against ours
        out: list[MarketEvent] = []
        if self.state == State.DOWN and not self.keyed:
            if last is not None and snap.seq == last:
                self._set(State.LIVE, now_ns, "leg back, nothing missed")
                return []
            if last is not None and snap.seq < last:
                # the sequence went back after every leg was down: the venue restarted or reset it
                # (Bybit: u = 1; OKX: maintenance). The snapshot is the book now; the old chain is over.
                self.stats.gaps += 1
                out.append(Gap(self.venue, self.symbol, "book", NO_SEQ, NO_SEQ, now_ns,
                               f"venue reset its sequence (snapshot {snap.seq} after {last})"))
            elif last is not None:
                self.stats.gaps += 1
                out.append(Gap(self.venue, self.symbol, "book", last + 1, snap.seq, now_ns, "all legs down"))
        elif self.state == State.DOWN:
            self.stats.gaps += 1
            out.append(Gap(self.venue, self.symbol, "book", NO_SEQ, NO_SEQ, now_ns,
                           "all legs down; venue has no sequence to prove nothing was lost"))
        self.book.load(snap.bids, snap.asks)
        if self.adapter.book_depth:
            self.book.truncate(self.adapter.book_depth)
        if not self.keyed:
            self.arbiter.reset(snap.seq)
        if snap.checksum != NO_CHECKSUM and self.adapter.has_checksum and (
            self.adapter.checksum(self.book, self.symbol) != snap.checksum
        ):
            self.stats.checksum_failures += 1
            self._resync(now_ns, "checksum mismatch on snapshot")
            return out
        self._set(State.LIVE, now_ns, "snapshot applied")
        self._lossy.clear()  # the snapshot is the venue's whole book: a new start for every connection
        self._demoted.clear()
        out.append(snap)
        if self.keyed:
            self._replay_held(snap, now_ns, out)
        return out

    def _replay_held(self, snap: BookSnapshot, now_ns: int, out: list[MarketEvent]) -> None:
        """Keyed book, snapshot just applied: apply the held updates the snapshot does not contain.

        Updates set absolute quantities, so re-applying the last one a snapshot already holds
        changes nothing; the first held update whose own checksum matches the snapshot book with
        it applied is where the snapshot stands, and every later held update follows it. Without a
        checksum, updates stamped after the snapshot follow it. Every held key is then marked seen,
        so the other legs' copies are dropped."""
        held, self._held = self._held, {}
        arb = self.arbiter
        arb.forget_keys()
        items = list(held.items())
        start = len(items)
        if self.adapter.has_checksum:
            for i, (_key, (_leg, d)) in enumerate(items):
                if d.checksum == NO_CHECKSUM:
                    continue
                trial = self.book.copy()
                trial.apply(d.bids, d.asks)
                if self._depth:
                    trial.truncate(self._depth)
                if self.adapter.checksum(trial, self.symbol) == d.checksum:
                    start = i
                    break
        else:
            start = next((i for i, (_k, (_l, d)) in enumerate(items) if d.ts_exchange > snap.ts_exchange), start)
        for key, (leg, _d) in items[:start]:
            arb.mark_seen(key, leg, now_ns)
        for key, (leg, d) in items[start:]:
            arb.mark_seen(key, leg, now_ns)
            arb.tally(leg).wins += 1
            self._apply(d, now_ns, out)
            if not self._live():
                return

    def _apply(self, d: BookDelta, now_ns: int, out: list[MarketEvent]) -> None:
        st = self.state
        if st != State.LIVE and st != State.DOWN:
            if self.adapter.book_sync == "rest":
                if len(self._buffer) < self.max_buffer:
                    self._buffer.append(d)
                self._request_snapshot()
            return
        if self._need_fit:
            fit = self.adapter.first_fit(self._snapshot_seq, d)
            if fit == "drop":
                return
            if fit == "refetch":
                self._resync(now_ns, "snapshot does not meet the update stream")
                self._buffer.append(d)
                return
            self._need_fit = False
        if d.prev_seq != NO_SEQ and d.seq < d.prev_seq:
            self._resync(now_ns, "venue reset its sequence")
            return
        book = self.book
        book.apply(d.bids, d.asks)
        depth = self.adapter.book_depth
        if depth:
            book.truncate(depth)
        if d.checksum != NO_CHECKSUM and self.adapter.checksum(book, self.symbol) != d.checksum:
            self.stats.checksum_failures += 1
            out.append(Gap(self.venue, self.symbol, "book", d.seq, d.seq, now_ns, "checksum mismatch"))
            self._resync(now_ns, "checksum mismatch")
            return
        if book.crossed():
            self.stats.crossed += 1
            out.append(Gap(self.venue, self.symbol, "book", d.seq, d.seq, now_ns, "crossed book"))
            self._resync(now_ns, "crossed book")
            return
        if st == State.DOWN:
            self._set(State.LIVE, now_ns, "leg back")
        self.stats.delivered += 1
        out.append(d)

    def check_hole(self, live_legs: list[str], now_ns: int, window_ns: int = 0) -> list[MarketEvent]:
        """Declare a gap when no live leg can still deliver a missing position: every live leg has
        moved past it and it has stayed missing for ``window_ns`` (the reorder window)."""
        hole = self.arbiter.hole(live_legs, now_ns, window_ns)
        if hole is None:
            return []
        self.stats.gaps += 1
        out: list[MarketEvent] = [Gap(self.venue, self.symbol, self.channel, hole[0], hole[1], now_ns, "lost on every leg")]
        if self.is_book:
            self._resync(now_ns, f"gap {hole[0]}..{hole[1]} on every leg")
        got = self.arbiter.skip_hole()
        if self.is_book:
            for d in got:
                self._apply(d, now_ns, out)
        else:
            self.stats.delivered += len(got)
            out.extend(got)
        return out

