"""Fixtures: the reference migration plan (computed once) and estates varied from the reference."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tradeplane import estate as est
from tradeplane import migrate
from tradeplane.migrate import MigrationPlan

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "dv-trading"


@pytest.fixture(scope="session")
def reference_plan(reference_estate: est.Estate) -> MigrationPlan:
    return migrate.plan(reference_estate)


Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def variant(tmp_path: Path) -> Callable[[Edit], Path]:
    """A copy of the reference estate whose colocation section ``edit`` changes; returns its directory."""

    def make(edit: Edit) -> Path:
        out = tmp_path / "estate"
        shutil.copytree(REFERENCE, out)
        path = out / "colocation.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(data["colocation"])
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return out

    return make


def workload(colo: dict[str, Any], name: str) -> dict[str, Any]:
    return next(w for w in colo["workloads"] if w["name"] == name)
