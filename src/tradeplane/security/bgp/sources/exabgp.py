"""ExaBGP's JSON API (``encoder json``), the live BGP feed: one JSON message per line.

ExaBGP runs the BGP sessions (to the firm's routers or route collectors) and writes every
received message to its API process; point that process at a file (``cat >> FILE``) or at
``tradeplane security bgp watch --exabgp -`` directly. Used messages:

- ``{"type": "update", "time", "neighbor": {"address": {"peer"}, "asn": {"peer"},
  "message": {"update": {"attribute": {"as-path": [...]}, "announce": {"ipv4 unicast":
  {NEXT_HOP: [{"nlri": PREFIX}, ...]}}, "withdraw": {"ipv4 unicast": [{"nlri": PREFIX}]}}}}}``
- ``{"type": "state", "neighbor": {"state": "down", ...}}`` -> ``PeerDown``;
- ``{"type": "notification", "notification": "shutdown"}``: ExaBGP is stopping; the feed ends.

Every message of the JSON encoder carries ``exabgp`` (its version); a line without it is not
ExaBGP's (a RIS Live or other JSON line) and is counted as malformed, never silently ignored.
Reading a stream (stdin) ends at its end of file: ExaBGP closed the pipe (it stopped or died);
the reason is left in ``SourceStats.ended``.

ExaBGP 4.x also writes ``announce`` entries as ``{NEXT_HOP: {PREFIX: {}}}`` and NLRI as plain
strings; both are read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tradeplane.security.bgp.route import PeerDown, Update
from tradeplane.security.bgp.sources.base import SourceStats

__all__ = ["parse_exabgp", "read_exabgp"]


def _prefixes(entries: Any) -> list[str]:
    out: list[str] = []
    if isinstance(entries, dict):  # {PREFIX: {...}}
        return [str(k) for k in entries]
    for entry in entries or ():
        if isinstance(entry, str):
            out.append(entry)
        elif isinstance(entry, dict) and "nlri" in entry:
            nlri = entry["nlri"]
            out.append(nlri if isinstance(nlri, str) else str(nlri.get("prefix", "")))
        else:
            raise ValueError(f"unreadable NLRI {entry!r}")
    return out


def _path(raw: Any) -> tuple[int | tuple[int, ...], ...]:
    if isinstance(raw, dict):  # {"0": {"element": "as-sequence", "value": [...]}, ...}
        out: list[int | tuple[int, ...]] = []
        for key in sorted(raw, key=lambda k: int(k)):
            segment = raw[key]
            members = [int(a) for a in segment.get("value", ())]
            if "set" in str(segment.get("element", "")):
                out.append(tuple(members))
            else:
                out.extend(members)
        return tuple(out)
    return tuple(tuple(int(a) for a in hop) if isinstance(hop, list) else int(hop) for hop in raw or ())


def parse_exabgp(message: Any, where: str = "") -> Update | PeerDown | None:
    """One decoded ExaBGP JSON message -> update, peer-down, or ``None`` (keepalives, opens, ...)."""
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    if "exabgp" not in message:
        raise ValueError("not an ExaBGP JSON API message (no 'exabgp' version field)")
    neighbor = message.get("neighbor")
    if not isinstance(neighbor, dict):
        return None
    time_ns = int(float(message.get("time", 0)) * 1_000_000_000)
    peer = str((neighbor.get("address") or {}).get("peer", ""))
    if message.get("type") == "state":
        return PeerDown(time_ns, peer, where) if neighbor.get("state") in ("down", "connected") else None
    if message.get("type") != "update":
        return None
    update = (neighbor.get("message") or {}).get("update") or {}
    announced: list[str] = []
    for family in (update.get("announce") or {}).values():
        if isinstance(family, dict):
            for entries in family.values():
                announced.extend(_prefixes(entries))
    withdrawn: list[str] = []
    for entries in (update.get("withdraw") or {}).values():
        withdrawn.extend(_prefixes(entries))
    path = _path((update.get("attribute") or {}).get("as-path"))
    peer_asn = int((neighbor.get("asn") or {}).get("peer", 0))
    if announced and not path:
        # An iBGP session or a locally originated route carries an empty path: the peer itself is the origin.
        path = (peer_asn,)
    return Update(time_ns, peer, peer_asn, path, tuple(announced), tuple(withdrawn), where)


def read_exabgp(source: Path | IO[str], stats: SourceStats | None = None, follow: bool = False,
                poll_s: float = 0.05, stop: Any = None) -> Iterator[Update | PeerDown]:
    """Stream ExaBGP JSON lines from a file or stream; ``follow`` tails a growing file until ``stop()``.

    A stream ends at its end of file, followed or not (the writer closed it); ExaBGP's shutdown
    notification ends either. Why it ended is left in ``stats.ended``."""
    stats = stats if stats is not None else SourceStats()
    handle = source.open(encoding="utf-8", errors="replace") if isinstance(source, Path) else source
    name = str(source) if isinstance(source, Path) else getattr(source, "name", "stream")
    number = 0
    pending = ""
    try:
        while True:
            chunk = handle.readline()
            if not chunk:
                if pending.strip() and not isinstance(source, Path):
                    chunk = "\n"  # the stream ended inside a line: read what came
                elif not follow or not isinstance(source, Path):
                    if not isinstance(source, Path) and not (stop is not None and stop()):
                        stats.ended = f"{name} was closed (end of input)"
                    return
                elif stop is not None and stop():
                    return
                else:
                    time.sleep(poll_s)
                    continue
            pending += chunk
            if not pending.endswith("\n") and follow:
                continue
            line, pending = pending.strip(), ""
            if not line:
                continue
            number += 1
            stats.read += 1
            where = f"{name}:{number}"
            try:
                message = json.loads(line)
                item = parse_exabgp(message, where)
            except (ValueError, TypeError, AttributeError, json.JSONDecodeError) as exc:
                stats.skip(where, str(exc))
                continue
            if message.get("type") == "notification" and message.get("notification") == "shutdown":
                stats.ended = f"ExaBGP shut down ({where})"
                return
            if item is not None:
                yield item
    finally:
        if isinstance(source, Path):
            handle.close()
