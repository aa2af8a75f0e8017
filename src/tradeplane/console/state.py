"""The estate and its plan, computed once per change of the estate files, never per request.

``EstateCache.snapshot()`` stats the estate's files (their paths, sizes and mtimes make the key);
when the key changes it loads the estate and runs ``tradeplane.plan.build`` once, under a lock, so
concurrent requests wait for the same build. An estate that no longer loads (or plans) becomes a
snapshot with the located error lines instead of a plan: the overview shows them, nothing raises.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeplane.errors import TradeplaneError

if TYPE_CHECKING:
    from tradeplane.estate import Estate
    from tradeplane.net import Dataplane
    from tradeplane.plan import Plan
    from tradeplane.selfserve.redact import Restricted

__all__ = ["EstateCache", "Snapshot", "estate_key"]


def estate_key(path: Path) -> tuple[tuple[str, int, int], ...]:
    """(file, size, mtime_ns) of every YAML file of the estate; empty when the path is gone."""
    from tradeplane.estate import estate_files

    try:
        files = estate_files(path)
    except TradeplaneError:
        return ()
    out = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        out.append((str(f), st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass
class Snapshot:
    """One version of the estate: its plan, or why it has none (``errors``, one located line each)."""

    path: Path
    key: tuple[tuple[str, int, int], ...]
    estate: Estate | None
    plan: Plan | None
    errors: list[str]
    built_at: float
    build_seconds: float
    _dataplane: Dataplane | None = field(default=None, repr=False)
    _restricted: Restricted | None = field(default=None, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)  # memo values nest
    extras: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.plan is not None

    def dataplane(self) -> Dataplane:
        """The network engine's data plane of this estate (built once, on first use)."""
        from tradeplane import net

        assert self.estate is not None
        with self._lock:
            if self._dataplane is None:
                self._dataplane = net.Dataplane.build(self.estate)
            return self._dataplane

    def restricted(self) -> Restricted:
        from tradeplane.selfserve.redact import Restricted

        if self._restricted is None:
            self._restricted = Restricted.of(self.estate) if self.estate is not None else Restricted.build((), ())
        return self._restricted

    def memo(self, key: str, make: Any) -> Any:
        """A value derived from this snapshot, computed once (``make()`` is called under the lock)."""
        with self._lock:
            if key not in self.extras:
                self.extras[key] = make()
            return self.extras[key]


def build_snapshot(path: Path) -> Snapshot:
    from tradeplane import estate as est
    from tradeplane import plan as planning

    key = estate_key(path)
    start = time.perf_counter()
    try:
        e = est.load(path)
    except TradeplaneError as exc:
        return Snapshot(path, key, None, None, exc.lines(), time.time(), time.perf_counter() - start)
    try:
        p = planning.build(e)
    except TradeplaneError as exc:
        return Snapshot(path, key, e, None, exc.lines(), time.time(), time.perf_counter() - start)
    return Snapshot(path, key, e, p, [], time.time(), time.perf_counter() - start)


class EstateCache:
    """The console's estate (one path) plus a few others to diff against (kept by key, LRU)."""

    def __init__(self, path: Path, *, others: int = 4) -> None:
        self.path = path
        self._current: Snapshot | None = None
        self._lock = threading.Lock()
        self._others: OrderedDict[tuple[str, tuple[tuple[str, int, int], ...]], Snapshot] = OrderedDict()
        self._others_max = others
        self.builds = 0

    def snapshot(self) -> Snapshot:
        """The current snapshot; rebuilt only when the files changed since the last build."""
        key = estate_key(self.path)
        cur = self._current
        if cur is not None and cur.key == key:
            return cur
        with self._lock:
            cur = self._current
            if cur is not None and cur.key == estate_key(self.path):
                return cur
            self._current = build_snapshot(self.path)
            self.builds += 1
            return self._current

    def other(self, path: Path) -> Snapshot:
        """Another estate (for diffs), built once per version of its files."""
        key = (str(path.resolve()), estate_key(path))
        with self._lock:
            hit = self._others.get(key)
            if hit is not None:
                self._others.move_to_end(key)
                return hit
        snap = build_snapshot(path)
        with self._lock:
            self._others[key] = snap
            while len(self._others) > self._others_max:
                self._others.popitem(last=False)
        return snap
