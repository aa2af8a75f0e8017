"""Parse rendered root modules with python-hcl2 and check that every reference resolves.

A reference must name a resource, data source, variable, local or provider
alias defined in the same root module; a ``terraform_remote_state`` read must
name an output (and, for a literal key, an entry of it) that the earlier stage
defines. ``check_references`` returns every dangling reference, sorted.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Module", "Reference", "check_references", "parse_module"]

_INTERP = re.compile(r"\$\{((?:[^{}]|\{[^{}]*\})*)\}")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_TRAVERSAL = re.compile(
    r"(?<![\w.\]])([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_-]*))?")
_REMOTE = re.compile(r'data\.terraform_remote_state\.(\w+)\.outputs\.(\w+)(?:\["([^"]+)"\])?')
_SKIP_ROOTS = {"each", "count", "self", "path", "terraform"}
_PROVIDERS = {"aws", "google", "google-beta"}


@dataclass(frozen=True, order=True)
class Reference:
    module: str
    file: str
    address: str
    problem: str

    def __str__(self) -> str:
        return f"{self.module}/{self.file}: {self.address}: {self.problem}"


@dataclass
class Module:
    """What one root module defines, and the raw expressions it uses (file, text)."""

    path: str
    defined: set[str] = field(default_factory=set)
    outputs: dict[str, set[str] | None] = field(default_factory=dict)  # output -> literal map keys
    remote: dict[str, str] = field(default_factory=dict)  # data source name -> stage path
    expressions: list[tuple[str, str]] = field(default_factory=list)


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in ("__is_block__", "__comments__"):
                yield from _strings(v)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def parse_module(path: str, files: Mapping[str, str]) -> Module:
    """Parse the ``.tf`` files of one root module (``files`` maps file name to text)."""
    import hcl2  # python-hcl2; imported here so rendering alone never pays for the parser

    mod = Module(path)
    for name, text in sorted(files.items()):
        doc = hcl2.load(io.StringIO(text))
        for block in doc.get("resource", []):
            for type_, named in block.items():
                for rname, body in named.items():
                    mod.defined.add(f"{_unquote(type_)}.{_unquote(rname)}")
                    mod.expressions += [(name, s) for s in _strings(body)]
        for block in doc.get("data", []):
            for type_, named in block.items():
                for dname, body in named.items():
                    t, n = _unquote(type_), _unquote(dname)
                    mod.defined.add(f"data.{t}.{n}")
                    if t == "terraform_remote_state":
                        config = body.get("config", {})
                        key = _unquote(str(config.get("key", config.get("prefix", ""))))
                        mod.remote[n] = key.removesuffix("/terraform.tfstate")
                    mod.expressions += [(name, s) for s in _strings(body)]
        for block in doc.get("variable", []):
            for vname, body in block.items():
                mod.defined.add(f"var.{_unquote(vname)}")
                mod.expressions += [(name, s) for s in _strings(body.get("validation", []))]
        for block in doc.get("locals", []):
            for lname, value in block.items():
                if not lname.startswith("__"):
                    mod.defined.add(f"local.{lname}")
                    mod.expressions += [(name, s) for s in _strings(value)]
        for block in doc.get("provider", []):
            for pname, body in block.items():
                alias = _unquote(str(body.get("alias", "")))
                mod.defined.add(f"{_unquote(pname)}.{alias}" if alias else _unquote(pname))
                mod.expressions += [(name, s) for s in _strings(body)]
        for block in doc.get("output", []):
            for oname, body in block.items():
                value = body.get("value")
                keys = {_unquote(k) for k in value} if isinstance(value, dict) else None
                mod.outputs[_unquote(oname)] = keys
                mod.expressions += [(name, s) for s in _strings(body)]
        for block in doc.get("import", []):
            mod.expressions += [(name, s) for s in _strings(block)]
        for block in doc.get("terraform", []):
            mod.expressions += [(name, s) for s in _strings(block)]
    return mod


def _addresses(expression: str) -> Iterator[str]:
    for inner in _INTERP.findall(expression):
        bare = _QUOTED.sub('""', inner)
        for root, second, third in _TRAVERSAL.findall(bare):
            if root in _SKIP_ROOTS:
                continue
            if root in ("var", "local", "module"):
                yield f"{root}.{second}"
            elif root == "data":
                yield f"data.{second}.{third}"
            elif root in _PROVIDERS or "_" in root:
                yield f"{root}.{second}"


def check_references(files: Mapping[str, str]) -> list[Reference]:
    """Every reference in rendered output (path -> text) that does not resolve; empty when all do."""
    by_module: dict[str, dict[str, str]] = {}
    for path, text in files.items():
        if path.endswith(".tf"):
            module, _, name = path.rpartition("/")
            by_module.setdefault(module, {})[name] = text
    modules = {path: parse_module(path, fs) for path, fs in by_module.items()}
    problems: set[Reference] = set()
    for mod in modules.values():
        for file, expression in mod.expressions:
            for address in _addresses(expression):
                if address not in mod.defined:
                    problems.add(Reference(mod.path, file, address, "not defined in this root module"))
            for inner in _INTERP.findall(expression):
                for source, output, key in _REMOTE.findall(inner):
                    problems.update(_remote_problem(modules, mod, file, source, output, key))
    return sorted(problems)


def _remote_problem(modules: Mapping[str, Module], mod: Module, file: str, source: str, output: str,
                    key: str) -> list[Reference]:
    address = f"data.terraform_remote_state.{source}.outputs.{output}" + (f'["{key}"]' if key else "")
    stage = mod.remote.get(source)
    if stage is None:
        return []  # the undefined data source is reported already
    other = modules.get(stage)
    if other is None:
        return [Reference(mod.path, file, address, f"reads stage {stage}, which was not rendered")]
    if output not in other.outputs:
        return [Reference(mod.path, file, address, f"{stage} has no output '{output}'")]
    keys = other.outputs[output]
    if key and keys is not None and key not in keys:
        return [Reference(mod.path, file, address, f"output '{output}' of {stage} has no key '{key}'")]
    return []
