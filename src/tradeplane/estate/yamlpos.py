"""YAML to plain Python, remembering where every key and value was written.

PyYAML's composer gives nodes with marks; we build the data ourselves so the
loader can turn any validation error's field path back into file:line:column.
Uses libyaml's composer when present (several times faster on big estates).

This is the one YAML reader of the project (estates and every config file go
through it), so it also bounds what a hostile or careless file can cost
(``Limits``): the file's size, the nesting depth, and the number of nodes that
aliases expand to (a 330-byte "billion laughs" file expands to 9^9 nodes); a
recursive alias is refused. Each refusal names the limit and file:line:column.
Bytes that are not UTF-8 and control characters are located the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from tradeplane.errors import Location, Problem

try:
    _Base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - libyaml is in PyYAML wheels
    _Base = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_WILDCARD = tuple(_Base.yaml_implicit_resolvers.get(None, []))
_IMPLICIT = {first: (*resolvers, *_WILDCARD)
             for first, resolvers in _Base.yaml_implicit_resolvers.items() if first is not None}


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """The safe loader with PyYAML's tag resolution for scalars written out once per first
    character (libyaml calls ``resolve`` from C for every scalar: a third of composing a large
    estate went to its list building). Same tags: the safe loader has no path resolvers, so a
    scalar's tag is the first implicit resolver that matches a plain scalar, else ``str``."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag  # type: ignore[no-any-return]
            return _STR
        return str(super().resolve(kind, value, implicit))


assert not _Base.yaml_path_resolvers, "the scalar fast path in _Loader.resolve assumes no path resolvers"

Path = tuple[str | int, ...]
_NO_OFFSETS: Mapping[str, int] = {}


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

    def update(self, other: Positions) -> None:
        self.values.update(other.values)
        self.keys.update(other.keys)


@dataclass(frozen=True)
class Limits:
    """What one YAML file may cost before it is refused.

    ``max_bytes``: size of the file in bytes (an estate of 20,000 subnets is about 5 MB).
    ``max_depth``: nesting of mappings and sequences (estates nest about 8 deep).
    ``max_alias_nodes``: nodes that aliases add when expanded (anchors for shared tags
    stay far below it; a billion-laughs file exceeds it within its first few lines).
    """

    max_bytes: int = 64 * 1024 * 1024
    max_depth: int = 64
    max_alias_nodes: int = 200_000


LIMITS = Limits()

# YAML 1.1 printable set (PyYAML's reader): tab, LF, CR, NEL and everything from space up, minus
# DEL, C1 controls, surrogates and the two non-characters. Anything else is refused, with its place.
_NOT_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


class YamlError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.render() for p in problems))
        self.problems = problems


def _loc(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def _text_loc(text: str, file: str, offset: int) -> Location:
    """file:line:column of a character offset in ``text`` (1-based, like every other location)."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return Location(file, line, offset - start + 1)


def decode(data: bytes, file: str, limits: Limits = LIMITS) -> str:
    """Bytes of a YAML file to text: refuse files over the size limit and bytes that are not UTF-8,
    each at file:line:column. A UTF-8 byte-order mark is dropped."""
    if len(data) > limits.max_bytes:
        raise YamlError([Problem(
            f"YAML error: the file is {len(data):,} bytes, more than the limit of {limits.max_bytes:,} bytes",
            Location(file), hint="split it into several files of the same directory")])
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start:exc.start].decode("utf-8", errors="replace")) + 1
        raise YamlError([Problem(f"not UTF-8 (byte 0x{data[exc.start]:02x})", Location(file, line, column),
                                 hint="save the file as UTF-8")]) from None


def read(path: str | FsPath, file: str | None = None, limits: Limits = LIMITS) -> str:
    """Read one YAML file as text (size, UTF-8); ``OSError`` is the caller's to report."""
    p = FsPath(path)
    name = file if file is not None else str(p)
    size = p.stat().st_size
    if size > limits.max_bytes:
        raise YamlError([Problem(
            f"YAML error: the file is {size:,} bytes, more than the limit of {limits.max_bytes:,} bytes",
            Location(name), hint="split it into several files of the same directory")])
    return decode(p.read_bytes(), name, limits)


def parse(text: str, file: str, limits: Limits = LIMITS,
          offsets: Mapping[str, int] | None = None) -> tuple[Any, Positions, list[Problem]]:
    """Parse one YAML document.

    A syntax error, a character YAML does not allow, or a file over one of ``limits`` raises
    ``YamlError`` (nothing after it can be trusted); a repeated key is returned as a problem
    beside the data (first value kept) so the rest is still checked. ``offsets`` numbers the
    positions of the items of a top-level list from an offset (``{"networks": 40}``: the first
    item's path is ``("networks", 40)``), for a file whose lists extend those of files before it.
    """
    if len(text) > limits.max_bytes:
        raise YamlError([Problem(
            f"YAML error: the text is {len(text):,} characters, more than the limit of {limits.max_bytes:,}",
            Location(file), hint="split it into several files of the same directory")])
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        ch = ord(bad.group())
        raise YamlError([Problem(f"control character U+{ch:04X} is not allowed in YAML", _text_loc(text, file, bad.start()),
                                 hint="remove it, or write it as an escape inside a double-quoted string")])
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
        if "&" in text:  # anchors, so aliases that may repeat or enclose nodes: size the graph first
            _check_shape(node, text, file, limits)
    except YamlError:
        loader.dispose()
        raise
    try:
        data = _build(node, (), file, positions, problems, loader, limits.max_depth, offsets or {},
                      _may_merge(text))
    except yaml.MarkedYAMLError as exc:  # e.g. an unknown tag
        mark = exc.problem_mark or exc.context_mark
        where = _loc(file, mark) if mark is not None else Location(file)
        raise YamlError([Problem(f"YAML error: {exc.problem}", where)]) from None
    finally:
        loader.dispose()
    return data, positions, problems


def _may_merge(text: str) -> bool:
    """Whether a mapping of ``text`` may hold a merge key (``<<``, or an explicit ``!!merge`` tag) or
    a value key (``=``), the keys PyYAML's ``flatten_mapping`` rewrites; without any, it is skipped."""
    return "<<" in text or "=" in text or "!" in text


def _build(node: yaml.Node, path: Path, file: str, pos: Positions, problems: list[Problem],
           loader: yaml.SafeLoader, max_depth: int, offsets: Mapping[str, int] = _NO_OFFSETS,
           merge: bool = True, start: int = 0) -> Any:
    """The data of ``node`` at ``path``, recording positions; a document without anchors is a tree,
    so its depth is checked here (``_check_shape`` checks documents with anchors first). A sequence's
    items are numbered from ``start``; ``offsets`` gives the start of each top-level list; ``merge``
    is False when the text holds no merge or value key (``_may_merge``)."""
    pos.values[path] = _loc(file, node.start_mark)
    if len(path) >= max_depth:
        raise _too_deep(node, file, max_depth)
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
        return node.value  # what the constructor gives a plain string, without its bookkeeping
    if isinstance(node, yaml.MappingNode):
        if node.value and len(path) + 1 >= max_depth:  # its keys are one level deeper, like its values
            raise _too_deep(node.value[0][0], file, max_depth)
        if merge:
            loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR \
                else _construct(key_node, path, file, loader)
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
            out[key] = _build(value_node, child, file, pos, problems, loader, max_depth, _NO_OFFSETS, merge,
                              offsets.get(key, 0) if not path else 0)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), file, pos, problems, loader, max_depth, _NO_OFFSETS, merge)
                for i, item in enumerate(node.value, start)]
    return _construct(node, path, file, loader)


_KINDS = {"tag:yaml.org,2002:timestamp": ("a date", "write a real date as YYYY-MM-DD or a time as YYYY-MM-DDTHH:MM:SSZ"),
          "tag:yaml.org,2002:int": ("an integer", "write a whole number"),
          "tag:yaml.org,2002:float": ("a number", "write a number such as 1.5")}


def _construct(node: yaml.Node, path: Path, file: str, loader: yaml.SafeLoader) -> Any:
    """PyYAML's value of a scalar it resolved implicitly (dates, numbers...) or by an explicit tag.
    A value that matches a type's pattern but is not one (``2026-12-32``, ``2026-13-01``, ``!!int x``)
    makes PyYAML's constructor raise a bare ``ValueError`` (``day is out of range for month``); it is
    refused here at ``file:line:column`` with the field's path, like every other problem of the file."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        what, hint = _KINDS.get(str(node.tag), (f"a valid {str(node.tag).rsplit(':', 1)[-1]}", "correct the value"))
        raise YamlError([Problem(f"not {what} ({node.value}: {exc})", _loc(file, node.start_mark), field_name(path),
                                 f"{hint}; quote it to keep it as text")]) from None


def field_name(path: Path) -> str:
    """``("venues", 0, "holidays", 2)`` -> ``venues[0].holidays[2]``: how a problem names its field."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _too_deep(node: yaml.Node, file: str, max_depth: int) -> YamlError:
    return YamlError([Problem(
        f"YAML error: nested more than {max_depth} levels deep",
        _loc(file, node.start_mark), hint="estates and configs nest a few levels; flatten this part")])


def _check_shape(root: yaml.Node, text: str, file: str, limits: Limits) -> None:
    """Refuse recursive aliases, nesting past ``max_depth`` and alias expansion past ``max_alias_nodes``
    before anything is built: one pass over the distinct nodes (iterative, so no recursion limit),
    sizing each node once with its aliases expanded."""
    size: dict[int, int] = {}
    distinct = 0
    on_path: set[int] = set()
    # (node, depth, children entered?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, entered = stack.pop()
        key = id(node)
        if entered:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:
            continue
        if key in on_path:
            raise _recursive(node, text, file)
        if depth > limits.max_depth:
            raise _too_deep(node, file, limits.max_depth)
        distinct += 1
        children = _children(node)
        if not children:
            size[key] = 1
            continue
        on_path.add(key)
        stack.append((node, depth, True))
        for child in reversed(children):
            cid = id(child)
            if cid in on_path:
                raise _recursive(child, text, file)
            if cid not in size:
                stack.append((child, depth + 1, False))
        # sizes are summed when the node is popped again; check the running total at each parent
    total = size[id(root)]
    if total - distinct > limits.max_alias_nodes:
        raise YamlError([Problem(
            f"YAML error: alias expansion too large ({total:,} nodes from {distinct:,} written; "
            f"more than {limits.max_alias_nodes:,} added by aliases)",
            _loc(file, _first_big(root, size, limits.max_alias_nodes).start_mark),
            hint="estates and configs do not need anchors this deep; write the values out")])


_ANCHOR = re.compile(r"&([^\s,\[\]{}]+)")


def _recursive(node: yaml.Node, text: str, file: str) -> YamlError:
    index = getattr(node.start_mark, "index", None)
    m = _ANCHOR.match(text, index) if isinstance(index, int) else None
    alias = f" *{m.group(1)}" if m else ""
    return YamlError([Problem(
        f"YAML error: recursive alias{alias} (an alias may not refer to a node that contains it)",
        _loc(file, node.start_mark), hint="replace the alias by the values it should repeat")])


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _first_big(root: yaml.Node, size: dict[int, int], limit: int) -> yaml.Node:
    """The innermost node, first in the document, whose expansion alone passes ``limit``."""
    node = root
    while True:
        nxt = next((c for c in _children(node) if size.get(id(c), 0) > limit), None)
        if nxt is None:
            return node
        node = nxt
