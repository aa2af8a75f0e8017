"""The desk matrix as one dataflow walk for every segment, and learned routes shared between tables, give
what the previous engine gave (one walk per source segment, every learned route its own ``Route``)."""

from __future__ import annotations

import random
from ipaddress import IPv4Network

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.net.netgen import random_estate
from tradeplane.net.dataplane import Dataplane
from tradeplane.net.matrix import Matrix, _footprints, _toward_others, matrix, previous_engine, segments
from tradeplane.net.routing import Learned, PrefixSet, Route, RouteTable, learned_route_by_route
from tradeplane.net.space import Space
from tradeplane.net.trace import RuleRef


def _same(a: Matrix, b: Matrix) -> None:
    assert a.cells.keys() == b.cells.keys()
    for key, cell in a.cells.items():
        other = b.cells[key]
        assert cell.reached.keys() == other.reached.keys(), key
        assert cell.undecided.keys() == other.undecided.keys(), key
        for ep, sp in cell.reached.items():
            assert sp.equals(other.reached[ep]), (key, ep)
        for ep, sp in cell.undecided.items():
            assert sp.equals(other.undecided[ep]), (key, ep)
    assert a.to_json() == b.to_json()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**31))
def test_one_walk_equals_one_walk_per_segment(seed: int) -> None:
    estate = random_estate(seed)
    dp = Dataplane.build(estate)
    assert _footprints(dp, segments(dp)) is not None  # the one-walk path is the one taken
    with previous_engine():
        before = matrix(Dataplane.build(estate))
    _same(matrix(dp), before)


def test_segments_sharing_an_address_walk_one_segment_at_a_time() -> None:
    """A workload of another desk in a subnet: its address says nothing of its desk, so the matrix falls
    back to one walk per segment (same answers as that engine)."""
    estate = random_estate(3)
    w = estate.workloads[0]
    other = next(d.name for d in estate.desks if d.name != w.desk)
    estate = estate.model_copy(update={"workloads": (*estate.workloads, w.model_copy(
        update={"name": f"{w.name}-other", "desk": other}))})
    dp = Dataplane.build(estate)
    assert _footprints(dp, segments(dp)) is None
    with previous_engine():
        before = matrix(Dataplane.build(estate))
    _same(matrix(dp), before)


def _ref(text: str) -> RuleRef:
    return RuleRef("route", text, None, "")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**31))
def test_learned_group_compiles_like_its_routes(seed: int) -> None:
    """A table with a ``Learned`` group has the segments (same winners) and lookups of the table of the
    same routes one by one, including own routes on learned prefixes (priority wins, ties are ECMP) and
    excluded prefixes; ``lookup_by_hop`` on the shared prefixes gives the same groups and parts."""
    rng = random.Random(seed)

    def prefix() -> IPv4Network:
        length = rng.choice([0, 8, 12, 14, 16, 18, 20, 22, 24, 24, 26, 28, 32])
        # mostly inside 10.0.0.0/14, so prefixes nest and touch
        addr = rng.randrange(0, 2**32) if rng.random() < 0.1 else 0x0A000000 + rng.randrange(0, 2**18)
        return IPv4Network((addr >> (32 - length) << (32 - length) if length else 0, length))

    learned = sorted({prefix() for _ in range(rng.randint(0, 30))}, key=lambda p: (int(p.network_address),
                                                                                 p.prefixlen))
    shared = PrefixSet(learned)
    exclude = frozenset(i for i in range(len(learned)) if rng.random() < 0.2)
    group = Learned(shared, 100, ("cross_cloud", "xc"), _ref("learned"), exclude)
    own: list[Route | Learned] = []
    for i in range(rng.randint(0, 8)):
        p = rng.choice(learned) if learned and rng.random() < 0.5 else prefix()
        own.append(Route(p, rng.choice([0, 100, 100, 1000]), ("subnet", f"s{i}"), _ref(f"own {i}")))
    parts: list[Route | Learned] = [*own[:2], group, *own[2:]]
    with learned_route_by_route():
        plain = RouteTable("t", parts)
    space = Space.build(dst=[(0, 2**32 - 1)])
    by_hop = RouteTable("t", parts).lookup_by_hop(space)  # on the shared prefixes, never compiled here
    table = RouteTable("t", parts)
    assert table.routes == plain.routes
    assert table._segments == plain._segments
    for a, b in ((table.lookup(space), plain.lookup(space)), (by_hop, plain.lookup_by_hop(space))):
        assert [(w, s.boxes) for w, s in a[0]] == [(w, s.boxes) for w, s in b[0]]
        assert a[1].boxes == b[1].boxes


def test_toward_others_bridges_narrow_gaps_only() -> None:
    """What one segment's traffic is walked toward: the other segments' addresses, narrow gaps between
    them bridged, never across the segment's own addresses or a gap of a /16 or more."""
    base = 10 << 24
    a, b, c = (base, base + 255), (base + 4096, base + 4351), (base + 8192, base + 8447)
    far = (172 << 24, (172 << 24) + 255)
    ordered = sorted([(a, "x"), (b, "y"), (c, "y"), (far, "z")])
    assert _toward_others(ordered, "x") == [(b[0], c[1]), far]
    assert _toward_others(ordered, "y") == [a, far]
    # an address of the segment itself between two others' intervals is never bridged
    assert _toward_others(sorted([(a, "y"), (b, "x"), (c, "y")]), "x") == [a, c]


@given(st.lists(st.tuples(st.integers(0, 2**20), st.integers(1, 2**17), st.sampled_from("xyz")), max_size=12))
def test_toward_others_holds_the_others_and_nothing_of_its_own(raw: list[tuple[int, int, str]]) -> None:
    ordered: list[tuple[tuple[int, int], str]] = []
    end = -1
    for start, size, seg in sorted(raw):
        lo = max(start, end + 1)
        ordered.append(((lo, lo + size - 1), seg))
        end = lo + size - 1
    for own in "xyz":
        ivs = _toward_others(ordered, own)
        walked = Space.build(dst=ivs) if ivs else Space()
        for (lo, hi), seg in ordered:
            part = Space.build(dst=[(lo, hi)])
            if seg == own:
                assert not walked.intersect(part)
            else:
                assert part.subtract(walked).is_empty()
