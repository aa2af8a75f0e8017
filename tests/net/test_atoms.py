"""Atoms: an axis cut once into disjoint intervals; sets as int bitsets; the per-destination split on
atoms equals the split by intersection on random networks (and on the internet-ingress shape)."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.net.netgen import random_estate
from tradeplane.net.atoms import Atoms, bit_indices
from tradeplane.net.dataplane import Dataplane
from tradeplane.net.filters import Filter, FilterRule, Stage
from tradeplane.net.reach import pair_results, request_space
from tradeplane.net.space import Box, Space
from tradeplane.net.trace import RuleRef

intervals = st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 60)).map(lambda t: (t[0], t[0] + t[1])),
                     min_size=1, max_size=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(intervals, min_size=1, max_size=5), st.data())
def test_bits_are_the_sets_and_and_is_intersection(sets: list[list[tuple[int, int]]], data: st.DataObject) -> None:
    atoms = Atoms(sets, "dst", top=2000)
    bits = [atoms.bits(s) for s in sets]
    for s, b in zip(sets, bits, strict=True):
        covered = {v for lo, hi in atoms.intervals(b) for v in range(lo, hi + 1)}
        assert covered == {v for lo, hi in s for v in range(lo, hi + 1)}
    a, b = data.draw(st.sampled_from(range(len(sets)))), data.draw(st.sampled_from(range(len(sets))))
    both = {v for lo, hi in atoms.intervals(bits[a] & bits[b]) for v in range(lo, hi + 1)}
    assert both == ({v for lo, hi in sets[a] for v in range(lo, hi + 1)}
                    & {v for lo, hi in sets[b] for v in range(lo, hi + 1)})


@settings(max_examples=200, deadline=None)
@given(st.lists(intervals, min_size=1, max_size=4), intervals, st.integers(0, 1100))
def test_split_cuts_without_losing_or_adding(sets: list[list[tuple[int, int]]], box_dst: list[tuple[int, int]],
                                             probe: int) -> None:
    atoms = Atoms(sets, "dst", top=2000)
    space = Space.build(src=[(1, 5)], dst=box_dst)
    pieces = atoms.split(space)
    flat = [b for bs in pieces.values() for b in bs]
    assert Space(flat).equals(space)
    for i, bs in pieces.items():
        lo, hi = atoms.atom(i)
        assert all(lo <= b.dst[0] and b.dst[1] <= hi for b in bs)
    assert list(bit_indices(0b10110)) == [1, 2, 4]
    assert Space(flat).contains(Box((1, 1), (probe, probe), (0, 0), (0, 0), (0, 0)).sample()) == space.contains(
        Box((1, 1), (probe, probe), (0, 0), (0, 0), (0, 0)).sample())


def _same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.dst.key == y.dst.key and x.requested.equals(y.requested)
        assert x.forward.equals(y.forward) and x.working.equals(y.working)
        assert [t.reason for t in x.dropped] == [t.reason for t in y.dropped]
        assert all(t.space.equals(u.space) for t, u in zip(x.dropped, y.dropped, strict=True))
        assert [t.endpoint for t in x.delivered] == [t.endpoint for t in y.delivered]
        assert len(x.undecided) == len(y.undecided)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**31))
def test_split_on_atoms_equals_split_by_intersection(seed: int) -> None:
    dp = Dataplane.build(random_estate(seed))
    rng = random.Random(seed)
    eps = sorted((e for e in dp.endpoints.values() if e.addresses), key=lambda e: e.key)
    base = request_space(rng.choice(["tcp", "udp", "all"]))
    for src in rng.sample(eps, min(3, len(eps))):
        dsts = [(d, d.addresses) for d in eps if d.key != src.key]
        for replies in (False, True):
            _same(pair_results(dp, src, src.addresses, dsts, base, replies=replies),
                  pair_results(dp, src, src.addresses, dsts, base, replies=replies, atoms=False))


small = st.tuples(st.integers(0, 40), st.integers(0, 12)).map(lambda t: (t[0], t[0] + t[1]))
boxes5 = st.lists(st.tuples(small, small, small, small, small).map(lambda d: Box(*d)), min_size=1, max_size=3)
actions = st.sampled_from(["allow", "deny", "unknown", "goto_next"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(boxes5, actions), max_size=5), min_size=1, max_size=3),
       st.sampled_from(["allow", "deny"]), boxes5)
def test_filter_on_five_axis_atoms_equals_rule_by_rule(stages: list[list[tuple[list[Box], str]]], default: str,
                                                       space_boxes: list[Box]) -> None:
    """A filter evaluated on its atoms (bitset first-match per closure) decides every header as the
    rule-by-rule box evaluation does: same allowed set, same rules allowing, same denied and
    undecided parts per rule, in the same order."""
    f = Filter("f", tuple(Stage(f"s{i}", tuple(FilterRule(Space(bs), a, RuleRef("r", f"s{i} r{j}"))  # type: ignore[arg-type]
                                                   for j, (bs, a) in enumerate(st_rules)))
                          for i, st_rules in enumerate(stages)), default, RuleRef("r", "default"))  # type: ignore[arg-type]
    space = Space(space_boxes)
    assert f.atoms is not None  # compiled: evaluate runs on the atoms from now on
    a, b = f.evaluate(space), f.evaluate_boxes(space)
    assert a.allowed.equals(b.allowed)
    assert a.allowed_by == b.allowed_by
    for x, y in ((a.denied, b.denied), (a.unknown, b.unknown)):
        assert [r for _, r in x] == [r for _, r in y]
        assert all(p.equals(q) for (p, _), (q, _) in zip(x, y, strict=True))
