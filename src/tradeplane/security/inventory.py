"""The key inventory: when each exchange API key was created and which desks hold it.

A YAML file kept beside the estate (the estate says how keys are referenced; the inventory says
their history, which changes on every rotation)::

    keys:
      - {name: binance-mm-trade, venue: binance, created: 2026-09-01, desks: [crypto]}

Loaded with the estate's position-keeping YAML parser: every problem is one line with
file:line:column and the field.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradeplane.errors import InputError, Location, Problem

__all__ = ["KeyInventory", "KeyRecord", "load_inventory"]


class KeyRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    venue: str = Field(min_length=1)
    created: date = Field(description="when the key was issued by the venue")
    desks: tuple[str, ...] = Field(default=(), description="desks whose workloads hold the key")


class KeyInventory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    keys: tuple[KeyRecord, ...] = ()


def load_inventory(path: Path) -> KeyInventory:
    """Read a key inventory; raises ``InputError`` with file:line:column per problem."""
    from tradeplane.estate.yamlpos import YamlError, parse

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(f"cannot read the key inventory: {exc}", location=Location(str(path))) from None
    try:
        data, positions, problems = parse(text, str(path))
    except YamlError as exc:
        raise InputError(f"{path}: not valid YAML", exc.problems) from None
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s)", problems)
    try:
        return KeyInventory.model_validate(data or {})
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = positions.nearest(loc) or Location(str(path))
            found.append(Problem(err["msg"], where, ".".join(str(p) for p in loc),
                                 "see docs/security.md for the key inventory format"))
        raise InputError(f"{path}: {len(found)} problem(s)", found) from None
