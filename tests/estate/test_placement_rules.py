"""`estate validate` rejects what `place` and `plan` reject: placement strategies per cloud, sole-tenant on AWS."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeplane.errors import EstateError
from tradeplane.estate import load_text

SMALL = (Path(__file__).resolve().parents[2] / "examples/small/estate.yaml").read_text()
ANCHOR = "    machine_type: c6i.4xlarge\n"


@pytest.mark.parametrize(("extra", "message"), [
    ("    placement: {strategy: compact}\n",
     r"e\.yaml:\d+:\d+: workloads\[0\]\.placement\.strategy: workload 'strategy' is on aws but asks for "
     r"placement strategy 'compact' \(hint: on aws use cluster, spread or partition\)"),
    ("    kind: sole_tenant\n",
     r"e\.yaml:\d+:\d+: workloads\[0\]\.kind: workload 'strategy' is sole_tenant but on aws"),
])
def test_validation_rejects_what_placement_rejects(extra: str, message: str) -> None:
    assert ANCHOR in SMALL
    with pytest.raises(EstateError, match=message):
        load_text(SMALL.replace(ANCHOR, ANCHOR + extra), "e.yaml")


def test_a_group_spanning_clouds_is_an_estate_error() -> None:
    text = SMALL.replace(ANCHOR, ANCHOR + "    placement: {strategy: spread, group: g}\n")
    text = text.replace("workloads:\n", "workloads:\n  - {name: gcp-side, desk: futures, team: exec, network: gcp-trading, "
                                        "subnet: trading, machine_type: n2-standard-4, "
                                        "placement: {strategy: spread, group: g}}\n", 1)
    with pytest.raises(EstateError, match=r"placement group 'g' has members on .* a group is in one cloud"):
        load_text(text, "e.yaml")
