"""Capacity scenarios for synthetic placement problems, and a re-check of any placement from scratch.

What ``benchmarks/placement.py`` and its tests share (tests and benchmarks import the package,
never each other): the benchmark estate (``mix_estate``: ``estate.synth.placement_mix`` with this
package's latency model and capacity table), a demand-derived capacity per scenario
(``capacity_for``), the cost with unlimited capacity (``uncapacitated_cost``, a lower bound) and
``recheck`` (budgets, capacity, anti-affinity, replicas placed).
"""

from __future__ import annotations

import math
from collections import Counter

from tradeplane.estate import catalog
from tradeplane.estate.model import AwsVpc, Estate, Workload
from tradeplane.estate.prices import price_table
from tradeplane.estate.synth import placement_mix
from tradeplane.placement.budgets import check_budgets
from tradeplane.placement.capacity import Capacity, ZoneCapacity, default_capacity, machine_family
from tradeplane.placement.paths import Routes
from tradeplane.placement.problem import Problem, build_problem
from tradeplane.placement.result import PlacementResult

__all__ = ["AWS_SLACK", "LOOSE", "RESERVE", "capacity_for", "cheap_regions", "mix_estate", "recheck",
           "uncapacitated_cost"]

AWS_SLACK = 2.0  # AWS capacity per zone: this x its region's demand for the busiest family / its zones
RESERVE = 1.25  # cheap zones also hold this x the demand that can go nowhere else, spread over the region
LOOSE = 3.0  # capacity per zone outside the cheap regions: this x the cloud's demand / its zones


def mix_estate(base: Estate, n: int, seed: int = 7, pairs: bool = True) -> Estate:
    """``estate.synth.placement_mix`` on ``base`` (the reference estate) with the round trips of
    ``Routes(base)`` and the offers of the default capacity table."""
    routes = Routes(base)
    capacity = default_capacity()
    return placement_mix(base, n, rtt=lambda z, v: routes.rtt(z, v).rtt_us, offers=capacity.offers,
                         family=machine_family, seed=seed, pairs=pairs)


def cheap_regions(cloud: str) -> frozenset[str]:
    """The regions of a cloud at its lowest price multiplier (the shipped price table)."""
    mult: dict[str, float] = price_table().data[cloud]["region_multiplier"]
    regions = [r for r, p in catalog.REGIONS.items() if p.cloud == cloud and r in mult]
    low = min(mult[r] for r in regions)
    return frozenset(r for r in regions if mult[r] == low)


def _vcpus(e: Estate, w: Workload) -> int:
    if w.kind == "sole_tenant":
        return 80
    if e.network(w.network).cloud == "aws":
        return 2 * {"2xlarge": 4, "4xlarge": 8}.get(w.machine_type.partition(".")[2], 4)
    return int(w.machine_type.rsplit("-", 1)[1])


def capacity_for(e: Estate, cheap_share: float) -> Capacity:
    """vCPUs per zone and family. GCP: the cheap regions' zones share ``cheap_share`` x GCP's demand
    for its busiest family; other zones get ``LOOSE`` x that demand / GCP's zones (at least the
    biggest group). AWS, where a workload never leaves its VPC's region and every zone of a region
    costs the same: ``AWS_SLACK`` x the region's demand for its busiest family / its zones (at least
    the biggest group), so AWS capacity bears on feasibility, not on cost."""
    demand: Counter[tuple[str, str]] = Counter()  # (cloud or AWS region, family) -> vCPUs
    group_need: Counter[tuple[str, str]] = Counter()
    for w in e.workloads:
        net = e.network(w.network)
        key = net.region if isinstance(net, AwsVpc) else net.cloud
        v = _vcpus(e, w) * w.count
        demand[key, machine_family(w.machine_type)] += v
        if w.placement.group:
            group_need[w.placement.group, machine_family(w.machine_type)] += v
    biggest_group = max(group_need.values(), default=0)
    floor = max(160, biggest_group)

    def top(key: str) -> int:
        return max((v for (k, _), v in demand.items() if k == key), default=0)

    base = default_capacity()
    gcp_zones = [z for z in base.zones if catalog.ZONES[z].cloud == "gcp"]
    gcp_cheap = [z for z in gcp_zones if catalog.region_of(z) in cheap_regions("gcp")]
    # The planning reserve: what has no other region to go to (budgets to a venue near one cheap region).
    roomy = Capacity({z: ZoneCapacity(z, c.families, 10**9) for z, c in base.zones.items()})
    pinned: Counter[tuple[str, str]] = Counter()
    for it in build_problem(e, roomy, free_subnets=True).items:
        regions = {catalog.region_of(z) for z in it.domain}
        if it.cloud == "gcp" and len(regions) == 1 and regions <= cheap_regions("gcp"):
            pinned[regions.pop(), it.family] += it.vcpus * it.count
    zones: dict[str, ZoneCapacity] = {}
    for z, c in sorted(base.zones.items()):
        region = catalog.region_of(z)
        if catalog.ZONES[z].cloud == "gcp":
            if z in gcp_cheap:
                n_region = len(catalog.zones_of(region))
                limit = (math.ceil(RESERVE * max((v for (r, _), v in pinned.items() if r == region), default=0)
                                   / n_region) + math.ceil(cheap_share * top("gcp") / len(gcp_cheap)))
            else:
                limit = max(floor, math.ceil(LOOSE * top("gcp") / len(gcp_zones)))
        else:
            limit = max(floor, math.ceil(AWS_SLACK * top(region) / len(catalog.zones_of(region))))
        zones[z] = ZoneCapacity(z, c.families, limit)
    return Capacity(zones, "benchmark: demand-derived", "")


def uncapacitated_cost(problem: Problem) -> float:
    """The cost with unlimited capacity: each zonal group in its cheapest common zone, every other
    replica in its cheapest candidate zone (a lower bound that anti-affinity and budgets between
    workloads do not raise here: every region has several zones at one price)."""
    items = {i.name: i for i in problem.items}
    total = 0.0
    grouped: set[str] = set()
    for g in problem.groups:
        if g.strategy not in ("cluster", "compact", "sole_tenant") or not g.domain:
            continue
        members = [items[m] for m in g.members]
        grouped.update(g.members)
        if g.strategy == "sole_tenant":
            total += min(g.node_hourly_by_zone[z] for z in g.domain)
        else:
            total += min(sum(m.hourly_by_zone[z] * m.count for m in members) for z in g.domain)
    for it in problem.items:
        if it.name not in grouped:
            total += it.count * min(it.hourly_by_zone[z] for z in it.domain)
    return total


def recheck(e: Estate, problem: Problem, r: PlacementResult) -> str:
    """Re-check a returned placement from scratch: every budget, vCPUs per zone and family against
    the capacity (sole-tenant groups count their nodes), anti-affinity, and every replica placed."""
    findings = check_budgets(e, r)
    broken = sum(not f.met for f in findings)
    used: Counter[tuple[str, str]] = Counter()
    sole = {g.name: g for g in problem.groups if g.strategy == "sole_tenant"}
    items = {i.name: i for i in problem.items}
    zones_of = {p.workload: p.zones for p in r.workloads}
    unplaced = sum(1 for i in problem.items if len(zones_of.get(i.name, ())) != i.count)
    for p in r.workloads:
        it = items[p.workload]
        if it.group in sole:
            continue
        for z in p.zones:
            used[z, it.family] += it.vcpus
    for gp in r.groups:
        if gp.name in sole and gp.zones:
            g = sole[gp.name]
            used[gp.zones[0], machine_family(g.node_type)] += g.nodes * g.node_vcpus
    over = sum(1 for (z, f), v in used.items() if v > problem.capacity.vcpus(z, f))
    clash = sum(1 for it in problem.items for o in it.anti_affinity
                if set(zones_of.get(it.name, ())) & set(zones_of.get(o, ())))
    ok = "ok" if not (broken or over or clash or unplaced) else "VIOLATED"
    return (f"{ok}: budgets {len(findings) - broken}/{len(findings)} met, capacity exceeded in {over} of "
            f"{len(used)} zone-families, anti-affinity clashes {clash}, replicas unplaced {unplaced}")
