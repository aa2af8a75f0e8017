"""Why a placement cannot be made: a message a human can act on, and where to act."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Explanation", "ExplanationKind"]

ExplanationKind = Literal[
    "subnet", "zones", "guardrail", "family", "capacity", "price", "budget", "group", "anti_affinity", "conflict",
]


@dataclass(frozen=True, order=True)
class Explanation:
    """One reason the input is infeasible. ``where`` is the estate file:line when known."""

    workload: str
    kind: ExplanationKind
    message: str
    hint: str = ""
    where: str = ""

    def render(self) -> str:
        at = f"{self.where}: " if self.where else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{at}{self.message}{hint}"

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.workload, "kind": self.kind, "message": self.message, "hint": self.hint,
                "where": self.where}
