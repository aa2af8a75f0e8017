"""In-process sinks: async subscribers with bounded queues, and a plain collector."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from tradeplane.feeds.events import CHANNEL_OF, MarketEvent


@dataclass
class Subscription:
    """An async iterator of events matching a filter; drops the oldest when its queue is full."""

    queue: asyncio.Queue[MarketEvent]
    accept: Callable[[MarketEvent], bool]
    dropped: int = 0

    def __aiter__(self) -> AsyncIterator[MarketEvent]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[MarketEvent]:
        while True:
            yield await self.queue.get()

    async def get(self) -> MarketEvent:
        return await self.queue.get()


@dataclass
class Bus:
    """Fan-out to in-process async subscribers (strategies, recorders, the status view)."""

    maxsize: int = 100_000
    subscriptions: list[Subscription] = field(default_factory=list)

    def subscribe(
        self, *, venue: str | None = None, channel: str | None = None, symbol: str | None = None,
        maxsize: int | None = None,
    ) -> Subscription:
        def accept(ev: MarketEvent) -> bool:
            return (
                (venue is None or ev.venue == venue)
                and (symbol is None or ev.symbol == symbol)
                and (channel is None or CHANNEL_OF[type(ev)] == channel or getattr(ev, "channel", None) == channel)
            )

        sub = Subscription(asyncio.Queue(maxsize or self.maxsize), accept)
        self.subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscriptions.remove(sub)

    def publish(self, event: MarketEvent) -> None:
        for sub in self.subscriptions:
            if sub.accept(event):
                q = sub.queue
                if q.full():
                    q.get_nowait()
                    sub.dropped += 1
                q.put_nowait(event)


@dataclass
class Collector:
    """Keeps every event in a list (tests, replays, small tools)."""

    events: list[MarketEvent] = field(default_factory=list)

    def publish(self, event: MarketEvent) -> None:
        self.events.append(event)
