"""The alert shapes the intake accepts, and the one they all become.

Every alert reaches the store as an :class:`Alert` — the alert object of the Alertmanager
webhook payload (version 4) — so Prometheus/Alertmanager and tradeplane's own runtimes are
interchangeable:

- :class:`AlertmanagerWebhook`: the payload exactly as Alertmanager POSTs it
  (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config);
- :class:`Event`: tradeplane's own typed event (feed health, net verify findings, budget
  breaches, cost anomalies, security watchers); ``Event.to_alert()`` converts it;
- :class:`GenericAlert`: any JSON alert a script can post.

Times are timezone-aware ``datetime`` values (RFC 3339 on the wire). Alertmanager sends
``endsAt`` as ``0001-01-01T00:00:00Z`` for alerts with no end; that is read as ``None``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

__all__ = [
    "EVENT_KINDS",
    "SEVERITY_ALIASES",
    "Alert",
    "AlertmanagerWebhook",
    "Event",
    "GenericAlert",
    "canonical_severity",
    "fingerprint_of",
    "webhook_of",
]

Severity = Literal["critical", "high", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("critical", "high", "warning", "info")
SEVERITY_ALIASES: dict[str, str] = {
    "critical": "critical", "page": "critical", "p1": "critical", "sev1": "critical", "fatal": "critical",
    "emergency": "critical",
    "high": "high", "error": "high", "major": "high", "p2": "high", "sev2": "high",
    "warning": "warning", "warn": "warning", "minor": "warning", "medium": "warning", "p3": "warning",
    "sev3": "warning",
    "info": "info", "informational": "info", "low": "info", "none": "info", "p4": "info", "p5": "info",
    "sev4": "info", "notice": "info",
}
"""Every severity word the intake reads (case-insensitive) -> the four the store keeps (docs/incidents.md,
"Severity"): the labels of any alert, and the ``severity`` field of events and generic alerts."""


def canonical_severity(raw: str) -> str | None:
    """``critical``, ``high``, ``warning`` or ``info`` for a severity word or alias (``P2`` -> ``high``);
    ``None`` when it is none of them."""
    return SEVERITY_ALIASES.get(raw.strip().lower())


def _severity_field(value: Any) -> Any:
    if isinstance(value, str):
        found = canonical_severity(value)
        if found is None:
            raise ValueError(f"unknown severity {value!r}: give critical, high, warning or info, or an alias "
                             "(P1-P5, SEV1-SEV4, page, error, major, warn, minor, low, ...)")
        return found
    return value


SeverityIn = Annotated[Severity, BeforeValidator(_severity_field), WithJsonSchema({
    "type": "string", "examples": ["critical", "high", "warning", "info", "P1", "P2", "SEV3", "page"],
    "description": "critical, high, warning or info, or an alias, case-insensitive: page/P1/SEV1/fatal/emergency "
                   "(critical), error/major/P2/SEV2 (high), warn/minor/medium/P3/SEV3 (warning), "
                   "low/none/notice/P4/P5/SEV4 (info)"})]
"""A severity as clients write it, stored as one of the four."""
_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return None if value <= _ZERO_TIME else value


def fingerprint_of(labels: dict[str, str]) -> str:
    """A stable 16-hex-digit fingerprint of a label set (Alertmanager's own is also 16 hex
    digits of a hash of the sorted labels; ours is SHA-256 based, used when none is given)."""
    text = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Alert(BaseModel):
    """One alert of the Alertmanager webhook payload (version 4)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: Literal["firing", "resolved"] = "firing"
    labels: dict[str, str] = Field(default_factory=dict, max_length=128)
    annotations: dict[str, str] = Field(default_factory=dict, max_length=128)
    startsAt: datetime = Field(description="RFC 3339; when the alert started firing")
    endsAt: datetime | None = Field(default=None, description="RFC 3339; 0001-01-01T00:00:00Z means none")
    generatorURL: str = ""
    fingerprint: str = Field(default="", max_length=128,
                             description="Alertmanager's fingerprint of the labels; computed when empty")

    @field_validator("startsAt")
    @classmethod
    def _starts(cls, v: datetime) -> datetime:
        out = _aware(v)
        return out if out is not None else _ZERO_TIME

    @field_validator("endsAt")
    @classmethod
    def _ends(cls, v: datetime | None) -> datetime | None:
        return _aware(v)

    def key(self) -> str:
        """The fingerprint (given, else computed from the labels)."""
        return self.fingerprint or fingerprint_of(self.labels)


class AlertmanagerWebhook(BaseModel):
    """The webhook payload Alertmanager POSTs to a ``webhook_config`` receiver (version 4)."""

    model_config = ConfigDict(extra="ignore")

    version: str = "4"
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"] = "firing"
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[Alert] = Field(default_factory=list, max_length=5000)


EVENT_KINDS: dict[str, tuple[str, str]] = {
    # kind: (alertname, default severity)
    "feed_stale": ("FeedStale", "high"),
    "feed_gap": ("FeedGap", "warning"),
    "resync_storm": ("FeedResyncStorm", "high"),
    "net_finding": ("NetVerifyFinding", "high"),
    "link_down": ("HybridLinkDown", "critical"),
    "budget_breach": ("BudgetBreach", "warning"),
    "cost_anomaly": ("CostAnomaly", "warning"),
    "security": ("SecurityWatcher", "critical"),
}


class Event(BaseModel):
    """Tradeplane's own event: one small typed shape every runtime posts to the intake.

    The object the event is about goes in the matching field (``venue``, ``stream``, ``link``,
    ``workload``, ``network``, ``desk``); ``evidence`` carries structured detail the runtime
    already holds (a cost anomaly's drivers, a finding's flows). ``key`` names the condition
    so that a repeat of the same condition deduplicates (default: kind + subject).
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["feed_stale", "feed_gap", "resync_storm", "net_finding", "link_down",
                  "budget_breach", "cost_anomaly", "security"]
    summary: str = Field(min_length=1, max_length=1000)
    source: str = Field(default="tradeplane", max_length=200, description="the runtime that raised it")
    severity: SeverityIn | None = None
    at: datetime = Field(description="when the condition began (RFC 3339)")
    resolved: bool = False
    key: str = Field(default="", max_length=300)
    desk: str | None = Field(default=None, max_length=63)
    venue: str | None = Field(default=None, max_length=63)
    stream: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, max_length=200)
    workload: str | None = Field(default=None, max_length=63)
    network: str | None = Field(default=None, max_length=63)
    runbook: str | None = Field(default=None, max_length=500)
    evidence: dict[str, Any] = Field(default_factory=dict)

    def to_alert(self) -> Alert:
        """The Alertmanager alert this event stands for (``evidence`` travels as JSON in the
        ``evidence`` annotation)."""
        name, default = EVENT_KINDS[self.kind]
        labels = {"alertname": name, "severity": self.severity or default, "source": self.source,
                  "tradeplane_event": self.kind}
        for f in ("desk", "venue", "stream", "link", "workload", "network"):
            value = getattr(self, f)
            if value:
                labels[f] = value
        if self.key:
            labels["key"] = self.key
        annotations = {"summary": self.summary}
        if self.runbook:
            annotations["runbook_url"] = self.runbook
        if self.evidence:
            annotations["evidence"] = json.dumps(self.evidence, sort_keys=True, default=str)
        at = _aware(self.at) or _ZERO_TIME
        return Alert(status="resolved" if self.resolved else "firing", labels=labels, annotations=annotations,
                     startsAt=at, endsAt=None, fingerprint=fingerprint_of(labels))


class GenericAlert(BaseModel):
    """Any JSON alert: a title, a severity, labels; ``dedup_key`` groups repeats."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=1000)
    severity: SeverityIn = "warning"
    description: str = Field(default="", max_length=10_000)
    source: str = Field(default="generic", max_length=200)
    labels: dict[str, str] = Field(default_factory=dict, max_length=128)
    dedup_key: str = Field(default="", max_length=300)
    at: datetime | None = None
    resolved: bool = False

    def to_alert(self, received: datetime) -> Alert:
        labels = {**self.labels, "alertname": self.labels.get("alertname", "GenericAlert"),
                  "severity": self.severity, "source": self.source}
        if self.dedup_key:
            labels["key"] = self.dedup_key
        else:
            labels.setdefault("title", self.title[:200])
        annotations = {"summary": self.title}
        if self.description:
            annotations["description"] = self.description
        at = _aware(self.at) or _aware(received) or _ZERO_TIME
        return Alert(status="resolved" if self.resolved else "firing", labels=labels, annotations=annotations,
                     startsAt=at, fingerprint=fingerprint_of(labels))


def webhook_of(alerts: list[Alert], receiver: str = "tradeplane") -> dict[str, Any]:
    """A version-4 webhook payload carrying ``alerts`` (what a runtime posts to the intake, or
    prints to stdout when the intake is not running)."""
    firing = any(a.status == "firing" for a in alerts)
    return {
        "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "receiver": receiver,
        "status": "firing" if firing else "resolved", "groupLabels": {}, "commonLabels": {},
        "commonAnnotations": {}, "externalURL": "",
        "alerts": [a.model_dump(mode="json") for a in alerts],
    }
