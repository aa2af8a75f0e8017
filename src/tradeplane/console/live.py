"""Live feed health: poll the running gateway's ``/status`` and fan it out over Server-Sent Events.

One poller per console (never one per browser): every ``interval`` seconds it GETs the gateway's
``/status`` (``tradeplane.feeds`` serves it beside ``/metrics``), derives messages per second per
leg and events per second per stream from the counters' growth, and the staleness of each leg
(silent time over its stale bound), and puts the picture in every subscriber's bounded queue (a
slow browser drops old pictures, never blocks the poller). When the gateway does not answer the
picture says so (``connected: false`` and the error).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

__all__ = ["FeedPoller", "derive"]


def derive(status: dict[str, Any], previous: dict[str, Any] | None, dt: float) -> dict[str, Any]:
    """Add ``msgs_per_s`` to each leg, ``events_per_s`` to each stream and ``staleness`` (silent/bound)
    to each leg, from two consecutive ``/status`` pictures ``dt`` seconds apart; group by venue."""
    prev_legs = {lg["leg"]: lg for lg in (previous or {}).get("legs", [])}
    prev_streams = {s["stream"]: s for s in (previous or {}).get("streams", [])}
    legs = []
    for lg in status.get("legs", []):
        p = prev_legs.get(lg["leg"])
        rate = (lg["messages"] - p["messages"]) / dt if p is not None and dt > 0 else None
        silent, bound = lg.get("silent_ms"), lg.get("stale_bound_ms")
        stale = round(silent / bound, 3) if silent is not None and bound else None
        legs.append({**lg, "venue": lg["leg"].split("/", 1)[0], "msgs_per_s": None if rate is None else round(rate, 1),
                     "staleness": stale})
    streams = []
    for s in status.get("streams", []):
        p = prev_streams.get(s["stream"])
        rate = (s["delivered"] - p["delivered"]) / dt if p is not None and dt > 0 else None
        streams.append({**s, "venue": s["stream"].split("/", 1)[0],
                        "events_per_s": None if rate is None else round(rate, 1)})
    return {"connected": True, "legs": legs, "streams": streams}


class FeedPoller:
    """Polls ``{url}/status``; ``subscribe()`` yields each new picture (the latest first)."""

    def __init__(self, url: str, interval: float = 1.0, queue_size: int = 4) -> None:
        self.url = url.rstrip("/")
        self.interval = interval
        self.queue_size = queue_size
        self.latest: dict[str, Any] = {"connected": False, "error": "not polled yet", "legs": [], "streams": []}
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._previous: dict[str, Any] | None = None
        self._previous_at = 0.0
        self.seq = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="console-feed-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def poll_once(self, client: httpx.AsyncClient) -> dict[str, Any]:
        now = time.monotonic()
        try:
            resp = await client.get(f"{self.url}/status", timeout=2.0)
            resp.raise_for_status()
            status = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            self._previous = None
            picture = {"connected": False, "error": f"{self.url}/status: {type(exc).__name__} {exc}".strip(),
                       "legs": [], "streams": []}
        else:
            picture = derive(status, self._previous, now - self._previous_at)
            self._previous, self._previous_at = status, now
        self.seq += 1
        picture["seq"] = self.seq
        picture["at"] = time.time()
        picture["gateway"] = self.url
        self.latest = picture
        for q in list(self._subscribers):
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(picture)
        return picture

    async def _run(self) -> None:
        async with httpx.AsyncClient() as client:
            while True:
                await self.poll_once(client)
                await asyncio.sleep(self.interval)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.queue_size)
        q.put_nowait(self.latest)
        self._subscribers.add(q)
        try:
            while True:
                yield await q.get()
        finally:
            self._subscribers.discard(q)


async def sse(source: AsyncIterator[dict[str, Any]], keepalive: float = 15.0) -> AsyncIterator[bytes]:
    """Server-Sent Events framing: ``event: status`` + JSON data per picture; a comment as keep-alive."""
    it = source.__aiter__()
    while True:
        try:
            picture = await asyncio.wait_for(it.__anext__(), keepalive)
        except TimeoutError:
            yield b": keep-alive\n\n"
            continue
        except StopAsyncIteration:
            return
        yield f"event: status\nid: {picture.get('seq', 0)}\ndata: {json.dumps(picture, sort_keys=True)}\n\n".encode()
