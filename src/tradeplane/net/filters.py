"""Packet filters compiled to ordered stages: NACLs, security groups, GCP firewalls and policies.

Every filter the clouds have becomes a sequence of *stages*; each stage is an
ordered first-match list of (match space, action, rule) with actions allow,
deny or goto_next. Unmatched traffic (and goto_next traffic) falls to the next
stage; after the last stage the filter's default decides. So:

- a NACL is one stage in rule-number order, default deny;
- a security group set is one stage of allows, default deny (allow-only);
- a GCP firewall is hierarchical policies, then VPC rules (priority, deny first
  on ties), then network policies, then the implied rule (deny ingress, allow egress).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Network
from typing import Literal

from tradeplane.net.atoms import DEFAULT, FilterAtoms
from tradeplane.net.space import ALL_PORTS, MAX_IP, PROTO_NUMBERS, Box, Header, Interval, Space, net_interval
from tradeplane.net.trace import RuleRef

__all__ = ["Filter", "FilterAction", "FilterResult", "FilterRule", "Stage", "box_evaluation", "full_evaluation",
           "match_space", "proto_interval", "rule_protocol"]

FilterAction = Literal["allow", "deny", "goto_next", "unknown"]
"""``unknown``: a rule whose match the model cannot resolve (e.g. an imported prefix-list peer); what it
matches is reported as undecided, never as allowed or denied."""


def proto_interval(protocol: str) -> list[Interval] | None:
    """``tcp`` -> [(6, 6)]; ``"47"`` (any IP protocol number 0-255) -> [(47, 47)]; ``all`` -> None."""
    if protocol == "all":
        return None
    if protocol.isdigit() and int(protocol) <= 255:
        return [(int(protocol), int(protocol))]
    return [(PROTO_NUMBERS[protocol], PROTO_NUMBERS[protocol])]


def rule_protocol(protocol: str, number: int | None) -> str:
    """The protocol a rule matches: its IP protocol number when it has one, else its name."""
    return str(number) if number is not None else protocol


def match_space(
    *,
    src: Iterable[IPv4Network] | Sequence[Interval] | None = None,
    dst: Iterable[IPv4Network] | Sequence[Interval] | None = None,
    protocol: str = "all",
    dports: Sequence[Interval] | None = None,
) -> Space:
    """The headers a rule matches. Ports only constrain TCP and UDP rules."""
    proto = _PROTOS.get(protocol) or proto_interval(protocol)
    ports = dports if (dports and protocol in ("tcp", "udp")) else None
    if ports is not None and ALL_PORTS in ports:
        ports = None
    srcs, dsts = _intervals(src), _intervals(dst)
    # most rules: one interval (or everything) on each axis, one box (compiling 200,000 rules spent
    # half of its time in the general product)
    if (srcs is None or len(srcs) == 1) and (dsts is None or len(dsts) == 1) and (ports is None or len(ports) == 1):
        return Space((Box(srcs[0] if srcs else _ALL_IP, dsts[0] if dsts else _ALL_IP,
                          proto[0] if proto else _ALL_PROTO, ALL_PORTS, ports[0] if ports else ALL_PORTS),))
    return Space.build(src=srcs, dst=dsts, proto=proto, dport=ports)


_ALL_IP: Interval = (0, MAX_IP)
_ALL_PROTO: Interval = (0, 255)
_PROTOS: dict[str, list[Interval] | None] = {"tcp": [(6, 6)], "udp": [(17, 17)], "icmp": [(1, 1)]}



def _intervals(values: Iterable[IPv4Network] | Sequence[Interval] | None) -> list[Interval] | None:
    if values is None:
        return None
    out: list[Interval] = []
    for v in values:
        out.append(net_interval(v) if isinstance(v, IPv4Network) else v)
    return out


class FilterRule:
    """One rule: the headers it matches, its action, and the rule it is (``ref``). The reference may be
    given as ``make``, called the first time it is asked for: a desk matrix reads no rule's text, and
    writing the text of 200,000 rules was a third of compiling them."""

    __slots__ = ("_bounds", "_make", "_ref", "action", "match")

    def __init__(self, match: Space, action: FilterAction, ref: RuleRef | None = None, *,
                 make: Callable[[], RuleRef] | None = None) -> None:
        if (ref is None) == (make is None):
            raise ValueError("a filter rule takes a reference or a function that makes it, not both")
        self.match = match
        self.action = action
        self._ref = ref
        self._make = make
        self._bounds: Box | bool | None = False

    @property
    def ref(self) -> RuleRef:
        if self._ref is None:
            assert self._make is not None
            self._ref = self._make()
            self._make = None
        return self._ref

    @property
    def bounds(self) -> Box | None:
        if self._bounds is False:
            self._bounds = self.match.bounds()
        return self._bounds  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"FilterRule({self.action} {self.ref.text!r})"


@dataclass(frozen=True)
class Stage:
    name: str
    rules: tuple[FilterRule, ...]


@dataclass(frozen=True)
class FilterResult:
    allowed: Space
    allowed_by: tuple[RuleRef, ...]
    denied: tuple[tuple[Space, RuleRef], ...]
    unknown: tuple[tuple[Space, RuleRef], ...] = ()


_ON_ATOMS = [True]
ATOMS_AFTER = 2
"""A filter is compiled to atoms the first time it is asked more than this many times."""


@contextmanager
def box_evaluation() -> Iterator[None]:
    """Evaluate filters rule by rule on boxes (the engine before atom bitsets) inside the block: for the
    benchmark's before/after ratio and the agreement tests. Not thread-safe."""
    _ON_ATOMS.append(False)
    try:
        yield
    finally:
        _ON_ATOMS.pop()


_ALLOWED_ONLY = [True]


@contextmanager
def full_evaluation() -> Iterator[None]:
    """``Filter.evaluate_allowed`` evaluates in full (``evaluate``) inside the block: the engine before the
    allowed-only evaluation, for the benchmark's before/after ratio and the agreement tests. Not
    thread-safe."""
    _ALLOWED_ONLY.append(False)
    try:
        yield
    finally:
        _ALLOWED_ONLY.pop()


@dataclass(frozen=True)
class Filter:
    """Ordered stages and a default for what no stage decided."""

    name: str
    stages: tuple[Stage, ...]
    default: FilterAction
    default_ref: RuleRef

    @cached_property
    def atoms(self) -> FilterAtoms:
        """The filter cut into atoms on all five axes (compiled on first use)."""
        return FilterAtoms([[(r.match.boxes, r.action) for r in st.rules] for st in self.stages])

    @cached_property
    def _rules(self) -> tuple[FilterRule, ...]:
        return tuple(r for st in self.stages for r in st.rules)

    def evaluate(self, space: Space) -> FilterResult:
        """Split ``space`` into allowed, denied and undecided parts, naming the deciding rules (allowed_by
        and the parts in rule order, the default last). On the filter's atoms (``FilterAtoms``);
        inside ``box_evaluation()`` rule by rule on boxes, with the same sets."""
        if not _ON_ATOMS[-1]:
            return self.evaluate_boxes(space)
        if "atoms" not in self.__dict__:
            # compiling the atoms costs about one rule-by-rule evaluation: a filter asked once or twice
            # (most filters of a desk matrix) is evaluated on boxes; from the third time on, on atoms
            seen = self.__dict__["_asked"] = self.__dict__.get("_asked", 0) + 1
            if seen <= ATOMS_AFTER:
                return self.evaluate_boxes(space)
        if not space:
            return FilterResult(Space(), (), ())
        allowed: list[Box] = []
        allowed_by: list[RuleRef] = []
        denied: list[tuple[Space, RuleRef]] = []
        unknown: list[tuple[Space, RuleRef]] = []
        rules = self._rules
        parts = self.atoms.evaluate(space)
        for index in sorted(parts, key=lambda i: i if i != DEFAULT else len(rules)):
            boxes = parts[index]
            if not boxes:
                continue
            if index == DEFAULT:
                action, ref = ("allow" if self.default == "allow" else "deny"), self.default_ref
            else:
                action, ref = rules[index].action, rules[index].ref
            if action == "allow":
                allowed.extend(boxes)
                allowed_by.append(ref)
            elif action == "deny":
                denied.append((Space(boxes), ref))
            elif action == "unknown":
                unknown.append((Space(boxes), ref))
        total = Space(allowed)
        return FilterResult(total.compact() if len(total) > 1 else total, tuple(allowed_by), tuple(denied),
                            tuple(unknown))

    @cached_property
    def plain(self) -> bool:
        """Every rule allows or denies (no ``goto_next``, no undecided rule)."""
        return all(r.action in ("allow", "deny") for r in self._rules)

    def evaluate_allowed(self, space: Space) -> FilterResult:
        """The allowed and undecided parts of ``space`` only, for a caller that reads nothing else (the
        desk matrix): ``allowed`` and ``unknown`` are the sets ``evaluate`` gives; ``denied`` and
        ``allowed_by`` are left empty. For a ``plain`` filter (every rule allows or denies) first match
        needs no subtraction of allow rules: a header is allowed iff some allow rule matches it and no
        deny rule before that one does, so what remains is cut only by deny rules and each allow rule
        keeps its intersection with what remains (a security group set, allow-only, subtracts nothing);
        a box of what remains that an allow rule matches whole is decided and leaves. Pieces of one box
        of ``space`` that two allow rules took are made disjoint, so a disjoint ``space`` gives a disjoint
        result, compacted. Other filters, and inside ``full_evaluation()``:
        ``evaluate``."""
        if not self.plain or not _ALLOWED_ONLY[-1]:
            return self.evaluate(space)
        if not space:
            return FilterResult(Space(), (), ())
        remaining: list[tuple[int, Box]] = list(enumerate(space.boxes))
        taken: dict[int, list[Box]] = {}  # parts of a box of ``space`` some allow rule matched
        full: dict[int, list[Box]] = {}  # boxes of what remains that an allow rule matched whole
        bounds = space.bounds()
        assert bounds is not None
        (bs0, bs1), (bd0, bd1) = bounds.src, bounds.dst
        for rule in self._rules:
            allow = rule.action == "allow"
            for m in rule.match.boxes:
                # address checks inline before any intersection: most rules miss most boxes
                (ms0, ms1), (md0, md1) = m.src, m.dst
                if ms0 > bs1 or ms1 < bs0 or md0 > bd1 or md1 < bd0:
                    continue
                if allow:
                    keep: list[tuple[int, Box]] = []
                    for origin, r in remaining:
                        rs = r.src
                        if rs[0] > ms1 or rs[1] < ms0:
                            keep.append((origin, r))
                            continue
                        rd = r.dst
                        if rd[0] > md1 or rd[1] < md0:
                            keep.append((origin, r))
                            continue
                        c = r.intersect(m)
                        if c is None:
                            keep.append((origin, r))
                        elif c == r:  # all of r is decided (allowed): no later rule looks at it
                            full.setdefault(origin, []).append(r)
                        else:
                            keep.append((origin, r))
                            got = taken.get(origin)
                            if got is None:
                                taken[origin] = [c]
                            else:
                                got.append(c)
                    remaining = keep
                    if not remaining:
                        break
                    continue
                nxt: list[tuple[int, Box]] = []
                changed = False
                for origin, r in remaining:
                    rs, rd = r.src, r.dst
                    if rs[0] > ms1 or rs[1] < ms0 or rd[0] > md1 or rd[1] < md0:
                        nxt.append((origin, r))
                        continue
                    pieces = r.subtract(m)
                    if len(pieces) != 1 or pieces[0] is not r:
                        changed = True
                    nxt.extend((origin, p) for p in pieces)
                if changed:
                    remaining = nxt
                    if not remaining:
                        break
                    # the old bounds still hold what remains (it only shrinks); recompute only when cheap
                    if len(remaining) < 8:
                        b = Space([x for _, x in remaining]).bounds()
                        assert b is not None
                        (bs0, bs1), (bd0, bd1) = b.src, b.dst
            if not remaining:
                break
        if self.default == "allow":
            for origin, r in remaining:
                full.setdefault(origin, []).append(r)
        out: list[Box] = []
        for origin in sorted(set(taken) | set(full)):
            # boxes decided whole first (disjoint: pieces of one box), then the parts of the others outside them
            boxes = [*full.get(origin, ()), *taken.get(origin, ())]
            if len(boxes) == 1:
                out.append(boxes[0])
                continue
            disjoint = list(full.get(origin, ()))
            for b in taken.get(origin, ()):
                parts = [b]
                for q in disjoint:
                    parts = [x for p in parts for x in p.subtract(q)]
                    if not parts:
                        break
                disjoint.extend(parts)
            out.extend(disjoint)
        total = Space(out)
        return FilterResult(total.compact() if len(total) > 1 else total, (), (), ())

    def evaluate_boxes(self, space: Space) -> FilterResult:
        """``evaluate`` rule by rule on boxes: each rule's match intersected with and subtracted from
        what remains (the engine before atom bitsets; kept for the ratio and as the reference)."""
        allowed: list[Space] = []
        allowed_by: list[RuleRef] = []
        denied: list[tuple[Space, RuleRef]] = []
        unknown: list[tuple[Space, RuleRef]] = []
        remaining = space
        for stage in self.stages:
            deferred = Space()
            bounds = remaining.bounds()
            for rule in stage.rules:
                if bounds is None:
                    break
                rb = rule.bounds
                if rb is None or bounds.intersect(rb) is None:
                    continue
                part = remaining.intersect(rule.match)
                if not part:
                    continue
                remaining = remaining.subtract(rule.match)  # = remaining - part, with far fewer boxes
                if len(remaining) > 64:
                    remaining = remaining.compact()
                # the old bounds still hold what remains (it only shrinks): recompute them only when
                # the remainder emptied or is small enough for that to be cheap
                bounds = remaining.bounds() if len(remaining) < 8 or not remaining else bounds
                if rule.action == "allow":
                    allowed.append(part)
                    allowed_by.append(rule.ref)
                elif rule.action == "deny":
                    denied.append((part, rule.ref))
                elif rule.action == "unknown":
                    unknown.append((part, rule.ref))
                else:
                    deferred = Space([*deferred.boxes, *part.boxes])  # disjoint: taken from remaining
            remaining = Space([*remaining.boxes, *deferred.boxes])
        if remaining:
            if self.default == "allow":
                allowed.append(remaining)
                allowed_by.append(self.default_ref)
            else:
                denied.append((remaining, self.default_ref))
        total = Space([b for s in allowed for b in s])
        return FilterResult(total.compact() if len(total) > 1 else total, tuple(allowed_by), tuple(denied),
                            tuple(unknown))

    def allowed_parts(self, space: Space) -> list[tuple[FilterRule | None, Space]]:
        """The allow rules that let a part of ``space`` through, each with its part, in first-match order
        (``None``: the filter's default, ``default_ref``). Rule by rule on boxes, as ``evaluate_boxes``;
        for a caller that must tell which rule opened what (``allowed_by`` of a trace hop names every
        rule that allowed some of the headers, not which headers)."""
        out: list[tuple[FilterRule | None, Space]] = []
        remaining = space
        for stage in self.stages:
            deferred: list[Box] = []
            for rule in stage.rules:
                if not remaining:
                    break
                part = remaining.intersect(rule.match)
                if not part:
                    continue
                remaining = remaining.subtract(rule.match)
                if rule.action == "allow":
                    out.append((rule, part))
                elif rule.action == "goto_next":
                    deferred.extend(part.boxes)
            remaining = Space([*remaining.boxes, *deferred])
        if remaining and self.default == "allow":
            out.append((None, remaining))
        return out

    def decide(self, h: Header) -> tuple[bool, RuleRef]:
        """Concrete evaluation of one header (the oracle's path): first match per stage."""
        for stage in self.stages:
            for rule in stage.rules:
                if rule.match.contains(h):
                    if rule.action == "goto_next":
                        break
                    return rule.action == "allow", rule.ref
        return self.default == "allow", self.default_ref
