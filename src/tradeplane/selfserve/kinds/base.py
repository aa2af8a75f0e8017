"""What every request kind is built from: ``RequestKind`` (a pydantic model) and ``register``.

A kind is one module under ``tradeplane/selfserve/kinds/`` holding one ``RequestKind`` subclass
decorated with ``@register``; ``tradeplane.selfserve.kinds.discover`` imports every module of the
folder (as ``tradeplane.net.verify`` discovers its checks), so a new kind file is a new request
kind for the CLI file form, the API and the console without being listed anywhere.

A kind says which desks it touches (for access), how it patches the estate's YAML trees
(``apply``), which workloads it places, which flow it opens (for the trace) and which policies
it breaks on its own account (``breaches``: e.g. a flow into an isolated desk).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from tradeplane.errors import InputError, Problem
from tradeplane.estate import Estate, PortRange
from tradeplane.selfserve.document import EstateDocument

__all__ = ["REGISTRY", "Breach", "Flow", "RequestKind", "register", "unknown"]


@dataclass(frozen=True)
class Flow:
    """The traffic a request opens: what ``net.reach`` traces on the patched estate."""

    src: str
    dst: str
    protocol: str
    ports: tuple[PortRange, ...]

    def text(self) -> str:
        p = ",".join(str(x) for x in self.ports)
        return f"{self.src} -> {self.dst} {self.protocol}" + (f" {p}" if p else "")


@dataclass(frozen=True)
class Breach:
    """A policy the request breaks by what it asks for (independently of the data plane)."""

    rule: str  # e.g. "isolation"
    message: str
    location: str = ""  # where the policy is written (estate file:line)


class RequestKind(BaseModel):
    """Base of every request kind: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)
    KIND: ClassVar[str] = ""

    kind: str

    def summary(self) -> str:
        """One line for lists and commit subjects."""
        raise NotImplementedError

    def desks(self, estate: Estate) -> set[str]:
        """The desks this request touches (access: a crypto-desk request is for crypto/platform eyes)."""
        raise NotImplementedError

    def apply(self, doc: EstateDocument, estate: Estate) -> list[str]:
        """Edit ``doc``'s trees; return one line per change. Raise ``InputError`` (naming the request
        field) when a name does not resolve in ``estate``."""
        raise NotImplementedError

    def placed(self) -> tuple[str, ...]:
        """Workloads whose placement the outcome reports (new workloads)."""
        return ()

    def flow(self, estate: Estate) -> Flow | None:
        """The flow the request opens, traced on the patched estate."""
        return None

    def breaches(self, estate: Estate) -> list[Breach]:
        """Policies the request breaks by what it asks (checked on the original estate)."""
        return []


REGISTRY: dict[str, type[RequestKind]] = {}
K = TypeVar("K", bound=type[RequestKind])


def register(cls: K) -> K:
    """Class decorator: register a request kind under its ``kind`` literal (unique)."""
    fields: dict[str, Any] = cls.__pydantic_fields__
    default = fields["kind"].default
    if not isinstance(default, str) or not default:
        raise TypeError(f"{cls.__name__}.kind needs a literal default, e.g. kind: Literal['flow'] = 'flow'")
    if default in REGISTRY and REGISTRY[default] is not cls:
        raise ValueError(f"request kind {default!r} is registered twice ({REGISTRY[default].__module__} and "
                         f"{cls.__module__})")
    cls.KIND = default
    REGISTRY[default] = cls
    return cls


def unknown(field: str, value: str, what: str, choices: Callable[[], list[str]] | list[str]) -> InputError:
    """The error for a request field naming something the estate does not have."""
    names = choices() if callable(choices) else choices
    import difflib

    close = difflib.get_close_matches(value, names, n=1)
    hint = f"did you mean '{close[0]}'?" if close else (f"one of: {', '.join(sorted(names)[:12])}" if names else "")
    message = f"no {what} '{value}' in the estate"
    return InputError(message, [Problem(message, None, field, hint)])


def by_name(items: Any) -> dict[str, Any]:
    return {x.name: x for x in items}
