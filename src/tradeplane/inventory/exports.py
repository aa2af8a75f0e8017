"""Reading cloud export files: JSON with the line of every value, and the import result.

Every imported object remembers the export file and line it came from, so a
trace over an imported data plane points at ``describe-security-groups.json:42``
just as it points at an estate YAML line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tradeplane.errors import InputError, Location, Problem
from tradeplane.estate.model import Estate

__all__ = ["ExportDirectory", "ExportFile", "ImportResult", "Row", "Sources"]

JsonPath = tuple[str | int, ...]


class _Scanner:
    """Find the line where each JSON value starts, keyed by its path (keys and indices)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.lines: dict[JsonPath, tuple[int, int]] = {}

    def ws(self) -> None:
        t = self.text
        while self.i < len(t) and t[self.i] in " \t\r\n":
            if t[self.i] == "\n":
                self.line += 1
                self.line_start = self.i + 1
            self.i += 1

    def value(self, path: JsonPath) -> None:
        self.ws()
        self.lines[path] = (self.line, self.i - self.line_start + 1)
        c = self.text[self.i: self.i + 1]
        if c == "{":
            self.i += 1
            self.ws()
            if self.text[self.i] == "}":
                self.i += 1
                return
            while True:
                self.ws()
                key = self.string()
                self.ws()
                self.i += 1  # ':'
                self.value((*path, key))
                self.ws()
                ch = self.text[self.i]
                self.i += 1
                if ch == "}":
                    return
        elif c == "[":
            self.i += 1
            self.ws()
            if self.text[self.i] == "]":
                self.i += 1
                return
            n = 0
            while True:
                self.value((*path, n))
                n += 1
                self.ws()
                ch = self.text[self.i]
                self.i += 1
                if ch == "]":
                    return
        elif c == '"':
            self.string()
        else:
            while self.i < len(self.text) and self.text[self.i] not in ",]} \t\r\n":
                self.i += 1

    def string(self) -> str:
        start = self.i
        self.i += 1
        t = self.text
        while t[self.i] != '"':
            self.i += 2 if t[self.i] == "\\" else 1
        self.i += 1
        return str(json.loads(t[start: self.i]))


@dataclass
class ExportFile:
    """One export file: its data and the line of every value."""

    path: Path
    data: Any
    lines: dict[JsonPath, tuple[int, int]]

    @classmethod
    def read(cls, path: Path) -> ExportFile:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError.single(f"cannot read {path}: {exc}", location=Location(str(path))) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError.single(f"not JSON: {exc.msg}", location=Location(str(path), exc.lineno, exc.colno),
                                    hint="export with --output json (aws) or --format=json (gcloud)") from None
        scanner = _Scanner(text)
        scanner.value(())
        return cls(path, data, scanner.lines)

    def at(self, path: JsonPath) -> Location:
        while path and path not in self.lines:
            path = path[:-1]  # a missing field: the object that lacks it
        line, col = self.lines.get(path, (0, 0))
        return Location(str(self.path), line, col)

    def error(self, path: JsonPath, ident: str, message: str, hint: str = "") -> InputError:
        return InputError(f"{ident}: {message}", [Problem(f"{ident}: {message}", self.at(path), "", hint)])

    def row(self, path: JsonPath, item: dict[str, Any], ident: str) -> Row:
        return Row(self, path, item, ident)

    def rows(self, key: str | None, id_field: str, kind: str) -> list[Row]:
        """The top-level objects as rows, each named by its ``id_field`` (a string, checked)."""
        out = []
        for p, item in self.items(key):
            where = f"{key or kind}[{p[-1]}]"
            out.append(Row(self, p, item, where).renamed(Row(self, p, item, where).text(id_field)))
        return out

    def items(self, key: str | None) -> list[tuple[JsonPath, dict[str, Any]]]:
        """The objects of the top-level list (``{"Vpcs": [...]}`` or a bare ``[...]``)."""
        base: JsonPath
        if key is None:
            if not isinstance(self.data, list):
                raise InputError.single("expected a JSON list (gcloud ... list --format=json)",
                                        location=self.at(()))
            seq, base = self.data, ()
        else:
            if not isinstance(self.data, dict) or key not in self.data:
                raise InputError.single(f"expected an object with '{key}' (the shape `aws ec2` prints)",
                                        location=self.at(()), hint="export with --output json")
            seq, base = self.data[key], (key,)
            if not isinstance(seq, list):
                raise InputError.single(f"'{key}' must be a list", location=self.at(base))
        out: list[tuple[JsonPath, dict[str, Any]]] = []
        for i, item in enumerate(seq):
            if not isinstance(item, dict):
                raise InputError.single(f"{key or 'item'}[{i}] must be an object", location=self.at((*base, i)))
            out.append(((*base, i), item))
        return out

    def need(self, item: dict[str, Any], path: JsonPath, field: str, ident: str) -> Any:
        if field not in item or item[field] is None:
            raise self.error(path, ident, f"missing field '{field}'",
                             "re-export with the full CLI output; do not filter fields with --query")
        return item[field]


_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
               float: "a number", type(None): "null"}


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Row:
    """One object of an export, with typed field readers that fail with the file, line, object id and
    field (the clouds' documented types and ranges; a field the cloud omits when empty reads as empty)."""

    file: ExportFile
    path: JsonPath
    item: dict[str, Any]
    ident: str

    def renamed(self, ident: str) -> Row:
        return Row(self.file, self.path, self.item, ident)

    def error(self, message: str, hint: str = "", field: str | int | None = None) -> InputError:
        path = self.path if field is None else (*self.path, field)
        return self.file.error(path, self.ident, message, hint)

    def _get(self, field: str, required: bool) -> Any:
        value = self.item.get(field)
        if value is None and required:
            raise self.error(f"missing field '{field}'",
                             "re-export with the full CLI output; do not filter fields with --query", field)
        return value

    def _type(self, field: str, value: Any, want: type | tuple[type, ...], name: str) -> None:
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise self.error(f"{field}: expected {name}, got {_json_type(value)}", field=field)

    def text(self, field: str) -> str:
        value = self._get(field, True)
        self._type(field, value, str, "a string")
        return str(value)

    def opt_text(self, field: str, default: str | None = None) -> str | None:
        value = self._get(field, False)
        if value is None:
            return default
        self._type(field, value, str, "a string")
        return str(value)

    def integer(self, field: str, lo: int, hi: int, default: int | None = None, what: str = "") -> int:
        if field in self.item and self.item[field] is None:
            raise self.error(f"{field}: expected an integer, got null", field=field)
        value = self._get(field, default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)  # gcloud prints some int64 fields as strings
        self._type(field, value, int, "an integer")
        if not lo <= value <= hi:
            raise self.error(f"{field} {value} is not {what or 'in range'} ({lo}-{hi})", field=field)
        return int(value)

    def flag(self, field: str, default: bool = False) -> bool:
        value = self._get(field, False)
        if value is None:
            return default
        self._type(field, value, bool, "a boolean")
        return bool(value)

    def seq(self, field: str) -> list[Any]:
        value = self._get(field, False)
        if value is None:
            return []
        self._type(field, value, list, "a list")
        return list(value)

    def strings(self, field: str) -> list[str]:
        values = self.seq(field)
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise self.error(f"{field}[{i}]: expected a string, got {_json_type(v)}", field=field)
        return [str(v) for v in values]

    def sub(self, field: str, index: int | None = None) -> Row:
        """A nested object (``field`` or ``field[index]``) as a row of the same object id."""
        if index is None:
            value = self._get(field, False)
            path: JsonPath = (*self.path, field)
            label = field
            value = {} if value is None else value
        else:
            value = self.seq(field)[index]
            path, label = (*self.path, field, index), f"{field}[{index}]"
        if not isinstance(value, dict):
            raise self.error(f"{label}: expected an object, got {_json_type(value)}", field=field)
        return Row(self.file, path, value, self.ident)

    def subs(self, field: str) -> list[Row]:
        return [self.sub(field, i) for i in range(len(self.seq(field)))]

    def has(self, field: str) -> bool:
        return self.item.get(field) is not None

    def where(self, label: str) -> Row:
        """The same object with ``label`` prefixed to its field names in messages."""
        return Row(self.file, self.path, self.item, f"{self.ident}: {label}")


@dataclass
class Sources:
    """Where each imported model object came from (for ``estate.where`` and ``path_of``)."""

    where: dict[tuple[int, str], Location] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)
    keep: list[object] = field(default_factory=list)

    def add(self, obj: object, loc: Location, ident: str) -> None:
        self.keep.append(obj)  # identity keys need the object alive
        self.where[(id(obj), "")] = loc
        self.paths[id(obj)] = ident


@dataclass
class ImportResult:
    """The imported estate and notes on what the model could not express (never dropped silently)."""

    estate: Estate
    notes: list[str]
    counts: dict[str, int]

    def summary(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))


M = TypeVar("M")


class ExportDirectory:
    """One cloud's export files in a directory, and the sources and notes an import collects.

    ``files`` maps a key to the file name; ``required`` keys must be present, and
    ``command(key, name)`` says which CLI command writes a missing one.
    """

    def __init__(self, directory: Path, files: Mapping[str, str], required: Collection[str],
                 command: Callable[[str, str], str]) -> None:
        self.dir = directory
        if not directory.is_dir():
            raise InputError.single(f"no export directory at '{directory}'", location=Location(str(directory)),
                                    hint="run the export commands of docs/net.md into a directory")
        self.files: dict[str, ExportFile] = {}
        for key, name in files.items():
            p = directory / name
            if p.is_file():
                self.files[key] = ExportFile.read(p)
            elif key in required:
                raise InputError.single(f"missing export {name}", location=Location(str(p)),
                                        hint=f"run `{command(key, name)} > {p}`")
        self.src = Sources()
        self.notes: list[str] = []

    def note(self, f: ExportFile, path: JsonPath, text: str) -> None:
        self.notes.append(f"{f.at(path)}: {text}")

    def file_items(self, key: str, field: str | None) -> list[tuple[ExportFile, JsonPath, dict[str, Any]]]:
        f = self.files.get(key)
        return [] if f is None else [(f, p, item) for p, item in f.items(field)]

    def file_rows(self, key: str, field: str | None, id_field: str, kind: str) -> list[Row]:
        f = self.files.get(key)
        return [] if f is None else f.rows(field, id_field, kind)

    def reg(self, obj: M, f: ExportFile, path: JsonPath, ident: str) -> M:
        self.src.add(obj, f.at(path), f"{f.path.name}#{ident}")
        return obj

    def reg_row(self, obj: M, row: Row, ident: str | None = None) -> M:
        return self.reg(obj, row.file, row.path, ident or row.ident)

    def note_row(self, row: Row, text: str) -> None:
        self.note(row.file, row.path, text)
