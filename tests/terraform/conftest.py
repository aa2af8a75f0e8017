from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane.estate import Estate, load
from tradeplane.plan import render_terraform
from tradeplane.terraform import Rendered

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "dv-trading"


@pytest.fixture(scope="session")
def reference_estate() -> Estate:
    return load(REFERENCE)


@pytest.fixture(scope="session")
def reference_rendered(reference_estate: Estate) -> Rendered:
    return render_terraform(reference_estate)
