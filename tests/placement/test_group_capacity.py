"""Zonal groups and capacity: the members of one group share their zone's vCPUs.

Regression for the property test's ``('us-south1-a', 'n2', 144) assert 144 <= 128``: the greedy
baseline checked each member of a compact policy against the room left in a zone on its own, so
four n2-standard-32 (128 vCPUs) and one n2-standard-16 (16 vCPUs) each "fitted" a 128-vCPU zone
and were placed there together. Also: placement is reproducible across processes whatever the
string-hash seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

from tradeplane.estate.model import Estate
from tradeplane.placement import (
    Capacity,
    PlacementResult,
    ZoneCapacity,
    build_problem,
    greedy,
    machine_family,
    solve,
)

from .conftest import ROOT, with_workloads, wl

USC1 = ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f")
USS1 = ("us-south1-a", "us-south1-b", "us-south1-c")


def _cap(limits: dict[str, int]) -> Capacity:
    """A hand-built table: n2 and c2 only, in just these zones."""
    return Capacity({z: ZoneCapacity(z, frozenset({"n2", "c2"}), v) for z, v in limits.items()})


def _compact_pair(subnet: str) -> tuple[object, ...]:
    group = {"strategy": "compact", "group": "cg"}
    return (wl("w0", subnet=subnet, machine_type="n2-standard-32", count=4, placement=group),
            wl("w1", subnet=subnet, machine_type="n2-standard-16", count=1, placement=group))


def _vcpus_used(e: Estate, r: PlacementResult) -> Counter[tuple[str, str]]:
    """vCPUs per (zone, family), counted from the result alone (16 or 32 from the machine type name)."""
    used: Counter[tuple[str, str]] = Counter()
    for p in r.workloads:
        w = e.workload(p.workload)
        for z in p.zones:
            used[z, machine_family(w.machine_type)] += int(w.machine_type.rsplit("-", 1)[1])
    return used


def test_compact_members_that_fit_one_by_one_but_not_together_are_infeasible(dv: Estate) -> None:
    # The exact failing situation: us-south1 (subnet futures-dr) with 128 vCPUs of n2 per zone.
    e = with_workloads(dv, *_compact_pair("futures-dr"))  # type: ignore[arg-type]
    cap = _cap(dict.fromkeys(USS1, 128))
    problem = build_problem(e, cap)
    assert problem.item("w0").domain == USS1 and problem.item("w1").domain == USS1
    assert not problem.blockers  # each member alone fits: only the sum does not

    g = greedy(problem, e.name)
    assert g.status == "infeasible"  # it used to claim us-south1-a with 144 vCPUs of n2
    assert [x.message for x in g.explanations] == ["greedy: no zone fits group cg"]

    r = solve(e, capacity=cap)
    assert r.status == "infeasible"
    (why,) = r.explanations
    assert "compact group cg puts w0, w1 in one zone" in why.message
    assert "capacity of n2: 128 vCPUs" in why.message


def test_greedy_moves_the_group_to_a_zone_with_room_for_all_of_it(dv: Estate) -> None:
    # us-central1 is cheaper but holds 128 vCPUs of n2 per zone; us-south1-a holds 256.
    e = with_workloads(dv, *_compact_pair("futures-trading"))  # type: ignore[arg-type]
    cap = _cap({**dict.fromkeys(USC1, 128), "us-south1-a": 256})
    for r in (greedy(build_problem(e, cap, free_subnets=True), e.name), solve(e, capacity=cap, free_subnets=True)):
        assert r.feasible, r.explanations
        assert r.workload("w0").zones == ("us-south1-a",) * 4
        assert r.workload("w1").zones == ("us-south1-a",)
        assert set(r.workload("w0").subnets) == {"futures-dr"}
        assert r.hourly_usd == 4 * 1.833588 + 0.916794
        used = _vcpus_used(e, r)
        assert used == Counter({("us-south1-a", "n2"): 144})
        assert all(v <= cap.vcpus(z, fam) for (z, fam), v in used.items())


def test_group_members_of_one_family_add_up_but_other_families_do_not(dv: Estate) -> None:
    # 128 of n2 and 128 of c2 per zone: 4 x n2-standard-32 plus 4 x c2-standard-8 share one zone.
    group = {"strategy": "compact", "group": "cg"}
    e = with_workloads(dv, wl("w0", machine_type="n2-standard-32", count=4, placement=group),
                       wl("w1", machine_type="c2-standard-8", count=4, placement=group))
    cap = _cap(dict.fromkeys(USC1, 128))
    for r in (greedy(build_problem(e, cap), e.name), solve(e, capacity=cap)):
        assert r.feasible, r.explanations
        assert set(r.workload("w0").zones) == set(r.workload("w1").zones) == {"us-central1-a"}


def test_greedy_keeps_anti_affinity_inside_a_sole_tenant_group(dv: Estate) -> None:
    # One node group is one zone; two of its members that must be apart cannot both be in it.
    group = {"strategy": "sole_tenant", "group": "st"}
    e = with_workloads(dv, wl("a", kind="sole_tenant", machine_type="n2-standard-32",
                              placement={**group, "anti_affinity": ["b"]}),
                       wl("b", kind="sole_tenant", machine_type="n2-standard-32", placement=group))
    cap = _cap(dict.fromkeys(USC1, 4096))
    assert greedy(build_problem(e, cap), e.name).status == "infeasible"  # it used to put both in one zone
    assert solve(e, capacity=cap).status == "infeasible"


_RUN = """
import json, sys
sys.path.insert(0, {tests!r})
from placement.conftest import ROOT, with_workloads, wl
from tradeplane import estate
from tradeplane.placement import Capacity, ZoneCapacity, build_problem, greedy, solve
dv = estate.load(ROOT / "examples" / "dv-trading")
group = {{"strategy": "compact", "group": "cg"}}
extra = [wl("w0", machine_type="n2-standard-32", count=4, placement={{**group, "anti_affinity": ["w2"]}}),
         wl("w1", machine_type="n2-standard-16", count=1, placement=group),
         wl("w2", machine_type="n2-standard-16", count=3, placement={{"anti_affinity": ["w0"]}})]
zones = ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f")
out = []
for limit in (144, 128):
    cap = Capacity({{z: ZoneCapacity(z, frozenset({{"n2", "c2"}}), limit) for z in zones}})
    e = with_workloads(dv, *extra)
    out.append(solve(e, capacity=cap).to_json())
    out.append(greedy(build_problem(e, cap), e.name).to_json())
out.append(solve(dv).to_json())
print(json.dumps(out))
"""


def test_results_do_not_depend_on_the_string_hash_seed() -> None:
    script = _RUN.format(tests=str(ROOT / "tests"))
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                              check=True, timeout=300)
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1]
    feasible, greedy_ok, infeasible, greedy_no, reference = runs[0]
    assert feasible["status"] == "optimal" and greedy_ok["status"] == "feasible"
    assert infeasible["status"] == "infeasible" and greedy_no["status"] == "infeasible"
    assert reference["status"] == "optimal"
