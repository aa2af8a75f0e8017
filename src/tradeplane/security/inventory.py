"""The key inventory: when each exchange API key was created and which desks hold it.

A YAML file kept beside the estate (the estate says how keys are referenced; the inventory says
their history, which changes on every rotation)::

    keys:
      - {name: binance-mm-trade, venue: binance, created: 2026-09-01, desks: [crypto]}

Loaded with the estate's position-keeping YAML parser: every problem is one line with
file:line:column and the field. An inventory that lists no key (an empty file, ``keys: []``) is
refused: a check against it would judge nothing and say all is well. :func:`check_inventory`
holds it against the estate and the judging date (unknown venue or desk, a key listed twice, a
``created`` date after the judging date), each problem at its file:line with the nearest known
name; a key the estate does not declare is a finding of the custody check (``custody.undeclared``),
not an input error.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from tradeplane.errors import InputError, Location, Problem

__all__ = ["KeyInventory", "KeyRecord", "check_inventory", "load_inventory", "nearest"]

_FORMAT = "see docs/security.md for the key inventory format"


class KeyRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    venue: str = Field(min_length=1)
    created: date = Field(description="when the key was issued by the venue")
    desks: tuple[str, ...] = Field(default=(), description="desks whose workloads hold the key")


class KeyInventory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    keys: tuple[KeyRecord, ...] = ()
    _positions: Any = PrivateAttr(default=None)
    _source: str = PrivateAttr(default="")

    def location(self, index: int, field: str = "") -> Location | None:
        """Where record ``index`` (its ``field``, when given) was written; ``None`` for an
        inventory built in code, the file alone when the position is unknown."""
        if self._positions is None:
            return Location(self._source) if self._source else None
        path: tuple[str | int, ...] = ("keys", index, field) if field else ("keys", index)
        found: Location | None = self._positions.of_value(path) or self._positions.nearest(path)
        return found or Location(self._source)


def nearest(value: str, names: Collection[str]) -> str:
    """A hint naming the known name closest to ``value`` (``difflib``, cutoff 0.6), else the known
    names (the first eight), else that none exists."""
    known = sorted(set(names))
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if known:
        return "known: " + ", ".join(known[:8]) + (" ..." if len(known) > 8 else "")
    return "none is declared"


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
        inventory = KeyInventory.model_validate({} if data is None else data)
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = positions.nearest(loc) or Location(str(path))
            found.append(Problem(err["msg"], where, ".".join(str(p) for p in loc), _FORMAT))
        raise InputError(f"{path}: {len(found)} problem(s)", found) from None
    if not inventory.keys:
        raise InputError.single("the key inventory lists no keys: nothing to judge key ages or desks by",
                                location=positions.nearest(("keys",)) or Location(str(path)), field="keys",
                                hint="list every exchange API key as {name, venue, created, desks} under keys: "
                                     "(docs/security.md), or leave out --keys")
    inventory._positions = positions
    inventory._source = str(path)
    return inventory


def check_inventory(inventory: KeyInventory, venues: dict[str, Collection[str]], desks: Collection[str],
                    as_of: date | None) -> None:
    """Hold the inventory against the estate: ``venues`` maps each venue to its declared key names,
    ``desks`` the estate's desks; ``as_of`` is the judging date (``None``: dates not judged).

    Raises ``InputError`` listing every problem at its file:line with the nearest known name: a
    venue or desk the estate does not have, a (venue, key) listed twice, a ``created`` date after
    ``as_of`` (the key's age would be negative and pass the age rule). A key the estate does not
    declare on a known venue is left to the custody check (``custody.undeclared``)."""
    found: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for i, record in enumerate(inventory.keys):
        if record.venue not in venues:
            found.append(Problem(f"unknown venue '{record.venue}' for key '{record.name}'",
                                 inventory.location(i, "venue"), f"keys.{i}.venue", nearest(record.venue, venues)))
        for j, desk in enumerate(record.desks):
            if desk not in desks:
                found.append(Problem(f"unknown desk '{desk}' for key '{record.name}'",
                                     inventory.location(i, "desks"), f"keys.{i}.desks.{j}", nearest(desk, desks)))
        if (record.venue, record.name) in seen:
            first = seen[(record.venue, record.name)]
            where = inventory.location(first, "name")
            found.append(Problem(f"key '{record.name}' of {record.venue} is listed twice (first as keys.{first}"
                                 + (f" at {where}" if where else "") + ")", inventory.location(i, "name"),
                                 f"keys.{i}.name", "keep one record per key: the latest issue of it"))
        else:
            seen[(record.venue, record.name)] = i
        if as_of is not None and record.created > as_of:
            found.append(Problem(f"key '{record.name}' was created {record.created.isoformat()}, after the "
                                 f"judging date {as_of.isoformat()}", inventory.location(i, "created"),
                                 f"keys.{i}.created",
                                 "correct the date (YYYY-MM-DD, the day the venue issued the key), "
                                 "or judge on a later --as-of"))
    if found:
        source = f"{inventory._source}: " if inventory._source else ""
        raise InputError(f"{source}the key inventory does not match the estate: {len(found)} problem(s)", found)
