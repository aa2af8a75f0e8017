"""Waves: move units ordered so that what a workload needs moves no later than it does.

Each unit gets a level: 0 when it needs no other colocation unit, else one more than the highest
level it needs (the dependency graph's longest path down). Waves take the units of one level in
name order, at most ``max_wave_workloads`` workloads each (a larger unit gets a wave of its own).
So a consumer never moves before its producer, and within a wave every glued set moves at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from tradeplane.migrate.units import Unit, Units

__all__ = ["Wave", "order_waves"]


@dataclass(frozen=True)
class Wave:
    number: int  # 1-based
    level: int
    units: tuple[Unit, ...]

    @property
    def workloads(self) -> tuple[str, ...]:
        return tuple(sorted(m for u in self.units for m in u.members))

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "level": self.level, "workloads": list(self.workloads),
                "units": [u.to_json() for u in self.units]}


def order_waves(units: Units, max_wave_workloads: int) -> list[Wave]:
    """The waves, in order; ``units.unit_graph`` must be acyclic (``build_units`` makes it so)."""
    g = units.unit_graph
    level: dict[int, int] = {}
    for node in reversed(list(nx.topological_sort(g))):
        level[node] = 1 + max((level[v] for v in g.successors(node)), default=-1)
    waves: list[Wave] = []
    for lvl in sorted(set(level.values())):
        chosen = sorted((i for i in level if level[i] == lvl), key=lambda i: units.units[i].members)
        batch: list[Unit] = []
        size = 0
        for i in chosen:
            unit = units.units[i]
            if batch and size + len(unit.members) > max_wave_workloads:
                waves.append(Wave(len(waves) + 1, lvl, tuple(batch)))
                batch, size = [], 0
            batch.append(unit)
            size += len(unit.members)
        if batch:
            waves.append(Wave(len(waves) + 1, lvl, tuple(batch)))
    return waves
