"""Running the watcher: pick a source by format, feed the monitor, hand alerts to a sink."""

from __future__ import annotations

import sys
import time
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
from tradeplane.security.bgp.sources.sniff import FORMAT_NAMES, sniff
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
    format: str = ""  # the format read: the one given, or the one the file looks like


def guess_format(path: Path) -> Format:
    """The format ``path`` looks like (:func:`~tradeplane.security.bgp.sources.sniff.sniff`: its first
    JSON lines or MRT header); else MRT for ``.mrt``/``.gz``/``.bz2`` and RIS/RouteViews archive names,
    else RIS JSON lines. ``InputError`` when the file cannot be read."""
    try:
        path.open("rb").close()
    except OSError as exc:
        raise InputError.single(f"cannot read {path}: {exc.strerror}", location=Location(str(path))) from None
    found = sniff(path)
    if found is not None:
        return found
    if path.suffix in (".mrt", ".gz", ".bz2") or path.name.startswith(("updates.", "bview.", "rib.")):
        return "mrt"
    return "ris"


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
    return read_ris(path, stats, follow=follow, stop=stop)


def _monitor(estate: Estate, vrps: Path | None) -> tuple[BgpMonitor, ReplayResult]:
    watch = watchlist(estate)
    result = ReplayResult(watched=len(watch.entries), notes=list(watch.notes))
    monitor = BgpMonitor(watch, load_vrps(vrps) if vrps else None)
    result.monitor = monitor.stats
    return monitor, result


def replay(estate: Estate, path: Path, fmt: Format | None = None, vrps: Path | None = None) -> ReplayResult:
    """Run a recorded feed through the watcher; the alerts in order, with what could not be read.

    ``fmt`` None: the format the file looks like (:func:`guess_format`). ``InputError`` (nothing is
    reported) when the file holds no message, or when nothing in it reads as ``fmt`` (every message
    malformed): the line names the format the file looks like, so a wrong ``--format`` is never a
    quiet "0 announcements" over a file full of hijacks."""
    chosen: Format = fmt or guess_format(path)
    monitor, result = _monitor(estate, vrps)
    result.format = chosen
    items = 0
    for item in open_source(path, chosen, result.source):
        items += 1
        result.alerts.extend(monitor.process(item))
    source = result.source
    if source.read == 0:
        raise InputError.single(f"{path} holds no BGP message",
                                hint="give a RIS Live JSON-lines, MRT or ExaBGP JSON file")
    if items == 0 and source.malformed == source.read:
        looks = sniff(path)
        first = source.examples[0].removeprefix(str(path)).lstrip(":").strip()
        first = f"line {first}" if first[:1].isdigit() else first
        text = (f"nothing in {path} parsed as {chosen} ({source.malformed} of {source.read} message(s) malformed; "
                f"first at {first})")
        if looks is not None and looks != chosen:
            raise InputError.single(f"{text}; it looks like {FORMAT_NAMES[looks]}, try --format {looks}")
        raise InputError.single(text, hint="see docs/security.md for the formats read (ris, mrt, exabgp)")
    return result


def feed_lost_alert(source: str, stats: SourceStats, why: str, at_ns: int) -> Alert:
    """``BgpFeedLost`` (critical): the watcher's feed ended or reads as garbage, so no hijack can be
    seen; it stays firing until a watcher with a working feed replaces this one."""
    labels = {"alertname": "BgpFeedLost", "severity": "critical", "source": "tradeplane-bgp", "feed": source}
    annotations = {"summary": f"BgpFeedLost: the BGP watcher is blind ({why})",
                   "description": f"{why}; {stats.read} message(s) read, {stats.malformed} malformed"
                                  + (f" (first: {stats.examples[0]})" if stats.examples else "")
                                  + "; no announcement is watched until the feed is back",
                   "runbook_url": "docs/security.md#bgp-hijack-watch"}
    return Alert("firing", labels, annotations, at_ns)


def watch(estate: Estate, path: Path | None, fmt: Format, sink: AlertSink, vrps: Path | None = None,
          follow: bool = True, stop: Callable[[], bool] | None = None, *, unreadable_after: int = 100,
          on_skip: Callable[[SourceStats, str], None] | None = None,
          clock_ns: Callable[[], int] = time.time_ns) -> ReplayResult:
    """Follow a live source (an ExaBGP JSON file or stdin, a growing RIS file) and send alerts as they change.

    Returns when ``stop()`` is true or the source ends by itself: stdin closed (ExaBGP stopped or
    died) or ExaBGP's shutdown notification. Then ``result.source.ended`` says why, and a
    ``BgpFeedLost`` alert (critical) went to the sink. ``unreadable_after`` malformed messages in a
    row (garbage: a wrong encoder, another format) fire ``BgpFeedLost`` too, resolved by the next
    message that reads. ``on_skip`` sees each malformed message as it is skipped."""
    monitor, result = _monitor(estate, vrps)
    name = str(path) if path is not None else "stdin"
    good_at = 0  # the malformed count at the last message that read
    garbage: Alert | None = None  # BgpFeedLost while the feed reads as garbage

    def skipped(stats: SourceStats, example: str) -> None:
        nonlocal garbage
        if on_skip is not None:
            on_skip(stats, example)
        if garbage is None and stats.malformed - good_at >= unreadable_after:
            garbage = feed_lost_alert(name, stats, f"the last {unreadable_after} messages on {name} were malformed",
                                      clock_ns())
            sink.send([garbage])
            result.alerts.append(garbage)

    result.source.on_skip = skipped
    for item in open_source(path, fmt, result.source, follow=follow, stop=stop):
        good_at = result.source.malformed
        alerts = monitor.process(item)
        if garbage is not None:
            alerts = [Alert("resolved", garbage.labels, garbage.annotations, garbage.starts_ns, clock_ns()), *alerts]
            garbage = None
        if alerts:
            sink.send(alerts)
            result.alerts.extend(alerts)
    if result.source.ended:
        alert = feed_lost_alert(name, result.source, result.source.ended, clock_ns())
        sink.send([alert])
        result.alerts.append(alert)
    return result
