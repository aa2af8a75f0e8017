"""Every synthetic estate the one builder makes validates and plans (small sizes; benchmarks use big ones)."""

from __future__ import annotations

import pytest
import yaml

from tradeplane import plan
from tradeplane.estate import load_text
from tradeplane.estate.synth import object_count, render_mix, synthetic
from tradeplane.terraform import check_references, check_schema


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


def test_the_largest_benchmark_estate_fits_the_default_capacity() -> None:
    """At 20,000 subnets (``benchmarks/plan.py``) the demand per zone and machine family stays within
    the placement capacity table, so the plan benchmark's estate places (a solve there takes
    minutes; this is the arithmetic, from the plain data): AWS workloads sit in their subnet's zone,
    GCP ones spread over their region's zones."""
    from collections import Counter

    from tradeplane.estate import catalog
    from tradeplane.placement import default_capacity, machine_family

    data = synthetic(20_000)
    nets = {n["name"]: n for n in data["networks"]}
    cap = default_capacity()
    aws: Counter[tuple[str, str]] = Counter()
    gcp: Counter[tuple[str, str]] = Counter()
    for w in data["workloads"]:
        net = nets[w["network"]]
        subnet = next(s for s in net["subnets"] if s["name"] == w["subnet"])
        family = machine_family(w["machine_type"])
        if net["cloud"] == "aws":
            assert w["machine_type"].endswith(".large")  # 2 vCPUs
            aws[subnet["zone"], family] += 2
        else:
            assert w["machine_type"].endswith("-standard-4")  # 4 vCPUs
            gcp[subnet["region"], family] += 4
    assert len({f for _, f in aws}) > 1 and len({f for _, f in gcp}) > 1
    for (zone, family), vcpus in aws.items():
        assert vcpus <= cap.vcpus(zone, family), (zone, family, vcpus)
    for (region, family), vcpus in gcp.items():
        zones = [z.name for z in catalog.zones_of(region)]
        assert vcpus <= sum(cap.vcpus(z, family) for z in zones), (region, family, vcpus)


def test_render_mix_renders_schema_clean_and_grows_by_vpc() -> None:
    """The Terraform benchmark's estate: every resource known to the provider schemas, every
    reference resolved, growing with the VPCs."""
    small, large = (load_text(yaml.safe_dump(render_mix(n), sort_keys=False), f"render-{n}.yaml") for n in (2, 4))
    rendered = [plan.render_terraform(e) for e in (small, large)]
    for r in rendered:
        assert check_schema(r) == [] and check_references(r) == []
    assert rendered[1].total - rendered[0].total > 2 * 20  # two more VPCs, each with over 20 resources
