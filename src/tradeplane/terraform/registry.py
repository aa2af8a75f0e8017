"""The registry of resource families: one Python module each, registered by decorator.

As in checkov, a family registers itself when its module is imported and the
renderer discovers every module of ``terraform.aws`` and ``terraform.gcp``;
adding a family is adding a file, never editing a switch.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tradeplane.terraform.stages import Stage

if TYPE_CHECKING:
    from tradeplane.terraform.context import Context

__all__ = ["Family", "families", "family"]

Emit = Callable[["Context"], None]


@dataclass(frozen=True)
class Family:
    """One resource family: which cloud and stage it renders into, and how."""

    name: str
    cloud: str
    stage: Stage
    emit: Emit
    doc: str
    late: bool = False  # runs after every other family (it derives resources from what they rendered)

    @property
    def file(self) -> str:
        """The ``.tf`` file (without suffix) the family writes in its stage."""
        return self.name


_REGISTRY: dict[tuple[str, str], Family] = {}


def family(name: str, *, cloud: str, stage: Stage, late: bool = False) -> Callable[[Emit], Emit]:
    """Register ``emit`` as the family ``name`` of ``cloud`` in ``stage``; a ``late`` family runs
    after all the others, so it can read what they rendered (``ctx.modules``)."""

    def register(emit: Emit) -> Emit:
        key = (cloud, name)
        known = _REGISTRY.get(key)
        if known is not None and known.emit is not emit:
            raise RuntimeError(f"terraform family {cloud}/{name} registered twice")
        _REGISTRY[key] = Family(name, cloud, stage, emit, (emit.__doc__ or "").strip().splitlines()[0], late)
        return emit

    return register


def _discover() -> None:
    for package in ("tradeplane.terraform.aws", "tradeplane.terraform.gcp"):
        pkg = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package}.{info.name}")


def families(cloud: str | None = None) -> tuple[Family, ...]:
    """Every registered family (of one cloud), in stage then name order, late families last."""
    _discover()
    found = (f for f in _REGISTRY.values() if cloud is None or f.cloud == cloud)
    return tuple(sorted(found, key=lambda f: (f.late, f.cloud, f.stage.value, f.name)))
