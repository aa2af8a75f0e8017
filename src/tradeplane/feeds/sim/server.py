"""The exchange simulator: real WebSocket servers on 127.0.0.1, one per (venue, endpoint), each venue's
market data published in its own protocol by its ``VenuePublisher``.

Each (venue, endpoint) pair is its own server on its own port, so a gateway's legs can
point at different endpoints and a fault on one endpoint hits one leg. Every endpoint
of a venue sends the same messages (same sequence numbers, same checksums): the market
is generated once per step and encoded once per venue. REST depth snapshots (Binance)
are answered on the same port as the WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import websockets
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from tradeplane.feeds.book import OrderBook
from tradeplane.feeds.instrument import Instrument
from tradeplane.feeds.sim.faults import FAULTS, FaultPlan, Faults
from tradeplane.feeds.sim.market import Market
from tradeplane.feeds.sim.recorded import RecordedMarket
from tradeplane.feeds.sinks.parquet import replay
from tradeplane.feeds.venues import adapter_class, publisher_class
from tradeplane.feeds.venues.base import VenueAdapter, VenuePublisher

log = logging.getLogger("tradeplane.feeds.sim")
REORDER_HOLD_S = 0.02  # longest a reordered message waits for a next one to overtake it


@dataclass(eq=False)
class _Conn:
    """One client connection; its own writer task drains a bounded queue, so a client that stops
    reading is cut off (as venues do with slow consumers) instead of stalling every other client."""

    ws: ServerConnection
    topics: set[tuple[str, str]] = field(default_factory=set)
    held: str | None = None  # reorder: a message held back to go after the next
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(20_000))
    sent: int = 0
    # venues that number every message of a connection (Coinbase Advanced Trade): the number is stamped
    # as the message is queued; a message lost on the way (the drop fault) still uses its number
    stamp: Callable[[str, int], tuple[str, bool]] | None = None
    seq: int = 0

    def skip(self) -> None:
        if self.stamp is not None:
            self.seq += 1

    def put(self, msg: str) -> None:
        if self.stamp is not None:
            msg, numbered = self.stamp(msg, self.seq)
            self.seq += numbered
        try:
            self.queue.put_nowait(msg)
        except asyncio.QueueFull:
            self.topics.clear()
            asyncio.get_running_loop().create_task(self.ws.close(1008, "slow consumer"))

    async def writer(self) -> None:
        q, ws = self.queue, self.ws
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                msg = await q.get()
                await ws.send(msg)
                self.sent += 1


@dataclass
class _Endpoint:
    name: str
    venue: SimulatedVenue
    server: Server | None = None
    port: int = 0
    conns: set[_Conn] = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)
    sent: int = 0
    control: int = 0  # control messages received from clients (subscribe, unsubscribe, ping ...)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.venue.path}"

    @property
    def rest(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class _SymbolState:
    market: Market | RecordedMarket
    seq: int = 0
    bbo_seq: int = 0
    last_top: tuple[tuple[int, int], tuple[int, int]] | None = None


class SimulatedVenue:
    """One venue of the simulator: its protocol, its markets, its endpoints."""

    def __init__(self, name: str, instruments: Sequence[Instrument], endpoints: Sequence[str], seed: int,
                 recording: Path | None = None) -> None:
        self.name = name
        self.publisher: VenuePublisher = publisher_class(name)(instruments)
        self.adapter: VenueAdapter = adapter_class(name)(instruments)
        self.path = urlsplit(self.adapter.default_url).path or "/"
        self.endpoints = {e: _Endpoint(e, self) for e in endpoints}
        self.symbols: dict[str, _SymbolState] = {}
        for i, inst in enumerate(instruments):
            m: Market | RecordedMarket
            if recording is not None:
                m = RecordedMarket(replay(recording, venue=name, symbol=inst.symbol))
            else:
                m = Market(seed=seed * 1000 + i + sum(map(ord, name)))
            self.symbols[inst.symbol] = _SymbolState(m, seq=1_000_000 + 17 * i)

    zero_checksum: bool = False  # the venue sends "checksum": 0 (OKX retired its checksum on 2026-06-23)

    def checksum(self, symbol: str, book: OrderBook) -> int:
        if self.zero_checksum:
            return 0
        return self.adapter.checksum(book, symbol) if self.adapter.has_checksum else 0

    def subscribers(self, channel: str = "book") -> int:
        return sum(1 for ep in self.endpoints.values() for c in ep.conns for t in c.topics if t[0] == channel)


class ExchangeSimulator:
    """Runs the endpoints and the market loop. Use as ``async with ExchangeSimulator(...) as sim``."""

    def __init__(
        self,
        venues: dict[str, Sequence[Instrument]],
        endpoints: Sequence[str] = ("a", "b"),
        *,
        rate_hz: float = 200.0,
        steps: int | None = None,
        seed: int = 1,
        start_after: int = 0,
        heartbeat_s: float = 1.0,
        ports: dict[tuple[str, str], int] | None = None,
        trade_every: int = 3,
        funding_every: int = 50,
        recording: Path | None = None,
    ) -> None:
        self.venues = {n: SimulatedVenue(n, insts, endpoints, seed, recording) for n, insts in venues.items()}
        self.rate_hz = rate_hz
        self.steps = steps
        self.start_after = start_after
        self.heartbeat_s = heartbeat_s
        self.ports = ports or {}
        self.trade_every = trade_every
        self.funding_every = funding_every
        self.step_no = 0
        self.burst = 1.0
        self.done = asyncio.Event()
        self.started = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._plans: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> ExchangeSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        for v in self.venues.values():
            for ep in v.endpoints.values():
                ep.server = await serve(
                    functools.partial(self._handle, ep),
                    "127.0.0.1",
                    self.ports.get((v.name, ep.name), 0),
                    process_request=functools.partial(self._http, ep),
                    compression=None,
                    max_size=None,
                    ping_interval=20,
                )
                ep.port = next(iter(ep.server.sockets)).getsockname()[1]
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        for t in [self._task, *self._plans]:
            if t:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
        for v in self.venues.values():
            for ep in v.endpoints.values():
                if ep.server:
                    ep.server.close()
                    await ep.server.wait_closed()

    def endpoint(self, venue: str, name: str) -> _Endpoint:
        return self.venues[venue].endpoints[name]

    def url(self, venue: str, endpoint: str) -> str:
        return self.endpoint(venue, endpoint).url

    def rest(self, venue: str, endpoint: str) -> str:
        return self.endpoint(venue, endpoint).rest

    # ------------------------------------------------------------------ faults

    async def close(self, venue: str, endpoint: str, refuse_s: float = 0.0) -> None:
        """Close every connection of the endpoint; refuse reconnects for ``refuse_s``."""
        ep = self.endpoint(venue, endpoint)
        if refuse_s:
            ep.faults.refuse = True
            asyncio.get_running_loop().call_later(refuse_s, setattr, ep.faults, "refuse", False)
        for c in list(ep.conns):
            await c.ws.close(1001, "going away")

    async def restart(self, venue: str, down_s: float = 0.2) -> None:
        """The venue restarts: every endpoint closes (refusing for ``down_s``) and every book's
        sequence starts again from 1 (the next snapshot carries 1, the next update 2)."""
        v = self.venues[venue]
        for st in v.symbols.values():
            st.seq = 1
        await asyncio.gather(*(self.close(venue, ep, down_s) for ep in v.endpoints))

    def stall(self, venue: str, endpoint: str, on: bool = True) -> None:
        self.endpoint(venue, endpoint).faults.stalled = on

    def faults(self, venue: str, endpoint: str) -> Faults:
        return self.endpoint(venue, endpoint).faults

    def schedule(self, plan: FaultPlan) -> None:
        async def run() -> None:
            await asyncio.sleep(plan.at_s)
            for v in self.venues.values():
                if plan.endpoint not in v.endpoints:
                    continue
                f = v.endpoints[plan.endpoint].faults
                value = plan.value or FAULTS[plan.kind].default
                if plan.kind == "close":
                    await self.close(v.name, plan.endpoint, plan.duration_s)
                elif plan.kind == "stall":
                    f.stalled = True
                elif plan.kind == "drop":
                    f.drop = value
                elif plan.kind == "duplicate":
                    f.duplicate = value
                elif plan.kind == "reorder":
                    f.reorder = value
                elif plan.kind == "corrupt":
                    f.corrupt = int(value)
                elif plan.kind == "burst":
                    self.burst = value
                elif plan.kind == "delay":
                    f.delay_s = value / 1000.0
                elif plan.kind == "nosnapshot":
                    f.no_snapshot = True
                elif plan.kind == "restart":
                    await self.restart(v.name, plan.duration_s or 0.2)
                elif plan.kind == "zerochecksum":
                    v.zero_checksum = True
            if plan.duration_s and plan.kind not in ("close", "restart"):
                await asyncio.sleep(plan.duration_s)
                for v in self.venues.values():
                    if plan.endpoint in v.endpoints:
                        v.endpoints[plan.endpoint].faults.clear()
                self.burst = 1.0

        self._plans.append(asyncio.create_task(run()))

    # ------------------------------------------------------------------ serving

    def _http(self, ep: _Endpoint, conn: ServerConnection, req: Request) -> Response | None:
        if ep.faults.refuse:
            return conn.respond(HTTPStatus.SERVICE_UNAVAILABLE, "endpoint down (simulated)\n")
        parts = urlsplit(req.path)
        if "upgrade" in req.headers.get("Connection", "").lower():
            if ep.venue.publisher.channels_on(parts.path) == frozenset():
                return conn.respond(HTTPStatus.NOT_FOUND, "no streams on this path\n")
            return None
        st = next(iter(ep.venue.symbols.values()), None)
        query = dict(parse_qsl(parts.query))
        for sym, s in ep.venue.symbols.items():
            if query.get("symbol", "").upper() == sym.upper():
                st = s
        if st is None:
            return conn.respond(HTTPStatus.NOT_FOUND, "no such symbol\n")
        body = ep.venue.publisher.rest_response(parts.path, query, st.market.book, st.seq)
        if body is None:
            return conn.respond(HTTPStatus.NOT_FOUND, "not found\n")
        resp = conn.respond(HTTPStatus.OK, body.decode())
        resp.headers["Content-Type"] = "application/json"
        return resp

    async def _handle(self, ep: _Endpoint, ws: ServerConnection) -> None:
        conn = _Conn(ws, stamp=ep.venue.publisher.stamp if ep.venue.publisher.stamps_connection else None)
        ep.conns.add(conn)
        writer = asyncio.create_task(conn.writer())
        v = ep.venue
        served = v.publisher.channels_on(urlsplit(ws.request.path).path if ws.request else "/")
        try:
            async for raw in ws:
                text = raw if isinstance(raw, str) else raw.decode()
                ep.control += 1
                if text == "ping":  # OKX's text ping
                    conn.put("pong")
                    continue
                for t in v.publisher.unsubscribed(text):
                    conn.topics.discard(t)
                topics, replies = v.publisher.on_client(text)
                for r in replies:
                    conn.put(r)
                for t in topics:
                    if served is not None and t[0] not in served:
                        continue  # not served on this endpoint: no data, as at the venue
                    conn.topics.add(t)
                    if t[0] == "book":
                        st = v.symbols.get(t[1])
                        if st is not None and not ep.faults.no_snapshot:
                            book = st.market.book
                            snap = v.publisher.snapshot_message(t[1], book, st.seq, time.time_ns(), v.checksum(t[1], book))
                            if snap is not None:
                                conn.put(snap)
        except websockets.ConnectionClosed:
            pass
        finally:
            ep.conns.discard(conn)
            ep.sent += conn.sent
            writer.cancel()

    async def _send(self, ep: _Endpoint, topic: tuple[str, str], msg: str, *, book: bool = False) -> None:
        f = ep.faults
        if f.stalled or not ep.conns:
            return
        if book and f.corrupt > 0:
            f.corrupt -= 1
            msg = ep.venue.publisher.corrupt_checksum(msg)
        r = f.rng
        if f.drop and r.random() < f.drop:
            for c in ep.conns:
                if topic in c.topics:
                    c.skip()
            return
        copies = 2 if f.duplicate and r.random() < f.duplicate else 1
        for c in list(ep.conns):
            if topic not in c.topics:
                continue
            out = [msg] * copies
            if c.held is not None:
                out.append(c.held)
                c.held = None
            elif f.reorder and r.random() < f.reorder:
                # held back to go after the next message; if none follows soon (the last message of a
                # run, a quiet market), it goes on its own after REORDER_HOLD_S: late, never lost
                c.held = msg
                out = out[1:]
                asyncio.get_running_loop().call_later(REORDER_HOLD_S + f.delay_s, self._release, c, msg)
            if f.delay_s:  # a slower leg: same order, later
                loop = asyncio.get_running_loop()
                for m in out:
                    loop.call_later(f.delay_s, c.put, m)
                continue
            for m in out:
                c.put(m)

    @staticmethod
    def _release(c: _Conn, msg: str) -> None:
        if c.held is msg:
            c.held = None
            c.put(msg)

    async def _broadcast(self, v: SimulatedVenue, topic: tuple[str, str], msg: str | None, *, book: bool = False) -> None:
        if msg is None:
            return
        for ep in v.endpoints.values():
            await self._send(ep, topic, msg, book=book)

    async def _heartbeats(self, v: SimulatedVenue, now: int) -> None:
        for sym in v.symbols:
            hb = v.publisher.heartbeat_message(sym, now)
            if hb is None:
                continue
            for ep in v.endpoints.values():
                for c in list(ep.conns):
                    if c.topics:
                        c.put(hb)

    def exhausted(self) -> bool:
        """Every market is a recording that has been replayed to its end."""
        return all(isinstance(st.market, RecordedMarket) and st.market.exhausted
                   for v in self.venues.values() for st in v.symbols.values())

    async def step_once(self) -> None:
        self.step_no += 1
        now = time.time_ns()
        for v in self.venues.values():
            sim = v.publisher
            for sym, st in v.symbols.items():
                step = st.market.step()
                if step is None:  # a recording that has run out
                    continue
                book = st.market.book
                prev = st.seq
                first = prev + 1
                st.seq = prev + sim.seq_step()
                cs = v.checksum(sym, book)
                if step.bids or step.asks:
                    await self._broadcast(
                        v, ("book", sym), sim.delta_message(sym, st.seq, prev, now, step.bids, step.asks, cs, first),
                        book=True,
                    )
                else:
                    st.seq = prev
                if step.trade is not None:
                    p, q, side = step.trade
                    await self._broadcast(v, ("trades", sym), sim.trade_message(sym, st.market.trade_id, now, p, q, side))
                if not book.bids or not book.asks:
                    continue
                top = (book.top_bids(1)[0], book.top_asks(1)[0])
                if top != st.last_top:
                    st.last_top = top
                    st.bbo_seq = st.seq
                    await self._broadcast(v, ("bbo", sym), sim.bbo_message(sym, st.seq, now, top[0], top[1]))
                if self.step_no % self.funding_every == 0:
                    mark = (top[0][0] + top[1][0]) // 2
                    await self._broadcast(
                        v, ("funding", sym), sim.funding_message(sym, self.step_no, now, mark, 100_000 + self.step_no)
                    )

    async def _run(self) -> None:
        if self.start_after:
            while sum(v.subscribers("book") for v in self.venues.values()) < self.start_after:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # let REST snapshots be taken before the first update
        self.started.set()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        next_hb = t0 + self.heartbeat_s
        n = 0
        while (self.steps is None or n < self.steps) and not self.exhausted():
            await self.step_once()
            n += 1
            now = loop.time()
            if now >= next_hb:
                next_hb = now + self.heartbeat_s
                for v in self.venues.values():
                    await self._heartbeats(v, time.time_ns())
            if self.rate_hz > 0:
                t0 += 1.0 / (self.rate_hz * self.burst)
                delay = t0 - loop.time()
                # behind schedule: still yield every step, so the clients sharing the loop (and REST
                # snapshot requests) are served while the market catches up
                await asyncio.sleep(max(0.0, delay))
            elif n % 64 == 0:
                await asyncio.sleep(0)
        self.done.set()
        # keep heartbeating so connected clients see an idle but open venue
        while True:
            await asyncio.sleep(self.heartbeat_s)
            for v in self.venues.values():
                await self._heartbeats(v, time.time_ns())


