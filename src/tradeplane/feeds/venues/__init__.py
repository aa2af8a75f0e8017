"""Venue adapters, one module per venue, discovered by scanning this package.

A module exports ``ADAPTERS`` (the feed handler: client side) and ``PUBLISHERS`` (the venue's
market-data publisher: the same protocol, server side, run by the exchange simulator).
Adding a venue adds one module here; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tradeplane.errors import ConfigError
from tradeplane.feeds.venues.base import CHANNELS, Channel, Limits, VenueAdapter, VenuePublisher


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


__all__ = [
    "CHANNELS",
    "Channel",
    "Limits",
    "VenueAdapter",
    "VenuePublisher",
    "adapter_class",
    "publisher_class",
    "venue_names",
]
