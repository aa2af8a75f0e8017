"""A security finding: what rule broke, on what, with the evidence (a trace) and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BLOCKING", "Finding", "SecurityReport"]

BLOCKING = ("critical", "high")


@dataclass(frozen=True, order=True)
class Finding:
    """``rule`` is the check's id (``custody.reader``, ``perimeter.origin-exposed``, ...);
    ``location`` the estate file:line of the object to change, when known."""

    severity: str
    rule: str
    subject: str
    title: str
    detail: str = ""
    fix: str = ""
    location: str = ""
    trace: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "rule": self.rule, "subject": self.subject, "title": self.title,
                "detail": self.detail, "fix": self.fix, "location": self.location, "trace": list(self.trace)}


_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


@dataclass
class SecurityReport:
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (_ORDER.get(f.severity, 9), f.rule, f.subject, f.title))

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.sorted() if f.severity in BLOCKING]

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.sorted()], "passed": sorted(self.passed),
                "blocking": len(self.blocking)}
