"""What a change touches: the desks whose objects or paths differ between two estates.

An object belongs to a desk when it says so (``desk:``) or when it sits on the desk's path: a
network a desk's workload runs in, a link that carries one of those networks' traffic, a venue a
desk's workload uses. Pure: two estates in, ``desk -> reasons`` out, sorted.
"""

from __future__ import annotations

from collections.abc import Iterable

from tradeplane.estate import Estate

__all__ = ["changed_desks"]


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
