"""The symbolic engine agrees with the brute-force oracle on random small networks."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.net.netgen import random_estate
from tradeplane.net.dataplane import Dataplane, Endpoint
from tradeplane.net.oracle import PacketOracle
from tradeplane.net.reach import pair_results, request_space
from tradeplane.net.space import Header, Space
from tradeplane.net.walk import Walk

DPORTS = [22, 80, 443, 1000, 1024, 9005, 40000]
SPORTS = [80, 443, 1024, 40000]
PROTOS = [6, 17, 1]


def _addr(rng: random.Random, ep: Endpoint) -> int:
    lo, hi = rng.choice(ep.addresses)
    return rng.choice([lo, hi, rng.randint(lo, hi)])


def _headers(rng: random.Random, dp: Dataplane, src: Endpoint, n: int) -> list[Header]:
    dsts = [e for e in dp.endpoints.values() if e.addresses]
    out = []
    for _ in range(n):
        dst = rng.choice(dsts)
        out.append(Header(_addr(rng, src), _addr(rng, dst), rng.choice(PROTOS), rng.choice(SPORTS),
                          rng.choice(DPORTS)))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**31))
def test_forward_agrees_with_oracle(seed: int) -> None:
    dp = Dataplane.build(random_estate(seed))
    rng = random.Random(seed)
    sim = PacketOracle(dp)
    sources = sorted((e for e in dp.endpoints.values() if e.kind in ("workload", "subnet", "site", "internet")),
                     key=lambda e: e.key)
    for src in rng.sample(sources, min(4, len(sources))):
        walk = Walk(dp)
        walk.start(src, Space.build(src=list(src.addresses)))
        for h in _headers(rng, dp, src, 25):
            symbolic = {t.endpoint for t in walk.traces if t.disposition == "delivered" and t.space.contains(h)}
            concrete = {o.endpoint for o in sim.forward(src, h) if o.disposition == "delivered"}
            assert symbolic == concrete, (seed, src.key, h.describe(), symbolic, concrete)
            dropped = any(t.disposition == "dropped" and t.space.contains(h) for t in walk.traces)
            concrete_drop = any(o.disposition == "dropped" for o in sim.forward(src, h))
            assert dropped == concrete_drop, (seed, src.key, h.describe())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**31))
def test_round_trip_agrees_with_oracle(seed: int) -> None:
    dp = Dataplane.build(random_estate(seed))
    rng = random.Random(seed ^ 0x5EED)
    sim = PacketOracle(dp)
    eps = sorted((e for e in dp.endpoints.values() if e.kind in ("workload", "site")), key=lambda e: e.key)
    targets = [e for e in dp.endpoints.values() if e.kind in ("workload", "site", "subnet", "internet")]
    for src in rng.sample(eps, min(3, len(eps))):
        dsts = sorted(rng.sample(targets, min(4, len(targets))), key=lambda e: e.key)
        dsts = [d for d in dsts if d.key != src.key]
        results = pair_results(dp, src, src.addresses, [(d, d.addresses) for d in dsts], request_space("all"))
        for pr in results:
            headers = [Header(_addr(rng, src), _addr(rng, pr.dst), rng.choice(PROTOS), rng.choice(SPORTS[2:]),
                              rng.choice(DPORTS)) for _ in range(8)]
            for box in list(pr.forward)[:4]:  # points inside what the engine says gets there
                headers.append(Header(*(rng.randint(lo, hi) for lo, hi in box.dims())))
                headers.append(box.sample())
            for h in headers:
                assert pr.working.contains(h) == sim.working(src, pr.dst.key, h), (seed, src.key, pr.dst.key,
                                                                                   h.describe())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**31))
def test_dataflow_matrix_equals_per_endpoint_walks(seed: int) -> None:
    """The merged (dataflow) matrix reaches exactly what one walk per source endpoint reaches."""
    from tradeplane.net.matrix import matrix, segments

    dp = Dataplane.build(random_estate(seed))
    m = matrix(dp)
    segs = segments(dp)
    for (a, b), cell in m.cells.items():
        for src in segs[a]:
            targets = [(t, t.addresses) for t in segs[b] if t.key != src.key]
            for pr in pair_results(dp, src, src.addresses, targets, request_space("all"), replies=False):
                merged = cell.reached.get(pr.dst.key, Space()).intersect(Space.build(src=list(src.addresses)))
                assert merged.equals(pr.forward), (seed, src.key, pr.dst.key)
