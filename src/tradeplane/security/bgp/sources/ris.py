"""RIPE RIS Live messages (https://ris-live.ripe.net/manual/): a file of JSON lines, or the stream.

Each line is either the full message ``{"type": "ris_message", "data": {...}}`` or just its
``data`` object (what RIS Live's raw stream and most archives store). Used fields of ``data``:
``timestamp`` (float seconds), ``peer``, ``peer_asn``, ``type`` (``UPDATE``; ``RIS_PEER_STATE``
with ``state: "down"`` becomes a ``PeerDown``), ``path`` (ints, an AS_SET as a nested list),
``announcements`` (``[{"next_hop", "prefixes": [...]}]``) and ``withdrawals`` (``[prefix, ...]``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from tradeplane.security.bgp.route import PeerDown, Update
from tradeplane.security.bgp.sources.base import SourceStats
from tradeplane.security.bgp.sources.sniff import RIS_TYPES

__all__ = ["parse_ris", "read_ris", "ris_live"]

_DATA_TYPES = frozenset({"UPDATE", "RIS_PEER_STATE", "OPEN", "NOTIFICATION", "KEEPALIVE"})
"""The ``type`` of a ris_message's ``data`` (RIS Live manual), for lines holding the data object alone."""


def _path(raw: Any) -> tuple[int | tuple[int, ...], ...]:
    if not isinstance(raw, list):
        raise ValueError("path is not a list")
    out: list[int | tuple[int, ...]] = []
    for hop in raw:
        if isinstance(hop, list):
            out.append(tuple(int(a) for a in hop))
        elif isinstance(hop, int | str) and not isinstance(hop, bool):
            out.append(int(hop))
        else:
            raise ValueError(f"path element {hop!r} is not an AS number")
    return tuple(out)


def parse_ris(message: Any, where: str = "") -> Update | PeerDown | None:
    """One decoded RIS Live message -> an update, a peer-down, or ``None`` for other types.

    Raises ``ValueError`` (with the field) when the message is malformed, or is not a RIS Live
    message at all (a ``type`` RIS Live does not send, e.g. an ExaBGP ``update``).
    """
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    outer = message.get("type")
    if outer in _DATA_TYPES:
        data: Any = message  # the bare data object of a ris_message
    elif outer in ("ris_message", None):
        data = message.get("data", message)
    elif outer in RIS_TYPES:
        return None  # ris_error, pong, ... : not updates
    else:
        raise ValueError(f"not a RIS Live message (type {outer!r})")
    if not isinstance(data, dict):
        raise ValueError("data is not an object")
    kind = data.get("type")
    try:
        time_ns = int(float(data["timestamp"]) * 1_000_000_000)
        peer = str(data["peer"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"missing or bad timestamp/peer ({exc})") from None
    if kind == "RIS_PEER_STATE":
        return PeerDown(time_ns, peer, where) if data.get("state") == "down" else None
    if kind not in ("UPDATE", None):
        return None
    announced: list[str] = []
    for block in data.get("announcements") or ():
        prefixes = block.get("prefixes") if isinstance(block, dict) else None
        if not isinstance(prefixes, list):
            raise ValueError("announcements[].prefixes is not a list")
        announced.extend(str(p) for p in prefixes)
    withdrawn = data.get("withdrawals") or []
    if not isinstance(withdrawn, list):
        raise ValueError("withdrawals is not a list")
    path = _path(data.get("path", [])) if announced else ()
    if announced and not path:
        raise ValueError("an announcement without an AS path")
    try:
        peer_asn = int(data.get("peer_asn", 0))
    except (TypeError, ValueError):
        raise ValueError(f"bad peer_asn {data.get('peer_asn')!r}") from None
    return Update(time_ns, peer, peer_asn, path, tuple(announced), tuple(str(w) for w in withdrawn), where)


def _lines(lines: Iterable[str], name: str, stats: SourceStats) -> Iterator[Update | PeerDown]:
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        stats.read += 1
        where = f"{name}:{number}"
        try:
            item = parse_ris(json.loads(line), where)
        except (ValueError, json.JSONDecodeError) as exc:
            stats.skip(where, str(exc))
            continue
        if item is not None:
            yield item


def read_ris(path: Path, stats: SourceStats | None = None, follow: bool = False,
             stop: Callable[[], bool] | None = None, poll_s: float = 0.05) -> Iterator[Update | PeerDown]:
    """Stream a file of RIS Live JSON lines; malformed lines are counted in ``stats`` and skipped.
    ``follow`` tails the growing file (a line is read once complete) until ``stop()``."""
    stats = stats if stats is not None else SourceStats()
    with path.open(encoding="utf-8", errors="replace") as handle:
        if not follow:
            yield from _lines(handle, str(path), stats)
            return
        yield from _lines(_tail(handle, poll_s, stop), str(path), stats)


def _tail(handle: IO[str], poll_s: float, stop: Callable[[], bool] | None) -> Iterator[str]:
    pending = ""
    while True:
        chunk = handle.readline()
        if not chunk:
            if stop is not None and stop():
                return
            time.sleep(poll_s)
            continue
        pending += chunk
        if pending.endswith("\n"):
            yield pending
            pending = ""


async def ris_live(url: str, prefixes: Iterable[str], stats: SourceStats | None = None,
                   client: str = "tradeplane") -> AsyncIterator[Update | PeerDown]:
    """Subscribe to a RIS Live WebSocket for each watched prefix (and its more-specifics) and yield updates.

    ``url`` is ``wss://ris-live.ripe.net/v1/ws/`` in production; tests point it at a local server.
    """
    import websockets

    stats = stats if stats is not None else SourceStats()
    sep = "&" if "?" in url else "?"
    async with websockets.connect(f"{url}{sep}client={client}", max_size=2**22) as ws:
        for prefix in prefixes:
            await ws.send(json.dumps({"type": "ris_subscribe",
                                      "data": {"prefix": prefix, "moreSpecific": True, "type": "UPDATE"}}))
        number = 0
        async for raw in ws:
            number += 1
            stats.read += 1
            where = f"{url}#{number}"
            try:
                item = parse_ris(json.loads(raw), where)
            except (ValueError, json.JSONDecodeError) as exc:
                stats.skip(where, str(exc))
                continue
            if item is not None:
                yield item
