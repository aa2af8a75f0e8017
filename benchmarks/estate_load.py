"""Estate loading speed: objects per second through the full loader, against the bare floor.

The floor is what any loader must pay: libyaml parsing plus pydantic validation of
the same files, with no positions, no merging and no cross-reference checks. The
ratio says what our file:line tracking and reference checks cost on top.

    uv run python benchmarks/estate_load.py [--subnets 10000] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from tradeplane import estate as est
from tradeplane.estate.synth import object_count, synthetic, write_directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subnets", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 subnets")
    args = parser.parse_args()
    subnets = 1_000 if args.quick else args.subnets

    data = synthetic(subnets)
    objects = object_count(data)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # One file per section, networks split in chunks, like a real estate directory.
        write_directory(data, root)
        files = sorted(root.glob("*.yaml"))

        t0 = time.perf_counter()
        merged: dict[str, list[object]] = {}
        single: dict[str, object] = {}
        for f in files:
            doc = yaml.load(f.read_text(), Loader=yaml.CSafeLoader)
            for k, v in doc.items():
                if isinstance(v, list):
                    merged.setdefault(k, []).extend(v)
                else:
                    single[k] = v
        est.Estate.model_validate({**single, **merged})
        floor = time.perf_counter() - t0

        t0 = time.perf_counter()
        e = est.load(root)
        ours = time.perf_counter() - t0

    subnet_count = sum(len(n.subnets) for n in e.networks)
    print(f"estate: {len(files)} files, {len(e.networks)} networks, {subnet_count} subnets, "
          f"{len(e.workloads)} workloads, {objects} objects")
    print(f"tradeplane load (positions + refs): {ours:.2f} s = {objects / ours:,.0f} objects/s")
    print(f"floor (libyaml + pydantic only):    {floor:.2f} s = {objects / floor:,.0f} objects/s")
    print(f"ratio: full loader takes {ours / floor:.2f}x the floor")

    ref = Path(__file__).resolve().parents[1] / "examples" / "dv-trading"
    t0 = time.perf_counter()
    for _ in range(5):
        est.load(ref)
    print(f"reference estate dv-trading: {(time.perf_counter() - t0) / 5 * 1000:.1f} ms per load")


if __name__ == "__main__":
    main()
