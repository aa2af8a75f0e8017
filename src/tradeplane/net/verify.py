"""``verify``: prove or refute the estate's intents and the built-in network properties.

Checks are plain functions ``(Context) -> Iterable[Finding]`` registered in
``CHECKS`` (one module per check under ``tradeplane.net.checks``). Callers may
pass extra checks (the lead wires latency-budget checks in this way) without
editing this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tradeplane.estate.model import Estate, PortRange
from tradeplane.net.dataplane import Dataplane
from tradeplane.net.endpoints import resolve
from tradeplane.net.reach import Answer, reach_selections
from tradeplane.net.trace import RuleRef, Trace
from tradeplane.placement import PlacementResult

__all__ = ["CHECKS", "SEVERITIES", "Check", "Context", "Finding", "Report", "register", "registered_checks", "verify"]

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
MAX_TRACES = 3


@dataclass(frozen=True)
class Finding:
    """One problem: how bad, which flows, the trace that shows it and the estate line to change."""

    check: str
    severity: Severity
    title: str
    flows: tuple[str, ...] = ()
    detail: str = ""
    fix: str = ""
    fix_location: str | None = None
    traces: tuple[Trace, ...] = ()

    def sort_key(self) -> tuple[int, str, str, tuple[str, ...]]:
        return (SEVERITIES.index(self.severity), self.check, self.title, self.flows)

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check, "severity": self.severity, "title": self.title, "flows": list(self.flows),
            "detail": self.detail, "fix": self.fix, "fix_location": self.fix_location,
            "traces": [t.to_json() for t in self.traces],
        }


@dataclass
class Report:
    estate: str
    findings: list[Finding]
    checks: list[str]
    passed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity in ("critical", "high") for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def to_json(self) -> dict[str, Any]:
        return {"estate": self.estate, "ok": self.ok, "counts": self.counts(), "checks": self.checks,
                "passed": self.passed, "findings": [f.to_json() for f in self.findings]}


class Context:
    """What checks share: the estate, its data plane, cached answers and failure data planes."""

    def __init__(self, estate: Estate, placement: PlacementResult | None = None) -> None:
        self.estate = estate
        self.placement = placement  # the solver's result when the caller already has it
        self.dp = Dataplane.build(estate)
        self._answers: dict[tuple[object, ...], Answer] = {}
        self._failed: dict[frozenset[str], Dataplane] = {}
        self.passed: list[str] = []

    def ask(self, src: str, dst: str, protocol: str = "all", ports: Sequence[PortRange] = (), *,
            replies: bool = True, failed: frozenset[str] = frozenset()) -> Answer:
        key = (src, dst, protocol, tuple(str(p) for p in ports), replies, failed)
        if key not in self._answers:
            dp = self.dataplane(failed)
            self._answers[key] = reach_selections(dp, resolve(dp, src), resolve(dp, dst), protocol, ports,
                                                  replies=replies)
        return self._answers[key]

    def dataplane(self, failed: frozenset[str] = frozenset()) -> Dataplane:
        if not failed:
            return self.dp
        if failed not in self._failed:
            self._failed[failed] = Dataplane.build(self.estate, failed)
        return self._failed[failed]

    def where(self, obj: object, fld: str = "") -> str | None:
        loc = self.estate.where(obj, fld)
        return str(loc) if loc else None

    def note_pass(self, text: str) -> None:
        self.passed.append(text)


def fix_from(trace: Trace | None, fallback: str = "") -> tuple[str, str | None]:
    """The rule to change, from the last deciding rule of a trace."""
    ref: RuleRef | None = trace.deciding_rule() if trace else None
    if ref is None:
        return fallback, None
    return f"change {ref.kind} '{ref.text}'", ref.location or (ref.ident or None)


def flow_text(src: str, dst: str, protocol: str, ports: Sequence[PortRange] | str = ()) -> str:
    p = ports if isinstance(ports, str) else ",".join(str(x) for x in ports)
    return f"{src} -> {dst} {protocol}" + (f" {p}" if p and p != "all" else "")


Check = Callable[[Context], Iterable[Finding]]
_REGISTRY: list[tuple[str, Check]] = []
CHECKS = _REGISTRY
"""The default checks, in order: (name, function). Filled when ``tradeplane.net.checks`` is imported."""


def register(name: str) -> Callable[[Check], Check]:
    """Decorator: add a check to the default set (modules under ``tradeplane.net.checks``)."""

    def deco(fn: Check) -> Check:
        _REGISTRY.append((name, fn))
        return fn

    return deco


def registered_checks() -> list[tuple[str, Check]]:
    from tradeplane.net import checks as _checks  # noqa: F401 - importing registers them

    return list(_REGISTRY)


def verify(estate: Estate, *, checks: Sequence[tuple[str, Check]] | None = None,
           extra: Sequence[tuple[str, Check]] = (), placement: PlacementResult | None = None) -> Report:
    """Run every check (the registered ones, or ``checks``) plus ``extra``; findings sorted.

    ``placement`` is the solver's result for this estate when the caller has one (``plan``
    does), so the latency-budget check need not solve again."""
    ctx = Context(estate, placement)
    chosen = [*(registered_checks() if checks is None else checks), *extra]
    findings: list[Finding] = []
    for _name, fn in chosen:
        findings.extend(fn(ctx))
    findings.sort(key=Finding.sort_key)
    return Report(estate.name, findings, [n for n, _ in chosen], sorted(ctx.passed))
