"""Start-up time of each command against the floor, ``python -c pass``.

Every command spends its first moment importing; heavy libraries (OR-Tools, DuckDB, pyarrow,
pandas, websockets) are imported only by the commands that use them, so ``--help`` and
``estate validate`` should start well under a second. Printed: the median wall time of
each command over N runs, the floor, and the ratio of each to the floor.

    uv run python benchmarks/startup.py [--runs 5] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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


def timed(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 runs of --help and estate validate only")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    commands = COMMANDS[:2] if args.quick else COMMANDS
    floor = timed([sys.executable, "-c", "pass"], runs)
    print(f"{'command':<45}{'median s':>10}{'x floor':>10}")
    print(f"{'python -c pass (floor)':<45}{floor:10.3f}{1.0:10.1f}")
    for cmd in commands:
        t = timed([sys.executable, "-c", "from tradeplane.cli import run; run()", *cmd], runs)
        print(f"{'tradeplane ' + ' '.join(cmd):<45}{t:10.3f}{t / floor:10.1f}", flush=True)


if __name__ == "__main__":
    main()
