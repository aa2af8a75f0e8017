"""The main job at scale: ``plan`` on synthetic estates of 200, 2,000 and 20,000 subnets, stage by stage.

For each size the estate comes from ``tradeplane.estate.synth.synthetic`` (peered AWS VPCs
with routes, security groups and firewall rules, one workload per subnet with latency
budgets to venues, venues and intents), is written as YAML files and loaded, then
``plan.build`` runs every stage. Printed, in one run: each stage's seconds at each size,
its share of the plan, and the growth exponent k between consecutive sizes
(time ~ size^k: 1 is linear, about 1.1 is n log n over a decade, 2 is quadratic).
The ratio of the headline: the whole plan's growth exponent against 1 (linear).

    uv run python benchmarks/plan.py [--sizes 200,2000,20000] [--quick] [--cpu] [--collect]   # --quick: 200 and 2,000
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import tempfile
import time
from pathlib import Path

from tradeplane import collector, plan
from tradeplane import estate as est
from tradeplane.estate.synth import synthetic, write_directory


def run(subnets: int, cpu: bool = False, collect: bool = False) -> dict[str, float]:
    """Seconds per stage at one size: wall clock, or with ``cpu`` this process's CPU time (what the
    machine's other load does not inflate). The cyclic collector is paused for the load and the
    plan, as ``tradeplane plan`` pauses it (``tradeplane.collector``), unless ``collect``."""
    pause = contextlib.nullcontext if collect else collector.paused
    clock = time.process_time if cpu else time.perf_counter
    data = synthetic(subnets)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_directory(data, root)
        with pause():
            start = clock()
            e = est.load(root)
            load_s = clock() - start
    started: dict[str, float] = {}
    took: dict[str, float] = {}

    def on_stage(name: str, seconds: float | None) -> None:
        if seconds is None:
            started[name] = clock()
        else:
            took[name] = clock() - started[name]

    with pause():
        p = plan.build(e, on_stage=on_stage)
    assert not p.dangling and p.placement.feasible, (p.dangling[:3], p.placement.status)
    return {"load": load_s, **took}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200,2000,20000", help="subnet counts, comma-separated")
    parser.add_argument("--quick", action="store_true", help="200 and 2,000 subnets only")
    parser.add_argument("--cpu", action="store_true",
                        help="CPU seconds of this process instead of wall clock (a loaded, shared machine)")
    parser.add_argument("--collect", action="store_true",
                        help="leave the cyclic garbage collector on (a library caller's process; the CLI pauses it)")
    args = parser.parse_args()
    sizes = [200, 2000] if args.quick else [int(x) for x in args.sizes.split(",")]
    plan.build(est.load(Path(__file__).resolve().parents[1] / "examples/small"))  # warm imports and caches
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        results[n] = run(n, args.cpu, args.collect)
        total = sum(results[n].values())
        print(f"{n:>6} subnets: {total:8.2f} s  " + "  ".join(f"{k} {v:.2f}" for k, v in results[n].items()),
              flush=True)
    stages = list(results[sizes[0]])
    print()
    head = f"{'stage':<11}" + "".join(f"{f'{n:,} s':>12}" for n in sizes) + "".join(
        f"{f'k {a}->{b}':>14}" for a, b in itertools.pairwise(sizes)) + f"{'share':>8}"
    print(head)
    big = sizes[-1]
    big_total = sum(results[big].values())
    for st in [*stages, "total"]:
        times = [sum(results[n].values()) if st == "total" else results[n][st] for n in sizes]
        ks = [math.log(max(t2, 1e-6) / max(t1, 1e-6)) / math.log(n2 / n1)
              for (n1, t1), (n2, t2) in itertools.pairwise(zip(sizes, times, strict=True))]
        share = times[-1] / big_total if big_total else 0.0
        print(f"{st:<11}" + "".join(f"{t:12.3f}" for t in times) + "".join(f"{k:14.2f}" for k in ks)
              + f"{share:8.1%}")
    totals = [sum(results[n].values()) for n in sizes]
    if len(sizes) < 2:  # one size: no growth to measure
        print(f"\n{big:,} subnets in {totals[-1]:.1f} s (give two sizes or more for growth exponents)")
        return
    k_all = math.log(totals[-1] / totals[0]) / math.log(sizes[-1] / sizes[0])
    print(f"\nplan growth exponent {sizes[0]:,} -> {big:,} subnets: k = {k_all:.2f} "
          f"(ratio to linear {k_all / 1.0:.2f}); {big:,} subnets in {totals[-1]:.1f} s")


if __name__ == "__main__":
    main()
