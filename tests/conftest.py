"""Shared fixtures: the repository's example estates, loaded once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


@pytest.fixture(autouse=True, scope="session")
def _state_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Self-serve requests made by any test (their default is ``./.tradeplane``) land in a temporary
    directory, never in the checkout."""
    old = os.environ.get("TRADEPLANE_STATE_DIR")
    os.environ["TRADEPLANE_STATE_DIR"] = str(tmp_path_factory.mktemp("tradeplane-state"))
    yield
    if old is None:
        os.environ.pop("TRADEPLANE_STATE_DIR", None)
    else:
        os.environ["TRADEPLANE_STATE_DIR"] = old
