"""Synthetic colocations of any size, for the migration benchmark and the equivalence tests.

``tradeplane.estate.synth`` (the one synthetic-estate builder) makes networks, subnets and cloud
workloads, but no colocation section; this builder makes one to put into the reference estate
(``examples/dv-trading``: the Aurora site, its Interconnect and the ``gcp-trading`` network).

Shape: the colocation runs *stacks* of ``stack`` workloads, each a small trading system in
dependency order: market-data handlers, strategies reading them, order gateways the strategies
send to, risk the gateways ask, drop copy and monitoring. A workload depends on ``deps`` earlier
members of its stack and, one time in ten, on a workload of the first stack (shared services), so
the graph is a DAG about ``stack`` deep whatever the size. Market-data handlers send a data flow
(``mbps``) to a strategy. Targets use two endpoint classes of ``gcp-trading``: market data in
``futures-data`` tagged ``cme, md``, the rest in ``futures-trading`` tagged ``cme``. Hosts get
addresses in the site's 172.16.0.0/20, 40 to a rack. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["colocation"]

ROLES = ("market-data", "strategy", "order-gateway", "risk", "drop-copy", "monitoring")


def colocation(workloads: int, deps: int = 5, *, stack: int = 20, max_wave: int = 50,
               seed: int = 1, machine_type: str = "n2-standard-8") -> dict[str, Any]:
    """The ``colocation:`` section (plain data) with ``workloads`` workloads and at most ``deps``
    dependencies each (``deps`` 6 and ``stack`` 20 give about 5 a workload); ``max_wave`` is the migration's ``max_wave_workloads``.
    ``ValueError`` beyond 4,000 workloads (the site's /20 holds 4,096 addresses)."""
    if not 1 <= workloads <= 4000:
        raise ValueError(f"{workloads} workloads: the generator makes 1 to 4,000")
    rng = random.Random(seed)
    hosts = [{"name": f"h{i:05d}", "address": f"172.16.{i // 250}.{i % 250 + 1}"} for i in range(workloads)]
    racks = [{"name": f"r{i // 40:04d}", "monthly_usd": 9500, "hosts": hosts[i:i + 40]}
             for i in range(0, workloads, 40)]
    out: list[dict[str, Any]] = []
    for i in range(workloads):
        base = i - i % stack
        pos = i - base
        role = ROLES[min(len(ROLES) - 1, pos * len(ROLES) // stack)]
        earlier = list(range(base, i))
        targets = set(rng.sample(earlier, min(deps, len(earlier))))
        if base and rng.random() < 0.1:
            targets.add(rng.randrange(0, min(stack, workloads)))
        md = role == "market-data"
        w: dict[str, Any] = {
            "name": f"w{i:05d}", "role": role, "desk": "futures", "team": "fut-exec",
            "hosts": [f"h{i:05d}"], "listens_on": [9000], "cutover_minutes": 5,
            "depends_on": [{"workload": f"w{t:05d}", "ports": [9000]} for t in sorted(targets)],
            "target": {"network": "gcp-trading", "subnet": "futures-data" if md else "futures-trading",
                       "machine_type": machine_type, "tags": ["cme", "md"] if md else ["cme"]},
        }
        later = [j for j in range(i + 1, min(base + stack, workloads)) if ROLES.index("strategy")
                 == min(len(ROLES) - 1, (j - base) * len(ROLES) // stack)]
        if md and later:
            w["flows"] = [{"to": f"w{rng.choice(later):05d}", "ports": [9000], "mbps": 5}]
        out.append(w)
    return {"site": "aurora-colo", "racks": racks, "workloads": out,
            "migration": {"venue": "cme-globex", "start": "2026-12-07", "soak_days": 0,
                          "max_wave_workloads": max_wave}}
