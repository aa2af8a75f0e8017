"""The network engine's scale estate (``estate.synth.transit_mesh``, the one synthetic builder the
benchmark also uses) is what it claims: sizes, and the designed desk reachability."""

from __future__ import annotations

from tradeplane.estate.model import PortRange
from tradeplane.estate.synth import mesh_count, transit_mesh
from tradeplane.net import Dataplane, matrix, reach


def test_synthetic_estate_sizes_and_design() -> None:
    e = transit_mesh(4, 2, 1)
    vpcs, subnets, rules = mesh_count(e)
    assert (vpcs, subnets) == (12, 120) and rules == 12 * 100
    dp = Dataplane.build(e)
    m = matrix(dp)
    reachable = sorted((a, b) for (a, b), c in m.cells.items() if c.reachable and "internet" not in (a, b))
    assert reachable == sorted({(f"desk{k}", f"desk{(k + d) % 4}") for k in range(4) for d in (1, -1)})
    a = reach(dp, "w-aws-desk0-0-0", "w-aws-desk1-0-0", "tcp", [PortRange(start=7000, end=7000)])
    assert a.verdict == "reachable"
    assert reach(dp, "w-aws-desk0-0-0", "w-aws-desk2-0-0", "tcp").verdict == "unreachable"
