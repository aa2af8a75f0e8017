from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane.estate import Estate, load
from tradeplane.terraform import Rendered, render

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "dv-trading"


@pytest.fixture(scope="session")
def reference_estate() -> Estate:
    return load(REFERENCE)


@pytest.fixture(scope="session")
def reference_rendered(reference_estate: Estate) -> Rendered:
    return render(reference_estate)
