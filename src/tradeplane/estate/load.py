"""Load an estate: a directory of YAML files merged into one validated ``Estate``.

Like a Terraform directory, every ``*.yaml``/``*.yml`` file below the directory
contributes: list sections (``networks``, ``links``, ``workloads`` ...) are
concatenated, single sections (``name``, ``organisation``, ``tags`` ...) may be
written once. Every problem names file:line:column, the field path, what was
expected and a hint; all problems are reported together.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from pathlib import Path as FsPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tradeplane.errors import ConfigError, EstateError, Location, Problem, ProblemList, TradeplaneError
from tradeplane.estate import refs
from tradeplane.estate.model import Estate
from tradeplane.estate.yamlpos import Path, Positions, YamlError, field_name, parse, read

_LIST_SECTIONS = tuple(
    name for name, f in Estate.model_fields.items() if typing.get_origin(f.annotation) is tuple
)
_SINGLE_SECTIONS = tuple(name for name in Estate.model_fields if name not in _LIST_SECTIONS)



def estate_files(path: FsPath) -> list[FsPath]:
    """The YAML files of an estate, in a stable order (so merged lists are stable)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise EstateError.single(
            f"no estate at '{path}'", location=Location(str(path)),
            hint="give a directory of estate YAML files, e.g. examples/dv-trading",
        )
    files = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not files:
        raise EstateError.single(
            f"'{path}' holds no .yaml or .yml files", location=Location(str(path)),
            hint="an estate is a directory of YAML files; see examples/small",
        )
    return files


def load(path: str | FsPath) -> Estate:
    """Load, merge, validate and cross-check an estate; raise ``EstateError`` with every problem."""
    root = FsPath(path)
    merged, positions, early = _merge(estate_files(root), root)
    return _finish(merged, positions, early, str(root))


def load_text(text: str, file: str = "<estate>") -> Estate:
    """Load an estate from one YAML text (tests, generated estates)."""
    merged, positions, early = _merge_docs([(file, text)])
    return _finish(merged, positions, early, file)


def _finish(merged: dict[str, Any], positions: Positions, early: list[Problem], name: str) -> Estate:
    """Validate and cross-check, reporting every problem found at any stage together."""
    try:
        estate = _validate(merged, positions)
    except EstateError as exc:
        _raise(name, [*early, *exc.problems])
    estate.attach_sources(*_sources(estate, merged, positions))
    problems = [*early, *refs.check(estate)]
    if problems:
        _raise(name, problems)
    return estate


def _raise(name: str, problems: list[Problem]) -> typing.NoReturn:
    problems = [p if p.location else Problem(p.message, Location(name), p.field, p.hint) for p in problems]
    n = len(problems)
    raise EstateError(f"estate '{name}' has {n} problem{'s' if n != 1 else ''}", problems)


# --------------------------------------------------------------------------- merging


def _merge(files: list[FsPath], root: FsPath) -> tuple[dict[str, Any], Positions, list[Problem]]:
    docs: list[tuple[str, str]] = []
    unreadable = ProblemList()
    for f in files:
        name = _display(f, root)
        try:
            docs.append((name, read(f, name)))
        except OSError as exc:
            unreadable.add(f"cannot read: {exc.strerror or exc}", location=Location(name),
                           hint="check the file exists and is readable")
        except YamlError as exc:
            unreadable.extend(exc.problems)
    unreadable.raise_if_any("cannot read the estate files")
    return _merge_docs(docs)


def _display(f: FsPath, root: FsPath) -> str:
    return str(f) if root.is_file() else str(root / f.relative_to(root))


def _merge_docs(docs: Iterable[tuple[str, str]]) -> tuple[dict[str, Any], Positions, list[Problem]]:
    """Merge files into one mapping. Syntax errors stop here; other problems travel on."""
    fatal = ProblemList()
    problems = ProblemList()
    merged: dict[str, Any] = {}
    positions = Positions()
    defined_at: dict[str, Location] = {}
    for file, text in docs:
        try:  # the items of a list section are numbered after those of the files before
            data, pos, soft = parse(text, file, offsets={k: len(v) for k, v in merged.items() if k in _LIST_SECTIONS})
        except YamlError as exc:
            fatal.extend(exc.problems)
            continue
        problems.extend(soft)
        if data is None:
            continue
        if not isinstance(data, dict):
            fatal.add("an estate file must be a mapping of sections (networks:, desks: ...)",
                         location=pos.of_value(()) or Location(file),
                         hint="start the file with a section name such as 'networks:'")
            continue
        taken: dict[str, bool] = {}  # the sections of this file that are merged -> is it a list section
        for key, value in data.items():
            key_loc = pos.of_key((key,)) or Location(file)
            if key in _LIST_SECTIONS:
                if value is None:
                    continue
                if not isinstance(value, list):
                    problems.add(f"section '{key}' must be a list", location=key_loc, field=key,
                                 hint=f"write each item under '{key}:' starting with '- '")
                    continue
                merged.setdefault(key, []).extend(value)
                positions.keys.setdefault((key,), key_loc)
                taken[key] = True
            elif key in _SINGLE_SECTIONS:
                if key in defined_at:
                    problems.add(f"section '{key}' is written in two places", location=key_loc, field=key,
                                 hint=f"it is also at {defined_at[key]}; keep one")
                    continue
                defined_at[key] = key_loc
                merged[key] = value
                taken[key] = False
            else:
                problems.add(f"unknown section '{key}'", location=key_loc, field=key,
                             hint=_did_you_mean(key, Estate.model_fields))
        positions.update(_merged_positions(pos, taken, whole=len(taken) == len(data)))
    if fatal:
        fatal.extend(problems.problems)
        fatal.raise_if_any("the estate files cannot be read")
    return merged, positions, problems.problems


def _merged_positions(pos: Positions, taken: dict[str, bool], whole: bool) -> Positions:
    """The positions of one file's merged sections (``taken``: section -> is it a list section): a single
    section whole, a list section's items (already numbered after the files before; not the list's own
    key or value, which the first file gives). ``whole``: every section of the file is merged, so only
    the file's root and the lists' own entries are dropped (no pass over every position)."""
    if whole:
        pos.values.pop((), None)
        for key, is_list in taken.items():
            if is_list:
                pos.values.pop((key,), None)
                pos.keys.pop((key,), None)
        return pos
    out = Positions()
    for table, kept in ((pos.values, out.values), (pos.keys, out.keys)):
        for path, loc in table.items():
            head = path[0] if path else None
            listed = taken.get(head) if isinstance(head, str) else None
            if listed is None or (listed and (len(path) < 2 or not isinstance(path[1], int))):
                continue
            kept[path] = loc
    return out


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(options)


# --------------------------------------------------------------------------- any YAML file -> a model

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: str | FsPath, model: type[M], *, text: str | None = None,
                    error: type[TradeplaneError] = ConfigError, what: str = "") -> M:
    """Load one YAML file into a pydantic ``model`` through the estate's loader.

    The one way the project reads a YAML config (feeds config, finops rules and assumptions,
    the capacity table, and the packages to come): the same limits (size, depth, alias
    expansion; see ``yamlpos.Limits``), the same UTF-8 and control-character checks, and the
    same located problems as an estate: ``file:line:column: field: message (hint: ...)``,
    every problem of the file at once. ``text`` stands for the file's content when it does not
    come from disk (package resources); ``path`` then only names it. An empty file validates
    as ``{}``. Raises ``error`` (``ConfigError`` unless told) with one ``Problem`` per fault;
    ``what`` names the file's kind in the summary line ("feeds config").
    """
    name = str(path)
    kind = what or f"{model.__name__} file"
    try:
        if text is None:
            text = read(path, name)
        data, positions, problems = parse(text, name)
    except OSError as exc:
        raise error.single(f"cannot read the {kind}: {exc.strerror or exc}", location=Location(name),
                           hint="check the path") from None
    except YamlError as exc:
        raise error(f"{name}: the {kind} cannot be read", exc.problems) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise error.single(f"the {kind} must be a mapping of fields, not a {type(data).__name__}",
                           location=positions.of_value(()) or Location(name),
                           hint="start the file with a field name and a colon")
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        problems = [*problems, *_dedupe([_problem(err, data, positions, model)
                                         for err in exc.errors(include_url=False)])]
        result = None
    if problems or result is None:
        problems = [p if p.location else Problem(p.message, Location(name), p.field, p.hint) for p in problems]
        n = len(problems)
        raise error(f"{name}: invalid {kind}: {n} problem{'s' if n != 1 else ''}", problems)
    return result


# --------------------------------------------------------------------------- validation errors


def _validate(data: dict[str, Any], positions: Positions) -> Estate:
    try:
        return Estate.model_validate(data)
    except ValidationError as exc:
        problems = _dedupe([_problem(err, data, positions) for err in exc.errors(include_url=False)])
        raise EstateError("the estate is invalid", problems) from None


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Drop repeats, and "too short" echoes of an item that already failed on its own."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    fields = [p.field for p in problems]
    for p in problems:
        if p.message.startswith(("Tuple should have at least", "List should have at least")) and any(
            f != p.field and f.startswith(p.field + "[") for f in fields
        ):
            continue
        key = (str(p.location), p.field, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _data_path(loc: tuple[str | int, ...], data: Any) -> Path:
    """Map a pydantic error location onto the raw data, skipping union tags pydantic inserts."""
    path: list[str | int] = []
    node: Any = data
    for part in loc:
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_list or (isinstance(node, dict) and part in node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _looks_like_tag(part) \
                and part not in _ALL_TAGS:
            path.append(part)  # a missing or unknown key: keep it for the field name
            node = None
        # else: a discriminator tag or union member name; not in the data
    return tuple(path)


def _all_tags() -> frozenset[str]:
    from tradeplane.estate.model import Link, Network

    tags: set[str] = set()
    for union in (Link, Network):
        for member in _union_members(_strip(union)):
            tags.update(str(t) for t in _tags(member))
    return frozenset(tags)


def _looks_like_tag(part: str) -> bool:
    return "[" in part or part[:1].isupper()


def _problem(err: Any, data: Any, positions: Positions, root: type[BaseModel] = Estate) -> Problem:
    loc = tuple(err["loc"])
    path = _data_path(loc, data)
    kind = err["type"]
    field = field_name(path)
    # Name the object the field sits in, so "networks[3].subnets[1].cidr" reads well.
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1], data, root)
        allowed = sorted(model.model_fields) if model else []
        key = str(loc[-1])
        return Problem(f"unknown field '{key}'", positions.of_key(path) or positions.nearest(path),
                       field, _did_you_mean(key, allowed) if allowed else "remove it")
    if kind == "missing":
        hint = "give the estate a name in one of its files, e.g. 'name: my-firm'" if loc == ("name",) \
            else _field_hint(loc, data, root)
        return Problem(f"missing required field '{loc[-1]}'", positions.nearest(path[:-1]), field, hint)
    message = _message(err)
    name_rule = kind == "string_pattern_mismatch" and message.startswith("names must")
    hint = "" if name_rule else _field_hint(loc, data, root)
    ctx = err.get("ctx") or {}
    if isinstance(ctx.get("at"), tuple):  # a custom error about one item inside the field: locate that item
        path = _data_path((*loc, *ctx["at"]), data)
        field = field_name(path)
    if isinstance(ctx.get("hint"), str):  # a custom error that says what to do: not the field's description
        hint = ctx["hint"]
    return Problem(message, positions.of_value(path) or positions.nearest(path), field, hint)


def _message(err: Any) -> str:
    kind = err["type"]
    given = err.get("input")
    if kind == "string_pattern_mismatch" and "a-z][a-z0-9-]" in str(err.get("ctx", {}).get("pattern", "")):
        return f"names must be lower-case letters, digits and hyphens, starting with a letter; got {given!r}"
    if kind == "literal_error":
        return f"{err['msg'].replace('Input should be', 'must be')}; got {given!r}"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"unknown {ctx.get('discriminator', 'kind')} {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        ctx = err.get("ctx", {})
        disc = str(ctx.get("discriminator", "kind")).strip("'")
        return f"missing '{disc}', which says what this object is"
    if kind.startswith("ip_v4_network") or kind == "ip_any_network":
        return f"not an IPv4 network in CIDR form (like 10.0.0.0/16): {given!r}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        return f"not in the expected form; got {given!r}"
    msg = str(err["msg"]).replace("Input should be", "must be")
    return f"{msg}; got {given!r}" if not isinstance(given, dict | list) else msg


def _field_hint(loc: tuple[str | int, ...], data: Any, root: type[BaseModel] = Estate) -> str:
    if not loc:  # a model-level error (a model validator): no one field to describe
        return ""
    model = _model_at(loc[:-1], data, root)
    if model is None:
        return ""
    f = model.model_fields.get(str(loc[-1]))
    return f.description or "" if f else ""


def _model_at(loc: tuple[str | int, ...], data: Any, root: type[BaseModel] = Estate) -> type[BaseModel] | None:
    """The model class that validates the object at ``loc`` (walking tags pydantic inserted)."""
    tp: Any = root
    node = data
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        tp = _strip(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            f = tp.model_fields.get(str(part))
            if f is None:
                return None
            tp = f.annotation
            node = node.get(part) if isinstance(node, dict) else None
            continue
        origin = typing.get_origin(tp)
        if origin in (tuple, list):
            tp = typing.get_args(tp)[0]
            node = node[part] if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node) else None
            continue
        if origin is dict:
            tp = typing.get_args(tp)[1]
            continue
        members = _union_members(tp)
        if members:
            tp = _pick(members, part, node, parts)
            if tp is None:
                return None
            continue
        return None
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    members = _union_members(tp)
    if members and isinstance(node, dict):
        return _pick(members, None, node, [])
    return None


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> list[type[BaseModel]]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return [m for m in (_strip(a) for a in typing.get_args(tp))
                if isinstance(m, type) and issubclass(m, BaseModel)]
    return []


def _pick(members: list[type[BaseModel]], part: str | int | None, node: Any,
          rest: list[str | int]) -> type[BaseModel] | None:
    """Choose the union member: by a tag pydantic put in the path, else by the data's own tag."""
    for m in members:
        if part in _tags(m):
            return m
    if part is not None:
        rest.insert(0, part)
    if isinstance(node, dict):
        for m in members:
            if any(node.get(d) in _tags(m) for d in _DISCRIMINATORS):
                return m
    return members[0] if len(members) == 1 else None


_DISCRIMINATORS = ("kind", "cloud")


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    tags: tuple[Any, ...] = ()
    for d in _DISCRIMINATORS:
        f = model.model_fields.get(d)
        if f is not None:
            tags += typing.get_args(f.annotation)
    return tags


# --------------------------------------------------------------------------- source map


def _sources(estate: Estate, data: Any, positions: Positions) -> tuple[dict[tuple[int, str], Location],
                                                                       dict[int, str]]:
    """Map every model object (by identity) and each of its fields to where it was written,
    and every object to its field path (``networks[2].subnets[0]``)."""
    out: dict[tuple[int, str], Location] = {}
    paths: dict[int, str] = {}
    _walk(estate, data, (), "", positions.values, positions.keys, out, paths)
    return out, paths


_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {}  # model class -> its field names, in order


def _walk(obj: Any, raw: Any, path: Path, name: str, values: dict[Path, Location], keys: dict[Path, Location],
          out: dict[tuple[int, str], Location], paths: dict[int, str]) -> None:
    """``_sources`` for one object at ``path`` (``name``: the path as a field name), recursing only into
    models and tuples of them (a module-level function: a recursive closure is a reference cycle that
    keeps the positions alive until the cyclic collector runs)."""
    if isinstance(obj, BaseModel):
        loc = values.get(path)
        if loc is not None:
            out[(id(obj), "")] = loc
        paths[id(obj)] = name
        if not isinstance(raw, dict):
            return
        cls = type(obj)
        fields = _FIELDS.get(cls)
        if fields is None:  # pydantic's model_fields is a property that builds its answer per call
            fields = _FIELDS[cls] = tuple(cls.model_fields)
        for field in fields:
            if field not in raw:
                continue
            sub = (*path, field)
            key_loc = keys.get(sub) or values.get(sub)
            if key_loc is not None:
                out[(id(obj), field)] = key_loc
            value = getattr(obj, field)
            if isinstance(value, (BaseModel, tuple)):  # a tuple of types: faster than a union
                _walk(value, raw[field], sub, f"{name}.{field}" if name else field, values, keys, out, paths)
    elif isinstance(obj, tuple) and isinstance(raw, list):
        for i, (item, raw_item) in enumerate(zip(obj, raw, strict=False)):
            if isinstance(item, (BaseModel, tuple)):
                _walk(item, raw_item, (*path, i), f"{name}[{i}]", values, keys, out, paths)


_ALL_TAGS = _all_tags()
