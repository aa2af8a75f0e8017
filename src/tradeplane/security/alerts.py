"""Alerts in the one shape every tradeplane runtime uses: the Alertmanager webhook payload (v4).

The watchers build :class:`Alert` values (firing or resolved) and hand a batch to a sink:
:class:`JsonLinesSink` prints one webhook payload per line (stdout when the incidents intake is
not running), :class:`WebhookSink` POSTs it to the intake, exactly as Alertmanager would, from a
bounded queue on its own thread (the watcher never waits), with retries. Times come from the event (a replay is deterministic), never from the clock.

Payload shape (Alertmanager docs, "webhook_config"): ``{"version": "4", "groupKey", "status",
"receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "truncatedAlerts",
"alerts": [{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
"fingerprint"}]}``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, Literal, Protocol

__all__ = ["Alert", "AlertSink", "JsonLinesSink", "ListSink", "WebhookSink", "rfc3339", "webhook_payload"]

ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339(time_ns: int) -> str:
    """Integer ns since the epoch -> RFC 3339 UTC with microseconds, as Alertmanager writes times."""
    return datetime.fromtimestamp(time_ns / 1e9, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Alert:
    """One alert. ``labels`` identify it (its fingerprint); ``annotations`` describe it."""

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_ns: int
    ends_ns: int = 0
    generator_url: str = ""

    @property
    def fingerprint(self) -> str:
        text = "\xff".join(f"{k}\xfe{v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "labels": dict(sorted(self.labels.items())),
            "annotations": dict(sorted(self.annotations.items())),
            "startsAt": rfc3339(self.starts_ns),
            "endsAt": rfc3339(self.ends_ns) if self.ends_ns else ZERO_TIME,
            "generatorURL": self.generator_url,
            "fingerprint": self.fingerprint,
        }


def webhook_payload(alerts: Sequence[Alert], receiver: str = "tradeplane-security") -> dict[str, Any]:
    """The Alertmanager webhook v4 payload for a batch of alerts (one group per call)."""
    dicts = [a.to_dict() for a in alerts]
    common = {k: v for k, v in (dicts[0]["labels"].items() if dicts else ()) if all(d["labels"].get(k) == v for d in dicts)}
    annotations = {
        k: v for k, v in (dicts[0]["annotations"].items() if dicts else ())
        if all(d["annotations"].get(k) == v for d in dicts)
    }
    group = {k: common[k] for k in ("alertname",) if k in common}
    status = "firing" if any(a.status == "firing" for a in alerts) else "resolved"
    return {
        "version": "4",
        "groupKey": "{}:" + json.dumps(group, sort_keys=True),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": receiver,
        "groupLabels": group,
        "commonLabels": common,
        "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": dicts,
    }


class AlertSink(Protocol):
    def send(self, alerts: Sequence[Alert]) -> None: ...


@dataclass
class JsonLinesSink:
    """One webhook payload per line on a text stream (stdout by default)."""

    stream: IO[str] = field(default_factory=lambda: sys.stdout)

    def send(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            self.stream.write(json.dumps(webhook_payload(alerts), sort_keys=True) + "\n")
            self.stream.flush()


@dataclass
class ListSink:
    """Keeps every alert sent (tests, replays that report at the end)."""

    alerts: list[Alert] = field(default_factory=list)

    def send(self, alerts: Sequence[Alert]) -> None:
        self.alerts.extend(alerts)


@dataclass
class WebhookSink:
    """Posts alerts to an Alertmanager-compatible intake (the incidents service) without
    blocking the watcher: ``send`` queues them on an :class:`~tradeplane.incidents.poster.IntakePoster`
    (bounded queue, its own thread, retries with backoff until accepted) and returns at once.

    ``token`` is sent as ``Authorization: Bearer``. What cannot be delivered (the queue
    overflows, the intake refuses it, or it is still queued ``drain_s`` after :meth:`close`)
    goes to ``fallback`` (stdout), so no alert is silently lost. Call :meth:`close` when the
    watcher stops."""

    url: str
    token: str | None = None
    timeout_s: float = 5.0
    drain_s: float = 5.0
    maxsize: int = 10_000
    fallback: AlertSink = field(default_factory=JsonLinesSink)
    _poster: Any = field(default=None, init=False, repr=False)

    def _start(self) -> Any:
        if self._poster is None:
            from tradeplane.incidents.poster import IntakePoster

            self._poster = IntakePoster(self.url, self.token, receiver="tradeplane-security", maxsize=self.maxsize,
                                        timeout_s=self.timeout_s, drain_s=self.drain_s,
                                        fallback=self._undelivered).start()
        return self._poster

    def _undelivered(self, alerts: Sequence[dict[str, Any]]) -> None:
        if isinstance(self.fallback, JsonLinesSink):
            self.fallback.stream.write(json.dumps(webhook_of_dicts(alerts), sort_keys=True) + "\n")
            self.fallback.stream.flush()
        else:
            self.fallback.send([_from_dict(a) for a in alerts])

    def send(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            self._start().offer([a.to_dict() for a in alerts])

    def close(self) -> None:
        """Deliver what is queued (within ``drain_s``), then stop the poster."""
        if self._poster is not None:
            self._poster.close()
            self._poster = None


def webhook_of_dicts(alerts: Sequence[dict[str, Any]], receiver: str = "tradeplane-security") -> dict[str, Any]:
    """:func:`webhook_payload` for alerts already in their wire shape."""
    return webhook_payload([_from_dict(a) for a in alerts], receiver)


def _ns(text: str) -> int:
    if text.startswith("0001-"):
        return 0
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1e9)


def _from_dict(a: dict[str, Any]) -> Alert:
    return Alert(a["status"], dict(a["labels"]), dict(a["annotations"]), _ns(a["startsAt"]), _ns(a["endsAt"]),
                 a.get("generatorURL", ""))
