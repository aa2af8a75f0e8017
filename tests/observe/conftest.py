"""Fixtures: the reference estate's standard, and a copy with a 60 s scrape interval (cheap promtool runs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane import observe

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "dv-trading"


@pytest.fixture(scope="session")
def standard(reference_estate: est.Estate) -> observe.Standard:
    return observe.compile_standard(reference_estate)


@pytest.fixture(scope="session")
def coarse(reference_estate: est.Estate) -> observe.Standard:
    o = reference_estate.observability
    e = reference_estate.model_copy(update={"observability": o.model_copy(update={"scrape_interval_seconds": 60})})
    return observe.compile_standard(e)


@pytest.fixture
def estate_copy(tmp_path: Path) -> Path:
    """A writable copy of the reference estate (edit its estate.yaml in the test)."""
    dst = tmp_path / "estate"
    shutil.copytree(REFERENCE, dst)
    return dst
