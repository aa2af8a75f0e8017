"""Venue adapters, one module per venue, discovered by scanning this package.

A module exports ``ADAPTERS`` (the feed handler: client side) and ``PUBLISHERS`` (the venue's
market-data publisher: the same protocol, server side, run by the exchange simulator).
Adding a venue adds one module here; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Hashable, Mapping
from functools import cache
from typing import cast

from tradeplane.errors import ConfigError
from tradeplane.feeds.arbiter import Mode
from tradeplane.feeds.events import CHANNEL_OF, NO_SEQ, Gap, MarketEvent
from tradeplane.feeds.venues.base import CHANNELS, Channel, Limits, VenueAdapter, VenuePublisher, content_key


@cache
def _registry() -> tuple[dict[str, type[VenueAdapter]], dict[str, type[VenuePublisher]]]:
    adapters: dict[str, type[VenueAdapter]] = {}
    sims: dict[str, type[VenuePublisher]] = {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name == "base":
            continue
        m = importlib.import_module(f"{__name__}.{mod.name}")
        for a in getattr(m, "ADAPTERS", ()):
            adapters[a.name] = a
        for s in getattr(m, "PUBLISHERS", ()):
            sims[s.name] = s
    return adapters, sims


def venue_names() -> list[str]:
    return sorted(_registry()[0])


def adapter_class(name: str) -> type[VenueAdapter]:
    try:
        return _registry()[0][name]
    except KeyError:
        raise ConfigError(f"unknown venue {name!r}; known venues: {', '.join(venue_names())}") from None


def publisher_class(name: str) -> type[VenuePublisher]:
    try:
        return _registry()[1][name]
    except KeyError:
        raise ConfigError(
            f"venue {name!r} has no publisher for the exchange simulator; simulated venues: {', '.join(sorted(_registry()[1]))}"
        ) from None


def arbitration_mode(venue: str, channel: str) -> Mode | None:
    """How the gateway arbitrates ``channel`` of ``venue``: the adapter's ``arbitration``, ``keyed``
    for a channel it names no mode for (as ``FeedStream`` does); None for a venue this build does
    not know."""
    cls = _registry()[0].get(venue)
    if cls is None:
        return None
    return cast(Mapping[str, Mode], cls.arbitration).get(channel, "keyed")


@cache
def _keyer(venue: str) -> VenueAdapter:
    return adapter_class(venue)([])  # ``key`` reads only the event, never the instruments


def arbitration_key(event: MarketEvent) -> Hashable | None:
    """The identity the gateway's arbiter gives a (recorded) event, or None when its position does.

    None when the venue arbitrates the event's channel by sequence (``contiguous`` or ``monotonic``)
    and the event carries one (``seq`` is not ``NO_SEQ``), and for a ``Gap`` (the gateway's, not the
    venue's); else the key ``keyed`` arbitration drops copies by: the venue adapter's ``key`` (Kraken
    book: exchange timestamp and levels; Kraken ticker: bid/ask prices and sizes and the timestamp),
    ``content_key`` for a venue this build does not know. Never the receive time."""
    if isinstance(event, Gap):
        return None
    mode = arbitration_mode(event.venue, CHANNEL_OF[type(event)])
    if mode != "keyed" and event.seq != NO_SEQ:
        return None
    return content_key(event) if mode is None else _keyer(event.venue).key(event)


__all__ = [
    "CHANNELS",
    "Channel",
    "Limits",
    "VenueAdapter",
    "VenuePublisher",
    "adapter_class",
    "arbitration_key",
    "arbitration_mode",
    "content_key",
    "publisher_class",
    "venue_names",
]
