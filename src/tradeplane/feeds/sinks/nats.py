"""NATS JetStream publisher: subjects ``md.<venue>.<channel>.<symbol>``, msgpack payloads.

Events are queued (bounded, oldest dropped and counted when full) and published by one
task. Each message carries a ``Nats-Msg-Id`` header (venue, channel, symbol, sequence) so
JetStream's duplicate window drops a re-publish after a reconnect. The stream is created
(or its subjects checked) on start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from dataclasses import dataclass, field

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from tradeplane.feeds.events import CHANNEL_OF, Gap, MarketEvent, event_encoder

log = logging.getLogger("tradeplane.feeds.nats")


def subject_token(text: str) -> str:
    """A NATS subject token: no dots, wildcards or whitespace."""
    return "".join("_" if ch in ".*> \t\r\n" else ch for ch in text)


def subject_for(ev: MarketEvent) -> str:
    channel = "gap" if isinstance(ev, Gap) else CHANNEL_OF[type(ev)]
    return f"md.{subject_token(ev.venue)}.{channel}.{subject_token(ev.symbol)}"


def msg_id(ev: MarketEvent, payload: bytes) -> str:
    """Same event, same id: the venue's sequence where it has one, else the exchange time and content."""
    seq = getattr(ev, "seq", -1)
    if seq >= 0 and not isinstance(ev, Gap):
        return f"{subject_for(ev)}:{type(ev).__name__}:{seq}"
    return f"{subject_for(ev)}:{type(ev).__name__}:{getattr(ev, 'ts_exchange', ev.ts_recv)}:{zlib.crc32(payload)}"


@dataclass
class NatsPublisher:
    url: str = "nats://127.0.0.1:4222"
    stream: str = "MD"
    maxsize: int = 100_000
    published: int = 0
    dropped: int = 0
    _queue: asyncio.Queue[MarketEvent] = field(init=False)
    _nc: Client | None = None
    _js: JetStreamContext | None = None
    _task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(self.maxsize)

    async def start(self) -> None:
        self._nc = await nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.5)
        self._js = self._nc.jetstream()
        try:
            info = await self._js.stream_info(self.stream)
            if "md.>" not in (info.config.subjects or []):
                log.warning("stream %s does not capture md.>; events may not be stored", self.stream)
        except NotFoundError:
            await self._js.add_stream(StreamConfig(name=self.stream, subjects=["md.>"], duplicate_window=120.0))
        self._task = asyncio.create_task(self._run())

    def publish(self, ev: MarketEvent) -> None:
        q = self._queue
        if q.full():
            q.get_nowait()
            self.dropped += 1
        q.put_nowait(ev)

    async def _run(self) -> None:
        assert self._nc is not None
        nc = self._nc
        q = self._queue
        while True:
            ev = await q.get()
            payload = event_encoder.encode(ev)
            await nc.publish(subject_for(ev), payload, headers={"Nats-Msg-Id": msg_id(ev, payload)})
            self.published += 1
            if q.empty():
                await nc.flush()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until everything queued has been handed to the server."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not self._queue.empty() and loop.time() < end:
            await asyncio.sleep(0.01)
        if self._nc is not None:
            await self._nc.flush()

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self.drain(2.0)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._nc is not None:
            await self._nc.drain()
