"""Every synthetic estate the one builder makes validates and plans (small sizes; benchmarks use big ones)."""

from __future__ import annotations

import pytest
import yaml

from tradeplane import plan
from tradeplane.estate import load_text
from tradeplane.estate.synth import object_count, synthetic


@pytest.mark.parametrize("subnets", [1, 3, 20, 41, 85])
def test_synthetic_estate_validates_and_plans(subnets: int) -> None:
    data = synthetic(subnets)
    e = load_text(yaml.safe_dump(data, sort_keys=False), f"synthetic-{subnets}.yaml")
    assert sum(len(n.subnets) for n in e.networks) == subnets
    assert len(e.workloads) == subnets and e.venues
    if subnets > 40:  # enough networks for a peering pair and a cross-cloud intent
        assert e.links and e.intents
    p = plan.build(e)
    assert p.placement.feasible, [x.render() for x in p.placement.explanations]
    assert not p.dangling
    assert p.terraform.total > subnets
    assert p.blocking == [], p.blocking


def test_synthetic_is_deterministic_and_grows() -> None:
    assert synthetic(60) == synthetic(60)
    assert object_count(synthetic(200)) > 5 * object_count(synthetic(20))
