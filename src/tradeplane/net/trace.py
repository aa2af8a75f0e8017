"""Traces: the hops a set of headers took, and the route or rule that decided each one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tradeplane.net.space import Space

__all__ = ["Disposition", "Hop", "RuleRef", "Trace"]

Disposition = Literal["delivered", "dropped", "unknown"]
"""``unknown``: a rule the model cannot resolve decided these headers (the reason says which)."""


@dataclass(frozen=True, order=True)
class RuleRef:
    """A route or rule that decided something, and where it is written.

    ``location`` is the estate ``file:line`` (or, for imported estates, the export
    file and line of the object); ``ident`` is the object's path or cloud id.
    """

    kind: str
    text: str
    location: str | None = None
    ident: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "location": self.location, "object": self.ident}

    def render(self) -> str:
        where = f" [{self.location}]" if self.location else (f" [{self.ident}]" if self.ident else "")
        return f"{self.kind} {self.text}{where}"


@dataclass(frozen=True)
class Hop:
    """One step: at ``node`` the packet set was ``action`` (routed, allowed, ...) by ``rules``."""

    node: str
    action: str
    rules: tuple[RuleRef, ...] = ()
    link: str = ""  # the estate link element crossed, for failure analysis

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"node": self.node, "action": self.action,
                               "rules": [r.to_json() for r in self.rules]}
        if self.link:
            out["link"] = self.link
        return out

    def render(self) -> str:
        rules = "; ".join(r.render() for r in self.rules)
        return f"{self.node}: {self.action}" + (f" by {rules}" if rules else "")


@dataclass(frozen=True)
class Trace:
    """The path of one class of headers, ending delivered at an endpoint or dropped with a reason."""

    hops: tuple[Hop, ...]
    disposition: Disposition
    space: Space = field(compare=False)
    endpoint: str = ""  # delivered: the endpoint key; dropped: ""
    reason: str = ""  # dropped: why
    at: str = ""  # delivered: the place it arrived (internet, site:x, subnet:net/sub)

    def links(self) -> frozenset[str]:
        return frozenset(h.link for h in self.hops if h.link)

    def deciding_rule(self) -> RuleRef | None:
        """The last rule on the path (for a drop: the rule or route to change)."""
        for hop in reversed(self.hops):
            if hop.rules:
                return hop.rules[-1]
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "disposition": self.disposition,
            "endpoint": self.endpoint,
            "reason": self.reason,
            "headers": self.space.describe(limit=6),
            "hops": [h.to_json() for h in self.hops],
        }

    def render(self) -> list[str]:
        head = (f"delivered to {self.endpoint}" if self.disposition == "delivered"
                else f"dropped: {self.reason}" if self.disposition == "dropped" else f"undecided: {self.reason}")
        return [f"{head} ({self.space.describe()})", *(f"  {i + 1}. {h.render()}" for i, h in enumerate(self.hops))]
