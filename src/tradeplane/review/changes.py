"""What a change touches: the desks whose objects or paths differ between two estates.

An object belongs to a desk when it says so (``desk:``) or when it sits on the desk's path: a
network a desk's workload runs in, a link that carries one of those networks' traffic, a venue a
desk's workload uses. Pure: two estates in, ``desk -> reasons`` out, sorted.

``changed_fields`` says what in one changed object differs, as field paths in the estate's own
words (``networks[aws-apne1-crypto].subnets[trading-az1].cidr``: list items by name, by index when
they have none) with the file:line of each in the new estate (the field, else its nearest object).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from tradeplane.estate import Estate

__all__ = ["FieldChange", "changed_desks", "changed_fields"]

_SECTIONS = {"workload": "workloads", "network": "networks", "link": "links", "venue": "venues"}


@dataclass(frozen=True)
class FieldChange:
    """One difference inside a changed object: its field path, how (``changed``, ``added``,
    ``removed``) and the file:line in the new estate of the field, else of its nearest object there
    ("" when the new estate has no line for it, e.g. a removed object or an estate built in code)."""

    path: str
    how: str
    location: str

    def render(self) -> str:
        what = self.path if self.how == "changed" else f"{self.path} ({self.how})"
        return f"{what} at {self.location}" if self.location else what


def _by_name(items: Iterable[object]) -> dict[str, object]:
    return {str(getattr(i, "name", "")): i for i in items}


def _link_networks(link: object) -> set[str]:
    names: set[str] = set()
    for attr in ("a", "b", "network", "networks", "vpc", "attachments"):
        value = getattr(link, attr, None)
        if isinstance(value, str):
            names.add(value)
        elif isinstance(value, tuple):
            for item in value:
                names.add(item if isinstance(item, str) else str(getattr(item, "target", "") or ""))
    return names - {""}


def _desk_paths(e: Estate) -> dict[str, set[str]]:
    """desk -> names of the networks, venues and workloads on its path."""
    paths: dict[str, set[str]] = {}
    for w in e.workloads:
        path = paths.setdefault(w.desk, set())
        path |= {f"workload:{w.name}", f"network:{w.network}", *(f"venue:{v}" for v in w.venues)}
    for n in e.networks:
        if n.desk:
            paths.setdefault(n.desk, set()).add(f"network:{n.name}")
    for link in e.links:
        carried = {f"network:{n}" for n in _link_networks(link)}
        for path in paths.values():
            if path & carried:
                path.add(f"link:{link.name}")
    return paths


def changed_desks(old: Estate, new: Estate) -> dict[str, list[str]]:
    """Desks whose objects or paths differ between ``old`` and ``new``, with what changed."""
    changed: set[str] = set()
    for kind, before, after in (("workload", _by_name(old.workloads), _by_name(new.workloads)),
                                ("network", _by_name(old.networks), _by_name(new.networks)),
                                ("link", _by_name(old.links), _by_name(new.links)),
                                ("venue", _by_name(old.venues), _by_name(new.venues))):
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                changed.add(f"{kind}:{name}")
    out: dict[str, list[str]] = {}
    for estate in (old, new):
        for desk, path in _desk_paths(estate).items():
            hits = sorted(path & changed)
            if hits:
                out.setdefault(desk, [])
                out[desk] = sorted(set(out[desk]) | set(hits))
    return dict(sorted(out.items()))


def changed_fields(old: Estate, new: Estate, change: str) -> list[FieldChange]:
    """What differs in ``change`` (``kind:name``, as ``changed_desks`` reports it) between ``old`` and
    ``new``: one ``FieldChange`` per differing leaf field, item added or item removed, in field order.
    ``[]`` for a kind it does not know or an object that is the same in both."""
    kind, _, name = change.partition(":")
    section = _SECTIONS.get(kind)
    if section is None:
        return []
    before = _by_name(getattr(old, section)).get(name)
    after = _by_name(getattr(new, section)).get(name)
    path = f"{section}[{name}]"
    if after is None:
        return [] if before is None else [FieldChange(path, "removed", "")]
    if before is None:
        return [FieldChange(path, "added", _loc(new, after, ""))]
    return list(_walk(new, before, after, path))


def _loc(estate: Estate, obj: object, field: str) -> str:
    where = estate.where(obj, field)
    return "" if where is None else str(where)


def _named(items: tuple[object, ...]) -> dict[str, object] | None:
    """``items`` by name, when every one is a model with a distinct ``name``; else ``None``."""
    names = [getattr(i, "name", None) if isinstance(i, BaseModel) else None for i in items]
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    return {str(n): i for n, i in zip(names, items, strict=True)}


def _walk(estate: Estate, a: object, b: object, path: str) -> Iterator[FieldChange]:
    """The differences between ``a`` (old) and ``b`` (new), both at ``path``; ``b`` lives in ``estate``."""
    if not (isinstance(a, BaseModel) and isinstance(b, BaseModel) and type(a) is type(b)):
        yield FieldChange(path, "changed", _loc(estate, b, ""))
        return
    for field in type(b).model_fields:
        x, y = getattr(a, field), getattr(b, field)
        if x == y:
            continue
        here = f"{path}.{field}"
        if isinstance(x, BaseModel) and isinstance(y, BaseModel) and type(x) is type(y):
            yield from _walk(estate, x, y, here)
        elif isinstance(x, tuple) and isinstance(y, tuple) and (ox := _named(x)) is not None \
                and (ny := _named(y)) is not None:
            for key in [k for k in ox if k not in ny] + list(ny):
                item = f"{here}[{key}]"
                if key not in ny:
                    yield FieldChange(item, "removed", _loc(estate, b, field))
                elif key not in ox:
                    yield FieldChange(item, "added", _loc(estate, ny[key], ""))
                elif ox[key] != ny[key]:
                    yield from _walk(estate, ox[key], ny[key], item)
        elif isinstance(x, tuple) and isinstance(y, tuple) and len(x) == len(y) \
                and all(isinstance(i, BaseModel) for i in (*x, *y)):
            for i, (u, v) in enumerate(zip(x, y, strict=True)):
                if u != v:
                    yield from _walk(estate, u, v, f"{here}[{i}]")
        else:
            yield FieldChange(here, "changed", _loc(estate, b, field))
