"""What every BGP source counts: messages read, skipped as malformed, and where."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SourceStats"]


@dataclass
class SourceStats:
    read: int = 0
    malformed: int = 0
    examples: list[str] = field(default_factory=list)

    def skip(self, where: str, why: str) -> None:
        self.malformed += 1
        if len(self.examples) < 20:
            self.examples.append(f"{where}: {why}")
