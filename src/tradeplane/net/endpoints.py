"""Name the ends of a question: workloads, subnets, networks, desks, sites, venues, internet, CIDRs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network

from tradeplane.errors import InputError
from tradeplane.net.dataplane import Dataplane, Endpoint
from tradeplane.net.space import Interval, net_interval

__all__ = ["Selection", "resolve"]


@dataclass(frozen=True)
class Selection:
    """What a name stands for: endpoints, each with the addresses that take part."""

    spec: str
    kind: str
    members: tuple[tuple[Endpoint, tuple[Interval, ...]], ...]
    any_endpoint: bool = False  # a CIDR destination: delivery to anything inside counts
    cidr: Interval | None = None

    def keys(self) -> frozenset[str]:
        return frozenset(ep.key for ep, _ in self.members)

    def addresses(self) -> list[Interval]:
        return [iv for _, ivs in self.members for iv in ivs]


def _clip(ivs: tuple[Interval, ...], lo: int, hi: int) -> tuple[Interval, ...]:
    return tuple((max(a, lo), min(b, hi)) for a, b in ivs if max(a, lo) <= min(b, hi))


def resolve(dp: Dataplane, spec: str) -> Selection:
    """Resolve a name; raise ``InputError`` naming close matches when nothing fits."""
    eps = dp.endpoints
    e = dp.estate
    if spec == "internet":
        ep = eps["internet"]
        return Selection(spec, "internet", ((ep, ep.addresses),))
    if f"workload:{spec}" in eps:
        ep = eps[f"workload:{spec}"]
        return Selection(spec, "workload", ((ep, ep.addresses),))
    if f"subnet:{spec}" in eps:
        ep = eps[f"subnet:{spec}"]
        return Selection(spec, "subnet", ((ep, ep.addresses),))
    psc = [k for k in (f"psc:{spec}", *dp.psc_by_name.get(spec, ())) if k in eps]
    if f"subnet:{spec}" not in eps and len(set(psc)) == 1:  # a Private Service Connect endpoint (NET/NAME or NAME)
        ep = eps[psc[0]]
        return Selection(spec, "psc", ((ep, ep.addresses),))
    if f"site:{spec}" in eps:
        ep = eps[f"site:{spec}"]
        return Selection(spec, "site", ((ep, ep.addresses),))
    if f"venue:{spec}" in eps:
        ep = eps[f"venue:{spec}"]
        return Selection(spec, "venue", ((ep, ep.addresses),))
    if any(d.name == spec for d in e.desks):
        members = [eps[f"workload:{w.name}"] for w in e.workloads if w.desk == spec and f"workload:{w.name}" in eps]
        members += [eps[f"site:{s.name}"] for s in e.sites if s.desk == spec]
        return Selection(spec, "desk", tuple((m, m.addresses) for m in members))
    if any(n.name == spec for n in e.networks):
        n = e.network(spec)
        members = [eps[f"subnet:{n.name}/{s.name}"] for s in n.subnets]
        return Selection(spec, "network", tuple((m, m.addresses) for m in members))
    try:
        net = ip_network(spec, strict=False)
    except ValueError:
        net = None
    if isinstance(net, IPv4Network):
        lo, hi = net_interval(net)
        inside = []
        for ep in eps.values():
            if ep.kind in ("workload", "venue", "psc"):
                continue
            clipped = _clip(ep.addresses, lo, hi)
            if clipped:
                inside.append((ep, clipped))
        return Selection(spec, "cidr", tuple(inside), any_endpoint=True, cidr=(lo, hi))
    names = sorted({"internet", *(d.name for d in e.desks), *(w.name for w in e.workloads),
                    *(s.name for s in e.sites), *(v.name for v in e.venues), *(n.name for n in e.networks),
                    *(k[7:] for k in eps if k.startswith("subnet:"))})
    close = difflib.get_close_matches(spec, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else \
        "give a workload, NETWORK/SUBNET, network, desk, site, venue, 'internet' or a CIDR"
    raise InputError.single(f"'{spec}' names nothing in estate {e.name}", hint=hint)
