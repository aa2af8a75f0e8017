"""A small HCL writer whose output is already in ``terraform fmt`` style.

Values are Python data: ``str`` (a quoted string), ``int``/``float``/``bool``,
``Expr`` (a raw expression such as ``aws_vpc.hub.id``), lists and dicts (both
written on one line). ``Block`` holds attributes, nested blocks and leading
comments (used for checkov skips, which must sit inside the resource).
Consecutive attributes get their ``=`` aligned exactly as ``terraform fmt`` does.
"""

from __future__ import annotations

import re
from decimal import Decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = ["Block", "Expr", "Table", "Value", "quote", "render_blocks"]

# Meta-arguments first (count, for_each, provider), depends_on last, as Terraform's style guide has it.
_META_ORDER = {"count": 0, "for_each": 0, "provider": 1, "depends_on": 3}
_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Expr(str):
    """A raw HCL expression, written without quotes (``var.region``, ``aws_vpc.x.id``)."""

    __slots__ = ()


class Table(dict[str, "Value"]):
    """A map written one entry per line (outputs, large maps); keys sorted for stable output."""


Value: TypeAlias = "str | int | float | bool | Expr | Sequence[Value] | Mapping[str, Value] | None"


def quote(text: str) -> str:
    """A quoted HCL string literal; ``${`` and ``%{`` are escaped so text is never interpolated."""
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


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else quote(name)


def value_text(value: Value) -> str:
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
        self.attrs.update({k: v for k, v in attrs.items() if v is not None})
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
        pad = "  " * indent
        head = " ".join([self.type, *(quote(label) for label in self.labels)])
        if not (self.attrs or self.blocks or self.comments):
            return [f"{pad}{head} {{}}"]
        out = [f"{pad}{head} {{"]
        inner = "  " * (indent + 1)
        out += [f"{inner}# {c}" for c in self.comments]
        group: list[tuple[str, Value]] = []
        ordered = sorted(self.attrs.items(), key=lambda kv: _META_ORDER.get(kv[0], 2))
        for k, v in [*ordered, ("", None)]:
            if k and not isinstance(v, Table):
                group.append((k, v))
                continue
            if group:
                width = max(len(_key(gk)) for gk, _ in group)
                out += [f"{inner}{_key(gk).ljust(width)} = {value_text(gv)}" for gk, gv in group]
                group = []
            if isinstance(v, Table):
                out += _table_lines(k, v, indent + 1)
        for i, child in enumerate(self.blocks):
            if self.attrs or i:
                out.append("")
            out += child.lines(indent + 1)
        out.append(f"{pad}}}")
        return out


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
    parts: list[str] = []
    if header:
        parts.append("\n".join(f"# {line}" if line else "#" for line in header.splitlines()))
    parts += ["\n".join(b.lines()) for b in blocks]
    return "\n\n".join(parts) + "\n"
