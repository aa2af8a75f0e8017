"""Hijack detectors, one per file, discovered: every module here that defines ``DETECTOR``."""

from __future__ import annotations

import importlib
import pkgutil

from tradeplane.security.bgp.detectors.base import Detector, Finding, RouteView

__all__ = ["DETECTORS", "Detector", "Finding", "RouteView"]


def _discover() -> tuple[Detector, ...]:
    found: list[Detector] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        detector = getattr(module, "DETECTOR", None)
        if detector is not None:
            found.append(detector)
    return tuple(sorted(found, key=lambda d: d.kind))


DETECTORS: tuple[Detector, ...] = _discover()
