"""Provider-schema validation: every rendered resource, data source and provider block checked
against the real provider schemas, with the file and line of each problem.

The schemas come from the prebuilt CDK-for-Terraform provider packages on the npm registry
(``@cdktf/provider-aws``, ``@cdktf/provider-google``): each records the Terraform provider
version it was generated from and encodes every argument and block of every resource in its
JSII assembly. ``tests/terraform/build_provider_schema.py`` reduces those assemblies to the
types tradeplane renders and writes ``provider_schema.json`` beside this module; the
versions in it are the exact provider versions ``versions.tf`` pins (``module.PROVIDER_PINS``).

``check_schema(rendered)`` walks the structure the renderer wrote the text from
(``Rendered.blocks``: ``hcl.HclBlock`` with line numbers). ``scan(text)`` reads the same structure
back from text (blocks, labels, attribute names, line numbers) without
evaluating expressions; it understands strings, ``${}`` templates, multi-line values,
heredocs and comments, which is all ``terraform fmt``-style files use, and is fast enough for
10,000-resource renders. ``check_schema(files)`` returns every unknown type, unknown argument
or block, argument written as a block (or the reverse), repeated single block and missing
required argument, sorted by file and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from tradeplane.terraform.hcl import HclBlock

if TYPE_CHECKING:
    from tradeplane.terraform.render import Rendered

__all__ = ["HclBlock", "SchemaFinding", "check_schema", "load_schema", "scan"]

SCHEMA_FILE = "provider_schema.json"
META_ARGS = frozenset({"count", "for_each", "provider", "depends_on"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
LIFECYCLE_ARGS = frozenset({"create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"})
# Built into Terraform itself (the terraform provider), so not in any provider package.
BUILTIN_DATA: dict[str, dict[str, Any]] = {
    "terraform_remote_state": {"args": ["backend", "config", "defaults", "workspace"], "required": ["backend"],
                               "blocks": {}},
}

_ATTR = re.compile(r'^\s*([A-Za-z_][\w-]*|"(?:[^"\\]|\\.)*")\s*=(?![=>])\s*(.*)$')
_BLOCK = re.compile(r'^\s*([A-Za-z_][\w-]*)((?:\s+(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][\w-]*))*)\s*\{\s*(\})?\s*$')
_LABEL = re.compile(r'"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w-]*)')
_HEREDOC = re.compile(r"<<-?([A-Za-z_]\w*)\s*$")


@dataclass(frozen=True, order=True)
class Finding:
    """A problem of a rendered block, at ``file:line`` (1-based) on ``address``; its kinds add what
    they say (``detail``), after the location in their fields, so findings sort by place first."""

    file: str
    line: int
    address: str

    @property
    def detail(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.address}: {self.detail}"


@dataclass(frozen=True, order=True)
class SchemaFinding(Finding):
    """One problem: ``file:line: address: message``."""

    message: str

    @property
    def detail(self) -> str:
        return self.message


class HclScanError(ValueError):
    """Text that is not HCL structure (``line`` is 1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def _open_brackets(text: str, stack: list[str]) -> None:
    """Advance ``stack`` (open brackets, strings and template interpolations) over ``text``."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        top = stack[-1] if stack else ""
        if top == '"':
            if c == "\\":
                i += 2
                continue
            if c == '"':
                stack.pop()
            elif c in "$%" and text.startswith("{", i + 1):
                if i > 0 and text[i - 1] == c:  # $${ and %%{ are literal
                    i += 2
                    continue
                stack.append("${")
                i += 2
                continue
        else:
            if c == '"':
                stack.append('"')
            elif c in "([{":
                stack.append(c)
            elif c in ")]}":
                if stack:
                    stack.pop()
            elif c == "#" or text.startswith("//", i):
                return
        i += 1


def scan(text: str) -> list[HclBlock]:
    """The top-level blocks of an HCL file. Raises ``HclScanError`` on text it cannot follow."""
    roots: list[HclBlock] = []
    path: list[HclBlock] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        number = i + 1
        i += 1
        line = raw.strip()
        if not line or line.startswith(("#", "//")):
            continue
        if line.startswith("/*"):
            while "*/" not in lines[i - 1] and i < len(lines):
                i += 1
            continue
        if line == "}":
            if not path:
                raise HclScanError(number, "'}' closes no block")
            path.pop()
            continue
        m = _ATTR.match(line)
        if m:
            if not path:
                raise HclScanError(number, "an attribute outside any block")
            name = m.group(1).strip('"')
            path[-1].attrs.setdefault(name, number)
            rest = m.group(2)
            first = i
            doc = _HEREDOC.search(rest)
            if doc:
                end = doc.group(1)
                while i < len(lines) and lines[i].strip() != end:
                    i += 1
                path[-1].values.setdefault(name, "\n".join(lines[first:i]))
                i += 1
                continue
            stack: list[str] = []
            _open_brackets(rest, stack)
            while stack and i < len(lines):
                _open_brackets(lines[i], stack)
                i += 1
            if stack:
                raise HclScanError(number, f"the value of '{name}' never closes")
            path[-1].values.setdefault(name, rest if i == first else " ".join([rest, *(x.strip() for x in lines[first:i])]))
            continue
        b = _BLOCK.match(line)
        if b:
            labels = tuple(lab[0] if lab[0] or not lab[1] else lab[1] for lab in _LABEL.findall(b.group(2)))
            block = HclBlock(b.group(1), labels, number)
            (path[-1].blocks if path else roots).append(block)
            if not b.group(3):
                path.append(block)
            continue
        raise HclScanError(number, f"cannot read {line[:60]!r}")
    if path:
        raise HclScanError(path[-1].line, f"block '{path[-1].type}' never closes")
    return roots


@cache
def load_schema() -> dict[str, Any]:
    """The compact schema shipped beside this module: ``{"providers", "provider", "resource", "data"}``.

    Each node is ``{"args": [...], "required": [...], "blocks": {name: node + {"single": bool}}}``.
    """
    text = resources.files("tradeplane.terraform").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def provider_versions() -> dict[str, str]:
    """The provider versions the schema was built from: ``{"hashicorp/aws": "5.99.1", ...}``."""
    return {p["source"]: p["version"] for p in load_schema()["providers"].values()}


def _check_node(node: Mapping[str, Any], block: HclBlock, file: str, address: str, top: bool,
                out: list[SchemaFinding]) -> None:
    args = set(node.get("args", ()))
    blocks: Mapping[str, Any] = node.get("blocks", {})
    for name, line in block.attrs.items():
        if (top and name in META_ARGS) or name in args:
            continue
        if name in blocks:
            out.append(SchemaFinding(file, line, address, f"'{name}' is a block: write '{name} {{ ... }}'"))
        else:
            out.append(SchemaFinding(file, line, address, f"unknown argument '{name}'"))
    seen: dict[str, int] = {}
    for child in block.blocks:
        name, body = child.type, child
        if top and name == "lifecycle":
            for arg, line in child.attrs.items():
                if arg not in LIFECYCLE_ARGS:
                    out.append(SchemaFinding(file, line, address, f"unknown lifecycle argument '{arg}'"))
            continue
        if top and name in META_BLOCKS:
            continue
        if name == "dynamic" and child.labels:
            name = child.labels[0]
            body = next((c for c in child.blocks if c.type == "content"), HclBlock(name, (), child.line))
        sub = blocks.get(name)
        if sub is None:
            what = f"'{name}' is an argument: write '{name} = ...'" if name in args else f"unknown block '{name}'"
            out.append(SchemaFinding(file, child.line, address, what))
            continue
        if sub.get("single") and name in seen and child.type != "dynamic":
            out.append(SchemaFinding(file, child.line, address,
                                     f"block '{name}' may appear once (first at line {seen[name]})"))
        seen.setdefault(name, child.line)
        if sub.get("open"):
            continue  # the package does not describe this block's content (too deeply nested)
        _check_node(sub, body, file, f"{address}.{name}", False, out)
    present = set(block.attrs) | {c.labels[0] if c.type == "dynamic" and c.labels else c.type for c in block.blocks}
    for req in node.get("required", ()):
        if req not in present:
            out.append(SchemaFinding(file, block.line, address, f"missing required argument '{req}'"))


def check_blocks(blocks: Iterable[HclBlock], file: str, schema: Mapping[str, Any] | None = None) -> list[SchemaFinding]:
    """Schema findings for the scanned top-level ``blocks`` of ``file``."""
    s = schema if schema is not None else load_schema()
    out: list[SchemaFinding] = []
    for b in blocks:
        if b.type in ("resource", "data") and len(b.labels) == 2:
            type_, name = b.labels
            table: Mapping[str, Any] = s["resource"] if b.type == "resource" else {**BUILTIN_DATA, **s["data"]}
            address = f"{type_}.{name}" if b.type == "resource" else f"data.{type_}.{name}"
            node = table.get(type_)
            if node is None:
                versions = ", ".join(f"{p['source']} {p['version']}" for p in s["providers"].values())
                out.append(SchemaFinding(file, b.line, address, f"unknown {b.type} type '{type_}' (schema: {versions}; "
                                         "if the type is real, rerun tests/terraform/build_provider_schema.py)"))
                continue
            _check_node(node, b, file, address, True, out)
        elif b.type == "provider" and len(b.labels) == 1:
            node = s["provider"].get(b.labels[0])
            if node is None:
                out.append(SchemaFinding(file, b.line, f"provider.{b.labels[0]}", "unknown provider"))
                continue
            node = {**node, "args": [*node.get("args", ()), "alias"]}
            _check_node(node, b, file, f"provider.{b.labels[0]}", False, out)
    return out


def check_schema(rendered: Rendered | Mapping[str, str], schema: Mapping[str, Any] | None = None) -> list[SchemaFinding]:
    """Every schema problem of rendered Terraform, sorted by file and line.

    Given a ``Rendered``, walks the blocks the renderer wrote (``Rendered.blocks``, with their
    lines; no parsing): what ``plan`` and the benchmark run. Given files (path -> text, e.g.
    golden files or a directory read back), scans each ``.tf`` first; text the scanner cannot
    follow is itself a finding (at its line), never an exception.
    """
    out: list[SchemaFinding] = []
    if not isinstance(rendered, Mapping):
        for path, blocks in sorted(rendered.blocks.items()):
            out += check_blocks(blocks, path, schema)
        return sorted(out)
    for path, text in sorted(rendered.items()):
        if not path.endswith(".tf"):
            continue
        try:
            blocks = scan(text)
        except HclScanError as e:
            out.append(SchemaFinding(path, e.line, "", str(e)))
            continue
        out += check_blocks(blocks, path, schema)
    return sorted(out)
