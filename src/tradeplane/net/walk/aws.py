"""AWS hops: VPC route tables, NACLs (stateless, at the subnet edge), security groups (stateful),
NAT gateways, internet gateways (per-instance public addresses), VPC peering (not transitive),
virtual private gateways and private endpoints."""

from __future__ import annotations

from tradeplane.estate.model import DirectConnect, VpcPeering, Vpn
from tradeplane.net.atoms import Atoms, bit_indices
from tradeplane.net.dataplane import Endpoint
from tradeplane.net.routing import Route
from tradeplane.net.space import Box, Space, net_interval
from tradeplane.net.trace import Hop
from tradeplane.net.walk.base import Hops, WalkBase

__all__ = ["AwsHops"]


class AwsHops(WalkBase):
    """The walk through AWS VPCs."""

    def _from_aws(self, ep: Endpoint, space: Space, hops: Hops) -> None:
        dp = self.dp
        sub = dp.aws[ep.network].subnets[ep.subnet]
        public = dp.has_public_ip(ep)

        def route(part: Space, at: Hops) -> None:
            self._aws_route(ep.network, sub.route_table, part, at, frozenset(), sub.name, public)

        space, hops = self._egress(ep, space, hops, route)
        if space:
            route(space, hops)

    def _aws_route(self, net: str, table: str, space: Space, hops: Hops, visited: frozenset[str],
                   from_subnet: str | None, public: bool = False) -> None:
        """Route by a VPC route table. ``public``: the headers' source is an address the internet gateway
        translates (the source instance's public or Elastic IP, or a NAT gateway's)."""
        if self._defer(("aws", net, table, from_subnet or "", public), space,
                       lambda s: self._aws_route(net, table, s, (), frozenset(), from_subnet, public)):
            return
        node = f"{net}/{table}"
        seen = self._enter(f"aws:{node}", visited, hops, space)
        if seen is None:
            return
        groups, unrouted = self._lookup(self.dp.aws[net].tables[table], space)
        self._drop((*hops, Hop(node, "no matching route")), unrouted, f"no route in {node}")
        for route, part in self._by_route(groups):
            self._aws_hop(net, route, part, (*hops, Hop(node, f"routed {route.prefix}", (route.ref,))), seen,
                          from_subnet, public)

    def _aws_hop(self, net: str, route: Route, space: Space, hops: Hops, seen: frozenset[str],
                 from_subnet: str | None, public: bool = False) -> None:
        dp = self.dp
        kind = route.hop[0]
        if kind == "local":
            self._aws_local(net, space, hops, from_subnet)
        elif kind == "igw":
            if not dp.aws[net].vpc.internet_gateway:
                self._drop(hops, space, f"{net} has no internet gateway")
                return
            outside = space.intersect(dp.internet_space())
            self._drop(hops, space.subtract(dp.internet_space()), "private destination sent to the internet gateway")
            if not public:
                # AWS VPC user guide, "Enable internet access with an internet gateway": the gateway
                # translates only an instance's public IPv4 or Elastic IP (or a NAT gateway's address)
                self._drop(hops, outside, "no public address: the internet gateway translates only an instance's "
                                          "public or Elastic IP (or a NAT gateway's)")
                return
            self._internet_out(outside, (*hops, Hop(f"igw:{net}", "to the internet", (), f"{net}/igw")))
        elif kind == "nat":
            nat = route.hop[1]
            self._through_nat(net, nat, space, (*hops, Hop(f"nat:{net}/{nat}", "source translated (stateful)")),
                              seen)
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
            dxs = [d for d in dp.estate.links_of(DirectConnect) if d.network == net]
            if not vpns and not dxs:
                self._drop(hops, space, f"{net} routes to its virtual private gateway but no VPN terminates there "
                                        "and no Direct Connect gateway is associated with it")
            for d in dxs:
                if not dp.dx_vifs_up(d):
                    self._drop(hops, space, f"Direct Connect {d.name} is down")
                    continue
                self._site_deliver(d.site, space, (*hops, Hop(f"direct connect {d.name}", "to site", (), d.name)))
            for v in vpns:
                if not dp.link_up(v.name):
                    self._drop(hops, space, f"VPN {v.name} is down")
                    continue
                self._remote(v.remote, space, (*hops, Hop(f"vpn {v.name}", "tunnel", (), v.name)), seen)
        elif kind == "gateway_endpoint":
            # a gateway VPC endpoint delivers to the AWS service at its public prefixes (the route's
            # destination, from the service's prefix list), with no internet gateway or NAT on the way
            service = dp.internet_space()
            self._drop(hops, space.subtract(service), "private destination sent to a gateway endpoint")
            gw = f"gateway-endpoint:{net}/{route.hop[1]}"
            self._deliver((*hops, Hop(gw, "to the AWS service", (), route.hop[1])), space.intersect(service),
                          "internet", gw)
        elif kind == "endpoint":
            pe = route.hop[1]
            link = dp.links.get(pe)
            if link is None or not hasattr(link, "venue"):
                self._drop(hops, space, f"private endpoint {pe} does not exist")
                return
            self._deliver(hops, space, f"venue:{link.venue}", f"endpoint:{pe}")
        else:
            self._drop(hops, space, "blackhole route")

    def _through_nat(self, net: str, nat: str, space: Space, hops: Hops, seen: frozenset[str]) -> None:
        """Through a NAT gateway, either way (the translation is stateful; the header model keeps the
        addresses): the NAT's subnet NACL in and out, then that subnet's route table. ``hops`` already
        names the NAT."""
        info = self.dp.aws[net]
        sub = info.subnets[info.nat_subnet[nat]]
        if sub.nacl:
            space, hops = self._filter(info.nacl_in[sub.nacl], space, hops, f"{net}/{sub.name}", "NACL ingress")
            if space:
                space, hops = self._filter(info.nacl_out[sub.nacl], space, hops, f"{net}/{sub.name}", "NACL egress")
        if space:
            self._aws_route(net, sub.route_table, space, hops, seen, sub.name, public=True)

    def _aws_local(self, net: str, space: Space, hops: Hops, from_subnet: str | None) -> None:
        info = self.dp.aws[net]
        if self.merge:
            # a node of the dataflow: what every transit gateway table and peering sends into the VPC is
            # filtered once
            if not self._defer(("aws-local", net, from_subnet or ""), space,
                               lambda s: self._aws_local_batched(net, s, from_subnet)):
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
            arrived.extend((info.nacl_in[nacl].evaluate_allowed(part).allowed if nacl else part).boxes)
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
            res = dp.sg_filter(net, sgs, "ingress").evaluate_allowed(mine)
            for part, ref in res.unknown:  # by destination address: the matrix attributes it to endpoints
                self._unknown((), part, f"security group ingress: {ref.text} is not modelled")
            # each endpoint's part: the allowed boxes cut once on destination atoms (no intersection per
            # endpoint)
            atoms = Atoms((ep.addresses for ep in eps), "dst")
            pieces = atoms.split(res.allowed)
            for ep in eps:
                self._deliver((), Space([b for i in bit_indices(atoms.bits(ep.addresses)) for b in pieces.get(i, ())]),
                              ep.key, f"subnet:{net}/{ep.subnet}")

    def _aws_subnet(self, net: str, subnet: str, space: Space, hops: Hops, public_only: bool = False) -> None:
        dp = self.dp
        at = f"subnet:{net}/{subnet}"
        for ep in self._subnet_endpoints(net, subnet, space, hops, public_only):
            w = dp.workload(ep)
            if w is not None and not self.reply:
                res = dp.sg_filter(net, w.security_groups, "ingress").evaluate(space)
                self._deliver_filtered(hops, ep, at, res, "security group ingress")
            else:
                self._deliver(hops, space, ep.key, at)
        if public_only:
            return
        for pe in dp.pe_by_subnet.get((net, subnet), []):
            self._deliver((*hops, Hop(f"private endpoint {pe.name}", "to venue", (), pe.name)), space,
                          f"venue:{pe.venue}", at)

    def _aws_public_ingress(self, rest: Space, hops: Hops) -> Space:
        """From the internet into AWS: through an internet gateway to the subnets whose instances have a
        public or Elastic IP (and that route to the gateway for the replies). Returns what no subnet took."""
        dp = self.dp
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
        return rest
