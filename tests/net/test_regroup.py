"""The matrix's faster representations agree with the plain ones: ``Space.regroup`` keeps the set,
and ``RouteTable.lookup_by_hop`` sends every header to the same next hops as ``lookup``."""

from __future__ import annotations

import random
from ipaddress import IPv4Network

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeplane.net.routing import Route, RouteTable
from tradeplane.net.space import Box, Header, Space
from tradeplane.net.trace import RuleRef


def _iv(draw: st.DrawFn, hi: int) -> tuple[int, int]:
    a, b = draw(st.integers(0, hi)), draw(st.integers(0, hi))
    return (min(a, b), max(a, b))


@st.composite
def spaces(draw: st.DrawFn) -> Space:
    """Random small spaces; boxes share protocol/port keys often so that regrouping has work to do."""
    keys = [((6, 6), (0, 65535), (0, 65535)), ((6, 6), (0, 65535), (80, 90)), ((0, 255), (0, 65535), (0, 65535))]
    boxes = []
    for _ in range(draw(st.integers(0, 12))):
        proto, sport, dport = draw(st.sampled_from(keys))
        boxes.append(Box(_iv(draw, 40), _iv(draw, 40), proto, sport, dport))
    return Space(boxes)


def _points(rng: random.Random, n: int) -> list[Header]:
    return [Header(rng.randint(0, 41), rng.randint(0, 41), rng.choice((0, 6, 17)), rng.choice((0, 1024)),
                   rng.choice((22, 80, 85, 90, 91))) for _ in range(n)]


@settings(max_examples=150, deadline=None)
@given(spaces(), st.integers(0, 2**31))
def test_regroup_keeps_the_set(space: Space, seed: int) -> None:
    out = space.regroup()
    assert len(out) <= 2 * len(space)
    assert out.equals(space)
    for h in _points(random.Random(seed), 200):
        assert out.contains(h) == space.contains(h)


@settings(max_examples=150, deadline=None)
@given(spaces())
def test_regroup_keeps_disjoint_boxes_disjoint(space: Space) -> None:
    disjoint = Space()
    for b in space:  # union() keeps the boxes disjoint
        disjoint = disjoint.union(Space([b]))
    out = disjoint.regroup()
    assert out.size() == disjoint.size()  # sizes add up only for disjoint boxes
    assert out.equals(disjoint)


def test_regroup_cuts_sources_that_each_miss_their_own_range_into_slabs() -> None:
    """n sources, each sending to 0..1999 except its own 16 addresses: after regrouping, a route table
    with a route per source range splits the space into about 3n boxes instead of n x n."""
    boxes, routes = [], []
    for i in range(50):
        own = (112 + 16 * i, 127 + 16 * i)
        boxes += [Box(own, (0, own[0] - 1), (0, 255), (0, 65535), (0, 65535)),
                  Box(own, (own[1] + 1, 1999), (0, 255), (0, 65535), (0, 65535))]
        routes.append(Route(IPv4Network((own[0], 28)), 0, ("hop", str(i)), RuleRef("route", f"r{i}")))
    space = Space(boxes)
    out = space.regroup()
    assert out.equals(space)
    assert len(out) <= 2 * len(boxes)
    assert [b.src for b in out if b.dst == (112, 127)] == [(128, 911)]  # everyone but the owner
    table = RouteTable("t", routes)
    plain = sum(len(part) for _, part in table.lookup(space)[0])
    regrouped = sum(len(part) for _, part in table.lookup(out)[0])
    assert regrouped * 5 < plain


def _table(rng: random.Random) -> RouteTable:
    routes = []
    for i in range(rng.randint(1, 12)):
        plen = rng.randint(26, 32)
        addr = rng.randrange(0, 256) & ~((1 << (32 - plen)) - 1)
        hop = ("hop", rng.choice("ab")) if rng.random() < 0.9 else ("blackhole",)
        routes.append(Route(IPv4Network((addr, plen)), rng.choice((0, 0, 1)), hop,
                            RuleRef("route", f"r{i}")))
    return RouteTable("t", routes)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31))
def test_lookup_by_hop_sends_every_header_to_the_same_next_hops(seed: int) -> None:
    rng = random.Random(seed)
    table = _table(rng)
    space = Space([Box(_rand_iv(rng), _rand_iv(rng), (0, 255), (0, 65535), (0, 65535)) for _ in range(3)])
    plain, plain_rest = table.lookup(space)
    merged, merged_rest = table.lookup_by_hop(space)
    assert merged_rest.equals(plain_rest)
    for box in space:
        for dst in range(0, 260):
            h = Header(box.src[0], dst, 6, 0, 0)
            want = {r.hop for winners, part in plain if part.contains(h) for r in winners}
            got = {r.hop for winners, part in merged if part.contains(h) for r in winners}
            assert got == want, (dst, h)


def _rand_iv(rng: random.Random) -> tuple[int, int]:
    a, b = rng.randint(0, 259), rng.randint(0, 259)
    return (min(a, b), max(a, b))
