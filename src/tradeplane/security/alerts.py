"""Alerts in the one shape every tradeplane runtime uses: the Alertmanager webhook payload (v4).

The watchers build :class:`Alert` values (firing or resolved) and hand a batch to a sink:
:class:`JsonLinesSink` prints one webhook payload per line (stdout when the incidents intake is
not running), :class:`WebhookSink` POSTs it to the intake, exactly as Alertmanager would, with
retries. Times come from the event (a replay is deterministic), never from the clock.

Payload shape (Alertmanager docs, "webhook_config"): ``{"version": "4", "groupKey", "status",
"receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "truncatedAlerts",
"alerts": [{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
"fingerprint"}]}``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
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
    """POSTs each batch to an Alertmanager-compatible intake (the incidents service).

    ``token`` is sent as ``Authorization: Bearer``. Transient failures (connection errors, 5xx)
    are retried ``retries`` times with exponential backoff; after that the batch is written to
    ``fallback`` (stdout) so no alert is silently lost.
    """

    url: str
    token: str | None = None
    retries: int = 5
    timeout_s: float = 5.0
    fallback: AlertSink = field(default_factory=JsonLinesSink)

    def send(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = webhook_payload(alerts)
        delay = 0.2
        for attempt in range(self.retries + 1):
            try:
                response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout_s)
                if response.status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if attempt < self.retries:
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.fallback.send(alerts)
