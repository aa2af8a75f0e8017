from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane import finops

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "dv-trading"
END = date(2026, 11, 24)


@pytest.fixture(scope="session")
def estate() -> est.Estate:
    return est.load(REFERENCE)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory, estate: est.Estate) -> finops.GenerateResult:
    out = tmp_path_factory.mktemp("focus")
    return finops.generate(estate, out, end=END, days=92, seed=7)


@pytest.fixture(scope="session")
def generated_dir(generated: finops.GenerateResult) -> Path:
    return Path(generated.files[0]).parent


@pytest.fixture()
def session(estate: est.Estate, generated: finops.GenerateResult) -> Iterator[finops.CostSession]:
    s = finops.open_session(estate, generated.files)
    yield s
    s.close()
