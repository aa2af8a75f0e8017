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
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tradeplane import estate as est
from tradeplane.estate.model import Estate
from tradeplane.placement import SolverOptions, build_problem, greedy, solve_problem
from tradeplane.placement.scenarios import capacity_for, mix_estate, recheck, uncapacitated_cost

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scenario:
    name: str
    cheap_share: float  # GCP's cheap zones hold (beyond the reserve) this x its busiest family's demand
    pairs: bool  # some pairs of cost-flexible workloads must sit within 3 ms of each other


SCENARIOS = (Scenario("ample", 1.0, True), Scenario("scarce", 0.4, False), Scenario("tight", 0.2, False),
             Scenario("scarce+pairs", 0.4, True), Scenario("tight+pairs", 0.2, True))


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
        print(f"  re-check: {recheck(e, problem, r)}")
    if g.feasible:
        print(f"greedy baseline: ${g.hourly_usd:,.2f}/h in {t_greedy:.2f} s")
        print(f"  re-check: {recheck(e, problem, g)}")
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


def latency_accuracy() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """For every measured pair shipped: the model's estimate with that pair left out of the fit, against the
    measurement, each with the measurement's basis (source, date), confidence and whether the fit takes it;
    and per basis the median and worst absolute error."""
    from statistics import median

    from tradeplane.placement import figures
    from tradeplane.placement.latency import model_rtt

    rows = [("pair", "measured", "model", "error", "measurement basis", "confidence", "in fit", "model figure")]
    errors: dict[str, list[float]] = {}
    for m in figures.MEASURED:
        est = model_rtt(m.a, m.b, figures.fitted_route(exclude=frozenset((m.a, m.b))))
        err = (est.rtt_us - m.rtt_us) / m.rtt_us
        basis = f"{m.label} {m.as_of}"
        in_fit = "yes" if f"{m.a}-{m.b}" in figures.ROUTE_FIT.pairs else "no"
        rows.append((f"{m.a} <-> {m.b}", f"{m.rtt_us / 1000:,.1f} ms", f"{est.rtt_us / 1000:,.1f} ms", f"{err:+.1%}",
                     basis, m.confidence, in_fit, est.kind))
        errors.setdefault(f"{basis} (in fit: {in_fit})", []).append(abs(err))
    summary = [("measurement basis", "pairs", "median |error|", "worst |error|")]
    summary += [(k, str(len(v)), f"{median(v):.1%}", f"{max(v):.1%}") for k, v in errors.items()]
    return rows, summary


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


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
    base = est.load(ROOT / "examples" / "dv-trading")
    estates = {pairs: mix_estate(base, n, args.seed, pairs) for pairs in (False, True)}
    rows = [run(estates[sc.pairs], sc, args.seed, args.workers, limit) for sc in SCENARIOS
            if args.scenario is None or sc.name in args.scenario]
    head = ("scenario", "CP-SAT", "time", "cost/h", "bound/h", "gap", "greedy/h", "greedy/CP-SAT",
            "premium CP-SAT", "premium greedy", "greedy/CP-SAT premium")
    table = [head, *[row for row in rows if row is not None]]
    widths = [max(len(row[k]) for row in table) for k in range(len(head))]
    print()
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    acc, summary = latency_accuracy()
    print("\nlatency model against every shipped measurement (each pair left out of the fit it is scored on)")
    _table(acc)
    print()
    _table(summary)
    return 0 if all(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
