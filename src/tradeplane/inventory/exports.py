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

__all__ = ["ExportDirectory", "ExportFile", "ImportResult", "Sources"]

JsonPath = tuple[str | int, ...]


class _Scanner:
    """Find the line where each JSON value starts, keyed by its path (keys and indices)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.lines: dict[JsonPath, int] = {}

    def ws(self) -> None:
        t = self.text
        while self.i < len(t) and t[self.i] in " \t\r\n":
            if t[self.i] == "\n":
                self.line += 1
            self.i += 1

    def value(self, path: JsonPath) -> None:
        self.ws()
        self.lines[path] = self.line
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
    lines: dict[JsonPath, int]

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
        return Location(str(self.path), self.lines.get(path, 0))

    def error(self, path: JsonPath, ident: str, message: str, hint: str = "") -> InputError:
        return InputError(f"{ident}: {message}", [Problem(f"{ident}: {message}", self.at(path), "", hint)])

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

    def reg(self, obj: M, f: ExportFile, path: JsonPath, ident: str) -> M:
        self.src.add(obj, f.at(path), f"{f.path.name}#{ident}")
        return obj
