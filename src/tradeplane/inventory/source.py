"""Where an analysis reads its estate from: an estate directory, or ``aws:DIR`` / ``gcp:DIR`` exports."""

from __future__ import annotations

from pathlib import Path

from tradeplane import estate as est
from tradeplane.estate.model import Estate
from tradeplane.inventory.aws import import_aws
from tradeplane.inventory.gcp import import_gcp

__all__ = ["load_any"]


def load_any(spec: str) -> Estate:
    """An estate from YAML, or imported from ``aws:DIR`` / ``gcp:DIR`` exports (``InputError`` /
    ``EstateError`` on bad input, naming file and line)."""
    if spec.startswith("aws:"):
        return import_aws(Path(spec[4:])).estate
    if spec.startswith("gcp:"):
        return import_gcp(Path(spec[4:])).estate
    return est.load(Path(spec))
