"""Running the watcher: pick a source by format, feed the monitor, hand alerts to a sink."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tradeplane.errors import InputError, Location
from tradeplane.estate import Estate
from tradeplane.security.alerts import Alert, AlertSink
from tradeplane.security.bgp.monitor import BgpMonitor, MonitorStats
from tradeplane.security.bgp.route import PeerDown, Update
from tradeplane.security.bgp.sources import SourceStats, read_exabgp, read_mrt, read_ris
from tradeplane.security.bgp.vrp import load_vrps
from tradeplane.security.bgp.watchlist import watchlist

__all__ = ["Format", "ReplayResult", "guess_format", "open_source", "replay", "watch"]

Format = Literal["ris", "mrt", "exabgp"]


@dataclass
class ReplayResult:
    alerts: list[Alert] = field(default_factory=list)
    source: SourceStats = field(default_factory=SourceStats)
    monitor: MonitorStats = field(default_factory=MonitorStats)
    watched: int = 0
    notes: list[str] = field(default_factory=list)


def guess_format(path: Path) -> Format:
    """MRT for ``.mrt``/``.gz``/``.bz2`` and files starting with a binary MRT header, else RIS JSON lines."""
    if path.suffix in (".mrt", ".gz", ".bz2") or path.name.startswith(("updates.", "bview.", "rib.")):
        return "mrt"
    try:
        head = path.open("rb").read(1)
    except OSError as exc:
        raise InputError.single(f"cannot read {path}: {exc.strerror}", location=Location(str(path))) from None
    return "ris" if head in (b"{", b"[", b" ", b"\n") else "mrt"


def open_source(path: Path | None, fmt: Format, stats: SourceStats, follow: bool = False,
                stop: Callable[[], bool] | None = None) -> Iterator[Update | PeerDown]:
    """The updates of a file (or stdin for ExaBGP with ``path`` None)."""
    if path is not None and not path.exists():
        raise InputError.single(f"no such file: {path}", hint="give a RIS Live JSON-lines, MRT or ExaBGP JSON file")
    if fmt == "mrt":
        assert path is not None
        return read_mrt(path, stats)
    if fmt == "exabgp":
        return read_exabgp(path if path is not None else sys.stdin, stats, follow=follow, stop=stop)
    assert path is not None
    return read_ris(path, stats)


def _monitor(estate: Estate, vrps: Path | None) -> tuple[BgpMonitor, ReplayResult]:
    watch = watchlist(estate)
    result = ReplayResult(watched=len(watch.entries), notes=list(watch.notes))
    monitor = BgpMonitor(watch, load_vrps(vrps) if vrps else None)
    result.monitor = monitor.stats
    return monitor, result


def replay(estate: Estate, path: Path, fmt: Format | None = None, vrps: Path | None = None) -> ReplayResult:
    """Run a recorded feed through the watcher; the alerts in order, with what could not be read."""
    monitor, result = _monitor(estate, vrps)
    for item in open_source(path, fmt or guess_format(path), result.source):
        result.alerts.extend(monitor.process(item))
    return result


def watch(estate: Estate, path: Path | None, fmt: Format, sink: AlertSink, vrps: Path | None = None,
          follow: bool = True, stop: Callable[[], bool] | None = None) -> ReplayResult:
    """Follow a live source (an ExaBGP JSON file or stdin, a growing RIS file) and send alerts as they change."""
    monitor, result = _monitor(estate, vrps)
    for item in open_source(path, fmt, result.source, follow=follow, stop=stop):
        alerts = monitor.process(item)
        if alerts:
            sink.send(alerts)
            result.alerts.extend(alerts)
    return result
