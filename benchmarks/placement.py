"""Placement benchmark: CP-SAT against a greedy baseline on the same synthetic estates, in one run.

The estate: the reference estate's organisation, desks and venues, plus one AWS VPC per
catalog AWS region (a subnet in every zone) and one global GCP VPC (a subnet in every
catalog GCP region), and N workloads (default 1,000) drawn with a fixed seed. Workloads may
use any subnet of their network with the same tier (``free_subnets``), so a GCP workload
chooses among every catalog GCP zone (regions priced 1.0x to 1.39x by the shipped price
table) and an AWS one among the zones of its VPC's region.

The workloads are a trading firm's mix:
- latency-constrained GCP workloads (order routers, feed handlers: highcpu/standard shapes),
  each with a budget to a venue that admits its nearest priced region only, or the nearest
  two or three (so some can fall back to a dearer region and some cannot); a third come as
  A/B legs with anti-affinity;
- cost-flexible GCP workloads (risk, research: mostly highmem shapes) with no budgets;
- GCP compact placement policies and sole-tenant node groups (research clusters), a third
  of them tied to a venue by a budget on their first member;
- AWS workloads pinned to their VPC's region: budgets to venues, cluster and spread groups,
  anti-affinity pairs; and, in both clouds, budgets between pairs of workloads.

Capacity per zone and machine family: GCP's cheapest regions (us-central1 and us-east1,
multiplier 1.0) hold a planning reserve (1.25x the demand whose budgets admit only that
region) plus a share of GCP's demand for its busiest family that varies per scenario; the
other GCP zones are loose. AWS workloads never leave their VPC's region, where every zone
costs the same, so AWS capacity (2x the region's demand per zone) bears on feasibility only.
Latency-constrained and cost-flexible workloads both want the cheap capacity; the greedy
baseline (zonal groups first, then most constrained first, cheapest zone that fits, never
revisited) hands it out in its own fixed order.

Scenarios: the share is 100 % (ample), 40 % (scarce) and 20 % (tight). Prints for each:
candidate zones and groups, CP-SAT's status, time, cost, bound and optimality gap (cost
phase), the greedy baseline's cost (or "no placement") and the ratio greedy/CP-SAT, a
re-check of every returned placement (budgets, capacity per zone and family, anti-affinity,
replicas placed), then a summary table.

    uv run python benchmarks/placement.py            # 1,000 workloads, 2 workers, 20 s limit per solve
    uv run python benchmarks/placement.py --quick    # 150 workloads, seconds
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tradeplane import estate as est
from tradeplane.estate import catalog
from tradeplane.estate.model import AwsVpc, Estate, GcpVpc, Workload
from tradeplane.estate.prices import price_table
from tradeplane.placement import (
    Capacity,
    PlacementResult,
    Problem,
    Routes,
    SolverOptions,
    ZoneCapacity,
    build_problem,
    check_budgets,
    default_capacity,
    greedy,
    machine_family,
    solve_problem,
)

ROOT = Path(__file__).resolve().parents[1]
AWS_TYPES = ("c6in.2xlarge", "c6in.4xlarge", "c6i.4xlarge", "c7i.2xlarge", "m6i.2xlarge", "m7i.4xlarge",
             "r6i.2xlarge", "c5n.4xlarge")
# Latency-sensitive GCP shapes (compute-optimised, highcpu) and cost-flexible ones (memory-heavy).
GCP_LATENCY_TYPES = ("c2-standard-8", "c2-standard-16", "c2d-highcpu-8", "c2d-highcpu-16", "n2-highcpu-8",
                     "n2-highcpu-16", "n2d-highcpu-16", "c3-highcpu-8", "n2-standard-8")
GCP_FLEX_TYPES = ("n2-highmem-8", "n2-highmem-16", "n2d-highmem-16", "c2d-highmem-8", "e2-highmem-8",
                  "c3-highmem-8", "n2-standard-16", "n2d-standard-16", "e2-standard-8")
VENUES = ("cme-globex", "binance", "coinbase", "bybit", "deribit", "kraken", "okx")
VENUE_WEIGHTS = (4, 1, 3, 1, 1, 1, 1)  # a US-heavy firm: most latency budgets are to CME and Coinbase
DESKS = (("futures", "fut-exec"), ("equities", "eq-exec"), ("research", "research"), ("platform", "sre"))
AWS_SLACK = 2.0  # AWS capacity per zone: this x its region's demand for the busiest family / its zones
RESERVE = 1.25  # cheap zones also hold this x the demand that can go nowhere else, spread over the region
LOOSE = 3.0  # capacity per zone outside the cheap regions: this x the cloud's demand / its zones


@dataclass(frozen=True)
class Scenario:
    name: str
    cheap_share: float  # GCP's cheap zones hold (beyond the reserve) this x its busiest family's demand
    pairs: bool  # some pairs of cost-flexible workloads must sit within 3 ms of each other


SCENARIOS = (Scenario("ample", 1.0, True), Scenario("scarce", 0.4, False), Scenario("tight", 0.2, False),
             Scenario("scarce+pairs", 0.4, True), Scenario("tight+pairs", 0.2, True))
PAIR_RTT_US = 3_000.0  # within one region


def _networks() -> tuple[AwsVpc | GcpVpc, ...]:
    nets: list[AwsVpc | GcpVpc] = []
    aws_regions = sorted(r for r, p in catalog.REGIONS.items() if p.cloud == "aws")
    for i, region in enumerate(aws_regions):
        zones = [z.name for z in catalog.zones_of(region)]
        nets.append(AwsVpc.model_validate({
            "cloud": "aws", "name": f"bench-{region}", "account": "aws-research", "region": region,
            "cidrs": [f"10.{200 + i}.0.0/16"], "route_tables": [{"name": "rt"}],
            "subnets": [{"name": f"s-{z}", "zone": z, "cidr": f"10.{200 + i}.{k}.0/24", "route_table": "rt",
                         "tier": "trading"} for k, z in enumerate(zones)]}))
    gcp_regions = sorted(r for r, p in catalog.REGIONS.items() if p.cloud == "gcp")
    nets.append(GcpVpc.model_validate({
        "cloud": "gcp", "name": "bench-gcp", "project": "gcp-net-host",
        "subnets": [{"name": f"s-{r}", "region": r, "cidr": f"10.190.{k}.0/24", "tier": "trading"}
                    for k, r in enumerate(gcp_regions)]}))
    return tuple(nets)


def _zones_of(nets: tuple[AwsVpc | GcpVpc, ...], network: str) -> list[str]:
    net = next(x for x in nets if x.name == network)
    if isinstance(net, AwsVpc):
        return [s.zone for s in net.subnets]
    return [z.name for s in net.subnets for z in catalog.zones_of(s.region)]


def cheap_regions(cloud: str) -> frozenset[str]:
    """The regions of a cloud at its lowest price multiplier (the shipped price table)."""
    mult: dict[str, float] = price_table().data[cloud]["region_multiplier"]
    regions = [r for r, p in catalog.REGIONS.items() if p.cloud == cloud and r in mult]
    low = min(mult[r] for r in regions)
    return frozenset(r for r in regions if mult[r] == low)


def _region_budget(rng: random.Random, routes: Routes, zones: list[str], venue: str, family: str) -> float:
    """A venue budget that admits the nearest region offering ``family`` only, or the nearest two or
    three: the round trip (along the estate's declared path) from the k-th nearest region's best zone,
    plus 2 %."""
    best: dict[str, float] = {}
    for z in zones:
        if default_capacity().offers(z, family):
            r = catalog.region_of(z)
            best[r] = min(best.get(r, math.inf), routes.rtt(z, venue).rtt_us)
    ranked = sorted(best.values())
    k = rng.choices((0, 1, 2), (0.4, 0.35, 0.25))[0]
    return float(math.ceil(ranked[min(k, len(ranked) - 1)] * 1.02))


def _near_budget(rng: random.Random, routes: Routes, zones: list[str], venue: str, family: str) -> float:
    """A budget between the best the zones can do and half as much again."""
    best = min(routes.rtt(z, venue).rtt_us for z in zones if default_capacity().offers(z, family))
    return float(math.ceil(best * rng.uniform(1.05, 1.5)))


def synthetic_estate(n: int, seed: int = 7, pairs: bool = True) -> Estate:
    """N workloads drawn with ``seed``; without ``pairs`` the same draw minus the budgets between
    pairs of cost-flexible workloads."""
    rng = random.Random(seed)
    base = est.load(ROOT / "examples" / "dv-trading")
    routes = Routes(base)
    nets = _networks()
    aws_nets = [x for x in nets if isinstance(x, AwsVpc)]
    gcp_regions = sorted(r for r, p in catalog.REGIONS.items() if p.cloud == "gcp")
    gcp_zones = _zones_of(nets, "bench-gcp")
    workloads: list[dict[str, object]] = []
    names = [f"w{i:04d}" for i in range(n)]
    i = 0
    group_no = 0

    def venue() -> str:
        return rng.choices(VENUES, VENUE_WEIGHTS)[0]

    while i < n:
        desk, team = rng.choice(DESKS)
        roll = rng.random()
        size = 1
        placement: dict[str, object] = {}
        budgets: list[dict[str, object]] = []
        common: dict[str, object] = {"desk": desk, "team": team}
        if rng.random() < 0.6:
            network, subnet = "bench-gcp", f"s-{rng.choice(gcp_regions)}"
            common |= {"network": network, "subnet": subnet}
            if roll < 0.12:  # a research cluster: a compact policy or a sole-tenant node group
                size = min(n - i, rng.randint(2, 5))
                group_no += 1
                if rng.random() < 0.8:
                    placement = {"strategy": "compact", "group": f"g{group_no}"}
                    mtype = rng.choice(("c2-standard-8", "c2-standard-16", "n2-standard-8", "n2d-standard-16"))
                else:
                    placement = {"strategy": "sole_tenant", "group": f"g{group_no}"}
                    mtype = "n2-standard-16"
                if rng.random() < 0.35:
                    v = venue()
                    budgets.append({"to": v, "rtt_us": _region_budget(rng, routes, gcp_zones, v, machine_family(mtype))})
            elif roll < 0.52:  # latency-constrained: a budget to one venue, maybe A/B legs
                mtype = rng.choice(GCP_LATENCY_TYPES)
                v = venue()
                budgets.append({"to": v, "rtt_us": _region_budget(rng, routes, gcp_zones, v, machine_family(mtype))})
                if rng.random() < 0.33 and n - i >= 2:
                    size = 2
            else:  # cost-flexible
                mtype = rng.choice(GCP_FLEX_TYPES)
        else:
            vpc = rng.choice(aws_nets)
            network, subnet = vpc.name, rng.choice(vpc.subnets).name
            common |= {"network": network, "subnet": subnet}
            mtype = rng.choice(AWS_TYPES)
            if roll < 0.15:  # a cluster placement group of 2-5 workloads
                size = min(n - i, rng.randint(2, 5))
                group_no += 1
                placement = {"strategy": "cluster", "group": f"g{group_no}"}
            elif roll < 0.20:
                size = min(n - i, rng.randint(2, 3))
                group_no += 1
                placement = {"strategy": "spread", "group": f"g{group_no}"}
            if rng.random() < 0.35:
                v = venue()
                budgets.append({"to": v, "rtt_us": _near_budget(rng, routes, _zones_of(nets, network), v,
                                                                 machine_family(mtype))})
        sole = placement.get("strategy") == "sole_tenant"
        legs = size == 2 and not placement
        for k in range(size):
            name = names[i + k]
            mine: list[dict[str, object]] = [dict(b) for b in budgets] if k == 0 or legs else []
            if k > 0 and placement.get("strategy") in ("cluster", "compact") and rng.random() < 0.5:
                mine.append({"to": names[i], "rtt_us": 100.0})
            pl = dict(placement)
            if legs:
                pl = {"anti_affinity": [names[i + 1 - k]]}
            w: dict[str, object] = {"name": name, **common, "machine_type": mtype,
                                    "count": 1 if sole else rng.randint(1, 4), "placement": pl,
                                    "latency_budgets": mine}
            if sole:
                w["kind"] = "sole_tenant"
            workloads.append(w)
        i += size
    # Budgets and anti-affinity between ungrouped, unbudgeted workloads of one network.
    by_net: dict[str, list[dict[str, object]]] = {}
    for w in workloads:
        if not w["placement"] and not w["latency_budgets"]:
            by_net.setdefault(str(w["network"]), []).append(w)
    for members in by_net.values():
        rng.shuffle(members)
        for a, b in zip(members[0::2], members[1::2], strict=False):
            r = rng.random()
            if r < 0.2:
                a["placement"] = {"anti_affinity": [b["name"]]}
            elif r < 0.35 and pairs:
                a["latency_budgets"] = [*a["latency_budgets"], {"to": b["name"], "rtt_us": PAIR_RTT_US}]  # type: ignore[misc]
    wl = tuple(Workload.model_validate(w) for w in workloads)
    return base.model_copy(update={"networks": nets, "workloads": wl, "guardrails": (), "name": f"bench-{n}"})


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


def verify(e: Estate, problem: Problem, r: PlacementResult) -> str:
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


def run(e: Estate, sc: Scenario, seed: int, workers: int, limit: float) -> tuple[str, ...] | None:
    """One scenario: both solvers on the same problem; the summary row, or None if CP-SAT found nothing."""
    t0 = time.perf_counter()
    problem = build_problem(e, capacity_for(e, sc.cheap_share), free_subnets=True)
    t_build = time.perf_counter() - t0
    zones, groups = problem.zones, problem.groups
    replicas = sum(i.count for i in problem.items)
    floor = uncapacitated_cost(problem)
    print(f"\n== {sc.name}: GCP's cheap regions hold {sc.cheap_share:.0%} of the busiest family's demand "
          f"beyond the reserve; {'with' if sc.pairs else 'no'} 3 ms budgets between cost-flexible pairs\n"
          f"   {len(problem.items)} workloads ({replicas} replicas), {len(zones)} candidate zones + "
          f"{len(groups)} placement groups = {len(zones) + len(groups)} candidates (built in {t_build:.2f} s); "
          f"cost with unlimited capacity ${floor:,.2f}/h")
    if problem.blockers:
        print("synthetic problem is infeasible before solving:", problem.blockers[0].render())
        return None
    t1 = time.perf_counter()
    g = greedy(problem, e.name)
    t_greedy = time.perf_counter() - t1
    opts = SolverOptions(workers=workers, seed=seed, max_deterministic_time=1e9, time_limit_s=limit,
                         latency_phase=False)
    t2 = time.perf_counter()
    r = solve_problem(problem, e.name, opts, free_subnets=True)
    t_solve = time.perf_counter() - t2
    print(f"CP-SAT ({workers} workers, {limit:.0f} s limit): {r.status} in {t_solve:.1f} s, "
          f"cost ${r.hourly_usd:,.2f}/h, bound ${r.bound_hourly_usd:,.2f}/h, optimality gap {r.gap:.3%}")
    if r.feasible:
        print(f"  re-check: {verify(e, problem, r)}")
    if g.feasible:
        print(f"greedy baseline: ${g.hourly_usd:,.2f}/h in {t_greedy:.2f} s")
        print(f"  re-check: {verify(e, problem, g)}")
    else:
        print(f"greedy baseline: NO placement in {t_greedy:.2f} s ({g.explanations[0].message})")
    ratio, premium = "n/a", "n/a"
    if r.feasible and g.feasible:
        ratio = f"{g.hourly_usd / r.hourly_usd:.4f}"
        print(f"ratio greedy/CP-SAT cost = {ratio} (CP-SAT saves ${g.hourly_usd - r.hourly_usd:,.2f}/h); greedy is "
              f"{(g.hourly_usd - r.bound_hourly_usd) / g.hourly_usd:.3%} above the proven lower bound")
        if r.hourly_usd - floor > 0.005:
            premium = f"{(g.hourly_usd - floor) / (r.hourly_usd - floor):.2f}"
            print(f"scarcity premium over unlimited capacity: CP-SAT ${r.hourly_usd - floor:,.2f}/h, greedy "
                  f"${g.hourly_usd - floor:,.2f}/h (ratio {premium})")
    elif r.feasible:
        print("ratio greedy/CP-SAT cost = n/a: greedy found no placement where CP-SAT found "
              f"{'the optimum' if r.status == 'optimal' else 'one'}")
    if not r.feasible:
        return None
    return (sc.name, r.status, f"{t_solve:.1f} s", f"${r.hourly_usd:,.2f}", f"${r.bound_hourly_usd:,.2f}",
            f"{r.gap:.3%}", f"${g.hourly_usd:,.2f}" if g.feasible else "no placement", ratio,
            f"${abs(round(r.hourly_usd - floor, 2)):,.2f}" if r.feasible else "n/a",
            f"${abs(round(g.hourly_usd - floor, 2)):,.2f}" if g.feasible else "n/a", premium)


def latency_accuracy() -> list[tuple[str, ...]]:
    """For every measured pair shipped: the model's estimate with that pair left out, against the measurement."""
    from tradeplane.placement import figures
    from tradeplane.placement.latency import model_rtt

    rows = [("pair", "measured", "model", "error", "basis of the model figure")]
    for m in figures.MEASURED:
        est = model_rtt(m.a, m.b, figures.fitted_route(exclude=frozenset((m.a, m.b))))
        err = (est.rtt_us - m.rtt_us) / m.rtt_us
        rows.append((f"{m.a} <-> {m.b}", f"{m.rtt_us / 1000:,.1f} ms", f"{est.rtt_us / 1000:,.1f} ms", f"{err:+.1%}",
                     est.kind))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="150 workloads, 10 s limit")
    ap.add_argument("--workloads", type=int, default=None)
    ap.add_argument("--time-limit", type=float, default=None, help="CP-SAT wall-clock seconds per solve")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scenario", choices=[s.name for s in SCENARIOS], action="append", default=None,
                    help="run only these scenarios (repeatable; default: all)")
    args = ap.parse_args(argv)
    n = args.workloads or (150 if args.quick else 1000)
    limit = args.time_limit or (10.0 if args.quick else 20.0)
    estates = {pairs: synthetic_estate(n, args.seed, pairs) for pairs in (False, True)}
    rows = [run(estates[sc.pairs], sc, args.seed, args.workers, limit) for sc in SCENARIOS
            if args.scenario is None or sc.name in args.scenario]
    head = ("scenario", "CP-SAT", "time", "cost/h", "bound/h", "gap", "greedy/h", "greedy/CP-SAT",
            "premium CP-SAT", "premium greedy", "greedy/CP-SAT premium")
    table = [head, *[row for row in rows if row is not None]]
    widths = [max(len(row[k]) for row in table) for k in range(len(head))]
    print()
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    acc = latency_accuracy()
    widths = [max(len(row[k]) for row in acc) for k in range(len(acc[0]))]
    print("\nlatency model against every shipped measurement (each pair left out of the fit it is scored on)")
    for row in acc:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0 if all(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
