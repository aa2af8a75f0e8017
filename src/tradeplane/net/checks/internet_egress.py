"""No unrestricted internet egress: no workload (or site) reaches the internet on every protocol, or on
every destination port of TCP or UDP.

A trading workload needs a few named services on the internet (a crypto venue's TLS port, Google APIs);
one that can send anything anywhere is an exfiltration path and a command-and-control channel. The
estate declares no per-desk egress list, so the line drawn is the one the clouds' defaults cross:

- GCP: every VPC has an implied egress rule that allows every protocol to 0.0.0.0/0 at priority 65535,
  the lowest; a higher-priority rule may restrict it, and with a default internet route and Cloud NAT
  or an external IP it is the whole internet (Google Cloud, "VPC firewall rules", section "Implied
  rules", https://cloud.google.com/vpc/docs/firewalls#default_firewall_rules).
- AWS: the outbound rule a new security group comes with allows all traffic to 0.0.0.0/0 (AWS VPC User
  Guide, "Security group rules"); an estate egress rule of protocol all to 0.0.0.0/0 behind a NAT or
  internet gateway does the same.

The fix, when the implied rule (or a default) lets it out, is the higher-priority rule it yields to: deny
all egress to 0.0.0.0/0 at a low priority, with allows above it for what the workloads need, e.g. tcp 443
(Google APIs at their public addresses and other HTTPS services through Cloud NAT). Restricting Google
APIs to private.googleapis.com, 199.36.153.8/30, also needs a private DNS zone for googleapis.com pointing
there, or *.googleapis.com resolves to public addresses the deny drops (Google Cloud, "Configure Private
Google Access", https://cloud.google.com/vpc/docs/configure-private-google-access). When an explicit
allow rule opens it, the fix is to narrow that rule, and says so when a deny below it already denies the
rest.

How: the ``desk -> internet`` cells of the desk matrix (``Context.matrix``, the one the segmentation
check computes, not a second one). A cell whose union is restricted is a pass without looking further.
Otherwise the endpoints whose own part is unrestricted are grouped by source class
(``net.matrix.source_class``) and each class is walked to the internet once (the matrix cuts what
arrives by source address, so two workloads of one subnet share an answer there); one finding per desk
and network, a trace per class (at most ``MAX_TRACES``), and the egress rule(s) that let the unrestricted
headers out, with the estate file:line of the first: headers only a broad rule matches are walked to the
internet, and the source's egress filters (``net.walk.egress_filters``, the walk's own list) say which
allow rules let what arrived there out (``Filter.allowed_parts``); of those, the ones whose own match is
unrestricted (two /1 halves: both), so a rule for CME's prefix (routed over the interconnect) or for tcp 443 is not blamed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tradeplane.net.checks.base import MAX_TRACES, Context, Finding, register
from tradeplane.net.dataplane import Endpoint
from tradeplane.net.filters import Filter
from tradeplane.net.matrix import INTERNET, source_class
from tradeplane.net.reach import pair_results, request_space
from tradeplane.net.space import PROTO_NUMBERS, Interval, Space
from tradeplane.net.trace import RuleRef, Trace
from tradeplane.net.walk import egress_filters
from tradeplane.plural import count

__all__ = ["GCP_FIX", "allowing_rules", "unrestricted"]

EVERY_PORT: Interval = (1, 65535)
"""Every usable destination port (port 0 is reserved, so a rule for 1-65535 opens them all)."""
_OTHER_PROTOCOLS: tuple[Interval, ...] = ((0, 5), (7, 16), (18, 255))
"""Every IP protocol number but TCP (6) and UDP (17)."""


def _covers(ivs: Sequence[Interval], want: Interval) -> bool:
    return any(lo <= want[0] and want[1] <= hi for lo, hi in ivs)


def unrestricted(space: Space) -> list[str]:
    """What of ``space`` (headers to the internet) is open without restriction, in words; empty when
    nothing is: ``["all protocols"]`` when it carries every IP protocol and every TCP and UDP port, else
    any of ``"every tcp port"``, ``"every udp port"`` (destination ports 1-65535 to some address) and
    ``"every other IP protocol"`` (all 254 protocol numbers besides TCP and UDP)."""
    protos = space.project("proto")
    if not protos:
        return []
    wide: list[str] = []
    for name in ("tcp", "udp"):
        n = PROTO_NUMBERS[name]
        if _covers(protos, (n, n)) and _covers(space.intersect(Space.build(proto=[(n, n)])).project("dport"),
                                               EVERY_PORT):
            wide.append(f"every {name} port")
    others = all(_covers(protos, iv) for iv in _OTHER_PROTOCOLS)
    if others and len(wide) == 2:
        return ["all protocols"]
    return [*wide, "every other IP protocol"] if others else wide


def allowing_rules(trace: Trace) -> list[RuleRef]:
    """The egress filter rules that let a delivered trace out (security groups, NACLs, GCP firewall rules
    and policies), in path order."""
    return [r for h in trace.hops if h.action.endswith("egress allowed") for r in h.rules]


GCP_FIX = ("deny egress to 0.0.0.0/0 on all protocols with a GCP firewall rule at a low priority (e.g. 65000), "
           "and above it allow only what the workloads need, e.g. tcp 443 (Google APIs, other HTTPS services "
           "through Cloud NAT), and the prefixes of the desks, sites and venues they talk to; restricting Google "
           "APIs to private.googleapis.com (199.36.153.8/30) also needs a private DNS zone for googleapis.com "
           "pointing there")
"""The fix when GCP's implied egress allow is what lets everything out (Google Cloud, "Configure Private
Google Access": the private.googleapis.com range is reached only through DNS records that point
*.googleapis.com there, https://cloud.google.com/vpc/docs/configure-private-google-access)."""


@dataclass(frozen=True)
class _Blame:
    """The rules that let the unrestricted headers out (``rules``, path order) and, for an explicit GCP
    allow rule, the lower-priority deny rules of the same filter that already deny the rest (``below``)."""

    rules: tuple[RuleRef, ...]
    below: tuple[RuleRef, ...] = ()


def _name(rule: RuleRef) -> str:
    return rule.text.split(" ", 1)[0]


def _fix(blame: _Blame) -> str:
    rule = blame.rules[0] if blame.rules else None
    if rule is not None and rule.kind in ("firewall", "firewall-policy"):
        if rule.kind == "firewall" and " implied egress allow" in rule.text:
            return GCP_FIX
        names = " and ".join(_name(r) for r in blame.rules)
        narrow = (f"narrow the destinations, protocol and ports of {names} to what the workloads need "
                  "(e.g. tcp 443, or the prefixes of the desks, sites and venues they talk to)")
        if blame.below:
            return (f"{narrow}; {' and '.join(_name(r) for r in blame.below)}, below "
                    f"{'it' if len(blame.rules) == 1 else 'them'}, already denies the rest: no deny rule is missing")
        return f"{narrow}, and deny the rest of egress to 0.0.0.0/0 with a rule at a low priority (e.g. 65000)"
    if rule is not None and rule.kind == "security-group":
        return "narrow the security group's egress to the protocols, ports and destinations the workloads need"
    if rule is not None and rule.kind == "nacl":
        return "narrow the network ACL's egress rules to the protocols and ports the workloads need"
    return "restrict egress to the protocols, ports and destinations the workloads need"


def _opening(f: Filter, headers: Space) -> _Blame | None:
    """The rules of ``f`` that let ``headers`` (unrestricted headers that reached the internet) out: of the
    allow rules that take a part of them, those whose own match is unrestricted (the implied or default
    allow counts as one), else all of them (several narrow rules that only together open every port)."""
    parts = f.allowed_parts(headers)
    if not parts:
        return None
    wide = [(r, p) for r, p in parts if r is None or unrestricted(r.match)] or parts
    rules = tuple(f.default_ref if r is None else r.ref for r, _p in wide)
    if any(r is None for r, _p in wide):
        return _Blame(rules)
    ordered = [r for st in f.stages for r in st.rules]
    last = max(ordered.index(r) for r, _p in wide if r is not None)
    taken = Space([b for _r, p in wide for b in p.boxes])
    below = tuple(r.ref for r in ordered[last + 1:] if r.action == "deny" and r.match.intersect(taken))
    return _Blame(rules, below)


def _delivered(ctx: Context, src: Endpoint, addresses: Sequence[Interval], internet: Endpoint,
               base: Space) -> list[Trace]:
    results = pair_results(ctx.dp, src, addresses, [(internet, internet.addresses)], base, replies=False)
    return [t for p in results for t in p.delivered]


def _witness(wide: Sequence[str]) -> Space:
    """Headers that only a broad rule lets out: the IP protocols besides TCP, UDP and ICMP when every
    protocol is open, else the last TCP or UDP port (a rule naming a service's port does not match it)."""
    if "all protocols" in wide or "every other IP protocol" in wide:
        return Space.build(proto=[(0, 0), (2, 5), (7, 16), (18, 255)])
    return request_space(wide[0].split()[1], [(65535, 65535)])


@dataclass(frozen=True)
class _Open:
    """The endpoints of one source class (``net.matrix.source_class``) whose own walk reaches the
    internet unrestricted: what is open, the headers, and the walk's traces."""

    endpoints: tuple[Endpoint, ...]
    wide: tuple[str, ...]
    space: Space
    traces: tuple[Trace, ...]


def _confirm(ctx: Context, members: list[Endpoint], internet: Endpoint) -> _Open | None:
    """Walk from one source class to the internet. The matrix cuts what arrives by source address, so
    workloads sharing a subnet share their answer there; a class (same network, filters, tags and service
    account) is what decides, so its own walk says whether these endpoints are open."""
    addresses = [iv for ep in members for iv in ep.addresses]
    delivered = _delivered(ctx, members[0], addresses, internet, request_space("all"))
    space = Space([b for t in delivered for b in t.space])
    wide = unrestricted(space)
    if not wide:
        return None
    delivered.sort(key=lambda t: not unrestricted(t.space))  # the traces that show it first
    return _Open(tuple(members), tuple(wide), space, tuple(delivered))


def _allowing_rule(ctx: Context, found: _Open, internet: Endpoint) -> _Blame:
    """The egress rules that let the unrestricted headers out. A filter hop names every rule that allowed
    part of what crossed it (the filter runs before routing: a rule for CME's prefix over the interconnect
    is named on the internet path too), so the question is asked again with headers only a broad rule
    matches (``_witness``), and the source's egress filters are asked which rules let what of them
    actually reached the internet out (``_opening``). A site, or headers no filter decides: the first
    rule of the path's egress hops."""
    src = found.endpoints[0]
    witness = _delivered(ctx, src, src.addresses, internet, _witness(found.wide))
    headers = Space([b for t in witness for b in t.space.boxes])
    if headers:
        for f in egress_filters(ctx.dp, src):  # the walk's own: the filters its traces crossed
            blame = _opening(f.filter, headers)
            if blame is not None:
                return blame
    for t in (*witness, *found.traces):
        rules = allowing_rules(t)
        if rules:
            return _Blame((rules[0],))
    return _Blame(())


@register("internet-egress", severity="high", order=35,
          proves="no workload reaches the internet on every protocol or every port of TCP or UDP")
def check_internet_egress(ctx: Context) -> Iterator[Finding]:
    m = ctx.matrix()
    internet = ctx.dp.endpoints["internet"]
    for desk in m.segments:
        cell = m.cells.get((desk, INTERNET))
        if desk == INTERNET or cell is None:
            continue
        if not cell.reachable:
            ctx.note_pass(f"internet egress: desk {desk} does not reach the internet")
            continue
        if not unrestricted(cell.allowed()):  # the union is restricted, so is every endpoint's part
            ctx.note_pass(f"internet egress: desk {desk} reaches the internet only on {cell.summary()}")
            continue
        classes: dict[tuple[object, ...], list[Endpoint]] = {}
        for src, _dst, space in cell.leaks():
            if unrestricted(space):
                classes.setdefault(source_class(ctx.dp, src), []).append(src)
        by_network: dict[str, list[_Open]] = {}
        for members in classes.values():
            found = _confirm(ctx, members, internet)
            if found is not None:
                by_network.setdefault(members[0].network or f"site {members[0].name}", []).append(found)
        if not by_network:
            ctx.note_pass(f"internet egress: no endpoint of desk {desk} reaches the internet unrestricted "
                          f"(together: {cell.summary()})")
            continue
        for network, opened in sorted(by_network.items()):
            yield _finding(ctx, desk, network, opened, internet)


def _finding(ctx: Context, desk: str, network: str, opened: list[_Open], internet: Endpoint) -> Finding:
    """One finding per desk and network (or site): the endpoints, what is open, the rule that lets it out
    with its estate file:line, and a trace per source class (at most ``MAX_TRACES``)."""
    blame = _allowing_rule(ctx, opened[0], internet)
    rule = blame.rules[0] if blame.rules else None
    by = " and ".join(r.render() for r in blame.rules) or "the path in the trace"
    endpoints = sorted(((ep, o) for o in opened for ep in o.endpoints), key=lambda x: x[0].name)
    what = sorted({w for o in opened for w in o.wide})
    words = "all protocols" if "all protocols" in what else ", ".join(what)
    kind = "workload" if all(ep.kind == "workload" for ep, _o in endpoints) else "endpoint"
    n = len(endpoints)
    return Finding(
        "internet-egress", "high",
        f"{count(n, kind)} of desk {desk} in {network} {'reaches' if n == 1 else 'reach'} the internet on {words}",
        tuple(f"{ep.name} -> internet: {o.space.intersect(Space.build(src=ep.addresses)).describe()}"
              for ep, o in endpoints),
        f"{', '.join(ep.name for ep, _o in endpoints)}: unrestricted internet egress is an exfiltration path; "
        f"allowed by {by}",
        _fix(blame), (rule.location or rule.ident or None) if rule else None,
        tuple(o.traces[0] for o in opened if o.traces)[:MAX_TRACES])
