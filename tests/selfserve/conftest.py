"""The reference estate in a temporary git repository, and the two headline requests evaluated once
per session (each evaluation plans the patched estate; the original's plan is memoised)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tradeplane.selfserve.roles import Actor
from tradeplane.selfserve.store import Store
from tradeplane.selfserve.workflow import submit

FLOW_INTO_CRYPTO = {"kind": "flow", "src": "eq-strategy", "dst": "coinbase-mm", "ports": [9200],
                    "reason": "hedge crypto exposure from the equities strategy"}
FUTURES_NEAR_CME = {"kind": "workload", "name": "cme-spreader", "desk": "futures", "near": "cme-globex",
                    "venues": ["cme-globex"], "latency_us": 10000, "ports": [9300],
                    "reason": "calendar-spread strategy on Globex"}


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return out.stdout


@pytest.fixture(scope="session")
def estate_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding a copy of examples/dv-trading (one commit)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("estate-repo")
    shutil.copytree(EXAMPLES / "dv-trading", repo / "dv-trading")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=platform", "-c", "user.email=platform@example.invalid", "commit", "-qm", "estate")
    return repo / "dv-trading"


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("selfserve-state")


@pytest.fixture(scope="session")
def submitted(estate_repo: Path, state_dir: Path) -> dict[str, Any]:
    store = Store(state_dir)
    flow = submit(estate_repo, FLOW_INTO_CRYPTO, Actor("erin", "requester"), store)
    workload = submit(estate_repo, FUTURES_NEAR_CME, Actor("fred", "requester"), store)
    return {"store": store, "flow": flow, "workload": workload}
