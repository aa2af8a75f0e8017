"""GCP hops: VPC routes (priorities, tags, learned routes, routes imported over VPC peerings), firewalls
(hierarchical policies, VPC rules, network policies, implied rules), external IPs, Cloud NAT (per subnet)
and Private Service Connect endpoints."""

from __future__ import annotations

from tradeplane.estate.model import CrossCloud, Interconnect, Vpn
from tradeplane.net.dataplane import Endpoint
from tradeplane.net.space import Box, Space, net_interval
from tradeplane.net.trace import Hop
from tradeplane.net.walk.base import Hops, WalkBase

__all__ = ["GcpHops"]


class GcpHops(WalkBase):
    """The walk through GCP VPCs."""

    def _from_gcp(self, ep: Endpoint, space: Space, hops: Hops) -> None:
        dp = self.dp
        sub = dp.gcp[ep.network].subnets[ep.subnet]
        w = dp.workload(ep)
        tags = tuple(sorted(w.tags)) if w else ()

        def route(part: Space, at: Hops) -> None:
            self._gcp_route(ep.network, sub.region, tags, part, at, frozenset(), public=dp.has_public_ip(ep))

        space, hops = self._egress(ep, space, hops, route)
        if space:
            route(space, hops)

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
        for route, part in self._by_route(groups):
            h = (*hops, Hop(node, f"routed {route.prefix}", (route.ref,)))
            self._gcp_hop(net, region, route.hop, part, h, seen, public)

    def _gcp_hop(self, net: str, region: str, hop: tuple[object, ...], part: Space, h: Hops,
                 seen: frozenset[str], public: bool) -> None:
        """Forward ``part`` to a route's next hop in VPC ``net`` (``region``: where the traffic is)."""
        dp = self.dp
        kind = hop[0]
        if kind == "subnet":
            self._gcp_local(net, part, h, region)
        elif kind == "internet":
            public_part = part.intersect(dp.internet_space())
            self._drop(h, part.subtract(dp.internet_space()), "private destination sent to the default internet gateway")
            if not public_part:
                return
            if public:
                self._internet_out(public_part, (*h, Hop(f"gcp-internet:{net}@{region}", "external IP", (),
                                                         f"{net}/internet")))
                return
            natted = public_part.intersect(Space.build(src=dp.cloud_nat_sources(net, region)))
            self._drop(h, public_part.subtract(natted),
                       f"no external IP and no Cloud NAT for the source's subnet in {region}")
            if natted:
                self._internet_out(natted, (*h, Hop(f"gcp-internet:{net}@{region}", "Cloud NAT", (), f"{net}/internet")))
        elif kind == "vpn_tunnel":
            vpn = next((v for v in dp.estate.links_of(Vpn) for t in v.tunnels if t.name == hop[1]), None)
            if vpn is None or not dp.up(f"{vpn.name}/{hop[1]}"):
                self._drop(h, part, f"VPN tunnel {hop[1]} is down or unknown")
            else:
                self._remote(vpn.remote, part, (*h, Hop(f"vpn {vpn.name}", "tunnel", (), vpn.name)), seen)
        elif kind == "interconnect":
            link = dp.links[str(hop[1])]
            assert isinstance(link, Interconnect)
            self._site_deliver(link.site, part, (*h, Hop(f"interconnect {link.name}/{hop[2]}", "to site", (),
                                                         link.name)))
        elif kind == "vpn":
            vpn2 = dp.links[str(hop[1])]
            assert isinstance(vpn2, Vpn)
            self._remote(vpn2.remote, part, (*h, Hop(f"vpn {vpn2.name}", "tunnel", (), vpn2.name)), seen)
        elif kind == "cross_cloud":
            xc = dp.links[str(hop[1])]
            assert isinstance(xc, CrossCloud)
            tgw = dp.tgws.get(xc.aws_transit_gateway)
            att = dp.tgw_attachment_for(tgw, "cross_cloud", xc.name) if tgw else None
            hh = (*h, Hop(f"cross-cloud {xc.name}", "to AWS", (), xc.name))
            if tgw is None or att is None:
                self._drop(hh, part, f"cross-cloud {xc.name} is not attached to its transit gateway")
            else:
                self._tgw_in(tgw.name, att, part, hh, seen)
        elif kind == "peering":
            # a route imported over a VPC peering: the traffic continues at the peer's own next hop
            # (subnet routes: delivered in the peer, behind its ingress firewall); what the peer imported
            # from elsewhere never crossed (lookups._peering_routes), so peering stays non-transitive
            link_name, peer = str(hop[1]), str(hop[2])
            hh = (*h, Hop(f"peering {link_name}", f"to {peer}", (), link_name))
            self._gcp_hop(peer, region, hop[3:], part, hh, seen, False)
        elif kind == "psc":
            self._gcp_psc(net, str(hop[1]), part, h, region)
        elif kind == "blackhole":
            self._drop(h, part, "blackhole route")
        else:
            self._drop(h, part, f"next hop {kind} {hop[1:]} (an appliance) is not modelled")

    def _gcp_psc(self, net: str, name: str, space: Space, hops: Hops, region: str = "") -> None:
        """Deliver to a Private Service Connect endpoint (its own address only); a connection the producer
        has not accepted carries nothing; without global access only traffic in the endpoint's region
        reaches it (``region``: where the traffic is; empty when the walk does not know)."""
        pe = next((p for p in self.dp.gcp[net].vpc.psc_endpoints if p.name == name), None)
        key = f"psc:{net}/{name}"
        if pe is None or not self._want(key):
            return
        part = space.intersect(Space.build(dst=[(int(pe.address), int(pe.address))]))
        if not pe.accepted:
            self._drop(hops, part, f"Private Service Connect endpoint {name}: the producer has not accepted the "
                                   "connection")
            return
        if not pe.global_access and pe.region and region != pe.region:
            if region:
                self._drop(hops, part, f"Private Service Connect endpoint {name} has no global access: reachable "
                                       f"only from {pe.region}, not from {region}")
            else:
                self._unknown(hops, part, f"Private Service Connect endpoint {name} has no global access and the "
                                          "region the traffic comes from is not known")
            return
        self._deliver(hops, part, key, f"psc:{net}/{name}", (self.dp.ref("psc-endpoint", f"{net}/{name} -> "
                                                                          f"{pe.target}", pe),))

    def _gcp_psc_reply(self, endpoint: str, space: Space) -> None:
        """A reply from a Private Service Connect endpoint (``NET/NAME``): routed in the consumer VPC from
        the endpoint's region (stateful: no filter)."""
        net, name = endpoint.split("/", 1)
        info = self.dp.gcp[net]
        pe = next(p for p in info.vpc.psc_endpoints if p.name == name)
        region = pe.region or next((s.region for s in info.vpc.subnets if pe.address in s.cidr), "")
        if not region and info.vpc.subnets:
            region = info.vpc.subnets[0].region
        self._gcp_route(net, region, (), space, (Hop(f"psc {endpoint}", "reply"),), frozenset())

    def _gcp_local(self, net: str, space: Space, hops: Hops, region: str = "") -> None:
        for pe in self.dp.gcp[net].vpc.psc_endpoints:  # endpoints inside subnets; only when asked for
            if self._want(f"psc:{net}/{pe.name}") and self.wanted is not None:
                self._gcp_psc(net, pe.name, space, hops, region)
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
        classes: dict[tuple[tuple[str, ...], str, str], tuple[list[Box], list[tuple[Endpoint, Space]]]] = {}
        for name in sorted(by_subnet):
            if not self._any_wanted(net, name):
                continue
            part = Space(by_subnet[name])
            for ep in dp.by_subnet.get((net, name), []):
                if not self._want(ep.key):
                    continue
                w = dp.workload(ep)
                key = (tuple(sorted(w.tags)) if w else (), (w.service_account or "") if w else "",
                       dp.gcp[net].subnets[name].region)
                boxes, eps = classes.setdefault(key, ([], []))
                if not eps or eps[-1][1] is not part:
                    boxes.extend(part.boxes)
                eps.append((ep, part))
        for (tags, sa, region), (boxes, eps) in sorted(classes.items(), key=lambda kv: kv[0]):
            res = dp.gcp_filter(net, tags, sa, "ingress", region).evaluate_allowed(Space(boxes).compact())
            for upart, ref in res.unknown:  # by destination address: the matrix attributes it to endpoints
                self._unknown((), upart, f"firewall ingress: {ref.text} is not modelled")
            for ep, part in eps:
                # the subnet's part: the allowed headers whose destination is where this part's are
                # (subnets' parts are disjoint by destination)
                mine = res.allowed.intersect(Space.build(dst=part.project("dst")))
                self._deliver(hops, mine, ep.key, f"subnet:{net}/{ep.subnet}", res.allowed_by)

    def _gcp_subnet(self, net: str, subnet: str, space: Space, hops: Hops, public_only: bool = False) -> None:
        dp = self.dp
        at = f"subnet:{net}/{subnet}"
        for ep in self._subnet_endpoints(net, subnet, space, hops, public_only):
            if self.reply:
                self._deliver(hops, space, ep.key, at)
                continue
            w = dp.workload(ep)
            tags = tuple(sorted(w.tags)) if w else ()
            sa = (w.service_account or "") if w else ""
            self._deliver_filtered(hops, ep, at,
                                   dp.gcp_filter(net, tags, sa, "ingress", dp.gcp[net].subnets[subnet].region)
                                   .evaluate(space), "firewall ingress")

    def _gcp_public_ingress(self, rest: Space, hops: Hops) -> Space:
        """From the internet into GCP: to the subnets of VPCs with an internet route whose instances have an
        external IP. Returns what no subnet took."""
        dp = self.dp
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
        return rest
