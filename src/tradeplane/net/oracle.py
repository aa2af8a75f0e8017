"""The oracle: a brute-force simulator of one concrete packet, hop by hop.

It shares the data plane's *inputs* (route lists, compiled rule matches, which
links are up) but none of the symbolic machinery: routes are found by scanning
every route, filters by testing rules one by one, and the walk follows one
packet. Tests compare it with the symbolic engine on random small networks.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeplane.estate.model import CrossCloud, DirectConnect, Interconnect, TgwPeering, Vpn
from tradeplane.net.dataplane import Dataplane, Endpoint
from tradeplane.net.routing import Route
from tradeplane.net.space import Header

__all__ = ["Outcome", "PacketOracle"]


@dataclass(frozen=True, order=True)
class Outcome:
    """Where one packet ended: ``delivered`` at an endpoint key (and place), or ``dropped``."""

    disposition: str
    endpoint: str
    at: str = ""
    gateway: str = ""


def _in(prefix_lo_hi: tuple[int, int], v: int) -> bool:
    return prefix_lo_hi[0] <= v <= prefix_lo_hi[1]


def _best(routes: tuple[Route, ...], dst: int) -> list[Route]:
    cands = [r for r in routes if int(r.prefix.network_address) <= dst <= int(r.prefix.broadcast_address)]
    if not cands:
        return []
    plen = max(r.prefix.prefixlen for r in cands)
    cands = [r for r in cands if r.prefix.prefixlen == plen]
    prio = min(r.priority for r in cands)
    return [r for r in cands if r.priority == prio]


class PacketOracle:
    """The brute-force oracle: concrete packets walked one at a time over a data plane, against
    which the symbolic engine is checked (tests and `benchmarks/net_verify.py`)."""

    def __init__(self, dp: Dataplane) -> None:
        self.dp = dp

    # ------------------------------------------------------------------ public

    def forward(self, src: Endpoint, h: Header, *, reply: bool = False) -> list[Outcome]:
        self.reply = reply
        self.out: list[Outcome] = []
        self._start(src, h)
        return sorted(set(self.out))

    def working(self, src: Endpoint, dst_key: str, h: Header) -> bool:
        """Is ``h`` delivered at ``dst_key`` and does its reply come back to ``src``?"""
        for o in self.forward(src, h):
            if o.disposition != "delivered" or o.endpoint != dst_key:
                continue
            self.reply = True
            self.out = []
            self._reenter(o, h.reply(), dst_key)
            if any(r.disposition == "delivered" and r.endpoint == src.key for r in self.out):
                return True
        return False

    # ------------------------------------------------------------------ plumbing

    def _deliver(self, key: str, at: str, gateway: str = "") -> None:
        self.out.append(Outcome("delivered", key, at, gateway))

    def _drop(self, why: str) -> None:
        self.out.append(Outcome("dropped", why))

    def _start(self, ep: Endpoint, h: Header, gateway: str = "") -> None:
        dp = self.dp
        if not any(lo <= h.src <= hi for lo, hi in ep.addresses) and ep.kind != "venue":
            self._drop("source address not owned")
            return
        if ep.kind in ("workload", "subnet"):
            if ep.network in dp.aws:
                info = dp.aws[ep.network]
                sub = info.subnets[ep.subnet]
                w = dp.workload(ep)
                if w is not None and not self.reply and not dp.sg_filter(ep.network, w.security_groups,
                                                                          "egress").decide(h)[0]:
                    return self._drop("sg egress")
                own = int(sub.cidr.network_address) <= h.dst <= int(sub.cidr.broadcast_address)
                if sub.nacl and not own and not info.nacl_out[sub.nacl].decide(h)[0]:
                    return self._drop("nacl egress")
                self._aws(ep.network, sub.route_table, h, sub.name, set(), public=dp.has_public_ip(ep))
            else:
                sub2 = dp.gcp[ep.network].subnets[ep.subnet]
                w = dp.workload(ep)
                tags = tuple(sorted(w.tags)) if w else ()
                sa = (w.service_account or "") if w else ""
                if not self.reply and not dp.gcp_filter(ep.network, tags, sa, "egress", sub2.region).decide(h)[0]:
                    return self._drop("firewall egress")
                self._gcp(ep.network, sub2.region, tags, h, set(), dp.has_public_ip(ep))
        elif ep.kind == "site":
            self._site(ep.name, h, set())
        elif ep.kind == "internet":
            self._internet_in(h)
        return None

    def _aws(self, net: str, table: str, h: Header, from_subnet: str | None, seen: set[str],
             nat: str = "", public: bool = False) -> None:
        dp = self.dp
        node = f"aws:{net}/{table}"
        if node in seen:
            return self._drop("loop")
        seen = seen | {node}
        routes = _best(dp.aws[net].tables[table].routes, h.dst)
        if not routes:
            return self._drop("no route")
        for r in routes:
            kind = r.hop[0]
            if kind == "local":
                self._aws_local(net, h, from_subnet)
            elif kind == "igw":
                translated = nat.startswith(f"nat:{net}/")
                if not (translated or public):
                    self._drop("no public address at the internet gateway")
                elif dp.aws[net].vpc.internet_gateway and any(_in(iv, h.dst) for iv in dp.internet):
                    self._internet_out(h, nat if translated else f"igw:{net}")
                else:
                    self._drop("igw")
            elif kind == "nat":
                info = dp.aws[net]
                sub = info.subnets[info.nat_subnet[r.hop[1]]]
                if sub.nacl and not (info.nacl_in[sub.nacl].decide(h)[0] and info.nacl_out[sub.nacl].decide(h)[0]):
                    self._drop("nat nacl")
                    continue
                self._aws(net, sub.route_table, h, sub.name, seen, f"nat:{net}/{r.hop[1]}")
            elif kind == "tgw":
                tgw = dp.tgws.get(r.hop[1])
                att = dp.tgw_attachment_for(tgw, "vpc", net) if tgw else None
                zone = dp.aws[net].subnets[from_subnet].zone if from_subnet in dp.aws[net].subnets else None
                if tgw is None or att is None:
                    self._drop("not attached")
                elif zone is not None and not dp.attachment_serves_zone(att, net, zone):
                    self._drop("no attachment subnet in the zone")
                else:
                    self._tgw(tgw.name, att.name, h, seen, nat)
            elif kind == "peering":
                link = dp.links[r.hop[1]]
                peer = getattr(link, "b", "") if getattr(link, "a", "") == net else getattr(link, "a", "")
                if peer in dp.aws and any(_in(iv, h.dst) for iv in dp.aws[peer].cidrs):
                    self._aws_local(peer, h, None)
                else:
                    self._drop("peering")
            elif kind == "vgw":
                vpns = [v for v in dp.estate.links_of(Vpn) if v.network == net and not v.transit_gateway]
                dxs = [d for d in dp.estate.links_of(DirectConnect) if d.network == net]
                if not vpns and not dxs:
                    self._drop("vgw")
                for d in dxs:
                    if dp.dx_vifs_up(d):
                        self._site_deliver(d.site, h)
                    else:
                        self._drop("dx down")
                for v in vpns:
                    if dp.link_up(v.name):
                        self._remote(v.remote, h, seen)
                    else:
                        self._drop("vpn down")
            elif kind == "gateway_endpoint":
                if any(_in(iv, h.dst) for iv in dp.internet):
                    self._deliver("internet", f"gateway-endpoint:{net}/{r.hop[1]}")
                else:
                    self._drop("private destination at a gateway endpoint")
            elif kind == "endpoint":
                self._deliver(f"venue:{getattr(dp.links[r.hop[1]], 'venue', '')}", f"endpoint:{r.hop[1]}")
            else:
                self._drop("blackhole")
        return None

    def _aws_local(self, net: str, h: Header, from_subnet: str | None, public_only: bool = False) -> None:
        dp = self.dp
        info = dp.aws[net]
        for sub in info.vpc.subnets:
            lo, hi = int(sub.cidr.network_address), int(sub.cidr.broadcast_address)
            if not lo <= h.dst <= hi:
                continue
            if sub.nacl and sub.name != from_subnet and not info.nacl_in[sub.nacl].decide(h)[0]:
                return self._drop("nacl ingress")
            at = f"subnet:{net}/{sub.name}"
            for ep in dp.by_subnet.get((net, sub.name), []):
                if public_only and not dp.has_public_ip(ep):
                    continue
                w = dp.workload(ep)
                if w is None or self.reply or dp.sg_filter(net, w.security_groups, "ingress").decide(h)[0]:
                    self._deliver(ep.key, at)
                else:
                    self._drop("sg ingress")
            for pe in [] if public_only else dp.pe_by_subnet.get((net, sub.name), []):
                self._deliver(f"venue:{pe.venue}", at)
            return None
        return self._drop("no subnet")

    def _tgw(self, tgw_name: str, att_name: str, h: Header, seen: set[str], nat: str = "") -> None:
        dp = self.dp
        tgw = dp.tgws[tgw_name]
        att = next(a for a in tgw.attachments if a.name == att_name)
        if att.route_table is None:
            return self._drop("attachment not associated")
        node = f"tgw:{tgw_name}/{att.route_table}"
        if node in seen:
            return self._drop("loop")
        seen = seen | {node}
        routes = _best(dp.tgw_table(tgw, att.route_table).routes, h.dst)
        if not routes:
            return self._drop("no route")
        for r in routes:
            if r.hop[0] == "blackhole":
                self._drop("blackhole")
                continue
            out = next((a for a in tgw.attachments if a.name == r.hop[1]), None)
            if out is None:
                self._drop("unknown attachment")
                continue
            if not dp.attachment_up(out):
                self._drop("down")
                continue
            link = dp.links.get(out.target)
            if out.kind == "vpc":
                info = dp.aws[out.target]
                if any(_in(iv, h.dst) for iv in info.cidrs):
                    self._aws_local(out.target, h, None)
                elif out.subnets:
                    sub = info.subnets[out.subnets[0]]
                    self._aws(out.target, sub.route_table, h, sub.name, seen, nat)
                else:
                    self._drop("no subnets")
            elif isinstance(link, DirectConnect):
                self._site_deliver(link.site, h)
            elif isinstance(link, Vpn):
                self._remote(link.remote, h, seen)
            elif isinstance(link, CrossCloud):
                self._gcp(link.gcp_network, getattr(dp.links.get(link.gcp_router), "region", ""), (), h, seen)
            elif isinstance(link, TgwPeering):
                other = link.b if link.a == tgw_name else link.a
                pt = dp.tgws.get(other)
                patt = dp.tgw_attachment_for(pt, "peering", link.name) if pt else None
                if patt is None:
                    self._drop("peering")
                else:
                    self._tgw(other, patt.name, h, seen)
            else:
                self._drop("unknown")
        return None

    def _remote(self, remote: str, h: Header, seen: set[str]) -> None:
        dp = self.dp
        if remote in dp.sites:
            self._site_deliver(remote, h)
        elif remote in dp.aws:
            if any(_in(iv, h.dst) for iv in dp.aws[remote].cidrs):
                self._aws_local(remote, h, None)
            else:
                self._drop("outside")
        elif remote in dp.gcp:
            self._gcp_local(remote, h)

    def _site_deliver(self, site: str, h: Header) -> None:
        dp = self.dp
        s = dp.sites[site]
        if any(int(c.network_address) <= h.dst <= int(c.broadcast_address) for c in s.cidrs):
            return self._deliver(f"site:{site}", f"site:{site}")
        for v in dp.venues_at_site(site):
            if any(int(c.network_address) <= h.dst <= int(c.broadcast_address) for c in v.cidrs):
                return self._deliver(f"venue:{v.name}", f"site:{site}")
        return self._drop("site does not transit")

    def _site(self, site: str, h: Header, seen: set[str]) -> None:
        dp = self.dp
        if f"site:{site}" in seen:
            return self._drop("loop")
        seen = seen | {f"site:{site}"}
        routes = _best(dp.site_table(site).routes, h.dst)
        if not routes:
            return self._drop("no route")
        for r in routes:
            link = dp.links[r.hop[1]]
            if isinstance(link, Interconnect):
                att = next(a for a in link.attachments if a.name == r.hop[2])
                self._gcp(link.network, att.region, (), h, seen)
            elif isinstance(link, Vpn):
                if link.network in dp.gcp:
                    self._gcp(link.network, getattr(dp.links.get(link.router or ""), "region", ""), (), h, seen)
                elif link.transit_gateway in dp.tgws:
                    a2 = dp.tgw_attachment_for(dp.tgws[link.transit_gateway or ""], "vpn", link.name)
                    if a2 is None:
                        self._drop("vpn")
                    else:
                        self._tgw(link.transit_gateway or "", a2.name, h, seen)
                else:
                    self._remote(link.network, h, seen)
            elif isinstance(link, DirectConnect):
                found = [(t, a) for t in dp.tgws.values() for a in t.attachments
                         if a.kind == "direct_connect" and a.target == link.name]
                if link.network in dp.aws:
                    self._remote(link.network, h, seen)
                elif not found:
                    self._drop("dx")
                for t, a in found:
                    self._tgw(t.name, a.name, h, seen)
        return None

    def _internet_out(self, h: Header, gateway: str) -> None:
        dp = self.dp
        self._deliver("internet", "internet", gateway)
        for v in dp.estate.venues:
            if any(c.kind == "internet" for c in v.connectivity):
                addrs = [(int(c.network_address), int(c.broadcast_address)) for c in v.cidrs] or dp.internet
                if any(_in(iv, h.dst) for iv in addrs):
                    self._deliver(f"venue:{v.name}", "internet", gateway)

    def _internet_in(self, h: Header) -> None:
        dp = self.dp
        for net, info in dp.aws.items():
            if not info.vpc.internet_gateway:
                continue
            for sub in info.vpc.subnets:
                if not any(r.hop[0] == "igw" for r in info.tables[sub.route_table].routes):
                    continue
                if not any(dp.has_public_ip(ep) for ep in dp.by_subnet.get((net, sub.name), [])):
                    continue
                if int(sub.cidr.network_address) <= h.dst <= int(sub.cidr.broadcast_address):
                    if sub.nacl and not info.nacl_in[sub.nacl].decide(h)[0]:
                        return self._drop("nacl")
                    return self._aws_local(net, h, sub.name, public_only=True)
        for net, ginfo in dp.gcp.items():
            if not any(r.next_hop.value == "internet" for r in ginfo.vpc.routes):
                continue
            for gsub in ginfo.vpc.subnets:
                if not any(dp.has_public_ip(ep) for ep in dp.by_subnet.get((net, gsub.name), [])):
                    continue
                if int(gsub.cidr.network_address) <= h.dst <= int(gsub.cidr.broadcast_address):
                    return self._gcp_subnet(net, gsub.name, h, public_only=True)
        return self._drop("not public")

    def _gcp(self, net: str, region: str, tags: tuple[str, ...], h: Header, seen: set[str],
             public: bool = False) -> None:
        dp = self.dp
        node = f"gcp:{net}@{region}"
        if node in seen:
            return self._drop("loop")
        seen = seen | {node}
        routes = _best(dp.gcp_table(net, region, tags).routes, h.dst)
        if not routes:
            return self._drop("no route")
        for r in routes:
            self._gcp_hop(net, region, r.hop, h, seen, public)
        return None

    def _gcp_hop(self, net: str, region: str, hop: tuple[object, ...], h: Header, seen: set[str],
                 public: bool) -> None:
        dp = self.dp
        kind = hop[0]
        if kind == "subnet":
            self._gcp_local(net, h)
        elif kind == "internet":
            natted = any(_in(iv, h.src) for iv in dp.cloud_nat_sources(net, region))
            if any(_in(iv, h.dst) for iv in dp.internet) and (public or natted):
                self._internet_out(h, f"gcp-internet:{net}@{region}")
            else:
                self._drop("internet")
        elif kind == "vpn_tunnel":
            vpn = next((v for v in dp.estate.links_of(Vpn) for t in v.tunnels if t.name == hop[1]), None)
            if vpn is None or not dp.up(f"{vpn.name}/{hop[1]}"):
                self._drop("tunnel")
            else:
                self._remote(vpn.remote, h, seen)
        elif kind == "interconnect":
            self._site_deliver(getattr(dp.links[str(hop[1])], "site", ""), h)
        elif kind == "vpn":
            self._remote(getattr(dp.links[str(hop[1])], "remote", ""), h, seen)
        elif kind == "cross_cloud":
            xc = dp.links[str(hop[1])]
            assert isinstance(xc, CrossCloud)
            tgw = dp.tgws.get(xc.aws_transit_gateway)
            att = dp.tgw_attachment_for(tgw, "cross_cloud", xc.name) if tgw else None
            if tgw is None or att is None:
                self._drop("xc")
            else:
                self._tgw(tgw.name, att.name, h, seen)
        elif kind == "peering":
            self._gcp_hop(str(hop[2]), region, hop[3:], h, seen, False)
        else:
            self._drop(str(kind))

    def _gcp_local(self, net: str, h: Header) -> None:
        for sub in self.dp.gcp[net].vpc.subnets:
            for c in (sub.cidr, *sub.secondary_ranges.values()):
                if int(c.network_address) <= h.dst <= int(c.broadcast_address):
                    return self._gcp_subnet(net, sub.name, h)
        return self._drop("no subnet")

    def _gcp_subnet(self, net: str, subnet: str, h: Header, public_only: bool = False) -> None:
        dp = self.dp
        at = f"subnet:{net}/{subnet}"
        for ep in dp.by_subnet.get((net, subnet), []):
            if public_only and not dp.has_public_ip(ep):
                continue
            w = dp.workload(ep)
            tags = tuple(sorted(w.tags)) if w else ()
            sa = (w.service_account or "") if w else ""
            region = dp.gcp[net].subnets[subnet].region
            if self.reply or dp.gcp_filter(net, tags, sa, "ingress", region).decide(h)[0]:
                self._deliver(ep.key, at)
            else:
                self._drop("firewall ingress")

    # ------------------------------------------------------------------ replies

    def _reenter(self, o: Outcome, h: Header, dst_key: str) -> None:
        dp = self.dp
        if o.at == "internet":
            g = o.gateway
            if g.startswith("nat:"):
                net, nat = g[4:].split("/", 1)
                info = dp.aws[net]
                sub = info.subnets[info.nat_subnet[nat]]
                if sub.nacl and not (info.nacl_in[sub.nacl].decide(h)[0] and info.nacl_out[sub.nacl].decide(h)[0]):
                    return self._drop("nat nacl")
                self._aws(net, sub.route_table, h, sub.name, set())
            elif g.startswith("igw:"):
                self._aws_local(g[4:], h, None)
            elif g.startswith("gcp-internet:"):
                self._gcp_local(g[len("gcp-internet:"):].split("@", 1)[0], h)
        elif o.at.startswith("gateway-endpoint:"):
            self._aws_local(o.at[17:].split("/", 1)[0], h, None)
        elif o.at.startswith("site:"):
            self._site(o.at[5:], h, set())
        elif o.at.startswith("endpoint:"):
            pe = dp.links[o.at[9:]]
            subs: tuple[str, ...] = getattr(pe, "subnets", ())
            self._start(dp.endpoints[f"subnet:{getattr(pe, 'network', '')}/{subs[0]}"], h)
        elif o.at.startswith("subnet:"):
            key = dst_key if dst_key.startswith("workload:") else o.at
            self._start(dp.endpoints[key], h)
        return None
