"""The one exception hierarchy every package raises for user mistakes.

A user-facing error always says where (file, line, column, field) and what to
do. The CLI turns any ``TradeplaneError`` into those lines and exit code 2, so
no user ever sees a traceback for a mistake of theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Location:
    """A place in a user's file. ``line`` and ``column`` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, which field, what, and how to fix it."""

    message: str
    location: Location | None = None
    field: str = ""
    hint: str = ""

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        at = f"{self.field}: " if self.field else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}{at}{self.message}{hint}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location or Location("")
        return (loc.file, loc.line, loc.column, self.field, self.message)


class TradeplaneError(Exception):
    """Root of every error a user can cause. Carries one or more problems."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))

    @classmethod
    def single(
        cls, message: str, *, location: Location | None = None, field: str = "", hint: str = ""
    ) -> TradeplaneError:
        return cls(message, [Problem(message, location, field, hint)])

    def lines(self) -> list[str]:
        """The error as the lines a user reads, most specific first."""
        if not self.problems:
            return [self.message]
        if len(self.problems) == 1 and self.problems[0].message == self.message:
            return [self.problems[0].render()]
        return [self.message, *(p.render() for p in self.problems)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


class EstateError(TradeplaneError):
    """The estate files are malformed, inconsistent or refer to things that do not exist."""


class InputError(TradeplaneError):
    """A file other than the estate (a cloud export, a billing file, a config) is malformed."""


class ConfigError(TradeplaneError):
    """A runtime configuration (feeds, console, incidents) is invalid."""


class OutputError(TradeplaneError):
    """An output path cannot be written (checked before any work; see ``tradeplane.writing``)."""


class UnsupportedError(TradeplaneError):
    """The request is valid but cannot be honoured (e.g. a guardrail with no equivalent on a cloud)."""


@dataclass
class ProblemList:
    """Collects problems so a whole file is reported at once instead of the first error."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, *, location: Location | None = None, field: str = "", hint: str = "") -> None:
        self.problems.append(Problem(message, location, field, hint))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, message: str, error: type[TradeplaneError] = EstateError) -> None:
        if self.problems:
            n = len(self.problems)
            raise error(f"{message}: {n} problem{'s' if n != 1 else ''}", self.problems)
