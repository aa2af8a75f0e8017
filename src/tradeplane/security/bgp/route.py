"""BGP updates as the watcher sees them, whatever the source (RIS Live, MRT, ExaBGP).

Shapes: an :class:`Update` is one peer's message at one time: the prefixes it announces
with one AS path, and the prefixes it withdraws. ``time_ns`` is the collector's timestamp
in integer nanoseconds since the Unix epoch (replays are deterministic: no clock is read).
"""

from __future__ import annotations

import msgspec

__all__ = ["PeerDown", "Update", "origin_of"]


class Update(msgspec.Struct, frozen=True):
    """One BGP UPDATE from one collector peer.

    ``path`` is the AS path, nearest AS first and origin last; an AS_SET is a tuple inside it.
    """

    time_ns: int
    peer: str
    peer_asn: int
    path: tuple[int | tuple[int, ...], ...] = ()
    announced: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()
    source: str = ""


class PeerDown(msgspec.Struct, frozen=True):
    """A collector peer's session went down: every route it held is gone."""

    time_ns: int
    peer: str
    source: str = ""


def origin_of(path: tuple[int | tuple[int, ...], ...]) -> tuple[int, ...]:
    """The possible origin ASes: the last AS, or every member of a trailing AS_SET."""
    if not path:
        return ()
    last = path[-1]
    return last if isinstance(last, tuple) else (last,)
