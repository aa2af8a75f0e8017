"""Request kinds, one module each, discovered (see ``base``)."""

from __future__ import annotations

import importlib
import pkgutil

from tradeplane.selfserve.kinds.base import REGISTRY, Breach, Flow, RequestKind, register

__all__ = ["REGISTRY", "Breach", "Flow", "RequestKind", "discover", "register"]


def discover() -> dict[str, type[RequestKind]]:
    """Import every module of this folder; return the registered kinds by name (sorted)."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(REGISTRY.items()))
