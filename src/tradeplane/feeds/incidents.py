"""The gateway's alert edge: feed health -> Alertmanager alerts -> the incidents intake.

:class:`FeedAlerts` listens to the gateway's health board (``on_change``) and is one of its
sinks (``publish``, for ``Gap`` events only); what it raises goes to an
:class:`~tradeplane.incidents.poster.IntakePoster`, whose bounded queue and thread do the
HTTP, so the gateway's event loop never waits on the intake.

| feed condition | alert (``tradeplane_event``) | resolved when |
| --- | --- | --- |
| a stream goes ``stale`` or ``down`` | ``FeedStale`` (``feed_stale``), high | the stream is ``live`` again |
| a stream ``cannot_resync`` (the venue's limits refuse the next resync) | ``FeedResyncStorm`` (``resync_storm``), high | the stream is ``live`` again |
| a ``Gap`` (a stretch lost on every leg) | ``FeedGap`` (``feed_gap``), warning | by a responder (a gap is data lost) |

Labels: ``alertname``, ``severity``, ``source``, ``tradeplane_event``, ``venue``, ``stream``
(``venue/channel/symbol``) and, for a gap, ``key`` (the sequence range, so a repeat
deduplicates); the same labels and ``tradeplane_event`` values as
:meth:`tradeplane.incidents.alerts.Event.to_alert`, so an intake's owners (venue -> desk) and
enrichment (the gateway's ``/status`` for the stream) apply. ``startsAt`` is the change's
time; a resolution repeats the firing alert's labels and ``startsAt`` (the intake's key).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tradeplane.feeds.events import Gap, MarketEvent
from tradeplane.feeds.health import State, StateChange
from tradeplane.incidents.alerts import EVENT_KINDS, fingerprint_of
from tradeplane.incidents.poster import IntakePoster

__all__ = ["FeedAlerts", "attach"]

_ZERO = "0001-01-01T00:00:00Z"
_FIRING = {State.STALE.value: "feed_stale", State.DOWN.value: "feed_stale", State.CANNOT_RESYNC.value: "resync_storm"}


def _rfc3339(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FeedAlerts:
    """Feed-health alerts for the incidents intake (see the module docstring)."""

    def __init__(self, poster: IntakePoster, *, source: str = "feeds-gateway", status_url: str = "") -> None:
        self.poster = poster
        self.source = source
        self.status_url = status_url
        self.open: dict[str, dict[str, Any]] = {}  # stream -> its firing alert

    def _alert(self, kind: str, venue: str, stream: str, summary: str, ts_ns: int,
               **extra: str) -> dict[str, Any]:
        name, severity = EVENT_KINDS[kind]
        labels = {"alertname": name, "severity": severity, "source": self.source, "tradeplane_event": kind,
                  "venue": venue, "stream": stream, **extra}
        return {"status": "firing", "labels": labels, "annotations": {"summary": summary},
                "startsAt": _rfc3339(ts_ns), "endsAt": _ZERO, "generatorURL": self.status_url,
                "fingerprint": fingerprint_of(labels)}

    def on_change(self, c: StateChange) -> None:
        """A health-board listener: streams going stale, down or unable to resync fire; a
        stream back to live resolves what it fired."""
        if c.scope != "stream":
            return
        venue = c.name.split("/", 1)[0]
        kind = _FIRING.get(c.new)
        current = self.open.get(c.name)
        out: list[dict[str, Any]] = []
        if current is not None and (c.new == State.LIVE.value or (kind and current["labels"]["tradeplane_event"] != kind)):
            out.append({**current, "status": "resolved", "endsAt": _rfc3339(c.ts_ns)})
            del self.open[c.name]
        if kind and c.name not in self.open:
            alert = self._alert(kind, venue, c.name, f"stream {c.name} is {c.new}: {c.reason}", c.ts_ns)
            self.open[c.name] = alert
            out.append(alert)
        self.poster.offer(out)

    def publish(self, event: MarketEvent) -> None:
        """A gateway sink: only ``Gap`` events raise an alert; everything else returns at once."""
        if type(event) is not Gap:
            return
        stream = f"{event.venue}/{event.channel}/{event.symbol}"
        self.poster.offer([self._alert(
            "feed_gap", event.venue, stream,
            f"stream {stream} lost sequences {event.from_seq}..{event.to_seq} on every leg ({event.reason})",
            event.ts_recv, key=f"{stream}#{event.from_seq}-{event.to_seq}")])

    async def aclose(self) -> None:
        """Drain the poster (the gateway calls a sink's ``aclose`` when it stops)."""
        import asyncio

        await asyncio.to_thread(self.poster.close)


def attach(gateway: Any, url: str, token: str | None = None, *, status_url: str = "") -> FeedAlerts:
    """Wire a running-to-be gateway to the intake at ``url``: a health listener and a sink
    (drained when the gateway stops)."""
    alerts = FeedAlerts(IntakePoster(url, token, receiver="feeds-gateway").start(), status_url=status_url)
    gateway.board.listeners.append(alerts.on_change)
    gateway.sinks.append(alerts)
    return alerts
