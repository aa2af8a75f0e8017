"""What every BGP source counts: messages read, skipped as malformed, and where."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["SourceStats"]


@dataclass
class SourceStats:
    """``read`` messages, ``malformed`` of them skipped (the first 20 in ``examples`` as
    "position: why"); ``ended`` says why a live source stopped by itself ("" while it runs, or
    when it was stopped). ``on_skip`` (when set) is called with the stats and the example of each
    skipped message, so a live watcher reports garbage as it arrives instead of only counting it."""

    read: int = 0
    malformed: int = 0
    examples: list[str] = field(default_factory=list)
    ended: str = ""
    on_skip: Callable[[SourceStats, str], None] | None = field(default=None, repr=False, compare=False)

    def skip(self, where: str, why: str) -> None:
        self.malformed += 1
        example = f"{where}: {why}"
        if len(self.examples) < 20:
            self.examples.append(example)
        if self.on_skip is not None:
            self.on_skip(self, example)
