"""The benchmark's synthetic estate is what it claims: sizes, and the designed desk reachability."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tradeplane.estate.model import PortRange
from tradeplane.net import Dataplane, matrix, reach

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("net_verify_bench", ROOT / "benchmarks/net_verify.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_estate_sizes_and_design() -> None:
    bench = _bench()
    e = bench.synthetic(4, 2, 1)  # type: ignore[attr-defined]
    vpcs, subnets, rules = bench.count(e)  # type: ignore[attr-defined]
    assert (vpcs, subnets) == (12, 120) and rules == 12 * 100
    dp = Dataplane.build(e)
    m = matrix(dp)
    reachable = sorted((a, b) for (a, b), c in m.cells.items() if c.reachable and "internet" not in (a, b))
    assert reachable == sorted({(f"desk{k}", f"desk{(k + d) % 4}") for k in range(4) for d in (1, -1)})
    a = reach(dp, "w-aws-desk0-0-0", "w-aws-desk1-0-0", "tcp", [PortRange(start=7000, end=7000)])
    assert a.verdict == "reachable"
    assert reach(dp, "w-aws-desk0-0-0", "w-aws-desk2-0-0", "tcp").verdict == "unreachable"
