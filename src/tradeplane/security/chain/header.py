"""A block header as the reorg watcher needs it, whatever the chain."""

from __future__ import annotations

import msgspec

__all__ = ["Header"]


class Header(msgspec.Struct, frozen=True):
    """``number`` (height), ``hash`` and ``parent`` (lower-case hex, no 0x for Bitcoin), ``time`` (s)."""

    number: int
    hash: str
    parent: str
    time: int = 0
