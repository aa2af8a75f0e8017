"""Hops between networks: transit gateways (association, static over propagated routes, peering),
on-premises sites (learned routes, cross-connected venues; sites do not transit), VPN remotes,
Direct Connect, interconnects, cross-cloud links, and the internet both ways."""

from __future__ import annotations

from tradeplane.estate.model import CrossCloud, DirectConnect, Interconnect, TgwAttachment, TgwPeering, Vpn
from tradeplane.net.space import Space, net_interval
from tradeplane.net.trace import Hop
from tradeplane.net.walk.base import Hops, WalkBase

__all__ = ["LinkHops"]


class LinkHops(WalkBase):
    """The walk across links, sites and the internet."""

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
        for route, part in self._by_route(groups):
            h = (*hops, Hop(node, f"routed {route.prefix}", (route.ref,)))
            if route.hop[0] == "blackhole":
                self._drop(h, part, "blackhole route")
                continue
            out = dp.tgw_attachment_named(tgw, str(route.hop[1]))
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
                if link.network in dp.aws:  # associated with the VPC's virtual private gateway
                    self._remote(link.network, part, hh, seen)
                elif not found:
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
        rest = self._aws_public_ingress(space, hops)
        rest = self._gcp_public_ingress(rest, hops)
        self._drop(hops, rest, "not publicly reachable: no endpoint with a public address holds the destination")
