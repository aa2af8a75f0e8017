"""Check that every reference of rendered root modules resolves.

A reference must name a resource, data source, variable, local, module call or provider
alias defined in the same root module; an input a stage takes from an earlier stage's output
(a variable described as ``output 'NAME' of aws/10-networking: ...``, wired by the stage's
``10-networking.auto.tfvars.json``) must name an output that stage defines, and every literal
key the stage reads from it (``var.subnet_ids["hub/a"]``) must be an entry of that output.
``check_references`` returns every dangling reference, sorted.

Two ways to learn what a module defines and references, one check:

- ``check_references(rendered)``: from the blocks the renderer wrote the text from
  (``Rendered.structure``, built by ``module_of_blocks``): linear in the output, no parsing;
  this is what ``plan`` and ``terraform render`` run.
- ``check_references(files)``: parse the text with python-hcl2 (``parse_module``), about 30
  times slower; the tests run it on the rendered text to prove that the text says what the
  blocks say.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradeplane.terraform.hcl import Block, Expr

if TYPE_CHECKING:
    from tradeplane.terraform.render import Rendered

__all__ = ["Module", "Reference", "check_references", "module_of_blocks", "parse_module"]

_INTERP = re.compile(r"\$\{((?:[^{}]|\{[^{}]*\})*)\}")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_TRAVERSAL = re.compile(
    r"(?<![\w.\]])([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_-]*))?")
_UPSTREAM_DESC = re.compile(r"^output '(\w+)' of ([a-z]+/[0-9a-z-]+):")
_VAR_KEY = re.compile(r'var\.(\w+)\["([^"]+)"\]')
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
    inputs: dict[str, str] = field(default_factory=dict)  # variable -> stage path whose output it takes
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
                    mod.defined.add(f"data.{_unquote(type_)}.{_unquote(dname)}")
                    mod.expressions += [(name, s) for s in _strings(body)]
        for block in doc.get("variable", []):
            for vname, body in block.items():
                mod.defined.add(f"var.{_unquote(vname)}")
                _note_input(mod, _unquote(vname), str(body.get("description", "")))
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
        for block in doc.get("module", []):
            for mname, body in block.items():
                mod.defined.add(f"module.{_unquote(mname)}")
                mod.expressions += [(name, s) for s in _strings(body)]
        for block in doc.get("import", []):
            mod.expressions += [(name, s) for s in _strings(block)]
        for block in doc.get("terraform", []):
            mod.expressions += [(name, s) for s in _strings(block)]
    return mod


def _note_input(mod: Module, variable: str, description: str) -> None:
    m = _UPSTREAM_DESC.match(_unquote(description))
    if m and m.group(1) == variable:
        mod.inputs[variable] = m.group(2)


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


_LITERALS = (str, int, bool, float, type(None))


def _expressions(value: Any, out: list[str]) -> None:
    """Append the expressions of a block value to ``out``, in the form python-hcl2 gives them (``${...}``)."""
    if type(value) in _LITERALS:
        return  # plain str: a quoted literal whose ${ is escaped; numbers, bools, None: nothing to resolve
    if isinstance(value, Expr):
        out.append(str(value) if value.startswith('"') else f"${{{value}}}")
    elif isinstance(value, Mapping):
        for v in value.values():
            _expressions(v, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _expressions(item, out)


def _block_expressions(block: Block) -> list[str]:
    """Every expression of a block and its nested blocks, in the order they are written."""
    out: list[str] = []
    stack = [block]
    while stack:
        b = stack.pop()
        for v in b.attrs.values():
            if type(v) not in _LITERALS:  # most values are literals: no call for them
                _expressions(v, out)
        stack.extend(reversed(b.blocks))
    return out


def module_of_blocks(path: str, files: Mapping[str, list[Block]]) -> Module:
    """What one root module defines and references, from the blocks it is rendered from
    (the structural twin of ``parse_module``; same ``Module``)."""
    mod = Module(path)
    for name, blocks in sorted(files.items()):
        for block in blocks:
            kind, labels = block.type, block.labels
            if kind == "resource":
                mod.defined.add(f"{labels[0]}.{labels[1]}")
            elif kind == "data":
                mod.defined.add(f"data.{labels[0]}.{labels[1]}")
            elif kind == "module":
                mod.defined.add(f"module.{labels[0]}")
            elif kind == "variable":
                mod.defined.add(f"var.{labels[0]}")
                _note_input(mod, labels[0], str(block.attrs.get("description", "")))
                mod.expressions += [(name, s) for c in block.blocks if c.type == "validation"
                                    for s in _block_expressions(c)]
                continue
            elif kind == "locals":
                mod.defined.update(f"local.{k}" for k in block.attrs)
            elif kind == "provider":
                alias = block.attrs.get("alias")
                mod.defined.add(f"{labels[0]}.{alias}" if alias else labels[0])
            elif kind == "output":
                value = block.attrs.get("value")
                mod.outputs[labels[0]] = set(value) if isinstance(value, Mapping) else None
            mod.expressions += [(name, s) for s in _block_expressions(block)]
    return mod


def check_references(rendered: Rendered | Mapping[str, str]) -> list[Reference]:
    """Every reference of rendered Terraform that does not resolve, sorted; empty when all do.

    Given a ``Rendered``, checks the structure it was rendered from (fast, what ``plan`` runs);
    given files (path -> text), parses each root module with python-hcl2 first (a test of the
    rendered text)."""
    if isinstance(rendered, Mapping):
        files: Mapping[str, str] = rendered
    elif rendered.structure:
        return _check(rendered.structure)
    else:
        files = rendered.files
    by_module: dict[str, dict[str, str]] = {}
    for path, text in files.items():
        if path.endswith(".tf"):
            module, _, name = path.rpartition("/")
            by_module.setdefault(module, {})[name] = text
    return _check({path: parse_module(path, fs) for path, fs in by_module.items()})


def _check(modules: Mapping[str, Module]) -> list[Reference]:
    problems: set[Reference] = set()
    for mod in modules.values():
        # The same expression recurs in many blocks (a provider alias, a shared variable): each
        # distinct one is read once, its problems reported for every file it is written in.
        files_of: dict[str, set[str]] = {}
        for file, expression in mod.expressions:
            files_of.setdefault(expression, set()).add(file)
        for expression, files in files_of.items():
            for address in _addresses(expression):
                if address not in mod.defined:
                    problems.update(Reference(mod.path, file, address, "not defined in this root module")
                                    for file in files)
            if mod.inputs:
                for inner in _INTERP.findall(expression):
                    for variable, key in _VAR_KEY.findall(inner):
                        if variable in mod.inputs:
                            for file in files:
                                problems.update(_input_key_problem(modules, mod, file, variable, key))
        for variable, stage in sorted(mod.inputs.items()):
            problems.update(_input_problem(modules, mod, variable, stage))
    return sorted(problems)


def _input_problem(modules: Mapping[str, Module], mod: Module, variable: str, stage: str) -> list[Reference]:
    address = f"var.{variable}"
    other = modules.get(stage)
    if other is None:
        return [Reference(mod.path, "variables.tf", address, f"takes an output of stage {stage}, which was not rendered")]
    if stage.split("/")[0] != mod.path.split("/")[0] or stage >= mod.path:
        return [Reference(mod.path, "variables.tf", address, f"takes an output of {stage}, which is not an earlier stage")]
    if variable not in other.outputs:
        return [Reference(mod.path, "variables.tf", address, f"{stage} has no output '{variable}'")]
    return []


def _input_key_problem(modules: Mapping[str, Module], mod: Module, file: str, variable: str,
                       key: str) -> list[Reference]:
    stage = mod.inputs[variable]
    other = modules.get(stage)
    keys = other.outputs.get(variable) if other else None
    if keys is not None and key not in keys:
        return [Reference(mod.path, file, f'var.{variable}["{key}"]', f"output '{variable}' of {stage} has no key '{key}'")]
    return []
