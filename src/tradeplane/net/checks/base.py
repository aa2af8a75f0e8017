"""What every verify check is built from: ``Finding``, ``Context``, the ``register`` decorator.

A check is one module under ``tradeplane/net/checks/`` holding one or more functions
``(Context) -> Iterable[Finding]`` decorated with ``@register(...)``; ``tradeplane.net.verify``
discovers every module of the folder when ``tradeplane.net`` is imported (like checkov's one
check per file), so a new check file runs without being listed anywhere. Each registration
carries its metadata: id, the severity of its findings, what it proves, and its ``order`` (the
checks run in ascending order, then by id: the order docs/net.md lists).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from tradeplane.estate.model import Estate, PortRange
from tradeplane.net.dataplane import Dataplane
from tradeplane.net.endpoints import resolve
from tradeplane.net.matrix import Matrix, matrix
from tradeplane.net.reach import Answer, reach_selections
from tradeplane.net.trace import RuleRef, Trace

__all__ = ["BLOCKING_SEVERITIES", "MAX_TRACES", "REGISTRY", "SEVERITIES", "BudgetVerdict", "Check", "CheckFn",
           "Context", "Finding", "LatencyVerdicts", "Severity", "Unplaceable", "fix_from", "flow_text", "register"]

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
BLOCKING_SEVERITIES: tuple[Severity, ...] = ("critical", "high")
"""A finding of these severities fails ``net verify`` (exit 1) and blocks a plan's apply."""
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


class BudgetVerdict(Protocol):
    """One latency budget as placement judged it (``placement.BudgetFinding`` has this shape)."""

    @property
    def workload(self) -> str: ...
    @property
    def to(self) -> str: ...
    @property
    def budget_us(self) -> float: ...
    @property
    def rtt_us(self) -> float: ...
    @property
    def met(self) -> bool: ...
    @property
    def zone(self) -> str: ...
    @property
    def to_place(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def where(self) -> str: ...


class Unplaceable(Protocol):
    """Why no placement meets every budget (``placement.Explanation`` has this shape)."""

    @property
    def workload(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def hint(self) -> str: ...
    @property
    def where(self) -> str: ...


@dataclass(frozen=True)
class LatencyVerdicts:
    """Placement's latency-budget verdicts for one estate, computed once by the composer (``plan``)
    and handed to ``verify``: net never calls the solver."""

    budgets: Sequence[BudgetVerdict] = ()
    unplaceable: Sequence[Unplaceable] = ()


class Context:
    """What checks share: the estate, its data plane, cached answers, the desk matrix and failure data
    planes, and the verdicts other analyses handed over (``latency``: None when the caller has none)."""

    def __init__(self, estate: Estate, latency: LatencyVerdicts | None = None) -> None:
        self.estate = estate
        self.latency = latency
        self.dp = Dataplane.build(estate)
        self._answers: dict[tuple[object, ...], Answer] = {}
        self._failed: dict[frozenset[str], Dataplane] = {}
        self._matrix: Matrix | None = None
        self.passed: list[str] = []

    def matrix(self) -> Matrix:
        """The desk x desk matrix with the internet as a segment (``net.matrix``: forward reachability, every
        protocol), computed on first use and shared by the checks that read it (desk segmentation, internet
        egress): one matrix per verify run."""
        if self._matrix is None:
            self._matrix = matrix(self.dp)
        return self._matrix

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


CheckFn = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """A registered check and its metadata."""

    id: str
    fn: CheckFn = field(compare=False)
    severity: Severity = "high"
    proves: str = ""
    order: int = 100
    module: str = ""

    def __iter__(self) -> Any:  # (id, fn) unpacking, as callers of the old tuple registry did
        return iter((self.id, self.fn))


REGISTRY: dict[str, Check] = {}


def register(id: str, *, severity: Severity = "high", proves: str = "", order: int = 100) -> Callable[[CheckFn], CheckFn]:
    """Decorator: register a check (its id must be unique)."""

    def deco(fn: CheckFn) -> CheckFn:
        if id in REGISTRY and REGISTRY[id].fn is not fn:
            raise ValueError(f"check id {id!r} is registered twice ({REGISTRY[id].module} and {fn.__module__})")
        REGISTRY[id] = Check(id, fn, severity, proves or (fn.__doc__ or "").strip(), order, fn.__module__)
        return fn

    return deco
