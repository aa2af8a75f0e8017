from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane.estate.model import Estate, Workload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dv() -> Estate:
    return est.load(ROOT / "examples" / "dv-trading")


def with_workloads(e: Estate, *workloads: Workload, keep: bool = False, **changes: object) -> Estate:
    """The estate with these workloads (instead of its own unless ``keep``) and other top-level changes."""
    base = e.workloads if keep else ()
    return e.model_copy(update={"workloads": (*base, *workloads), **changes})


def wl(name: str, **kw: object) -> Workload:
    """A GCP futures workload in us-central1 unless told otherwise."""
    data: dict[str, object] = {"name": name, "desk": "futures", "team": "fut-exec", "network": "gcp-trading",
                               "subnet": "futures-trading", "machine_type": "c2-standard-30"}
    data.update(kw)
    return Workload.model_validate(data)
