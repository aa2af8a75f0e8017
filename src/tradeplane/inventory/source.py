"""Where an analysis reads its estate from: an estate directory, or ``aws:DIR`` / ``gcp:DIR`` exports."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from tradeplane import estate as est
from tradeplane.errors import InputError
from tradeplane.estate.model import Estate
from tradeplane.inventory.aws import import_aws
from tradeplane.inventory.gcp import import_gcp

__all__ = ["load_any", "load_with_notes", "refuse_skipped"]


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


def refuse_skipped(estate: Estate, notes: list[str], names: Iterable[str]) -> None:
    """``InputError`` when one of ``names`` is not a workload of ``estate`` because the import skipped it
    (a stopped instance, say): one line quoting the import note, which names the export's file and line,
    instead of the resolver's "names nothing"."""
    workloads = {w.name for w in estate.workloads}
    for name in names:
        if name in workloads:
            continue
        pattern = re.compile(rf"[:\s]{re.escape(name)}: skipped")
        note = next((n for n in notes if pattern.search(n)), None)
        if note is not None:
            raise InputError.single(f"'{name}' is in the export but was not imported: {note}",
                                    hint="only live endpoints are reachable; ask about a running one")
