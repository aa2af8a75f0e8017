"""Requests: parse a ``{"kind": ..., ...fields}`` mapping (or a YAML file) into its typed kind.

Every problem names the field and says what is wrong (``InputError``, exit 2 in the CLI, 422 in
the API); a request file goes through the estate's position-keeping loader, so its problems
carry file:line:column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tradeplane.errors import InputError, Location, Problem
from tradeplane.selfserve.kinds import RequestKind, discover

__all__ = ["Request", "kinds", "load_request", "parse_request", "request_id"]

Request = RequestKind
"""Any request kind (``WorkloadRequest``, ``VenueRequest``, ``FlowRequest``, ``BudgetRequest``, ...)."""


def kinds() -> dict[str, type[RequestKind]]:
    """Every request kind by name (discovered from ``tradeplane.selfserve.kinds``)."""
    return discover()


def _kind_of(data: Mapping[str, Any], location: Location | None = None) -> type[RequestKind]:
    known = kinds()
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in known:
        got = "missing" if kind is None else f"{kind!r} is not a request kind"
        raise InputError.single(got, location=location, field="kind", hint=f"one of: {', '.join(known)}")
    return known[kind]


def parse_request(data: Any) -> RequestKind:
    """A mapping -> its request kind; ``InputError`` with one problem per bad field."""
    if not isinstance(data, Mapping):
        raise InputError.single("a request is a mapping of fields with a 'kind'", field="kind",
                                hint="e.g. {\"kind\": \"budget\", \"desk\": \"futures\", \"amount\": 250000}")
    cls = _kind_of(data)
    try:
        return cls.model_validate(dict(data))
    except ValidationError as exc:
        problems = _collapse([Problem(_message(e), None, ".".join(str(x) for x in e["loc"]) or "request", _hint(e))
                              for e in exc.errors(include_url=False)])
        raise InputError(problems[0].message if len(problems) == 1 else
                         f"invalid {cls.KIND} request: {len(problems)} problems", problems) from None


def load_request(path: str | Path) -> RequestKind:
    """A request from a YAML file, through the estate's loader (problems at file:line:column)."""
    from tradeplane.estate import load_yaml_model
    from tradeplane.estate.yamlpos import YamlError, parse, read

    name = str(path)
    try:
        data, positions, _ = parse(read(path, name), name)
    except OSError as exc:
        raise InputError.single(f"cannot read the request: {exc.strerror or exc}", location=Location(name),
                                hint="check the path") from None
    except YamlError as exc:
        raise InputError(f"{name}: the request cannot be read", exc.problems) from None
    if not isinstance(data, dict):
        raise InputError.single("a request file is a mapping of fields with a 'kind'", location=Location(name))
    cls = _kind_of(data, positions.of_value(("kind",)) or positions.of_key(("kind",)) or Location(name))
    return load_yaml_model(path, cls, error=InputError, what=f"{cls.KIND} request")


def request_id(request: RequestKind) -> str:
    """A stable id from the request's content: the same request has the same id (``req-`` + 10 hex)."""
    text = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "req-" + hashlib.sha256(text.encode()).hexdigest()[:10]


def _collapse(problems: list[Problem]) -> list[Problem]:
    """One problem per item: ``ports.0.start`` and ``ports.0.end`` with one message are ``ports.0``."""
    out: list[Problem] = []
    for p in problems:
        parent = p.field.rsplit(".", 1)[0] if "." in p.field else p.field
        twin = next((q for q in out if q.message == p.message and
                     (q.field.rsplit(".", 1)[0] if "." in q.field else q.field) == parent), None)
        if twin is None:
            out.append(p)
        elif twin.field != parent:
            out[out.index(twin)] = Problem(twin.message, twin.location, parent, twin.hint)
    return out


def _message(err: Any) -> str:
    msg = str(err.get("msg", "invalid"))
    if err.get("type") == "extra_forbidden":
        return "unknown field"
    if err.get("type") == "missing":
        return "required field is missing"
    return msg.removeprefix("Value error, ")


def _hint(err: Any) -> str:
    kind = str(err.get("type", ""))
    if kind == "extra_forbidden":
        return "remove it, or check its spelling"
    got = f"got {err['input']!r}; " if isinstance(err.get("input"), str) else ""
    if kind.startswith("int_"):
        return f"{got}give a whole number, e.g. 2"
    if kind.startswith("float_"):
        return f"{got}give a plain number, without a unit or thousands separator"
    return ""
