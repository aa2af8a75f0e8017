"""Shared fixtures: the repository's example estates, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane import estate as est

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def reference_estate() -> est.Estate:
    return est.load(EXAMPLES / "dv-trading")


@pytest.fixture(scope="session")
def small_estate() -> est.Estate:
    return est.load(EXAMPLES / "small")
