"""``verify``: prove or refute the estate's intents and the built-in network properties.

Checks live one module each under ``tradeplane.net.checks`` and register themselves with
``tradeplane.net.checks.base.register`` (id, severity, what it proves, order). Every module of
that folder is imported when this module is, so ``CHECKS`` is complete as soon as
``tradeplane.net`` is imported, and a new check file runs without being listed anywhere.
Callers may pass extra checks without editing this package.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tradeplane.estate.model import Estate
from tradeplane.net import checks as _checks_pkg
from tradeplane.net.checks.base import (
    BLOCKING_SEVERITIES,
    MAX_TRACES,
    REGISTRY,
    SEVERITIES,
    Check,
    CheckFn,
    Context,
    Finding,
    LatencyVerdicts,
    Severity,
    fix_from,
    flow_text,
    register,
)

__all__ = ["BLOCKING_SEVERITIES", "CHECKS", "MAX_TRACES", "SEVERITIES", "Check", "CheckFn", "Context", "Finding",
           "LatencyVerdicts", "Report", "Severity", "discover", "fix_from", "flow_text", "register",
           "registered_checks", "verify"]


def discover() -> list[Check]:
    """Import every module of ``tradeplane.net.checks`` and return the registered checks in run order."""
    for info in sorted(pkgutil.iter_modules(_checks_pkg.__path__), key=lambda m: m.name):
        if info.name != "base":
            importlib.import_module(f"{_checks_pkg.__name__}.{info.name}")
    return sorted(REGISTRY.values(), key=lambda c: (c.order, c.id))


CHECKS: list[Check] = discover()
"""The default checks in the order they run (each unpacks as ``(id, function)``)."""


def registered_checks() -> list[Check]:
    return discover()


@dataclass
class Report:
    estate: str
    findings: list[Finding]
    checks: list[str]
    passed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity in BLOCKING_SEVERITIES for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def to_json(self) -> dict[str, Any]:
        return {"estate": self.estate, "ok": self.ok, "counts": self.counts(), "checks": self.checks,
                "passed": self.passed, "findings": [f.to_json() for f in self.findings]}


def verify(estate: Estate, *, checks: Sequence[Check | tuple[str, CheckFn]] | None = None,
           extra: Sequence[Check | tuple[str, CheckFn]] = (), latency: LatencyVerdicts | None = None) -> Report:
    """Run every check (the registered ones, or ``checks``) plus ``extra``; findings sorted.

    ``latency``: placement's latency-budget verdicts, handed over by the composer (``plan``); without
    them the ``latency-budgets`` check has nothing to turn into findings and says so."""
    ctx = Context(estate, latency)
    chosen = [(c.id, c.fn) if isinstance(c, Check) else c for c in [*(CHECKS if checks is None else checks), *extra]]
    findings: list[Finding] = []
    for _name, fn in chosen:
        findings.extend(fn(ctx))
    findings.sort(key=Finding.sort_key)
    return Report(estate.name, findings, [n for n, _ in chosen], sorted(ctx.passed))
