"""Incremental per-wave proofs give the whole-stage verdicts, wave by wave.

``plan(estate)`` proves each stage from the previous one, checking only what its wave changes;
``plan(estate, incremental=False)`` re-proves every stage whole. On the reference estate and on a
synthetic colocation (``tradeplane.migrate.synth``) with blocked crossings that appear and go away,
every check of every wave must say the same (verdict and each problem line), and the Terraform
resources each wave adds and removes must be the same.
"""

from __future__ import annotations

import shutil
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml

from tradeplane import estate as est
from tradeplane import migrate
from tradeplane.migrate import MigrationPlan
from tradeplane.migrate.synth import colocation

from .conftest import REFERENCE


def verdicts(p: MigrationPlan) -> list[tuple[tuple[str, ...], dict[str, tuple[bool, tuple[str, ...]]]]]:
    return [(w.wave.workloads, {c.name: (c.ok, c.problems) for c in w.checks}) for w in p.waves]


def terraform(p: MigrationPlan) -> list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    return [(w.terraform.added, w.terraform.removed, w.terraform.changed) for w in p.waves]


def test_reference_incremental_equals_whole(reference_plan: MigrationPlan, reference_estate: est.Estate) -> None:
    whole = migrate.plan(reference_estate, incremental=False)
    assert all(w.proof.mode.startswith("incremental") for w in reference_plan.waves)
    assert all(w.proof.mode == "whole stage" for w in whole.waves)
    assert verdicts(reference_plan) == verdicts(whole)
    assert terraform(reference_plan) == terraform(whole)


def _synthetic(tmp_path: Path) -> est.Estate:
    data: dict[str, Any] = colocation(18, 3, stack=6, max_wave=4, seed=7)
    # Every fifth strategy, gateway or risk workload lands without the 'cme' tag: the colocation's
    # firewall rule (allow-colo-orders) no longer admits its crossing flows, so the waves that move
    # it are blocked until what talks to it from the colocation has moved too.
    for i, w in enumerate(data["workloads"]):
        if w["role"] != "market-data" and i % 5 == 0:
            w["target"]["tags"] = ["fut"]
    out = tmp_path / "estate"
    shutil.copytree(REFERENCE, out)
    (out / "colocation.yaml").write_text(yaml.safe_dump({"colocation": data}, sort_keys=False), encoding="utf-8")
    return est.load(out)


@pytest.mark.slow
def test_synthetic_incremental_equals_whole(tmp_path: Path) -> None:
    e = _synthetic(tmp_path)
    inc = migrate.plan(e)
    whole = migrate.plan(e, incremental=False)
    assert verdicts(inc) == verdicts(whole)
    assert terraform(inc) == terraform(whole)
    # The comparison is not vacuous: most waves were proven incrementally, some blocked by a crossing
    # flow, and a blocking finding of one wave is gone in a later one (its colocation end moved).
    modes = [w.proof.mode for w in inc.waves]
    assert modes.count("incremental") >= len(modes) // 2, modes
    blocked = [{p for c in w.checks if c.name == "network" for p in c.problems} for w in inc.waves]
    assert any(b and w.proof.mode == "incremental" for b, w in zip(blocked, inc.waves, strict=True))
    assert any(a - b for a, b in pairwise(blocked)), blocked
