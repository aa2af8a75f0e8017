"""The walk's core: outcomes, filters, route splitting, dataflow batching, and where traffic starts.

The hops themselves live by domain: ``aws.py`` (VPC route tables, NACLs, security groups, NAT
and internet gateways, peering), ``gcp.py`` (VPC routes, firewalls, Cloud NAT) and ``links.py``
(transit gateways, sites, VPNs, Direct Connect, interconnects, cross-cloud links, the internet).
Each domain calls the others through the entry points declared abstract here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tradeplane.estate.model import TgwAttachment
from tradeplane.net.dataplane import Dataplane, Endpoint
from tradeplane.net.filters import Filter, FilterResult
from tradeplane.net.routing import Route, RouteTable
from tradeplane.net.space import Box, Interval, Space, net_interval
from tradeplane.net.trace import Hop, RuleRef, Trace

__all__ = ["MAX_HOPS", "EgressFilter", "Hops", "WalkBase", "egress_filters"]

MAX_HOPS = 64
Hops = tuple[Hop, ...]


@dataclass(frozen=True)
class EgressFilter:
    """One filter a source's traffic crosses on its way out, before any route: ``filter``, the hop's node
    (``at``) and action (``what``, e.g. ``"NACL egress"``). ``stateful``: a reply passes it (security
    groups, GCP firewalls); a NACL is stateless and filters replies too. ``edge``: the subnet range the
    filter does not see (a NACL filters only what crosses the subnet's edge, not traffic between the
    subnet's own instances: AWS VPC user guide, "Control subnet traffic with network ACLs"), or None."""

    filter: Filter
    at: str
    what: str
    stateful: bool
    edge: Interval | None = None


def egress_filters(dp: Dataplane, ep: Endpoint) -> tuple[EgressFilter, ...]:
    """The egress filters traffic from ``ep`` crosses before its first route, in path order: the one
    definition the walk starts from (``AwsHops._from_aws``, ``GcpHops._from_gcp``) and that checks asking
    "which filter let this source's traffic out" use. A GCP instance or subnet: its firewall (hierarchical
    policies, VPC rules, implied rules) for its tags, service account and region; an AWS instance: its
    security groups, then its subnet's NACL; an AWS subnet: its NACL; anything else (a site, a venue, the
    internet): none."""
    if ep.kind not in ("workload", "subnet"):
        return ()
    w = dp.workload(ep)
    if ep.network in dp.gcp:
        sub = dp.gcp[ep.network].subnets[ep.subnet]
        tags = tuple(sorted(w.tags)) if w else ()
        sa = (w.service_account or "") if w else ""
        return (EgressFilter(dp.gcp_filter(ep.network, tags, sa, "egress", sub.region), ep.name,
                             "firewall egress", stateful=True),)
    if ep.network in dp.aws:
        info = dp.aws[ep.network]
        asub = info.subnets[ep.subnet]
        out: list[EgressFilter] = []
        if w is not None:
            out.append(EgressFilter(dp.sg_filter(ep.network, w.security_groups, "egress"), ep.name,
                                    "security group egress", stateful=True))
        if asub.nacl:
            out.append(EgressFilter(info.nacl_out[asub.nacl], f"{ep.network}/{asub.name}", "NACL egress",
                                    stateful=False, edge=net_interval(asub.cidr)))
        return tuple(out)
    return ()


@dataclass
class WalkBase(ABC):
    """One traversal. ``wanted``: endpoint keys worth delivering to (None: all).
    ``reply``: stateful filters pass (the flow is established); stateless NACLs still apply."""

    dp: Dataplane
    wanted: frozenset[str] | None = None
    reply: bool = False
    traces: list[Trace] = field(default_factory=list)
    merge: bool = False
    """Dataflow mode: routing nodes accumulate what reaches them and process it once (``drain``).
    Every header reaches the same places, but traces keep only the last hop; used for matrices."""
    drops: bool = True
    """Record dropped traces (a matrix reads only what is delivered or undecided)."""
    _pending: dict[tuple[object, ...], tuple[Space, Callable[[Space], None]]] = field(default_factory=dict)
    _done: dict[tuple[object, ...], Space] = field(default_factory=dict)
    _now: tuple[object, ...] | None = None

    def _defer(self, key: tuple[object, ...], space: Space, fn: Callable[[Space], None]) -> bool:
        """In merge mode, queue ``space`` for the node ``key`` instead of processing it now."""
        if not self.merge or self._now == key:
            return False
        old = self._pending.get(key)
        # concatenate (boxes may overlap; every operation treats a space as the union of its boxes)
        self._pending[key] = (Space([*old[0].boxes, *space.boxes]) if old else space, old[1] if old else fn)
        return True

    def drain(self) -> None:
        """Process queued nodes until nothing new reaches any node (terminates: spaces only grow)."""
        while self._pending:
            batch = sorted(self._pending.items(), key=lambda kv: repr(kv[0]))
            self._pending = {}
            for key, (space, fn) in batch:
                done = self._done.get(key)
                space = space.regroup().compact()
                new = space.subtract(done) if done else space
                if not new:
                    continue
                self._done[key] = Space([*done.boxes, *new.boxes]).compact() if done else new
                self._now = key
                try:
                    fn(new.compact() if done else new)  # ``space`` is compact already
                finally:
                    self._now = None


    # ------------------------------------------------------------------ outcomes

    def _drop(self, hops: Hops, space: Space, reason: str) -> None:
        if space and self.drops:
            self.traces.append(Trace(hops, "dropped", space, "", reason))

    def _unknown(self, hops: Hops, space: Space, reason: str) -> None:
        """Headers a rule the model cannot resolve decides: neither delivered nor dropped."""
        if space:
            self.traces.append(Trace(hops, "unknown", space, "", reason))

    def _deliver(self, hops: Hops, space: Space, key: str, at: str, rules: tuple[RuleRef, ...] = ()) -> None:
        if space and (self.wanted is None or key in self.wanted):
            ep = self.dp.endpoints.get(key)
            self.traces.append(Trace((*hops, Hop(ep.name if ep else key, "delivered", rules)), "delivered",
                                     space, key, "", at))

    def _lookup(self, table: RouteTable, space: Space) -> tuple[list[tuple[tuple[Route, ...], Space]], Space]:
        """Split by route; in merge mode by next hop (``_by_route`` coalesces by next hop anyway)."""
        return table.lookup_by_hop(space) if self.merge else table.lookup(space)

    def _by_route(self, groups: list[tuple[tuple[Route, ...], Space]]) -> list[tuple[Route, Space]]:
        """Each winning route with its headers (ECMP: each route gets the part). In merge mode,
        routes with the same next hop are coalesced so the next node is entered once."""
        if not self.merge:
            return [(route, part) for winners, part in groups for route in winners]
        by_hop: dict[tuple[object, ...], tuple[Route, list[Box]]] = {}
        for winners, part in groups:
            for route in winners:
                cur = by_hop.get(route.hop)
                if cur is None:
                    by_hop[route.hop] = (route, list(part.boxes))
                else:
                    cur[1].extend(part.boxes)
        return [(route, Space(boxes)) for route, boxes in by_hop.values()]

    def _want(self, key: str) -> bool:
        return self.wanted is None or key in self.wanted

    def _any_wanted(self, net: str, subnet: str) -> bool:
        """Does the subnet hold anything this walk delivers to? (Only then are its filters worth running.)"""
        if self.wanted is None:
            return True
        if any(ep.key in self.wanted for ep in self.dp.by_subnet.get((net, subnet), [])):
            return True
        return any(f"venue:{pe.venue}" in self.wanted for pe in self.dp.pe_by_subnet.get((net, subnet), []))

    def _filter(self, f: Filter, space: Space, hops: Hops, node: str, what: str) -> tuple[Space, Hops]:
        # a walk that records no drops reads only the allowed and undecided parts
        res = f.evaluate(space) if self.drops else f.evaluate_allowed(space)
        for part, ref in res.denied:
            self._drop((*hops, Hop(node, f"{what} denied", (ref,))), part, f"{what} denied by {ref.kind} rule")
        for part, ref in res.unknown:
            self._unknown((*hops, Hop(node, f"{what} undecided", (ref,))), part,
                          f"{what}: {ref.text} is not modelled")
        return res.allowed, (*hops, Hop(node, f"{what} allowed", res.allowed_by)) if res.allowed else hops

    def _egress(self, ep: Endpoint, space: Space, hops: Hops,
                inside: Callable[[Space, Hops], None]) -> tuple[Space, Hops]:
        """``space`` from ``ep`` through its egress filters (``egress_filters``; a reply skips the stateful
        ones): what passes them all, with the hops. What a filter with an ``edge`` does not see (traffic
        to the source's own subnet) goes to ``inside`` before that filter."""
        for f in egress_filters(self.dp, ep):
            if f.stateful and self.reply:
                continue
            if f.edge is not None:
                if not space:
                    continue
                own = Space.build(dst=[f.edge])
                staying = space.intersect(own)
                if staying:
                    inside(staying, hops)
                space = space.subtract(own)
            space, hops = self._filter(f.filter, space, hops, f.at, f.what)
        return space, hops

    def _subnet_endpoints(self, net: str, subnet: str, space: Space, hops: Hops,
                          public_only: bool = False) -> Iterator[Endpoint]:
        """The subnet's endpoints this walk delivers to. ``public_only`` (traffic from the internet):
        an endpoint without a public address drops ``space`` instead (exposure is per instance)."""
        for ep in self.dp.by_subnet.get((net, subnet), []):
            if not self._want(ep.key):
                continue
            if public_only and not self.dp.has_public_ip(ep):
                self._drop(hops, space, f"{ep.name} has no public address (public or Elastic IP, external IP): "
                                        "the internet reaches an instance only at its own public address")
                continue
            yield ep

    def _deliver_filtered(self, hops: Hops, ep: Endpoint, at: str, res: FilterResult, what: str) -> None:
        """An endpoint's ingress filter result: denied parts dropped, undecided parts unknown, the rest
        delivered with the rules that allowed it."""
        for part, ref in res.denied:
            self._drop((*hops, Hop(ep.name, f"{what} denied", (ref,))), part, f"{what} denied")
        for part, ref in res.unknown:
            self._unknown((*hops, Hop(ep.name, f"{what} undecided", (ref,))), part,
                          f"{what}: {ref.text} is not modelled")
        self._deliver(hops, res.allowed, ep.key, at, res.allowed_by)

    def _enter(self, node: str, visited: frozenset[str], hops: Hops, space: Space) -> frozenset[str] | None:
        if node in visited:
            self._drop((*hops, Hop(node, "revisited")), space, f"routing loop: {node} reached twice")
            return None
        if len(hops) > MAX_HOPS:
            self._drop(hops, space, "too many hops")
            return None
        return visited | {node}


    # ------------------------------------------------------------------ sources and replies

    def start(self, ep: Endpoint, space: Space) -> None:
        dp = self.dp
        if ep.kind in ("workload", "subnet"):
            if ep.network in dp.aws:
                self._from_aws(ep, space, ())
            elif ep.network in dp.gcp:
                self._from_gcp(ep, space, ())
        elif ep.kind == "site":
            self._site_route(ep.name, space, (), frozenset())
        elif ep.kind == "internet":
            self._internet_in(space, ())
        elif ep.kind == "venue":
            v = dp.estate.venue(ep.name)
            for site in sorted({s for s in dp.sites if v in dp.venues_at_site(s)}):
                mine = Space.build(src=[net_interval(c) for c in v.cidrs]).intersect(space)
                self._site_route(site, mine, (Hop(f"venue {v.name}", f"at site {site}"),), frozenset())
            if any(c.kind == "internet" for c in v.connectivity):
                self._internet_in(space, (Hop(f"venue {v.name}", "on the internet"),))

    def reenter(self, forward: Trace, space: Space) -> None:
        """Walk a reply back from where ``forward`` was delivered (stateful filters pass)."""
        dp = self.dp
        at = forward.at
        if at == "internet":
            # The internet answers the public address the flow left from: a NAT gateway's if it
            # passed one (the reply then retraces the NAT), else the instance's own via the IGW.
            gateway = next((h.node for h in reversed(forward.hops)
                            if h.node.startswith(("igw:", "gcp-internet:"))), "")
            nat = next((h.node for h in reversed(forward.hops) if h.node.startswith("nat:")), "")
            if gateway.startswith("igw:") and nat.startswith(f"nat:{gateway[4:]}/"):
                gateway = nat
            hops = (Hop("internet", "reply"),)
            if gateway.startswith("nat:"):
                net, nat = gateway[4:].split("/", 1)
                self._through_nat(net, nat, space, (*hops, Hop(gateway, "reply translated back")), frozenset())
            elif gateway.startswith("igw:"):
                self._aws_local(gateway[4:], space, (*hops, Hop(gateway, "reply")), None)
            elif gateway.startswith("gcp-internet:"):
                net = gateway[len("gcp-internet:"):].split("@", 1)[0]
                self._gcp_local(net, space, (*hops, Hop(gateway, "reply")))
            else:
                self._internet_in(space, hops)
        elif at.startswith("gateway-endpoint:"):
            self._aws_local(at[17:].split("/", 1)[0], space, (Hop(at, "reply from the AWS service"),), None)
        elif at.startswith("site:"):
            self._site_route(at[5:], space, (), frozenset())
        elif at.startswith("endpoint:"):
            pe = dp.links[at[9:]]
            net = getattr(pe, "network", "")
            subs = getattr(pe, "subnets", ())
            if subs and f"subnet:{net}/{subs[0]}" in dp.endpoints:
                self.start(dp.endpoints[f"subnet:{net}/{subs[0]}"], space)
        elif at.startswith("subnet:"):
            key = forward.endpoint if forward.endpoint.startswith("workload:") else at
            self.start(dp.endpoints[key], space)
        elif at.startswith("psc:"):
            self._gcp_psc_reply(at[4:], space)

    # ------------------------------------------------------------------ entry points of the hop domains

    @abstractmethod
    def _from_aws(self, ep: Endpoint, space: Space, hops: Hops) -> None: ...

    @abstractmethod
    def _aws_route(self, net: str, table: str, space: Space, hops: Hops, visited: frozenset[str],
                   from_subnet: str | None, public: bool = False) -> None: ...

    @abstractmethod
    def _aws_local(self, net: str, space: Space, hops: Hops, from_subnet: str | None) -> None: ...

    @abstractmethod
    def _through_nat(self, net: str, nat: str, space: Space, hops: Hops, seen: frozenset[str]) -> None: ...

    @abstractmethod
    def _aws_public_ingress(self, rest: Space, hops: Hops) -> Space: ...

    @abstractmethod
    def _from_gcp(self, ep: Endpoint, space: Space, hops: Hops) -> None: ...

    @abstractmethod
    def _gcp_route(self, net: str, region: str, tags: tuple[str, ...], space: Space, hops: Hops,
                   visited: frozenset[str], public: bool = False) -> None: ...

    @abstractmethod
    def _gcp_local(self, net: str, space: Space, hops: Hops, region: str = "") -> None: ...

    @abstractmethod
    def _gcp_public_ingress(self, rest: Space, hops: Hops) -> Space: ...

    @abstractmethod
    def _gcp_psc_reply(self, endpoint: str, space: Space) -> None: ...

    @abstractmethod
    def _tgw_in(self, tgw_name: str, att: TgwAttachment, space: Space, hops: Hops,
                visited: frozenset[str]) -> None: ...

    @abstractmethod
    def _remote(self, remote: str, space: Space, hops: Hops, seen: frozenset[str]) -> None: ...

    @abstractmethod
    def _site_deliver(self, site: str, space: Space, hops: Hops) -> None: ...

    @abstractmethod
    def _site_route(self, site: str, space: Space, hops: Hops, visited: frozenset[str]) -> None: ...

    @abstractmethod
    def _internet_out(self, space: Space, hops: Hops) -> None: ...

    @abstractmethod
    def _internet_in(self, space: Space, hops: Hops) -> None: ...
