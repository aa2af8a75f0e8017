"""What a request would do: the verdict, why, and every consequence the plan shows.

``Outcome.to_json()`` is the API's and the console's shape::

    {"id", "kind", "summary", "request", "estate", "verdict": "acceptable"|"refused", "reasons": [str],
     "changes": [str], "desks": [str], "restricted": bool,
     "findings": {"new": [Finding], "removed": [Finding]},
     "trace": {"flow": str, "verdict": str, "traces": [Trace JSON], "lines": [str]} | null,
     "placement": [{"workload", "cloud", "zones", "subnets", "strategy", "hourly_usd", "budgets": [...]}],
     "terraform": {"added": [addr], "changed": [addr], "removed": [addr]},
     "cost": {"currency": {"USD": {"old", "new", "delta"}}, "by_desk": {desk: delta}, "changes": [...],
              "budgets": {currency: {"old", "new", "delta"}}},
     "estate_diff": str, "files": [path]}

A Finding is ``{"section", "id", "severity", "title", "blocking", "location", "detail", "traces"}``
(section: verify, security, conformance, terraform, placement, kubernetes, migration, budget).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tradeplane.selfserve.kinds import RequestKind

__all__ = ["Finding", "Outcome", "Verdict"]

Verdict = Literal["acceptable", "refused"]


@dataclass(frozen=True)
class Finding:
    """One finding of one analysis on one side (old or new estate), keyed without its location
    (a patch moves lines, so locations differ between the two sides for the same finding)."""

    section: str
    id: str
    severity: str
    title: str
    blocking: bool
    location: str = ""
    detail: str = ""
    traces: tuple[dict[str, Any], ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.section, self.id, self.severity, self.title)

    def line(self) -> str:
        at = f" ({self.location})" if self.location else ""
        return f"{self.section} {self.severity}: {self.title}{at}"

    def to_json(self) -> dict[str, Any]:
        return {"section": self.section, "id": self.id, "severity": self.severity, "title": self.title,
                "blocking": self.blocking, "location": self.location, "detail": self.detail,
                "traces": list(self.traces)}


@dataclass(frozen=True)
class Outcome:
    id: str
    request: RequestKind
    estate: str
    verdict: Verdict
    reasons: tuple[str, ...]
    changes: tuple[str, ...]
    desks: tuple[str, ...]
    restricted: bool  # touches a crypto desk: readable by the crypto and platform roles only
    findings_new: tuple[Finding, ...] = ()
    findings_removed: tuple[Finding, ...] = ()
    trace: dict[str, Any] | None = None
    placement: tuple[dict[str, Any], ...] = ()
    terraform: dict[str, list[str]] = field(default_factory=dict)
    cost: dict[str, Any] = field(default_factory=dict)
    estate_diff: str = ""
    files: dict[str, str] = field(default_factory=dict)  # repository-relative path -> new text
    base: dict[str, str] = field(default_factory=dict)  # repository-relative path -> sha256 of the text patched
    digest: str = ""  # sha256 of every estate file evaluated: the same request on the same estate, the same outcome
    crypto: dict[str, list[str]] = field(default_factory=dict)  # redact.Restricted of both estates: what to hide

    @property
    def acceptable(self) -> bool:
        return self.verdict == "acceptable"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.request.KIND, "summary": self.request.summary(),
            "request": self.request.model_dump(mode="json"), "estate": self.estate,
            "verdict": self.verdict, "reasons": list(self.reasons), "changes": list(self.changes),
            "desks": list(self.desks), "restricted": self.restricted,
            "findings": {"new": [f.to_json() for f in self.findings_new],
                         "removed": [f.to_json() for f in self.findings_removed]},
            "trace": self.trace, "placement": list(self.placement), "terraform": self.terraform,
            "cost": self.cost, "estate_diff": self.estate_diff, "files": sorted(self.files),
        }

    def stored(self) -> dict[str, Any]:
        """``to_json`` plus what approval needs (the new texts and the hashes of what they patch) and
        what redaction needs (the crypto desk's names in both estates)."""
        return {**self.to_json(), "file_texts": dict(sorted(self.files.items())),
                "base": dict(sorted(self.base.items())), "digest": self.digest, "crypto": self.crypto}
