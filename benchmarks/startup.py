"""Start-up time of each command against the floor, ``python -c pass``.

Every command spends its first moment importing; heavy libraries (OR-Tools, DuckDB, pyarrow,
pandas, websockets) are imported only by the commands that use them, so ``--help`` and
``estate validate`` should start well under a second. Printed: the median wall time of
each command over N runs and its median CPU time (user + system of the child: steadier than
wall time on a shared machine), the floor, and the ratio of each to the floor. Each command
runs once first to warm the bytecode caches.

    uv run python benchmarks/startup.py [--runs 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Bytecode caches on, as on a user's machine (a sandbox may set PYTHONDONTWRITEBYTECODE, which makes
# every run compile every imported module from source); one warm-up run per command fills them.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
COMMANDS: list[list[str]] = [
    ["--help"],
    ["estate", "validate", "examples/small"],
    ["estate", "validate", "examples/dv-trading"],
    ["plan", "--help"],
    ["place", "--help"],
    ["terraform", "--help"],
    ["net", "--help"],
    ["cost", "--help"],
    ["feeds", "--help"],
    ["place", "latency", "us-east-1", "cme-aurora"],
]


def timed(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of ``argv`` over ``runs`` runs."""
    walls, cpus = [], []
    subprocess.run(argv, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 runs of --help and estate validate only")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    commands = COMMANDS[:2] if args.quick else COMMANDS
    floor, floor_cpu = timed([sys.executable, "-c", "pass"], runs)
    print(f"{'command':<45}{'wall s':>9}{'x floor':>9}{'cpu s':>9}{'x floor':>9}")
    print(f"{'python -c pass (floor)':<45}{floor:9.3f}{1.0:9.1f}{floor_cpu:9.3f}{1.0:9.1f}")
    for cmd in commands:
        t, cpu = timed([sys.executable, "-c", "from tradeplane.launch import run; run()", *cmd], runs)
        print(f"{'tradeplane ' + ' '.join(cmd):<45}{t:9.3f}{t / floor:9.1f}{cpu:9.3f}{cpu / max(floor_cpu, 1e-3):9.1f}",
              flush=True)


if __name__ == "__main__":
    main()
