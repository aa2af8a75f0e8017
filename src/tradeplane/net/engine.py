"""The symbolic forwarding engine: walk a header space through the data plane.

Starting from an endpoint with a set of headers, each step splits the set by
the route that wins for each destination and by the rules that allow or deny
each part, so a whole class of traffic moves at once. Every branch ends
delivered at an endpoint or dropped with a reason, carrying the hops it took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tradeplane.estate.model import (
    CrossCloud,
    DirectConnect,
    Interconnect,
    TgwAttachment,
    TgwPeering,
    VpcPeering,
    Vpn,
)
from tradeplane.net.dataplane import Dataplane, Endpoint
from tradeplane.net.filters import Filter
from tradeplane.net.routing import Route, RouteTable
from tradeplane.net.space import Box, Space, net_interval
from tradeplane.net.trace import Hop, RuleRef, Trace

__all__ = ["Walk"]

MAX_HOPS = 64
Hops = tuple[Hop, ...]


@dataclass
class Walk:
    """One traversal. ``wanted``: endpoint keys worth delivering to (None: all).
    ``reply``: stateful filters pass (the flow is established); stateless NACLs still apply."""

    dp: Dataplane
    wanted: frozenset[str] | None = None
    reply: bool = False
    traces: list[Trace] = field(default_factory=list)
    merge: bool = False
    """Dataflow mode: routing nodes accumulate what reaches them and process it once (``drain``).
    Every header reaches the same places, but traces keep only the last hop; used for matrices."""
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
                    fn(new.compact())
                finally:
                    self._now = None

    # ------------------------------------------------------------------ outcomes

    def _drop(self, hops: Hops, space: Space, reason: str) -> None:
        if space:
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
        res = f.evaluate(space)
        for part, ref in res.denied:
            self._drop((*hops, Hop(node, f"{what} denied", (ref,))), part, f"{what} denied by {ref.kind} rule")
        for part, ref in res.unknown:
            self._unknown((*hops, Hop(node, f"{what} undecided", (ref,))), part,
                          f"{what}: {ref.text} is not modelled")
        return res.allowed, (*hops, Hop(node, f"{what} allowed", res.allowed_by)) if res.allowed else hops

    # ------------------------------------------------------------------ sources

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

    def _from_aws(self, ep: Endpoint, space: Space, hops: Hops) -> None:
        dp = self.dp
        info = dp.aws[ep.network]
        sub = info.subnets[ep.subnet]
        w = dp.workload(ep)
        if w is not None and not self.reply:
            space, hops = self._filter(dp.sg_filter(ep.network, w.security_groups, "egress"), space, hops,
                                       ep.name, "security group egress")
        if sub.nacl and space:
            # NACLs filter what crosses the subnet's edge, not traffic between its own instances
            # (AWS VPC user guide, "Control subnet traffic with network ACLs")
            own = Space.build(dst=[net_interval(sub.cidr)])
            inside = space.intersect(own)
            if inside:
                self._aws_route(ep.network, sub.route_table, inside, hops, frozenset(), sub.name)
            space, hops = self._filter(info.nacl_out[sub.nacl], space.subtract(own), hops,
                                       f"{ep.network}/{sub.name}", "NACL egress")
        if space:
            self._aws_route(ep.network, sub.route_table, space, hops, frozenset(), sub.name)

    def _from_gcp(self, ep: Endpoint, space: Space, hops: Hops) -> None:
        dp = self.dp
        info = dp.gcp[ep.network]
        sub = info.subnets[ep.subnet]
        w = dp.workload(ep)
        tags = tuple(sorted(w.tags)) if w else ()
        sa = (w.service_account or "") if w else ""
        if not self.reply:
            space, hops = self._filter(dp.gcp_filter(ep.network, tags, sa, "egress"), space, hops, ep.name,
                                       "firewall egress")
        if space:
            self._gcp_route(ep.network, sub.region, tags, space, hops, frozenset(), public=dp.has_public_ip(ep))

    # ------------------------------------------------------------------ AWS

    def _enter(self, node: str, visited: frozenset[str], hops: Hops, space: Space) -> frozenset[str] | None:
        if node in visited:
            self._drop((*hops, Hop(node, "revisited")), space, f"routing loop: {node} reached twice")
            return None
        if len(hops) > MAX_HOPS:
            self._drop(hops, space, "too many hops")
            return None
        return visited | {node}

    def _aws_route(self, net: str, table: str, space: Space, hops: Hops, visited: frozenset[str],
                   from_subnet: str | None) -> None:
        if self._defer(("aws", net, table, from_subnet or ""), space,
                       lambda s: self._aws_route(net, table, s, (), frozenset(), from_subnet)):
            return
        node = f"{net}/{table}"
        seen = self._enter(f"aws:{node}", visited, hops, space)
        if seen is None:
            return
        groups, unrouted = self._lookup(self.dp.aws[net].tables[table], space)
        self._drop((*hops, Hop(node, "no matching route")), unrouted, f"no route in {node}")
        for route, part in self._by_route(groups):
            self._aws_hop(net, route, part, (*hops, Hop(node, f"routed {route.prefix}", (route.ref,))), seen,
                          from_subnet)

    def _aws_hop(self, net: str, route: Route, space: Space, hops: Hops, seen: frozenset[str],
                 from_subnet: str | None) -> None:
        dp = self.dp
        kind = route.hop[0]
        if kind == "local":
            self._aws_local(net, space, hops, from_subnet)
        elif kind == "igw":
            if not dp.aws[net].vpc.internet_gateway:
                self._drop(hops, space, f"{net} has no internet gateway")
                return
            public = space.intersect(dp.internet_space())
            self._drop(hops, space.subtract(dp.internet_space()), "private destination sent to the internet gateway")
            self._internet_out(public, (*hops, Hop(f"igw:{net}", "to the internet", (), f"{net}/igw")))
        elif kind == "nat":
            nat = route.hop[1]
            info = dp.aws[net]
            sub = info.subnets[info.nat_subnet[nat]]
            hops = (*hops, Hop(f"nat:{net}/{nat}", "source translated (stateful)"))
            if sub.nacl:
                space, hops = self._filter(info.nacl_in[sub.nacl], space, hops, f"{net}/{sub.name}", "NACL ingress")
                if space:
                    space, hops = self._filter(info.nacl_out[sub.nacl], space, hops, f"{net}/{sub.name}",
                                               "NACL egress")
            if space:
                self._aws_route(net, sub.route_table, space, hops, seen, sub.name)
        elif kind == "tgw":
            tgw = dp.tgws.get(route.hop[1])
            att = dp.tgw_attachment_for(tgw, "vpc", net) if tgw else None
            if tgw is None or att is None:
                self._drop(hops, space, f"{net} is not attached to transit gateway {route.hop[1]}")
                return
            zone = dp.aws[net].subnets[from_subnet].zone if from_subnet in dp.aws[net].subnets else None
            if zone is not None and not dp.attachment_serves_zone(att, net, zone):
                # AWS TGW docs: "resources in an Availability Zone without an attachment subnet
                # cannot reach the transit gateway"
                self._drop(hops, space, f"attachment {att.name} has no subnet in zone {zone} of {from_subnet}")
                return
            self._tgw_in(tgw.name, att, space, hops, seen)
        elif kind == "peering":
            link = dp.links.get(route.hop[1])
            peer = (link.b if link.a == net else link.a) if isinstance(link, VpcPeering) else ""
            if peer not in dp.aws:
                self._drop(hops, space, f"peering {route.hop[1]} does not reach an AWS VPC")
                return
            peer_space = Space.build(dst=dp.aws[peer].cidrs)
            inside = space.intersect(peer_space)
            self._drop(hops, space.subtract(peer_space),
                       f"VPC peering is not transitive: destination outside {peer}")
            self._aws_local(peer, inside, (*hops, Hop(f"peering {route.hop[1]}", f"to {peer}", (), route.hop[1])),
                            None)
        elif kind == "vgw":
            vpns = [v for v in dp.estate.links_of(Vpn) if v.network == net and not v.transit_gateway]
            if not vpns:
                self._drop(hops, space, f"{net} routes to its virtual private gateway but no VPN terminates there")
            for v in vpns:
                if not dp.link_up(v.name):
                    self._drop(hops, space, f"VPN {v.name} is down")
                    continue
                self._remote(v.remote, space, (*hops, Hop(f"vpn {v.name}", "tunnel", (), v.name)), seen)
        elif kind == "endpoint":
            pe = route.hop[1]
            link = dp.links.get(pe)
            if link is None or not hasattr(link, "venue"):
                self._drop(hops, space, f"private endpoint {pe} does not exist")
                return
            self._deliver(hops, space, f"venue:{link.venue}", f"endpoint:{pe}")
        else:
            self._drop(hops, space, "blackhole route")

    def _aws_local(self, net: str, space: Space, hops: Hops, from_subnet: str | None) -> None:
        info = self.dp.aws[net]
        if self.merge:
            self._aws_local_batched(net, space, from_subnet)
            return
        groups, rest = self.dp.subnet_table(net).lookup(space)
        for winners, part in groups:
            sub = info.subnets[str(winners[0].hop[1])]
            if not self._any_wanted(net, sub.name):
                continue
            h = hops
            if sub.nacl and sub.name != from_subnet:
                part, h = self._filter(info.nacl_in[sub.nacl], part, h, f"{net}/{sub.name}", "NACL ingress")
            if part:
                self._aws_subnet(net, sub.name, part, h)
        self._drop(hops, rest, f"no subnet of {net} holds the destination")

    def _aws_local_batched(self, net: str, space: Space, from_subnet: str | None) -> None:
        """Merge mode: one NACL evaluation per NACL and one security-group evaluation per group set for
        the whole VPC, then split by subnet (filters do not depend on which subnet holds the address)."""
        dp = self.dp
        info = dp.aws[net]
        groups, _rest = dp.subnet_table(net).lookup(space)
        by_nacl: dict[str, list[Box]] = {}
        for winners, part in groups:
            sub = info.subnets[str(winners[0].hop[1])]
            if not self._any_wanted(net, sub.name):
                continue
            key = sub.nacl if sub.nacl and sub.name != from_subnet else ""
            by_nacl.setdefault(key, []).extend(part.boxes)
        arrived: list[Box] = []
        for nacl, boxes in sorted(by_nacl.items()):
            part = Space(boxes)
            arrived.extend((info.nacl_in[nacl].evaluate(part).allowed if nacl else part).boxes)
        if not arrived:
            return
        here = Space(arrived)
        by_groups: dict[tuple[str, ...], list[Endpoint]] = {}
        for winners, _part in groups:
            name = str(winners[0].hop[1])
            for ep in dp.by_subnet.get((net, name), []):
                if not self._want(ep.key):
                    continue
                w = dp.workload(ep)
                if w is None or self.reply:
                    self._deliver((), here.intersect(Space.build(dst=list(ep.addresses))), ep.key, f"subnet:{net}/{name}")
                else:
                    by_groups.setdefault(tuple(w.security_groups), []).append(ep)
            for pe in dp.pe_by_subnet.get((net, name), []):
                self._deliver((), here.intersect(Space.build(dst=[net_interval(info.subnets[name].cidr)])),
                              f"venue:{pe.venue}", f"subnet:{net}/{name}")
        for sgs, eps in sorted(by_groups.items()):
            mine = here.intersect(Space.build(dst=[iv for ep in eps for iv in ep.addresses]))
            allowed = dp.sg_filter(net, sgs, "ingress").evaluate(mine).allowed
            for ep in eps:
                self._deliver((), allowed.intersect(Space.build(dst=list(ep.addresses))), ep.key,
                              f"subnet:{net}/{ep.subnet}")

    def _aws_subnet(self, net: str, subnet: str, space: Space, hops: Hops, public_only: bool = False) -> None:
        dp = self.dp
        at = f"subnet:{net}/{subnet}"
        for ep in dp.by_subnet.get((net, subnet), []):
            if not self._want(ep.key):
                continue
            if public_only and not dp.has_public_ip(ep):
                self._drop(hops, space, f"{ep.name} has no public address (public or Elastic IP, external IP): "
                                        "the internet reaches an instance only at its own public address")
                continue
            w = dp.workload(ep)
            if w is not None and not self.reply:
                f = dp.sg_filter(net, w.security_groups, "ingress")
                res = f.evaluate(space)
                for part, ref in res.denied:
                    self._drop((*hops, Hop(ep.name, "security group ingress denied", (ref,))), part,
                               "security group ingress denied")
                for part, ref in res.unknown:
                    self._unknown((*hops, Hop(ep.name, "security group ingress undecided", (ref,))), part,
                                  f"security group ingress: {ref.text} is not modelled")
                self._deliver(hops, res.allowed, ep.key, at, res.allowed_by)
            else:
                self._deliver(hops, space, ep.key, at)
        if public_only:
            return
        for pe in dp.pe_by_subnet.get((net, subnet), []):
            self._deliver((*hops, Hop(f"private endpoint {pe.name}", "to venue", (), pe.name)), space,
                          f"venue:{pe.venue}", at)

    # ------------------------------------------------------------------ transit gateways

    def _tgw_in(self, tgw_name: str, att: TgwAttachment, space: Space, hops: Hops, visited: frozenset[str]) -> None:
        if self._defer(("tgw", tgw_name, att.route_table), space,
                       lambda s: self._tgw_in(tgw_name, att, s, (), frozenset())):
            return
        dp = self.dp
        tgw = dp.tgws[tgw_name]
        node = f"{tgw_name}/{att.route_table}"
        seen = self._enter(f"tgw:{node}", visited, hops, space)
        if seen is None:
            return
        if att.route_table is None:
            ref = dp.ref("tgw-association", f"{tgw_name}/{att.name} has no associated route table", att)
            self._drop((*hops, Hop(tgw_name, f"via attachment {att.name}", (ref,))), space,
                       f"attachment {att.name} has no associated route table: what enters {tgw_name} from it "
                       "is dropped")
            return
        hops = (*hops, Hop(f"{tgw_name}", f"via attachment {att.name}", (dp.ref(
            "tgw-association", f"{tgw_name}/{att.name} associated with {att.route_table}", att, "route_table"),)))
        groups, unrouted = self._lookup(dp.tgw_table(tgw, att.route_table), space)
        self._drop((*hops, Hop(node, "no matching route")), unrouted, f"no route in {node}")
        by_name = {a.name: a for a in tgw.attachments}
        for route, part in self._by_route(groups):
            h = (*hops, Hop(node, f"routed {route.prefix}", (route.ref,)))
            if route.hop[0] == "blackhole":
                self._drop(h, part, "blackhole route")
                continue
            out = by_name.get(str(route.hop[1]))
            if out is None:
                self._drop(h, part, f"attachment {route.hop[1]} is not on {tgw_name}")
                continue
            if not dp.attachment_up(out):
                self._drop(h, part, f"attachment {out.name} is down ({out.target})")
                continue
            self._tgw_out(tgw_name, out, part, h, seen)

    def _tgw_out(self, tgw_name: str, out: TgwAttachment, space: Space, hops: Hops, seen: frozenset[str]) -> None:
        dp = self.dp
        link = dp.links.get(out.target)
        if out.kind == "vpc":
            info = dp.aws[out.target]
            cidrs = Space.build(dst=info.cidrs)
            inside = space.intersect(cidrs)
            if inside:
                self._aws_local(out.target, inside, hops, None)
            rest = space.subtract(cidrs)
            if rest:
                if not out.subnets:
                    self._drop(hops, rest, f"attachment {out.name} has no subnets")
                    return
                sub = info.subnets[out.subnets[0]]
                self._aws_route(out.target, sub.route_table, rest,
                                (*hops, Hop(f"{out.target}/{sub.name}", "attachment subnet route table")), seen,
                                sub.name)
        elif isinstance(link, DirectConnect):
            self._site_deliver(link.site, space, (*hops, Hop(f"direct connect {link.name}", "to site", (), link.name)))
        elif isinstance(link, Vpn):
            self._remote(link.remote, space, (*hops, Hop(f"vpn {link.name}", "tunnel", (), link.name)), seen)
        elif isinstance(link, CrossCloud):
            router = dp.links.get(link.gcp_router)
            region = getattr(router, "region", "")
            self._gcp_route(link.gcp_network, region, (), space,
                            (*hops, Hop(f"cross-cloud {link.name}", f"to {link.gcp_network}", (), link.name)), seen)
        elif isinstance(link, TgwPeering):
            other = link.b if link.a == tgw_name else link.a
            peer_tgw = dp.tgws.get(other)
            att = dp.tgw_attachment_for(peer_tgw, "peering", link.name) if peer_tgw else None
            if att is None or peer_tgw is None:
                self._drop(hops, space, f"transit gateway peering {link.name} has no attachment on {other}")
                return
            self._tgw_in(other, att, space, (*hops, Hop(f"tgw peering {link.name}", f"to {other}", (), link.name)),
                         seen)
        else:
            self._drop(hops, space, f"attachment {out.name} leads to unknown {out.target}")

    # ------------------------------------------------------------------ sites, VPNs, the internet

    def _remote(self, remote: str, space: Space, hops: Hops, seen: frozenset[str]) -> None:
        dp = self.dp
        if remote in dp.sites:
            self._site_deliver(remote, space, hops)
        elif remote in dp.aws:
            self._aws_local(remote, space.intersect(Space.build(dst=dp.aws[remote].cidrs)), hops, None)
        elif remote in dp.gcp:
            self._gcp_local(remote, space, hops)
        else:
            self._drop(hops, space, f"unknown remote {remote}")

    def _site_deliver(self, site: str, space: Space, hops: Hops) -> None:
        dp = self.dp
        s = dp.sites[site]
        own = space.intersect(Space.build(dst=[net_interval(c) for c in s.cidrs])) if s.cidrs else Space()
        at = f"site:{site}"
        self._deliver(hops, own, f"site:{site}", at)
        rest = space.subtract(own)
        for v in dp.venues_at_site(site):
            if not v.cidrs:
                continue
            part = rest.intersect(Space.build(dst=[net_interval(c) for c in v.cidrs]))
            self._deliver((*hops, Hop(f"site {site}", f"cross-connect to {v.name}")), part, f"venue:{v.name}", at)
            rest = rest.subtract(part)
        self._drop((*hops, Hop(f"site {site}", "arrived")), rest,
                   f"site {site} does not hold the destination (sites do not transit)")

    def _site_route(self, site: str, space: Space, hops: Hops, visited: frozenset[str]) -> None:
        if self._defer(("site", site), space, lambda s: self._site_route(site, s, (), frozenset())):
            return
        dp = self.dp
        seen = self._enter(f"site:{site}", visited, hops, space)
        if seen is None:
            return
        groups, unrouted = self._lookup(dp.site_table(site), space)
        self._drop((*hops, Hop(f"site {site}", "no route learned")), unrouted,
                   f"site {site} has learned no route to the destination")
        for route, part in self._by_route(groups):
            h = (*hops, Hop(f"site {site}", f"routed {route.prefix}", (route.ref,)))
            kind, name = route.hop[0], route.hop[1]
            link = dp.links[name]
            if isinstance(link, Interconnect):
                att = next(a for a in link.attachments if a.name == route.hop[2])
                self._gcp_route(link.network, att.region, (), part,
                                (*h, Hop(f"interconnect {link.name}/{att.name}", f"to {link.network}", (),
                                         link.name)), seen)
            elif isinstance(link, Vpn):
                hh = (*h, Hop(f"vpn {link.name}", "tunnel", (), link.name))
                if link.network in dp.gcp:
                    router = dp.links.get(link.router or "")
                    self._gcp_route(link.network, getattr(router, "region", ""), (), part, hh, seen)
                elif link.transit_gateway and link.transit_gateway in dp.tgws:
                    att2 = dp.tgw_attachment_for(dp.tgws[link.transit_gateway], "vpn", link.name)
                    if att2 is None:
                        self._drop(hh, part, f"VPN {link.name} is not attached to {link.transit_gateway}")
                    else:
                        self._tgw_in(link.transit_gateway, att2, part, hh, seen)
                else:
                    self._remote(link.network, part, hh, seen)
            elif isinstance(link, DirectConnect) and kind == "direct_connect":
                hh = (*h, Hop(f"direct connect {link.name}", "to AWS", (), link.name))
                found = [(t, a) for t in dp.tgws.values() for a in t.attachments
                         if a.kind == "direct_connect" and a.target == link.name]
                if not found:
                    self._drop(hh, part, f"Direct Connect {link.name} is not attached to a transit gateway")
                for t, a in found:
                    self._tgw_in(t.name, a, part, hh, seen)

    def _internet_out(self, space: Space, hops: Hops) -> None:
        dp = self.dp
        self._deliver(hops, space, "internet", "internet")
        for v in dp.estate.venues:
            if not any(c.kind == "internet" for c in v.connectivity) or not self._want(f"venue:{v.name}"):
                continue
            addrs = [net_interval(c) for c in v.cidrs] or dp.internet
            self._deliver(hops, space.intersect(Space.build(dst=addrs)), f"venue:{v.name}", "internet")

    def _internet_in(self, space: Space, hops: Hops) -> None:
        """From the internet: only endpoints with a public address take traffic (per instance, both clouds:
        an AWS internet gateway translates only an instance's public or Elastic IP, and its subnet must
        route to the gateway for the replies; a GCP instance needs an external IP on its interface)."""
        dp = self.dp
        rest = space
        for net, info in dp.aws.items():
            if not info.vpc.internet_gateway:
                continue
            for sub in info.vpc.subnets:
                table = info.tables[sub.route_table]
                if not any(r.hop[0] == "igw" for r in table.routes):
                    continue
                if not any(dp.has_public_ip(ep) for ep in dp.by_subnet.get((net, sub.name), [])):
                    continue
                part = rest.intersect(Space.build(dst=[net_interval(sub.cidr)]))
                if not part:
                    continue
                rest = rest.subtract(part)
                h = (*hops, Hop(f"igw:{net}", f"inbound to public address in {sub.name}", (), f"{net}/igw"))
                if sub.nacl:
                    part, h = self._filter(info.nacl_in[sub.nacl], part, h, f"{net}/{sub.name}", "NACL ingress")
                if part:
                    self._aws_subnet(net, sub.name, part, h, public_only=True)
        for net, ginfo in dp.gcp.items():
            if not any(r.next_hop.value == "internet" for r in ginfo.vpc.routes):
                continue
            for gsub in ginfo.vpc.subnets:
                if not any(dp.has_public_ip(ep) for ep in dp.by_subnet.get((net, gsub.name), [])):
                    continue
                part = rest.intersect(Space.build(dst=[net_interval(gsub.cidr)]))
                rest = rest.subtract(part)
                if part:
                    self._gcp_subnet(net, gsub.name, part, (*hops, Hop(f"{net} external IP", "inbound", (), "")),
                                     public_only=True)
        self._drop(hops, rest, "not publicly reachable: no endpoint with a public address holds the destination")

    # ------------------------------------------------------------------ GCP

    def _gcp_route(self, net: str, region: str, tags: tuple[str, ...], space: Space, hops: Hops,
                   visited: frozenset[str], public: bool = False) -> None:
        if self._defer(("gcp", net, region, tags, public), space,
                       lambda s: self._gcp_route(net, region, tags, s, (), frozenset(), public)):
            return
        dp = self.dp
        node = f"{net}@{region}"
        seen = self._enter(f"gcp:{node}", visited, hops, space)
        if seen is None:
            return
        groups, unrouted = self._lookup(dp.gcp_table(net, region, tags), space)
        self._drop((*hops, Hop(node, "no matching route")), unrouted, f"no route in {node}")
        vpc = dp.gcp[net].vpc
        for route, part in self._by_route(groups):
            h = (*hops, Hop(node, f"routed {route.prefix}", (route.ref,)))
            kind = route.hop[0]
            if kind == "subnet":
                self._gcp_local(net, part, h)
            elif kind == "internet":
                public_part = part.intersect(dp.internet_space())
                self._drop(h, part.subtract(dp.internet_space()),
                           "private destination sent to the default internet gateway")
                if public_part and not (public or region in vpc.cloud_nat_regions):
                    self._drop(h, public_part, f"no external IP and no Cloud NAT in {region}")
                elif public_part:
                    self._internet_out(public_part, (*h, Hop(f"gcp-internet:{net}@{region}",
                                                           "Cloud NAT" if not public else "external IP", (),
                                                           f"{net}/internet")))
            elif kind == "vpn_tunnel":
                vpn = next((v for v in dp.estate.links_of(Vpn) for t in v.tunnels if t.name == route.hop[1]), None)
                if vpn is None or not dp.up(f"{vpn.name}/{route.hop[1]}"):
                    self._drop(h, part, f"VPN tunnel {route.hop[1]} is down or unknown")
                else:
                    self._remote(vpn.remote, part, (*h, Hop(f"vpn {vpn.name}", "tunnel", (), vpn.name)), seen)
            elif kind == "interconnect":
                link = dp.links[route.hop[1]]
                assert isinstance(link, Interconnect)
                self._site_deliver(link.site, part, (*h, Hop(f"interconnect {link.name}/{route.hop[2]}",
                                                             "to site", (), link.name)))
            elif kind == "vpn":
                vpn2 = dp.links[route.hop[1]]
                assert isinstance(vpn2, Vpn)
                self._remote(vpn2.remote, part, (*h, Hop(f"vpn {vpn2.name}", "tunnel", (), vpn2.name)), seen)
            elif kind == "cross_cloud":
                xc = dp.links[route.hop[1]]
                assert isinstance(xc, CrossCloud)
                tgw = dp.tgws.get(xc.aws_transit_gateway)
                att = dp.tgw_attachment_for(tgw, "cross_cloud", xc.name) if tgw else None
                hh = (*h, Hop(f"cross-cloud {xc.name}", "to AWS", (), xc.name))
                if tgw is None or att is None:
                    self._drop(hh, part, f"cross-cloud {xc.name} is not attached to its transit gateway")
                else:
                    self._tgw_in(tgw.name, att, part, hh, seen)
            elif kind == "blackhole":
                self._drop(h, part, "blackhole route")
            else:
                self._drop(h, part, f"next hop {kind} {route.hop[1:]} (an appliance) is not modelled")

    def _gcp_local(self, net: str, space: Space, hops: Hops) -> None:
        groups, rest = self.dp.subnet_table(net).lookup(space)
        by_subnet: dict[str, list[Box]] = {}
        for winners, part in groups:
            by_subnet.setdefault(str(winners[0].hop[1]), []).extend(part.boxes)  # primary and secondary ranges
        if self.merge and not self.reply:
            self._gcp_local_batched(net, by_subnet, hops)
            return
        for name in sorted(by_subnet):
            if self._any_wanted(net, name):
                self._gcp_subnet(net, name, Space(by_subnet[name]), hops)
        self._drop(hops, rest, f"no subnet of {net} holds the destination")

    def _gcp_local_batched(self, net: str, by_subnet: dict[str, list[Box]], hops: Hops) -> None:
        """Merge mode: one firewall evaluation per (tags, service account) for the whole VPC, then split by
        endpoint (a filter decides each header on its own, so evaluating the union and cutting it by
        destination equals evaluating each part)."""
        dp = self.dp
        classes: dict[tuple[tuple[str, ...], str], tuple[list[Box], list[tuple[Endpoint, Space]]]] = {}
        for name in sorted(by_subnet):
            if not self._any_wanted(net, name):
                continue
            part = Space(by_subnet[name])
            for ep in dp.by_subnet.get((net, name), []):
                if not self._want(ep.key):
                    continue
                w = dp.workload(ep)
                key = (tuple(sorted(w.tags)) if w else (), (w.service_account or "") if w else "")
                boxes, eps = classes.setdefault(key, ([], []))
                if not eps or eps[-1][1] is not part:
                    boxes.extend(part.boxes)
                eps.append((ep, part))
        for (tags, sa), (boxes, eps) in sorted(classes.items(), key=lambda kv: kv[0]):
            res = dp.gcp_filter(net, tags, sa, "ingress").evaluate(Space(boxes).compact())
            for ep, part in eps:
                # the subnet's part: the allowed headers whose destination is where this part's are
                # (subnets' parts are disjoint by destination)
                mine = res.allowed.intersect(Space.build(dst=part.project("dst")))
                self._deliver(hops, mine, ep.key, f"subnet:{net}/{ep.subnet}", res.allowed_by)

    def _gcp_subnet(self, net: str, subnet: str, space: Space, hops: Hops, public_only: bool = False) -> None:
        dp = self.dp
        at = f"subnet:{net}/{subnet}"
        for ep in dp.by_subnet.get((net, subnet), []):
            if not self._want(ep.key):
                continue
            if public_only and not dp.has_public_ip(ep):
                self._drop(hops, space, f"{ep.name} has no public address (public or Elastic IP, external IP): "
                                        "the internet reaches an instance only at its own public address")
                continue
            if self.reply:
                self._deliver(hops, space, ep.key, at)
                continue
            w = dp.workload(ep)
            tags = tuple(sorted(w.tags)) if w else ()
            sa = (w.service_account or "") if w else ""
            res = dp.gcp_filter(net, tags, sa, "ingress").evaluate(space)
            for part, ref in res.denied:
                self._drop((*hops, Hop(ep.name, "firewall ingress denied", (ref,))), part, "firewall ingress denied")
            for part, ref in res.unknown:
                self._unknown((*hops, Hop(ep.name, "firewall ingress undecided", (ref,))), part,
                              f"firewall ingress: {ref.text} is not modelled")
            self._deliver(hops, res.allowed, ep.key, at, res.allowed_by)

    # ------------------------------------------------------------------ replies

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
                info = dp.aws[net]
                sub = info.subnets[info.nat_subnet[nat]]
                h: Hops = (*hops, Hop(gateway, "reply translated back"))
                if sub.nacl:
                    space, h = self._filter(info.nacl_in[sub.nacl], space, h, f"{net}/{sub.name}", "NACL ingress")
                    if space:
                        space, h = self._filter(info.nacl_out[sub.nacl], space, h, f"{net}/{sub.name}",
                                                "NACL egress")
                if space:
                    self._aws_route(net, sub.route_table, space, h, frozenset(), sub.name)
            elif gateway.startswith("igw:"):
                self._aws_local(gateway[4:], space, (*hops, Hop(gateway, "reply")), None)
            elif gateway.startswith("gcp-internet:"):
                net = gateway[len("gcp-internet:"):].split("@", 1)[0]
                self._gcp_local(net, space, (*hops, Hop(gateway, "reply")))
            else:
                self._internet_in(space, hops)
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
