"""Where an analysis reads its estate from: an estate directory, or ``aws:DIR`` / ``gcp:DIR`` exports."""

from __future__ import annotations

import re
from pathlib import Path

from tradeplane import estate as est
from tradeplane.estate.model import Estate
from tradeplane.inventory.aws import import_aws
from tradeplane.inventory.gcp import import_gcp

__all__ = ["load_any", "load_with_notes", "skipped_note"]


def load_any(spec: str) -> Estate:
    """An estate from YAML, or imported from ``aws:DIR`` / ``gcp:DIR`` exports (``InputError`` /
    ``EstateError`` on bad input, naming file and line)."""
    return load_with_notes(spec)[0]


def load_with_notes(spec: str) -> tuple[Estate, list[str]]:
    """``load_any`` and the import's notes (``file:line:col: what was skipped or not modelled``; none for
    an estate directory), so a caller can say why a name it was given is not in the estate."""
    if spec.startswith("aws:"):
        r = import_aws(Path(spec[4:]))
        return r.estate, r.notes
    if spec.startswith("gcp:"):
        r = import_gcp(Path(spec[4:]))
        return r.estate, r.notes
    return est.load(Path(spec)), []


def skipped_note(notes: list[str], name: str) -> str | None:
    """The import note that says ``name`` (a cloud id such as ``i-0abc``) was skipped, if any."""
    pattern = re.compile(rf"[:\s]{re.escape(name)}: skipped")
    return next((n for n in notes if pattern.search(n)), None)
