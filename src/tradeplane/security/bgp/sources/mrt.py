"""MRT files (RFC 6396) as RIPE RIS and RouteViews archive them, read with ``mrtparse``.

``BGP4MP`` / ``BGP4MP_ET`` UPDATE messages become updates (IPv4 NLRI and MP_REACH / MP_UNREACH
for IPv6); a ``STATE_CHANGE`` that leaves Established becomes a ``PeerDown``; ``TABLE_DUMP_V2``
RIB entries become announcements (a RIB snapshot to start from). gzip and bzip2 files are read
as they are. A record mrtparse cannot decode is counted and skipped with its record number: one
it reports as an error, and one it fails on (mrtparse raises ``KeyError`` and the like on types and
subtypes it does not know, or on a file that is not MRT); reading goes on after the record, whose
length the common header gives (RFC 6396 section 2), never a traceback.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tradeplane.security.bgp.route import PeerDown, Update
from tradeplane.security.bgp.sources.base import SourceStats

__all__ = ["read_mrt"]

_AS_SET, _AS_SEQUENCE = 1, 2
_ESTABLISHED = 6


def _code(field: Any) -> int:
    return int(next(iter(field))) if isinstance(field, dict) else int(field)


def _nlri(entries: Any) -> list[str]:
    return [f"{n['prefix']}/{n['length']}" for n in entries or ()]


def _attributes(attrs: list[dict[str, Any]]) -> tuple[tuple[int | tuple[int, ...], ...], list[str], list[str]]:
    path: list[int | tuple[int, ...]] = []
    announced: list[str] = []
    withdrawn: list[str] = []
    for attr in attrs:
        kind = _code(attr["type"])
        if kind in (2, 17):  # AS_PATH, AS4_PATH
            if kind == 17 and path:
                continue
            for segment in attr["value"]:
                members = [int(a) for a in segment["value"]]
                if _code(segment["type"]) == _AS_SET:
                    path.append(tuple(members))
                else:
                    path.extend(members)
        elif kind == 14:  # MP_REACH_NLRI
            announced.extend(_nlri(attr["value"].get("nlri")))
        elif kind == 15:  # MP_UNREACH_NLRI
            withdrawn.extend(_nlri(attr["value"].get("withdrawn_routes")))
    return tuple(path), announced, withdrawn


def _time_ns(data: dict[str, Any]) -> int:
    seconds = _code(data["timestamp"])
    micro = int(data.get("microsecond_timestamp", 0) or 0)
    return seconds * 1_000_000_000 + micro * 1_000


def _mrtparse() -> Any:  # mrtparse has no type information
    """mrtparse, imported without its side effect: its ``__init__`` sets SIGPIPE to the default action
    process-wide, after which any write to a closed socket (a client gone from the console, the
    incidents service, a feed leg) kills the whole process instead of raising ``BrokenPipeError``
    (it killed the test suite with exit 141). Python's own disposition is restored after the import.
    mrtparse's own ``signal.signal`` call is refused off the main thread, so its first import must
    happen on the main thread (as before; the CLI and the tests import it there)."""
    if threading.current_thread() is not threading.main_thread():
        import mrtparse as loaded  # already imported on the main thread, or mrtparse itself refuses

        return loaded
    before = signal.getsignal(signal.SIGPIPE)
    try:
        import mrtparse
    finally:
        signal.signal(signal.SIGPIPE, before)
    return mrtparse


def _records(reader: Any, name: str, stats: SourceStats) -> Iterator[tuple[int, Any]]:
    """(record number, mrtparse's reader on that record) for each record; a record mrtparse fails on
    is counted and skipped by its header's length (the rest of the file when it cannot seek)."""
    number = 0
    while True:
        number += 1
        try:
            start: int | None = reader.f.tell()
        except (OSError, ValueError):
            start = None
        reader.err, reader.err_msg = None, None  # mrtparse keeps a record's error on the reader for the next ones
        try:
            record = next(reader)
        except StopIteration:
            return
        except Exception as exc:  # mrtparse fails with whatever its decoding hits (KeyError, IndexError, ...)
            stats.read += 1
            where = f"{name}: record {number}"
            resumed = start is not None and _skip_record(reader.f, start)
            stats.skip(where, f"mrtparse cannot decode it ({type(exc).__name__}: {exc})"
                       + ("" if resumed else "; the rest of the file is not read"))
            if not resumed:
                return
            continue
        stats.read += 1
        yield number, record


def _skip_record(handle: Any, start: int) -> bool:
    """Move ``handle`` past the record at ``start`` (12-byte header: timestamp, type, subtype, length)."""
    try:
        handle.seek(start)
        header = handle.read(12)
        if len(header) < 12:
            return False
        handle.seek(start + 12 + int.from_bytes(header[8:12], "big"))
        return True
    except (OSError, ValueError, EOFError):
        return False


def read_mrt(path: Path, stats: SourceStats | None = None) -> Iterator[Update | PeerDown]:
    """Stream updates from an MRT file; undecodable records are counted in ``stats`` and skipped."""
    mrtparse = _mrtparse()

    stats = stats if stats is not None else SourceStats()
    name = str(path)
    peers: dict[int, tuple[str, int]] = {}
    for number, record in _records(mrtparse.Reader(name), name, stats):
        where = f"{name}: record {number}"
        if record.err:
            stats.skip(where, str(record.err_msg))
            continue
        data = record.data
        try:
            kind = _code(data["type"])
            subtype = _code(data["subtype"])
            if kind in (16, 17):  # BGP4MP, BGP4MP_ET
                if subtype in (0, 5):  # STATE_CHANGE(_AS4)
                    if _code(data["new_state"]) != _ESTABLISHED:
                        yield PeerDown(_time_ns(data), str(data["peer_ip"]), where)
                    continue
                message = data.get("bgp_message") or {}
                if _code(message.get("type", {0: ""})) != 2:  # not an UPDATE
                    continue
                as_path, mp_announced, mp_withdrawn = _attributes(message.get("path_attributes") or [])
                announced = _nlri(message.get("nlri")) + mp_announced
                withdrawn = _nlri(message.get("withdrawn_routes")) + mp_withdrawn
                if announced and not as_path:
                    stats.skip(where, "announcement without an AS path")
                    continue
                yield Update(_time_ns(data), str(data["peer_ip"]), int(data["peer_as"]), as_path,
                             tuple(announced), tuple(withdrawn), where)
            elif kind == 13:  # TABLE_DUMP_V2
                if subtype == 1:  # PEER_INDEX_TABLE
                    peers = {i: (str(p["peer_ip"]), int(p["peer_as"])) for i, p in enumerate(data["peer_entries"])}
                    continue
                if "rib_entries" not in data:
                    continue
                prefix = f"{data['prefix']}/{data['length']}"
                for entry in data["rib_entries"]:
                    peer, peer_as = peers.get(int(entry["peer_index"]), ("unknown", 0))
                    as_path, _, _ = _attributes(entry.get("path_attributes") or [])
                    if as_path:
                        yield Update(_code(entry["originated_time"]) * 1_000_000_000, peer, peer_as, as_path,
                                     (prefix,), (), where)
        except (KeyError, TypeError, ValueError, StopIteration) as exc:
            stats.skip(where, f"unexpected record layout ({exc!r})")
