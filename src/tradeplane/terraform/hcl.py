"""A small HCL writer whose output is already in ``terraform fmt`` style.

Values are Python data: ``str`` (a quoted string), ``int``/``float``/``bool``,
``Expr`` (a raw expression such as ``aws_vpc.hub.id``), lists and dicts (both
written on one line). ``Block`` holds attributes, nested blocks and leading
comments (used for checkov skips, which must sit inside the resource).
Consecutive attributes get their ``=`` aligned exactly as ``terraform fmt`` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeAlias

__all__ = ["Block", "Expr", "HclBlock", "Table", "Value", "json_value", "quote", "render_blocks", "write_file"]

# Meta-arguments first (count, for_each, provider), depends_on last, as Terraform's style guide has it.
_META_ORDER = {"count": 0, "for_each": 0, "provider": 1, "depends_on": 3}
_META = frozenset(_META_ORDER)
_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Expr(str):
    """A raw HCL expression, written without quotes (``var.region``, ``aws_vpc.x.id``)."""

    __slots__ = ()


class Table(dict[str, "Value"]):
    """A map written one entry per line (outputs, large maps); keys sorted for stable output."""


Value: TypeAlias = "str | int | float | bool | Expr | Sequence[Value] | Mapping[str, Value] | None"


_ESCAPED = re.compile(r'[\\"\n\r\t]|[$%]\{')  # what ``quote`` must escape


def quote(text: str) -> str:
    """A quoted HCL string literal; ``${`` and ``%{`` are escaped so text is never interpolated."""
    if _ESCAPED.search(text) is None:  # most text: nothing to escape
        return f'"{text}"'
    out = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace("${", "$${")
        .replace("%{", "%%{")
    )
    return f'"{out}"'


def float_text(value: float) -> str:
    """A float in positional notation (``0.000093333``, never ``9.3333e-05``): HCL accepts the
    exponent form, but bc-python-hcl2, the parser checkov uses, refuses a negative exponent and
    reports the whole file as a parsing error (so none of its resources are checked). The
    digits are ``repr``'s shortest round-trip ones, so the value is exact."""
    text = repr(value)
    if "e" not in text and "E" not in text:
        return text
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value} has no HCL literal")
    out = format(Decimal(text), "f")
    return out if "." in out else f"{out}.0"


_KEYS: dict[str, str] = {}  # name -> as written (attribute names and map keys repeat across blocks)
_KEYS_MAX = 1 << 16


def _key(name: str) -> str:
    known = _KEYS.get(name)
    if known is None:
        known = name if _BARE_KEY.match(name) else quote(name)
        if len(_KEYS) >= _KEYS_MAX:
            _KEYS.clear()
        _KEYS[name] = known
    return known


def value_text(value: Value) -> str:
    kind = type(value)  # the common exact types first; subclasses go through the checks below
    if kind is str:
        return quote(value)  # type: ignore[arg-type]
    if kind is Expr:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str):
        return quote(value)
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{_key(k)} = {value_text(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    return "[" + ", ".join(value_text(v) for v in value) + "]"


@dataclass
class Block:
    """``type "label" "label" { ... }``; ``attrs`` keep insertion order, ``None`` values are dropped."""

    type: str
    labels: tuple[str, ...] = ()
    attrs: dict[str, Value] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def set(self, **attrs: Value) -> Block:
        mine = self.attrs
        for k, v in attrs.items():
            if v is not None:
                mine[k] = v
        return self

    def block(self, type_: str, /, *labels: str, **attrs: Value) -> Block:
        child = Block(type_, labels).set(**attrs)
        self.blocks.append(child)
        return child

    def skip(self, check: str, reason: str) -> Block:
        """A checkov skip written inside this resource, with its reason."""
        self.comments.append(f"checkov:skip={check}:{reason}")
        return self

    def lines(self, indent: int = 0) -> list[str]:
        out: list[str] = []
        self.write(out, indent)
        return out

    def write(self, out: list[str], indent: int = 0) -> HclBlock:
        """Append this block's lines to ``out`` (a whole file's lines so far) and return the
        block as written: its line numbers (1-based in ``out``), attribute names with their lines
        and their values as written. This is the structure ``Rendered.blocks`` holds."""
        pad = "  " * indent
        head = " ".join([self.type, *map(quote, self.labels)]) if self.labels else self.type
        written = HclBlock(self.type, self.labels, len(out) + 1, source=self)
        if not (self.attrs or self.blocks or self.comments):
            out.append(f"{pad}{head} {{}}")
            return written
        out.append(f"{pad}{head} {{")
        inner = "  " * (indent + 1)
        out += [f"{inner}# {c}" for c in self.comments]
        if self.attrs:
            self._write_attrs(out, indent + 1, written)
        for i, child in enumerate(self.blocks):
            if self.attrs or i:
                out.append("")
            written.blocks.append(child.write(out, indent + 1))
        out.append(f"{pad}}}")
        return written


    def _write_attrs(self, out: list[str], indent: int, written: HclBlock) -> None:
        """The attributes, meta-arguments first: each run of one-line attributes with its ``=``
        aligned, a ``Table`` (one entry per line) ending the run before it."""
        items = list(self.attrs.items())
        if not _META.isdisjoint(self.attrs):
            items.sort(key=lambda kv: _META_ORDER.get(kv[0], 2))
        inner = "  " * indent
        lines, values = written.attrs, written.values
        start = 0
        for i in range(len(items) + 1):
            if i < len(items):
                k, v = items[i]
                if k and not isinstance(v, Table):
                    continue  # one more attribute of the run
            if i > start:  # write the run items[start:i]
                run = items[start:i]
                keys = [_KEYS.get(name) or _key(name) for name, _ in run]
                width = max(map(len, keys))
                for (name, value), key in zip(run, keys, strict=True):
                    kind = type(value)  # value_text's two commonest cases, inline
                    if kind is str and _ESCAPED.search(value) is None:  # type: ignore[arg-type]
                        text = f'"{value}"'
                    elif kind is Expr:
                        text = str(value)
                    else:
                        text = value_text(value)
                    lines[name] = len(out) + 1
                    values[name] = text
                    out.append(f"{inner}{key.ljust(width)} = {text}")
            start = i + 1
            if i < len(items) and isinstance(v, Table):  # an attribute named "" that is no table is dropped
                lines[k] = len(out) + 1
                values[k] = value_text(dict(sorted(v.items())))
                out += _table_lines(k, v, indent)


def _table_lines(name: str, table: Table, indent: int) -> list[str]:
    pad = "  " * indent
    if not table:
        return [f"{pad}{_key(name)} = {{}}"]
    keys = sorted(table)
    width = max(len(_key(k)) for k in keys)
    inner = "  " * (indent + 1)
    return [f"{pad}{_key(name)} = {{", *(f"{inner}{_key(k).ljust(width)} = {value_text(table[k])}" for k in keys),
            f"{pad}}}"]


def render_blocks(blocks: Sequence[Block], header: str = "") -> str:
    """A whole ``.tf`` file: an optional comment header, blocks separated by one blank line."""
    return write_file(blocks, header)[0]


def write_file(blocks: Sequence[Block], header: str = "") -> tuple[str, list[HclBlock]]:
    """A whole ``.tf`` file and its blocks as written (``HclBlock``, with their line numbers):
    the text and the structure come from one pass, so they cannot disagree."""
    out: list[str] = []
    if header:
        out += [f"# {line}" if line else "#" for line in header.splitlines()]
    written: list[HclBlock] = []
    for b in blocks:
        if out:
            out.append("")
        written.append(b.write(out))
    return "\n".join(out) + "\n", written


@dataclass
class HclBlock:
    """A block as written in a ``.tf`` file: type, labels, 1-based line, attribute names with their
    lines, child blocks, and each attribute's value as written (the expression text).

    The renderer makes these while it writes the text (``Block.write``; ``source`` is then the
    block it wrote, whose values are Python data); ``schema.scan`` reads them back from text on
    disk (``source`` is None). Schema validation, conformance and the security reading all walk
    this one structure."""

    type: str
    labels: tuple[str, ...]
    line: int
    attrs: dict[str, int] = field(default_factory=dict)
    blocks: list[HclBlock] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # attribute -> its expression as written
    source: Block | None = field(default=None, compare=False, repr=False)

    def value(self, name: str) -> str | None:
        return self.values.get(name)

    def children(self, type_: str) -> list[HclBlock]:
        return [b for b in self.blocks if b.type == type_]

    def child(self, type_: str) -> HclBlock | None:
        return next((b for b in self.blocks if b.type == type_), None)

    def body(self) -> dict[str, Any]:
        """The block's content in Terraform's JSON configuration syntax (what python-hcl2 returns
        too): a literal string as itself (``${`` escaped as ``$${``), an expression as
        ``"${expr}"``, a template string as its content, numbers, booleans, lists and maps as
        such, and each nested block type as a list of bodies. Only for rendered blocks
        (``source`` set); ``ValueError`` for blocks read back from text."""
        if self.source is None:
            raise ValueError(f"{self.type} {' '.join(self.labels)} was read from text, not rendered")
        out: dict[str, Any] = {k: json_value(v) for k, v in self.source.attrs.items()}
        for child in self.blocks:
            out.setdefault(child.type, []).append(child.body())
        return out


def json_value(value: Value) -> Any:
    """A rendered value in Terraform's JSON configuration syntax (see ``HclBlock.body``)."""
    if isinstance(value, Expr):
        text = str(value)
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return text[1:-1]  # a template: its content, interpolations and all
        return f"${{{text}}}"
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, Mapping):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value
