"""YAML to plain Python, remembering where every key and value was written.

PyYAML's composer gives nodes with marks; we build the data ourselves so the
loader can turn any validation error's field path back into file:line:column.
Uses libyaml's composer when present (several times faster on big estates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from tradeplane.errors import Location, Problem

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - libyaml is in PyYAML wheels
    _Loader = yaml.SafeLoader

Path = tuple[str | int, ...]


@dataclass
class Positions:
    """Where each path of a document was written: the value and, for mapping entries, the key."""

    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)

    def of_value(self, path: Path) -> Location | None:
        return self.values.get(path)

    def of_key(self, path: Path) -> Location | None:
        return self.keys.get(path) or self.values.get(path)

    def nearest(self, path: Path) -> Location | None:
        """The location of the longest prefix of ``path`` that was written down."""
        for n in range(len(path), -1, -1):
            loc = self.keys.get(path[:n]) or self.values.get(path[:n])
            if loc is not None:
                return loc
        return None

    def section(self, key: str) -> Positions:
        """The positions of one top-level section, unchanged."""
        out = Positions()
        out.values = {p: loc for p, loc in self.values.items() if p[:1] == (key,)}
        out.keys = {p: loc for p, loc in self.keys.items() if p[:1] == (key,)}
        return out

    def section_items(self, key: str, offset: int) -> Positions:
        """The items of a list section, renumbered from ``offset`` (files are merged in order)."""

        def moved(table: dict[Path, Location]) -> dict[Path, Location]:
            out: dict[Path, Location] = {}
            for p, loc in table.items():
                if len(p) > 1 and p[0] == key and isinstance(p[1], int):
                    out[(key, p[1] + offset, *p[2:])] = loc
            return out

        result = Positions()
        result.values = moved(self.values)
        result.keys = moved(self.keys)
        return result

    def update(self, other: Positions) -> None:
        self.values.update(other.values)
        self.keys.update(other.keys)


class YamlError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.render() for p in problems))
        self.problems = problems


def _loc(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def parse(text: str, file: str) -> tuple[Any, Positions, list[Problem]]:
    """Parse one YAML document.

    A syntax error raises ``YamlError`` (nothing after it can be trusted); a repeated key is
    returned as a problem beside the data (first value kept) so the rest is still checked.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _loc(file, mark) if mark is not None else Location(file)
        what = exc.problem or "invalid YAML"
        raise YamlError([Problem(f"YAML syntax error: {what}", where,
                                 hint="check indentation and quoting around this line")]) from None
    except yaml.YAMLError as exc:
        raise YamlError([Problem(f"YAML error: {exc}", Location(file))]) from None
    positions = Positions()
    problems: list[Problem] = []
    if node is None:
        return None, positions, problems
    try:
        data = _build(node, (), file, positions, problems, loader)
    except yaml.MarkedYAMLError as exc:  # e.g. an unknown tag
        mark = exc.problem_mark or exc.context_mark
        where = _loc(file, mark) if mark is not None else Location(file)
        raise YamlError([Problem(f"YAML error: {exc.problem}", where)]) from None
    finally:
        loader.dispose()
    return data, positions, problems


def _build(node: yaml.Node, path: Path, file: str, pos: Positions, problems: list[Problem],
           loader: yaml.SafeLoader) -> Any:
    pos.values[path] = _loc(file, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            child = (*path, key)
            if key in out:
                first = pos.keys.get(child)
                problems.append(Problem(
                    f"key '{key}' is given twice in one mapping",
                    _loc(file, key_node.start_mark),
                    hint=f"the first is at line {first.line}; keep one" if first else "keep one",
                ))
                continue
            pos.keys[child] = _loc(file, key_node.start_mark)
            out[key] = _build(value_node, child, file, pos, problems, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), file, pos, problems, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
