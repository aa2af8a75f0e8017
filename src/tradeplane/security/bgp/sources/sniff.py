"""Which BGP source format a file is in, from its first bytes: RIS Live JSON, ExaBGP JSON or MRT.

Used to pick a reader when no ``--format`` is given, and to say what a file looks like when the
format given reads nothing from it. Rules: gzip and bzip2 magic are MRT archives (RIS and
RouteViews compress MRT; JSON lines are not shipped compressed); JSON lines are ExaBGP when the
object carries ExaBGP's ``exabgp`` version field (every message of its JSON API encoder has it),
RIS Live when it is a RIS Live message (``type`` one of RIS Live's server message types, or a bare
``data`` object with ``peer`` and ``timestamp``: https://ris-live.ripe.net/manual/); otherwise a
12-byte MRT common header (RFC 6396 section 2) with a known type is MRT.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

__all__ = ["FORMAT_NAMES", "RIS_TYPES", "sniff"]

Sniffed = Literal["ris", "mrt", "exabgp"]

FORMAT_NAMES: dict[str, str] = {"ris": "RIS Live JSON", "exabgp": "ExaBGP JSON", "mrt": "MRT (RFC 6396)"}
"""How each format is named in messages."""

RIS_TYPES = frozenset({"ris_message", "ris_error", "ris_rrc_list", "ris_subscribe_ok", "pong"})
"""The message types a RIS Live server sends (RIS Live manual, "Server messages")."""

# RFC 6396 section 4 (and RFC 8050 for the ADD-PATH subtypes, which keep the types): OSPFv2, TABLE_DUMP,
# TABLE_DUMP_V2, BGP4MP, BGP4MP_ET, ISIS, ISIS_ET, OSPFv3, OSPFv3_ET; 5-10 are deprecated but defined.
_MRT_TYPES = frozenset({5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 32, 33, 48, 49})
_SAMPLE = 64 * 1024
_LINES = 20


def _kind(obj: Any) -> Sniffed | None:
    if not isinstance(obj, dict):
        return None
    if "exabgp" in obj:
        return "exabgp"
    if obj.get("type") in RIS_TYPES:
        return "ris"
    data = obj.get("data", obj) if "type" not in obj or isinstance(obj.get("data"), dict) else obj
    if isinstance(data, dict) and "peer" in data and "timestamp" in data:
        return "ris"
    return None


def sniff(path: Path) -> Sniffed | None:
    """The format ``path`` looks like (most of its first 20 JSON lines, or its first MRT header),
    ``None`` when it looks like none (empty, unreadable, or something else)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SAMPLE)
    except OSError:
        return None
    if head.startswith((b"\x1f\x8b", b"BZh")):
        return "mrt"
    if head.lstrip()[:1] in (b"{", b"["):
        votes: dict[Sniffed, int] = {}
        for line in head.decode("utf-8", errors="replace").splitlines()[:_LINES]:
            try:
                kind = _kind(json.loads(line))
            except ValueError:
                continue
            if kind is not None:
                votes[kind] = votes.get(kind, 0) + 1
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        return ranked[0][0] if ranked else None
    if len(head) >= 12 and int.from_bytes(head[4:6], "big") in _MRT_TYPES:
        return "mrt"
    return None
