"""Desk policy for imported estates.

Cloud exports carry desk and team labels but no policy. Imported desks are
open to each other (``may_talk_to`` lists every other desk) until the policy of
a declared estate is applied with ``with_policy``: its desks' ``may_talk_to``,
``isolated`` and ``shared_services`` (matched by desk name) and its intents.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from tradeplane.errors import Location
from tradeplane.estate.model import Desk, Estate

__all__ = ["open_policy", "with_policy"]


def open_policy(desks: list[Desk]) -> list[Desk]:
    names = sorted({d.name for d in desks})
    return [d.model_copy(update={"may_talk_to": tuple(n for n in names if n != d.name)}) for d in desks]


def with_policy(imported: Estate, policy: Estate) -> Estate:
    """The imported estate with the declared desks' policy and the declared intents.

    Intents naming endpoints the import does not have are kept; ``verify`` reports them."""
    declared = {d.name: d for d in policy.desks}
    workloads = {w.name for w in imported.workloads}
    desks = []
    for d in imported.desks:
        src = declared.get(d.name)
        if src is None:
            desks.append(d.model_copy(update={"may_talk_to": ()}))
            continue
        desks.append(d.model_copy(update={
            "may_talk_to": tuple(x for x in src.may_talk_to if x in {e.name for e in imported.desks}),
            "isolated": src.isolated,
            "shared_services": tuple(s for s in src.shared_services if s in workloads)}))
    out = imported.model_copy(update={"desks": tuple(desks), "intents": policy.intents})
    where: dict[tuple[int, str], Location] = {}
    paths: dict[int, str] = {}
    for source in (imported, policy):
        for obj in _objects(source):
            for fld in ("", *type(obj).model_fields):
                loc = source.where(obj, fld)
                if loc is not None and (fld == "" or loc != source.where(obj)):
                    where[(id(obj), fld)] = loc
            paths[id(obj)] = source.path_of(obj)
    out.attach_sources(where, paths)
    return out


def _objects(root: BaseModel) -> Iterator[BaseModel]:
    stack: list[object] = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, BaseModel):
            yield obj
            stack.extend(getattr(obj, f) for f in type(obj).model_fields)
        elif isinstance(obj, tuple):
            stack.extend(obj)
