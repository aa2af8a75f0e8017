"""The desk x desk reachability matrix (plus the internet as a segment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tradeplane.estate.model import Estate
from tradeplane.net.dataplane import Dataplane, Endpoint
from tradeplane.net.reach import PairResult, pair_results, request_space
from tradeplane.net.space import PROTO_NUMBERS, Space

__all__ = ["Cell", "Matrix", "matrix", "segments"]

INTERNET = "internet"


@dataclass
class Cell:
    src: str
    dst: str
    pairs: list[PairResult] = field(default_factory=list)

    @property
    def allowed(self) -> Space:
        return Space([b for p in self.pairs for b in (p.working if p.working else Space())])

    @property
    def reachable(self) -> bool:
        return any(p.working for p in self.pairs)

    def summary(self) -> str:
        """What is open, as protocol/port lists (e.g. ``tcp 7000, tcp 9000-9010``)."""
        if not self.reachable:
            return ""
        services: set[str] = set()
        names = {v: k for k, v in PROTO_NUMBERS.items()}
        for p in self.pairs:
            for b in p.working:
                lo, hi = b.proto
                if (lo, hi) == (0, 255) or hi - lo > 3:
                    services.add("all")
                    continue
                for proto in range(lo, hi + 1):
                    name = names.get(proto, str(proto))
                    if name in ("tcp", "udp"):
                        services.add(f"{name} {b.dport[0]}" + (f"-{b.dport[1]}" if b.dport[1] != b.dport[0] else ""))
                    else:
                        services.add(name)
        if "all" in services:
            return "all"
        text = sorted(services)
        return ", ".join(text[:4]) + (f", +{len(text) - 4}" if len(text) > 4 else "")

    def count(self) -> tuple[int, int]:
        return sum(1 for p in self.pairs if p.working), len(self.pairs)


@dataclass
class Matrix:
    segments: list[str]
    cells: dict[tuple[str, str], Cell]

    def cell(self, src: str, dst: str) -> Cell:
        return self.cells[(src, dst)]

    def to_json(self) -> dict[str, Any]:
        return {
            "segments": self.segments,
            "cells": [
                {"src": a, "dst": b, "reachable": c.reachable, "services": c.summary(),
                 "endpoint_pairs_reachable": c.count()[0], "endpoint_pairs": c.count()[1]}
                for (a, b), c in sorted(self.cells.items())
            ],
        }


def segments(dp: Dataplane) -> dict[str, list[Endpoint]]:
    """Each desk's endpoints (its workloads and sites), and the internet."""
    out: dict[str, list[Endpoint]] = {d.name: [] for d in sorted(dp.estate.desks, key=lambda d: d.name)}
    for ep in sorted(dp.endpoints.values(), key=lambda e: e.key):
        if ep.kind in ("workload", "site") and ep.desk in out:
            out[ep.desk].append(ep)
    out[INTERNET] = [dp.endpoints["internet"]]
    return out


def matrix(target: Estate | Dataplane, protocol: str = "all", *, replies: bool = True) -> Matrix:
    """Reachability between every pair of segments: one symbolic walk per source endpoint."""
    dp = target if isinstance(target, Dataplane) else Dataplane.build(target)
    segs = segments(dp)
    names = list(segs)
    seg_of = {ep.key: name for name, eps in segs.items() for ep in eps}
    base = request_space(protocol)
    cells = {(a, b): Cell(a, b) for a in names for b in names if a != b}
    for a in names:
        targets = [(ep, ep.addresses) for b in names if b != a for ep in segs[b]]
        if a == INTERNET:
            targets = [t for t in targets if t[0].kind != "internet"]
        for src in segs[a]:
            mine = [t for t in targets if t[0].key != src.key]
            for pr in pair_results(dp, src, src.addresses, mine, base, replies=replies):
                cells[(a, seg_of[pr.dst.key])].pairs.append(pr)
    return Matrix(names, cells)
