"""The allowed-only filter evaluation the desk matrix uses (``Filter.evaluate_allowed``) gives the allowed and
undecided sets of the full evaluation, on random filters and header sets; a disjoint input gives a disjoint
result; and match_space's one-box path builds what ``Space.build`` builds."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeplane.net.filters import Filter, FilterRule, Stage, full_evaluation, match_space
from tradeplane.net.space import Box, Space
from tradeplane.net.trace import RuleRef

small = st.tuples(st.integers(0, 40), st.integers(0, 12)).map(lambda t: (t[0], t[0] + t[1]))
boxes5 = st.lists(st.tuples(small, small, small, small, small).map(lambda d: Box(*d)), min_size=1, max_size=3)


def _filter(stages: list[list[tuple[list[Box], str]]], default: str) -> Filter:
    return Filter("f", tuple(Stage(f"s{i}", tuple(FilterRule(Space(bs), a, RuleRef("r", f"s{i} r{j}"))  # type: ignore[arg-type]
                                                for j, (bs, a) in enumerate(rules)))
                             for i, rules in enumerate(stages)), default, RuleRef("r", "default"))  # type: ignore[arg-type]


def _disjoint(space: Space) -> Space:
    out = Space()
    for b in space:
        out = out.union(Space([b]))
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.tuples(boxes5, st.sampled_from(["allow", "allow", "deny"])), max_size=6),
                min_size=1, max_size=3),
       st.sampled_from(["allow", "deny"]), boxes5, st.booleans())
def test_allowed_only_equals_full_evaluation(stages: list[list[tuple[list[Box], str]]], default: str,
                                             space_boxes: list[Box], disjoint: bool) -> None:
    f = _filter(stages, default)
    assert f.plain
    space = _disjoint(Space(space_boxes)) if disjoint else Space(space_boxes)
    fast, full = f.evaluate_allowed(space), f.evaluate_boxes(space)
    assert fast.allowed.equals(full.allowed)
    assert fast.unknown == () and fast.denied == ()
    if disjoint:
        assert all(a.intersect(b) is None for a, b in combinations(fast.allowed.boxes, 2))
    with full_evaluation():  # the previous engine: the full evaluation, deciding rules named
        assert f.evaluate_allowed(space).allowed_by == f.evaluate(space).allowed_by


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(boxes5, st.sampled_from(["allow", "deny", "unknown", "goto_next"])),
                         max_size=5), min_size=1, max_size=3),
       st.sampled_from(["allow", "deny"]), boxes5)
def test_filters_with_undecided_or_goto_rules_evaluate_in_full(stages: list[list[tuple[list[Box], str]]],
                                                              default: str, space_boxes: list[Box]) -> None:
    f = _filter(stages, default)
    space = Space(space_boxes)
    fast, full = f.evaluate_allowed(space), f.evaluate_boxes(space)
    assert fast.allowed.equals(full.allowed)
    assert [r for _, r in fast.unknown] == [r for _, r in full.unknown]
    assert all(p.equals(q) for (p, _), (q, _) in zip(fast.unknown, full.unknown, strict=True))


port = st.integers(0, 65535)
ranges = st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**20)).map(
    lambda t: (t[0], min(2**32 - 1, t[0] + t[1]))), min_size=0, max_size=2)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), ranges), st.one_of(st.none(), ranges),
       st.sampled_from(["tcp", "udp", "icmp", "all", "47"]),
       st.one_of(st.none(), st.lists(st.tuples(port, port).map(lambda t: (min(t), max(t))), min_size=1, max_size=2)))
def test_match_space_one_box_path_builds_the_same_set(src: list[tuple[int, int]] | None,
                                                      dst: list[tuple[int, int]] | None, protocol: str,
                                                      dports: list[tuple[int, int]] | None) -> None:
    got = match_space(src=src, dst=dst, protocol=protocol, dports=dports)
    ports = dports if (dports and protocol in ("tcp", "udp")) else None
    if ports is not None and (0, 65535) in ports:
        ports = None
    proto = {"tcp": [(6, 6)], "udp": [(17, 17)], "icmp": [(1, 1)], "47": [(47, 47)]}.get(protocol)
    assert got.equals(Space.build(src=src, dst=dst, proto=proto, dport=ports))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(small, small, small, small, small).map(lambda d: Box(*d)), min_size=0, max_size=9))
def test_compact_keeps_the_set(boxes: list[Box]) -> None:
    """``compact`` (pairwise for a handful of boxes, by sorting beyond) keeps the set and never grows it."""
    space = Space(boxes)
    got = space.compact()
    assert got.equals(space)
    assert len(got) <= len(space)
