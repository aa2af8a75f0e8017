"""The gateway runtime: legs (WebSocket connections) -> streams (arbitration, books) -> sinks.

asyncio service with clean start/stop. Per venue: N legs, each one task that connects,
subscribes within the venue's limits, reads, and reconnects with backoff + jitter; a
watchdog replaces stale legs, declares gaps once every live leg has passed them, and
rotates connections before a venue's forced disconnect (overlapping, so no gap).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from tradeplane import tracing
from tradeplane.errors import TradeplaneError
from tradeplane.feeds.arbiter import LEAD_MASK
from tradeplane.feeds.backoff import Backoff, RateLimit
from tradeplane.feeds.budget import ResyncBudget, StreamResync
from tradeplane.feeds.connection import Connection, ConnectionLost, connect
from tradeplane.feeds.events import (
    BBO,
    NO_SEQ,
    BookDelta,
    BookSnapshot,
    Funding,
    Heartbeat,
    MarketEvent,
    ParsedDelta,
    Trade,
)
from tradeplane.feeds.health import HealthBoard, LegHealth, RateEstimator, State, StateChange
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.stream import Action, Stream
from tradeplane.feeds.venues import adapter_class
from tradeplane.feeds.venues.base import Channel, TextDelta, VenueAdapter

log = logging.getLogger("tradeplane.feeds")


class Sink(Protocol):
    def publish(self, event: MarketEvent) -> None: ...


@dataclass(frozen=True)
class LegSpec:
    name: str
    url: str
    rest: str = ""
    source: str | None = None  # local source address to bind


@dataclass(frozen=True)
class VenueSpec:
    venue: str
    instruments: tuple[Instrument, ...]
    channels: tuple[Channel, ...]
    legs: tuple[LegSpec, ...]


@dataclass(frozen=True)
class Tuning:
    stale_k: float = 20.0
    stale_floor_s: float = 0.2
    stale_ceiling_s: float = 30.0
    backoff_base_s: float = 0.1
    backoff_cap_s: float = 30.0
    rotate_margin_s: float = 300.0  # rotate this long before the venue's forced disconnect
    max_connection_age_s: float | None = None  # override (tests): rotate after this many seconds
    watchdog_s: float = 0.05
    seed: int | None = None
    # resyncs (feeds.budget): a stream whose next resync must wait longer than the patience is
    # cannot_resync until it can; a snapshot not in within the timeout is asked for again
    resync_patience_s: float = 10.0
    snapshot_timeout_s: float = 5.0
    resync_backoff_base_s: float = 0.25
    resync_backoff_cap_s: float = 30.0


_LIVE = State.LIVE
MEMO = 4096  # recent first copies of book deltas remembered per venue for their other legs' copies
LATENCY_BATCH = 8192  # exchange -> receive samples kept per venue before they are folded into the histogram
_NOTHING: tuple[bytes | str, Any, int] = (b"", None, NO_SEQ)
_ROUTES: dict[str, tuple[type, ...]] = {
    "book": (BookDelta, ParsedDelta, BookSnapshot), "trades": (Trade,), "bbo": (BBO,), "funding": (Funding,),
}


@dataclass(eq=False)
class ConnState:
    """What the hot path needs about one connection, looked up once when it opens."""

    cid: str
    health: LegHealth
    rate: RateEstimator
    first: asyncio.Event | None  # set on the first data message (rotation waits for it)
    seq: int = NO_SEQ  # venues that number a connection's messages: the last number read on it
    # index into its venue's ``won`` of the next first copy this connection has not brought itself:
    # the venue sends every connection the same messages in the same order, so a trailing connection's
    # next message is most likely that one, byte for byte (one comparison, no parse, no hash)
    cur: int = 0
    # its tally on the arbiter of the stream its last copy was on (the copy path's lookup, kept)
    tally_of: Any = None
    tally: Any = None


@dataclass
class _Leg:
    spec: LegSpec
    name: str  # venue/leg
    route: str = ""  # which of the venue's endpoints this connection serves (adapter.routes)
    url: str = ""
    channels: tuple[Channel, ...] = ()
    task: asyncio.Task[None] | None = None
    conns: dict[str, Connection] = field(default_factory=dict)  # conn id -> socket (2 while rotating)
    first_data: dict[str, asyncio.Event] = field(default_factory=dict)
    gen: int = 0


class _Venue:
    def __init__(self, spec: VenueSpec, board: HealthBoard, tuning: Tuning) -> None:
        self.spec = spec
        self.adapter: VenueAdapter = adapter_class(spec.venue)(spec.instruments)
        self.name = spec.venue
        self.streams: dict[tuple[str, str], Stream] = {}
        for inst in spec.instruments:
            for ch in spec.channels:
                if ch in self.adapter.channels:
                    self.streams[(ch, inst.symbol)] = Stream(self.adapter, ch, inst.symbol, board)
        self.route: dict[tuple[type, str], Stream] = {
            (t, sym): st for (ch, sym), st in self.streams.items() for t in _ROUTES[ch]
        }
        # one connection per configured leg and venue route (Binance USD-M: /public and /market)
        routes = self.adapter.routes(spec.channels)
        self.legs: dict[str, _Leg] = {}
        for leg in spec.legs:
            for r, chans in routes.items():
                key = f"{leg.name}.{r}" if r else leg.name
                self.legs[key] = _Leg(leg, f"{spec.venue}/{key}", r, self.adapter.route_url(leg.url, r), chans)
        self.stream_route: dict[str, str] = {
            st.name: next((r for r, chans in routes.items() if st.channel in chans), "")
            for st in self.streams.values()
        }
        for st in self.streams.values():
            st.route = self.stream_route[st.name]
        # contiguous book streams by symbol, for dropping other legs' copies on a peek at their sequence
        self.books: dict[str, Stream] = {
            sym: st for (ch, sym), st in self.streams.items() if ch == "book" and st.arbiter.mode == "contiguous"
        }
        has_peek = type(self.adapter).peek_book is not VenueAdapter.peek_book
        self.conn_sequenced = self.adapter.connection_sequence
        # the first copies of recent book deltas, in the order they were taken (slot n % MEMO): raw
        # message, its stream, its seq; what trailing connections compare their next message with
        self.copies = bool(self.books) and len(spec.legs) > 1
        self.won: list[tuple[bytes | str, Any, int]] = [_NOTHING] * MEMO if self.copies else []
        self.won_n = 0
        self.won_mask = MEMO - 1
        self.peek: Callable[[str | bytes], tuple[str, int, int] | None] | None = (
            self.adapter.peek_book if has_peek and self.copies else None
        )
        # the text book path (VenueAdapter.book_text): one decode straight to what the stream needs
        has_text = type(self.adapter).book_text is not VenueAdapter.book_text
        self.text: Callable[[bytes], TextDelta | None] | None = self.adapter.book_text if has_text and self.books else None
        self.latency: list[int] | None = None  # exchange -> receive ns, folded into the histogram by the metrics
        lim = self.adapter.limits
        self.connect_limit = RateLimit(lim.connections, lim.window_s)
        self.budget = ResyncBudget(lim)
        rng = random.Random(tuning.seed)
        self.resync = {
            st.name: StreamResync.new(rng, tuning.resync_backoff_base_s, tuning.resync_backoff_cap_s)
            for st in self.streams.values()
        }
        self.live: set[str] = set()  # conn ids open and not stale
        self.live_on: dict[str, set[str]] = {r: set() for r in routes}  # the same, per route
        self.subscribing: set[str] = set()  # conn ids open, still sending their subscriptions
        self.conn_leg: dict[str, str] = {}
        self.conn_route: dict[str, str] = {}
        # the stale bound compares legs that carry the same channels: one rate per route
        self.rate_key = {r: self.name if i == 0 else f"{self.name}:{r}" for i, r in enumerate(routes)}
        for key in self.rate_key.values():
            board.rates[key] = RateEstimator(
                k=tuning.stale_k, floor_ns=int(tuning.stale_floor_s * 1e9),
                ceiling_ns=int(tuning.stale_ceiling_s * 1e9),
            )

    def go_live(self, cid: str) -> None:
        self.live.add(cid)
        self.live_on[self.conn_route[cid]].add(cid)

    def not_live(self, cid: str) -> None:
        self.live.discard(cid)
        r = self.conn_route.get(cid)
        if r is not None:
            self.live_on[r].discard(cid)


class Gateway:
    """Runs the feeds of several venues into sinks. ``await gw.start()`` ... ``await gw.stop()``."""

    def __init__(
        self,
        venues: Sequence[VenueSpec],
        sinks: Sequence[Sink] = (),
        *,
        tuning: Tuning | None = None,
        on_change: Callable[[StateChange], None] | None = None,
        metrics: Any = None,
    ) -> None:
        self.tuning = tuning or Tuning()
        self.board = HealthBoard()
        self.venues = {v.venue: _Venue(v, self.board, self.tuning) for v in venues}
        self.sinks = list(sinks)
        self.metrics = metrics
        self._rng = random.Random(self.tuning.seed)
        self._tasks: list[asyncio.Task[Any]] = []
        self._stopping = False
        self.decode_errors = 0
        self.loop_stalls = 0  # watchdog ticks that came late: the event loop was held up (stale judgement paused)
        self._http: Any = None  # httpx.AsyncClient for REST snapshots, made on first use
        self.board.listeners.append(self._log_change)
        if on_change:
            self.board.listeners.append(on_change)
        if metrics is not None:
            metrics.bind(self)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        tracing.record("tradeplane.feeds.start", venues=",".join(sorted(self.venues)))  # no-op without OTLP
        if any(v.adapter.book_sync == "rest" for v in self.venues.values()):
            # import httpx and build its client (TLS context, certificates) now, before any data flows:
            # done lazily on the first snapshot it blocked the event loop for seconds on a loaded machine,
            # every leg looked silent, and the watchdog closed them all (a real gap, of our own making)
            self._http_client()
        for v in self.venues.values():
            for leg in v.legs.values():
                leg.task = asyncio.create_task(self._run_leg(v, leg), name=f"leg {leg.name}")
                self._tasks.append(leg.task)
        self._tasks.append(asyncio.create_task(self._watchdog(), name="watchdog"))

    async def stop(self) -> None:
        self._stopping = True
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        for s in self.sinks:
            close = getattr(s, "aclose", None)
            if close is not None:
                await close()

    async def __aenter__(self) -> Gateway:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ events

    def _log_change(self, c: StateChange) -> None:
        log.info(msgspec.json.encode(c).decode())

    def _publish(self, events: list[MarketEvent]) -> None:
        for ev in events:
            for s in self.sinks:
                s.publish(ev)

    def on_message(self, v: _Venue, cs: ConnState, raw: str | bytes, recv_ns: int) -> None:
        """Hot path: one WebSocket message from one connection.

        Three ways through, cheapest first: a copy of a book delta another leg brought first
        (matched, judged on its sequence, dropped undecoded); a book delta on the venue's text path
        (``VenueAdapter.book_text`` -> ``Stream.take_text``); anything else (``decode`` -> the
        streams' ``on_wire``). The first two share the leg bookkeeping at the end, inlined."""
        leg = cs.health
        leg.messages += 1
        leg.bytes += len(raw)
        if v.copies:
            # another leg may have brought this book delta first. The connection's next unmatched first
            # copy is compared with it byte for byte (the venue sends every connection the same
            # messages in order); failing that, a connection that trails (other connections brought
            # first copies it has not matched) peeks at the sequence alone. A copy is judged on its sequence and dropped undecoded; a
            # wrong guess either way only costs time (the full path judges a message the same).
            cur = cs.cur
            if cur < v.won_n:
                theirs, st, seq = v.won[cur & v.won_mask]  # the first copy: raw, its stream, its seq
                if theirs == raw:
                    arb = st.arbiter
                    last = arb.last
                    if last is not None and seq <= last:
                        # a copy of a position the chain holds: Stream.drop_copy's accounting, inline and
                        # flat (what a trailing copy costs is what two legs cost over one; the tests hold
                        # it to drop_copy). The connection's tally on this stream is kept on it.
                        cs.cur = cur + 1
                        t = cs.tally if cs.tally_of is arb else self._tally(cs, arb)
                        dups = t.duplicates = t.duplicates + 1
                        if dups & LEAD_MASK == 1:  # a sampled copy: the lead of the leg that won seq
                            arb.lead(cs.cid, seq, recv_ns)
                        if arb.pending or st.actions or leg.state is not _LIVE or cs.first is not None:
                            self._copy_tail(v, cs, st, recv_ns)
                        else:
                            leg.last_data_ns = recv_ns
                        return
                    cs.cur = cur + 1  # the first copy itself, not yet a position the chain holds: in full
                elif v.peek is not None and self._peeked_copy(v, cs, raw, recv_ns):
                    return
        conn = cs.cid
        text = v.text
        d = text(raw) if text is not None and type(raw) is bytes else None
        st = v.books.get(d[0]) if d is not None else None
        copy = False
        if st is None or d is None:
            ts = self._decoded(v, cs, raw, recv_ns)
            if ts is None:
                return  # control traffic or heartbeats only: no data
            copy = ts < 0  # data that delivered nothing new: another leg's copy (or held for a snapshot)
        else:
            if v.copies:  # a first copy (the common case of _remember, inline)
                last = st.arbiter.last
                if last is None or d[1] > last:
                    n = v.won_n
                    v.won[n & v.won_mask] = (raw, st, d[1])
                    v.won_n = cs.cur = n + 1
                else:  # a copy the match and the peek missed: judged (and dropped) by take_text
                    copy = True
                    self._remember(v, cs, st, raw, d[1])
            out = st.take_text(conn, d, recv_ns)
            if st.arbiter.pending:
                out = out + self._check_hole(v, st, recv_ns)
            if out:
                for e in out:
                    for sink in self.sinks:
                        sink.publish(e)
            if st.actions:
                self._run_actions(v, st)
            ts = d[4]
        # a data message: the leg is alive
        if leg.state is not _LIVE:
            self._leg_live(v, leg, recv_ns)
        leg.last_data_ns = recv_ns
        if cs.first is not None:
            cs.first.set()
            cs.first = None
        if copy:  # the stale bound's rate and the latency histogram count a message once, at its first copy
            return
        cs.rate.observe(recv_ns)
        lat = v.latency
        if lat is not None and ts > 0:
            lat.append(recv_ns - ts)  # folded into the histogram at the watchdog's tick (metrics)
            if len(lat) >= LATENCY_BATCH:
                self.metrics.fold()

    def _leg_live(self, v: _Venue, leg: LegHealth, recv_ns: int) -> None:
        """Data on a leg that was not live: it is now, and streams that were down come back."""
        self.board.set_leg(leg.name, State.LIVE, recv_ns, "data flowing")
        for s in v.streams.values():
            s.legs_back(recv_ns)

    def _tally(self, cs: ConnState, arb: Any) -> Any:
        """The connection's tally on ``arb``, kept on it for the next copy (the copy path's one lookup)."""
        t = arb.tallies.get(cs.cid) or arb.tally(cs.cid)
        cs.tally_of, cs.tally = arb, t
        return t

    def _peeked_copy(self, v: _Venue, cs: ConnState, raw: str | bytes, recv_ns: int) -> bool:
        """A trailing connection's message that did not match the next first copy byte for byte: a peek
        at its sequence alone; a copy of a position the chain holds is accounted for and dropped (True)."""
        peeked = v.peek(raw)  # type: ignore[misc]
        if peeked is None:
            return False
        st = v.books.get(peeked[0])
        if st is None or not st.drop_copy(cs.cid, peeked[1], recv_ns):
            return False
        # its place in the ring moves past this copy's first copy: a connection that lost a message
        # (the first copy it did not match) is matched byte for byte again from its next message on,
        # instead of peeking at every message until it leads once
        self._pass(v, cs, st, peeked[1])
        self._copy_tail(v, cs, st, recv_ns)
        return True

    def _copy_tail(self, v: _Venue, cs: ConnState, st: Stream, recv_ns: int) -> None:
        """The rest of a dropped copy's bookkeeping, when there is any: a hole to judge, the stream's
        actions, a leg coming (back) live, the first data on a connection. The stream's rate (the
        stale bound) and the latency histogram counted the message once, at its first copy (what a
        trailing leg's copies lag by is the arbiter's lead)."""
        if st.arbiter.pending:
            out = self._check_hole(v, st, recv_ns)
            if out:
                self._publish(out)
        if st.actions:
            self._run_actions(v, st)
        leg = cs.health
        if leg.state is not _LIVE:
            self._leg_live(v, leg, recv_ns)
        leg.last_data_ns = recv_ns
        if cs.first is not None:
            cs.first.set()
            cs.first = None

    def _decoded(self, v: _Venue, cs: ConnState, raw: str | bytes, recv_ns: int) -> int | None:
        """Every message the fast paths do not take: decoded into events, each to its stream. Returns
        None when the message carried no data; -1 when it delivered nothing new (a copy another leg
        brought first, an update held for a snapshot: the stale rate and the latency histogram count
        a message once, at its first copy); else the exchange time of the first event it delivered
        (its latency sample; 0 when the venue gives none)."""
        events = v.adapter.decode(raw, recv_ns)
        if v.conn_sequenced:
            self._connection_seq(v, cs, recv_ns)
        if not events:
            return None
        route = v.route
        conn = cs.cid
        data = False
        sent_ns = -1
        for ev in events:
            st = route.get((type(ev), ev.symbol))
            if st is None:
                data = data or type(ev) is not Heartbeat
                continue
            data = True
            if v.copies and type(ev) is ParsedDelta and len(events) == 1:
                self._remember(v, cs, st, raw, ev.seq)
            out = st.on_wire(conn, ev, recv_ns)
            if out and sent_ns < 0:
                sent_ns = getattr(ev, "ts_exchange", 0)
            if st.arbiter.pending:
                out = out + self._check_hole(v, st, recv_ns)
            if out:
                self._publish(out)
            if st.actions:
                self._run_actions(v, st)
        return sent_ns if data else None

    def _remember(self, v: _Venue, cs: ConnState, st: Stream, raw: str | bytes, seq: int) -> None:
        """Before ``st`` judges book position ``seq`` from ``cs``: a first copy is remembered for the
        other connections (``won``); a copy moves this connection's place in ``won`` past the one it
        matches (the connection missed a message, or its copy was not byte-identical)."""
        last = st.arbiter.last
        if last is None or seq > last:
            n = v.won_n
            v.won[n & v.won_mask] = (raw, st, seq)
            v.won_n = cs.cur = n + 1
            return
        self._pass(v, cs, st, seq)

    @staticmethod
    def _pass(v: _Venue, cs: ConnState, st: Stream, seq: int) -> None:
        """``cs`` brought a copy of position ``seq`` of ``st`` that it did not match in ``won``: its place
        moves past that position's first copy (or to the first copy after it), looked for among the
        next 256 first copies; left where it is when none is there."""
        won = v.won
        n = v.won_n
        i = max(cs.cur, n - len(won))
        for j in range(i, min(n, i + 256)):
            w = won[j & v.won_mask]
            if w[1] is st and w[2] >= seq:
                cs.cur = j + 1 if w[2] == seq else j
                return

    def _connection_seq(self, v: _Venue, cs: ConnState, now_ns: int) -> None:
        """Venues that number every message of a connection: a hole in the numbers means this
        connection lost messages; each stream it carries judges whether another connection covered
        them (Stream.connection_gap). A number that goes back is a new start (it is not a loss)."""
        n = v.adapter.conn_seq
        if n == NO_SEQ:
            return
        last, cs.seq = cs.seq, n
        if last == NO_SEQ or n <= last + 1:
            return
        cs.health.sequence_gaps += 1
        route = v.conn_route.get(cs.cid, "")
        live = sorted(v.live_on.get(route, ()))
        for st in v.streams.values():
            if st.route == route:
                out = st.connection_gap(cs.cid, live, now_ns, (last + 1, n - 1))
                if out:
                    self._publish(out)
                if st.actions:
                    self._run_actions(v, st)

    def _check_hole(self, v: _Venue, st: Stream, now_ns: int) -> list[MarketEvent]:
        """A gap only once no live leg can still deliver the hole: every live leg is past it and it
        has stayed open for the reorder window derived from the legs' observed lag and the rate."""
        window = st.arbiter.reorder_window_ns(int(self.board.rates[v.rate_key[st.route]].mean_ns))
        return st.check_hole(sorted(v.live_on[st.route]), now_ns, window)

    # ------------------------------------------------------------------ actions

    def _run_actions(self, v: _Venue, st: Stream) -> None:
        acts, st.actions = st.actions, []
        for a in acts:
            self._tasks.append(asyncio.create_task(self._act(v, st, a)))

    async def _act(self, v: _Venue, st: Stream, a: Action) -> None:
        rs = v.resync[st.name]
        if rs.inflight:  # one resync per stream at a time: the one running sees this request through
            return
        rs.inflight = True
        try:
            delay = rs.delay_s(time.monotonic())
            if delay:
                await asyncio.sleep(delay)
            if a.kind == "fetch_snapshot":
                await self._fetch_snapshot(v, st)
            else:
                await self._resubscribe(v, st)
        finally:
            rs.inflight = False

    async def _within_budget(self, v: _Venue, st: Stream, wait_s: float, what: str) -> bool:
        """Wait ``wait_s`` for the venue's budget; past the patience the stream says it cannot resync.
        False when the stream no longer needs a snapshot (another path brought one)."""
        if wait_s <= 0:
            return True
        if wait_s > self.tuning.resync_patience_s:
            v.resync[st.name].blocked += 1
            st.cannot_resync(time.time_ns(), f"{what}: the venue's limits allow the next in {wait_s:.0f} s")
        await asyncio.sleep(min(wait_s, 3600.0))
        return st.needs_snapshot and not self._stopping

    async def _fetch_snapshot(self, v: _Venue, st: Stream) -> None:
        legs = [lg for lg in v.legs.values() if lg.spec.rest] or list(v.legs.values())
        attempt = 0
        while not self._stopping and st.needs_snapshot:
            leg = legs[attempt % len(legs)]
            ip = leg.spec.source or ""
            rest = leg.spec.rest or v.adapter.default_rest
            url = v.adapter.snapshot_url(rest, st.symbol)
            if not await self._within_budget(v, st, v.budget.snapshot_wait_s(ip, time.monotonic()),
                                             "REST snapshot budget spent"):
                return
            v.budget.take_snapshot(ip, time.monotonic())
            try:
                body = await self._http_get(url)
                snap = v.adapter.parse_snapshot(body, st.symbol, time.time_ns())
            except Exception as exc:  # network or venue error: try the next leg's endpoint
                log.warning(msgspec.json.encode({"event": "snapshot_failed", "url": url, "error": str(exc)}).decode())
                attempt += 1
                await asyncio.sleep(min(5.0, 0.1 * 2**attempt))
                continue
            out = st.on_snapshot(snap, time.time_ns())
            if out:
                self._publish(out)
            if st.actions:
                self._run_actions(v, st)
            return

    async def _resubscribe(self, v: _Venue, st: Stream) -> None:
        """Ask one live connection for a fresh in-band snapshot, within the venue's budget; ask again
        (on the next connection) if none arrives within the timeout."""
        msgs = v.adapter.resubscribe_messages(st.symbol)
        attempt = 0
        while not self._stopping and st.needs_snapshot:
            conns = sorted(v.live_on[st.route])
            if not conns:
                await asyncio.sleep(self.tuning.watchdog_s)
                continue
            now = time.monotonic()

            def wait(c: str, now: float = now) -> float:
                return v.budget.resubscribe_wait_s(c, self._source(v, c), len(msgs), now)

            conn = min(conns[attempt % len(conns):] + conns[: attempt % len(conns)], key=wait)
            if not await self._within_budget(v, st, wait(conn), "resubscribe budget spent"):
                return
            leg = v.legs[v.conn_leg.get(conn, "/").split("/", 1)[1]] if conn in v.conn_leg else None
            ws = leg.conns.get(conn) if leg is not None else None
            if ws is None:
                attempt += 1
                continue
            v.budget.take_resubscribe(conn, self._source(v, conn), len(msgs), time.monotonic())
            with contextlib.suppress(ConnectionLost):
                for m in msgs:
                    await ws.send(m)
            deadline = time.monotonic() + self.tuning.snapshot_timeout_s
            while st.needs_snapshot and time.monotonic() < deadline and not self._stopping:
                await asyncio.sleep(self.tuning.watchdog_s)
            attempt += 1

    async def _http_get(self, url: str) -> bytes:
        """GET on the event loop (httpx): a thread-pool hop waited seconds behind a busy loop."""
        resp = await self._http_client().get(url)
        resp.raise_for_status()
        body: bytes = resp.content
        return body

    def _http_client(self) -> Any:
        if self._http is None:
            import importlib

            import httpx

            self._http = httpx.AsyncClient(timeout=10.0, headers={"User-Agent": "tradeplane-feeds"})
            # what httpx imports on its first request (its anyio backend: ~1.5 s on this machine,
            # blocking the loop mid-stream when it happened on the first snapshot)
            for name in ("anyio._backends._asyncio", "anyio.streams.tls", "anyio.to_thread"):
                with contextlib.suppress(ImportError):
                    importlib.import_module(name)
        return self._http

    def _source(self, v: _Venue, conn: str) -> str:
        """The local address a connection leaves from (the venue sees its IP)."""
        name = v.conn_leg.get(conn, "")
        leg = v.legs.get(name.split("/", 1)[1]) if "/" in name else None
        return (leg.spec.source or "") if leg is not None else ""

    # ------------------------------------------------------------------ legs

    async def _open(self, v: _Venue, leg: _Leg) -> tuple[str, Connection, asyncio.Task[None]]:
        """Connect (feeds.connection), take messages at once, then subscribe within the venue's pacing."""
        lim = v.adapter.limits
        wait = v.connect_limit.wait_s(time.monotonic())
        if wait:
            await asyncio.sleep(wait)
        v.connect_limit.take(time.monotonic())
        self.board.set_leg(leg.name, State.CONNECTING, time.time_ns(), "connecting")
        ws = await connect(leg.url, source=leg.spec.source, open_timeout=10.0, ping_s=20.0)
        leg.gen += 1
        cid = f"{leg.name}#{leg.gen}"
        v.conn_leg[cid] = leg.name
        v.conn_route[cid] = leg.route
        leg.conns[cid] = ws
        leg.first_data[cid] = asyncio.Event()
        h = self.board.leg(leg.name)
        h.connected_ns = time.time_ns()
        self.board.set_leg(leg.name, State.SYNCING, h.connected_ns, "connected, subscribing")
        cs = ConnState(cid, h, self.board.rates[v.rate_key[leg.route]], leg.first_data[cid], cur=v.won_n)
        ws.attach(self._receiver(v, cs, ws))
        reader = asyncio.create_task(ws.wait_closed())
        symbols = [i.symbol for i in v.spec.instruments]
        gap = 1.0 / lim.subscribe_per_s
        v.subscribing.add(cid)
        try:
            for i, m in enumerate(v.adapter.subscribe_messages(symbols, leg.channels)):
                if i:
                    await asyncio.sleep(gap)
                await ws.send(m)
        except BaseException:
            reader.cancel()
            await ws.close()
            raise
        finally:
            v.subscribing.discard(cid)
        h.connected_ns = time.time_ns()  # the stale clock starts once every subscription is sent
        v.go_live(cid)
        return cid, ws, reader

    def _receiver(self, v: _Venue, cs: ConnState, ws: Connection) -> Callable[[bytes, int], None]:
        """What the connection calls with each message (from its frame callback: no task per message)."""
        on_message = self.on_message
        # most venues demand no replies: their messages skip the call (one less per message)
        replies = v.adapter.replies if type(v.adapter).replies is not VenueAdapter.replies else None
        cid = cs.cid

        def receive(raw: bytes, recv_ns: int) -> None:
            try:
                on_message(v, cs, raw, recv_ns)
            except (msgspec.DecodeError, TradeplaneError, ValueError, KeyError) as exc:
                self.decode_errors += 1
                log.warning(msgspec.json.encode(
                    {"event": "undecodable", "conn": cid, "error": str(exc), "message": str(raw)[:200]}
                ).decode())
            if replies is not None:
                for r in replies(raw):
                    with contextlib.suppress(ConnectionLost):
                        ws.send_now(r)

        return receive

    async def _pinger(self, v: _Venue, ws: Connection) -> None:
        msg = v.adapter.ping_message()
        every = v.adapter.limits.ping_interval_s
        if msg is None or not every:
            return
        with contextlib.suppress(ConnectionLost):
            while True:
                await asyncio.sleep(every)
                await ws.send(msg)

    def _close_conn(self, v: _Venue, leg: _Leg, cid: str) -> None:
        v.not_live(cid)
        v.budget.forget(cid)
        leg.conns.pop(cid, None)
        leg.first_data.pop(cid, None)
        v.conn_leg.pop(cid, None)
        v.conn_route.pop(cid, None)
        if v.conn_sequenced and not self._stopping:
            live = sorted(v.live_on[leg.route])
            for st in v.streams.values():
                if st.route == leg.route:
                    out = st.connection_closed(cid, live, time.time_ns())
                    if out:
                        self._publish(out)
                    if st.actions:
                        self._run_actions(v, st)
        if not v.live_on[leg.route] and not self._stopping:
            now = time.time_ns()
            for st in v.streams.values():
                if st.route == leg.route:
                    st.legs_down(now)

    async def _run_leg(self, v: _Venue, leg: _Leg) -> None:
        t = self.tuning
        backoff = Backoff(t.backoff_base_s, t.backoff_cap_s, rng=random.Random(self._rng.random()))
        max_age = t.max_connection_age_s or (
            v.adapter.limits.max_connection_age_s - t.rotate_margin_s
            if v.adapter.limits.max_connection_age_s else None
        )
        while not self._stopping:
            reason = "closed by venue"
            cid = ""
            try:
                cid, ws, reader = await self._open(v, leg)
                pinger = asyncio.create_task(self._pinger(v, ws))
                while True:
                    done, _ = await asyncio.wait({reader}, timeout=max_age)
                    if done:
                        break
                    # rotate: overlap a new connection, switch once it delivers data
                    new_cid, new_ws, new_reader = await self._open(v, leg)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(leg.first_data[new_cid].wait(), timeout=30)
                    pinger.cancel()
                    await ws.close()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await reader
                    self._close_conn(v, leg, cid)
                    log.info(msgspec.json.encode({"event": "rotated", "leg": leg.name, "old": cid, "new": new_cid}).decode())
                    cid, ws, reader = new_cid, new_ws, new_reader
                    pinger = asyncio.create_task(self._pinger(v, ws))
                pinger.cancel()
                reason = ws.reason
                backoff.reset() if self.board.leg(leg.name).last_data_ns > self.board.leg(leg.name).connected_ns else None
            except asyncio.CancelledError:
                for c in list(leg.conns.values()):
                    with contextlib.suppress(Exception):
                        await c.close()
                raise
            except (OSError, TimeoutError, ConnectionLost) as exc:  # ConnectFailed is an OSError
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                if cid:
                    self._close_conn(v, leg, cid)
            if self._stopping:
                return
            h = self.board.leg(leg.name)
            h.reconnects += 1
            self.board.set_leg(leg.name, State.DOWN, time.time_ns(), reason)
            await asyncio.sleep(backoff.next_delay())

    # ------------------------------------------------------------------ watchdog

    async def _watchdog(self) -> None:
        loop = asyncio.get_running_loop()
        every = self.tuning.watchdog_s
        # a tick this late means the event loop itself was held up (a blocking call, a busy machine):
        # data may be sitting unread in every socket, so silence seen across the stall says nothing
        # about the legs. Stale judgements wait until the readers have run again (one stale floor).
        stall_s = max(every, self.tuning.stale_floor_s / 2)
        due = loop.time() + every
        blind_until_ns = 0
        while True:
            await asyncio.sleep(every)
            late = loop.time() - due
            due = loop.time() + every
            now = time.time_ns()
            if late > stall_s:
                self.loop_stalls += 1
                blind_until_ns = now + int(max(2 * every, self.tuning.stale_floor_s) * 1e9)
                log.warning(msgspec.json.encode({"event": "loop_stall", "late_s": round(late, 3)}).decode())
            judge = now >= blind_until_ns
            for v in self.venues.values():
                for route, key in v.rate_key.items():
                    legs = [leg.name for leg in v.legs.values() if leg.conns and leg.route == route]
                    for name in self.board.stale_legs(key, legs, now) if judge else ():
                        leg = v.legs[name.split("/", 1)[1]]
                        self.board.set_leg(name, State.STALE, now, "connected but silent past the stale bound")
                        for cid, ws in list(leg.conns.items()):
                            v.not_live(cid)
                            self._tasks.append(asyncio.create_task(ws.close(4000, "stale")))
                    # a leg still subscribing is on its way up
                    if not v.live_on[route] and not any(v.conn_route.get(c) == route for c in v.subscribing):
                        for st in v.streams.values():
                            if st.route == route:
                                st.legs_down(now)
                for st in v.streams.values():
                    if st.arbiter.pending:
                        out = self._check_hole(v, st, now)
                        if out:
                            self._publish(out)
                        if st.actions:
                            self._run_actions(v, st)
            if self.metrics is not None:
                self.metrics.refresh(self)

    # ------------------------------------------------------------------ status

    def status(self) -> dict[str, Any]:
        """A JSON-able picture of every stream and leg (served on /status).

        Per stream: ``best_bid``/``best_ask`` are the book's best prices in integer ticks (counts of
        ``tick``, the instrument's price step, e.g. ``1000008`` at ``"0.01"``); ``best_bid_price``/
        ``best_ask_price`` the same prices as exact decimal text in the instrument's units
        (``"10000.08"``, via its ``Scale``); ``null`` without a book. ``state_for_ms``: how long the
        stream has been in ``state`` (``null`` if it has not changed since it was created): for a
        stream that is not ``live`` the prices are the last its book had, at least that old. Per leg:
        ``silent_ms`` since its last data, ``stale_bound_ms`` its current stale bound."""
        now = time.time_ns()
        since = self.board.stream_since
        streams = []
        for v in sorted(self.venues.values(), key=lambda x: x.name):
            scales = {i.symbol: i.price for i in v.spec.instruments}
            for (ch, sym), st in sorted(v.streams.items()):
                price = scales[sym]
                bid, ask = st.book.best_bid, st.book.best_ask
                entered = since.get(st.name, 0)
                streams.append({
                    "stream": st.name, "state": st.state.value, "mode": st.arbiter.mode,
                    "delivered": st.stats.delivered, "gaps": st.stats.gaps, "resyncs": st.stats.resyncs,
                    "checksum_failures": st.stats.checksum_failures,
                    "note": v.adapter.notes.get(ch, ""),  # type: ignore[call-overload]
                    "tick": price.step, "best_bid": bid, "best_ask": ask,
                    "best_bid_price": None if bid is None else price.to_text(bid),
                    "best_ask_price": None if ask is None else price.to_text(ask),
                    "state_for_ms": (now - entered) / 1e6 if entered else None,
                })
        legs = []
        for name, h in sorted(self.board.legs.items()):
            v = self.venues[name.split("/", 1)[0]]
            wins = sum(t.wins for st in v.streams.values() for c, t in st.arbiter.tallies.items()
                       if c.split("#", 1)[0] == name)
            legs.append({
                "leg": name, "state": h.state.value, "messages": h.messages, "bytes": h.bytes,
                "reconnects": h.reconnects, "wins": wins,
                "silent_ms": (now - h.last_data_ns) / 1e6 if h.last_data_ns else None,
                "stale_bound_ms": self.board.rates[v.rate_key[v.legs[name.split("/", 1)[1]].route]].bound_ns() / 1e6,
            })
        return {"streams": streams, "legs": legs}


__all__ = ["BookSnapshot", "Gateway", "LegSpec", "Sink", "Tuning", "VenueSpec"]
