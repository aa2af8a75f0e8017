"""The data plane's lookups: rule references, link availability, compiled filters (NACLs are built
with the VPC; security groups, GCP firewalls and policies on first use), transit gateway tables
and what each attachment propagates and advertises, Cloud Router advertisements, site tables,
GCP VPC tables per region and tags, and subnet tables.

``Lookups`` is the half of ``net.dataplane.Dataplane`` that answers the walk's questions; the
other half (``dataplane.py``) builds the networks and endpoints. Everything here is cached on
first use and depends only on the estate and the failed elements.
"""

from __future__ import annotations

from functools import cached_property, partial
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any

from tradeplane.estate.model import (
    CloudRouter,
    CrossCloud,
    DirectConnect,
    Estate,
    FirewallPolicy,
    FirewallRule,
    GcpSubnet,
    GcpVpc,
    Interconnect,
    Link,
    PolicyAction,
    SgPeer,
    SgRule,
    Site,
    TgwAttachment,
    TransitGateway,
    Venue,
    VpcPeering,
    Vpn,
)
from tradeplane.net.filters import (
    Filter,
    FilterAction,
    FilterRule,
    Stage,
    match_space,
    rule_protocol,
)
from tradeplane.net.routing import Learned, PrefixSet, Route, RouteTable
from tradeplane.net.space import Interval, net_interval
from tradeplane.net.trace import RuleRef

if TYPE_CHECKING:
    from tradeplane.net.dataplane import AwsVpcTables, GcpVpcTables

__all__ = ["Lookups"]

_NOT_PUBLIC = (IPv4Network("100.64.0.0/10"),)
_NO_PREFIXES = PrefixSet([])


def _public_range(c: IPv4Network) -> bool:
    """A privately used public range (GCP: subnet routes with public IPs cross a peering only when
    exported and imported)."""
    return not c.is_private and not any(c.subnet_of(n) for n in _NOT_PUBLIC)


def _expand(routes: list[Route | Learned]) -> list[Route]:
    return [r for x in routes for r in (x.routes() if isinstance(x, Learned) else (x,))]


class Lookups:
    """The lookups of a data plane (mixed into ``Dataplane``, which sets these attributes)."""

    estate: Estate
    failed: frozenset[str]
    aws: dict[str, AwsVpcTables]
    gcp: dict[str, GcpVpcTables]
    tgws: dict[str, TransitGateway]
    links: dict[str, Link]
    sites: dict[str, Site]
    _sg_filters: dict[tuple[str, tuple[str, ...], str], Filter]
    _gcp_filters: dict[tuple[str, tuple[str, ...], str, str, str], Filter]
    _site_tables: dict[str, RouteTable]
    _subnet_tables: dict[str, RouteTable]
    _advertised: dict[tuple[str, str], tuple[PrefixSet, dict[str, frozenset[int]]]]
    _attachment_index: dict[str, dict[tuple[str, str], TgwAttachment]]
    _attachment_names: dict[str, dict[str, TgwAttachment]]
    _tgw_tables: dict[tuple[str, str], RouteTable]
    _tag_sources: dict[tuple[str, str], list[Interval]]
    _sg_members: dict[tuple[str, str], list[Interval]]

    def ref(self, kind: str, text: str, obj: object, fld: str = "") -> RuleRef:
        """A rule's reference: its text and where the estate declares it (``Estate.where``/``path_of``)."""
        sources, paths = self._source_maps
        loc = sources.get((id(obj), fld)) or sources.get((id(obj), ""))
        return RuleRef(kind, text, str(loc) if loc else None, paths.get(id(obj), ""))

    @cached_property
    def _source_maps(self) -> tuple[dict[tuple[int, str], Any], dict[int, str]]:
        return self.estate.source_maps()

    def up(self, element: str) -> bool:
        return element not in self.failed

    def link_up(self, name: str) -> bool:
        """Is a hybrid link carrying traffic given the failed elements?"""
        link = self.links.get(name)
        if isinstance(link, DirectConnect):
            conns = {c.name for c in link.connections if self.up(f"{link.name}/{c.name}")}
            return any(v.connection in conns and self.up(f"{link.name}/{v.name}") for v in link.virtual_interfaces)
        if isinstance(link, Vpn):
            return any(self.up(f"{link.name}/{t.name}") for t in link.tunnels)
        if isinstance(link, CrossCloud):
            legs = ("leg-a", "leg-b") if link.redundant else ("leg-a",)
            return any(self.up(f"{link.name}/{leg}") for leg in legs)
        if isinstance(link, Interconnect):
            return any(self.up(f"{link.name}/{a.name}") for a in link.attachments)
        return link is not None

    def dx_vifs_up(self, dx: DirectConnect) -> list[str]:
        conns = {c.name for c in dx.connections if self.up(f"{dx.name}/{c.name}")}
        return [v.name for v in dx.virtual_interfaces if v.connection in conns and self.up(f"{dx.name}/{v.name}")]

    def sg_members(self, network: str, sg: str) -> list[Interval]:
        """Addresses of ENIs carrying a security group: the subnets of the workloads that use it."""
        key = (network, sg)
        if key not in self._sg_members:
            info = self.aws[network]
            out = [net_interval(info.subnets[w.subnet].cidr) for w in self.estate.workloads
                   if w.network == network and sg in w.security_groups and w.subnet in info.subnets]
            self._sg_members[key] = out
        return self._sg_members[key]

    def sg_filter(self, network: str, groups: tuple[str, ...], direction: str) -> Filter:
        key = (network, groups, direction)
        if key in self._sg_filters:
            return self._sg_filters[key]
        info = self.aws[network]
        rules: list[FilterRule] = []
        undecided: list[FilterRule] = []  # after every allow: only what no rule allows is undecided
        for name in groups:
            sg = info.sgs[name]
            for rule in getattr(sg, direction):
                ports = [(p.start, p.end) for p in rule.ports] or None
                proto = rule_protocol(rule.protocol.value, rule.protocol_number)
                for peer in rule.peers:
                    if peer.unresolved is not None:
                        m = match_space(protocol=proto, dports=ports)
                        text = f"{network}/{name} {direction} allow {proto} from {peer.unresolved}"
                        undecided.append(FilterRule(m, "unknown", self.ref("security-group", text, rule)))
                        continue
                    if peer.cidr is not None:
                        peer_space: list[Interval] = [net_interval(peer.cidr)]
                    else:
                        peer_space = self.sg_members(network, peer.security_group or "")
                        if not peer_space:
                            continue
                    m = match_space(src=peer_space if direction == "ingress" else None,
                                    dst=peer_space if direction == "egress" else None,
                                    protocol=proto, dports=ports)
                    rules.append(FilterRule(m, "allow", make=partial(self._sg_rule_ref, network, name, direction,
                                                                     proto, rule, peer)))
        rules += undecided
        label = ",".join(groups) or "(none)"
        default = RuleRef("security-group", f"{network}/{label} {direction}: no rule allows (implicit deny)",
                          None, "")
        if groups:
            sg0 = info.sgs[groups[0]]
            default = self.ref("security-group", default.text, sg0, direction)
        f = Filter(f"sg {label}", (Stage(label, tuple(rules)),), "deny", default)
        self._sg_filters[key] = f
        return f

    def _sg_rule_ref(self, network: str, name: str, direction: str, proto: str, rule: SgRule, peer: SgPeer) -> RuleRef:
        peer_text = str(peer.cidr) if peer.cidr is not None else f"sg {peer.security_group}"
        ports_text = ",".join(str(p) for p in rule.ports) or "all ports"
        return self.ref("security-group", f"{network}/{name} {direction} allow {proto} {ports_text} {peer_text}", rule)

    def tag_sources(self, network: str, tag: str) -> list[Interval]:
        key = (network, tag)
        if key not in self._tag_sources:
            info = self.gcp[network]
            self._tag_sources[key] = [net_interval(info.subnets[w.subnet].cidr) for w in self.estate.workloads
                                      if w.network == network and tag in w.tags and w.subnet in info.subnets]
        return self._tag_sources[key]

    def sa_sources(self, network: str, account: str) -> list[Interval]:
        """Addresses of instances running as a service account (firewall ``sourceServiceAccounts``)."""
        key = (network, f"sa:{account}")
        if key not in self._tag_sources:
            info = self.gcp[network]
            self._tag_sources[key] = [net_interval(info.subnets[w.subnet].cidr) for w in self.estate.workloads
                                      if w.network == network and w.service_account == account
                                      and w.subnet in info.subnets]
        return self._tag_sources[key]

    def gcp_filter(self, network: str, tags: tuple[str, ...], sa: str, direction: str, region: str = "") -> Filter:
        """An instance's firewall in GCP's documented order (Cloud NGFW, "Evaluation order for firewall
        policies and rules"): hierarchical policies from the organization down the folders, then VPC
        firewall rules and the network policies (global, then the instance's region's) in the order the
        network's ``firewall_policy_order`` sets, then the implied rules."""
        key = (network, tags, sa, direction, region)
        if key in self._gcp_filters:
            return self._gcp_filters[key]
        info = self.gcp[network]
        vpc = info.vpc
        stages: list[Stage] = []
        for policy in self._hierarchical_for(vpc):
            stages.append(self._policy_stage(policy, sa, direction, vpc.name))
        network_stages = [self._policy_stage(p, sa, direction, vpc.name) for p in sorted(
            (p for p in self.estate.firewall_policies if p.kind == "network" and vpc.name in p.attached_to
             and (p.region is None or p.region == region)), key=lambda p: p.region is not None)]
        vpc_stage = self._vpc_rules_stage(network, tags, sa, direction)
        if vpc.firewall_policy_order == "before_classic":
            stages += [*network_stages, vpc_stage]
        else:
            stages += [vpc_stage, *network_stages]
        implied: FilterAction = "deny" if direction == "ingress" else "allow"
        default = self.ref("firewall", f"{network} implied {direction} {implied} (priority 65535)", vpc,
                           "firewall_rules")
        f = Filter(f"gcp firewall {network}", tuple(stages), implied, default)
        self._gcp_filters[key] = f
        return f

    def _hierarchical_for(self, vpc: GcpVpc) -> list[FirewallPolicy]:
        chain: list[str] = list(vpc.folders)
        org = self.estate.organisation.gcp
        if org and not chain:
            folders = {f.name: f for f in org.folders}
            project = next((p for p in org.projects if p.name == vpc.project), None)
            folder = folders.get(project.folder) if project and project.folder else None
            while folder is not None:
                chain.insert(0, folder.name)
                folder = folders.get(folder.parent) if folder.parent else None
        order = ["organization", *chain]
        out: list[FirewallPolicy] = []
        for scope in order:
            out += [p for p in self.estate.firewall_policies if p.kind == "hierarchical" and scope in p.attached_to]
        return out

    def _policy_stage(self, policy: FirewallPolicy, sa: str, direction: str, network: str = "") -> Stage:
        rules = []
        for r in sorted(policy.rules, key=lambda x: x.priority):
            if r.direction.value != direction:
                continue
            if r.target_service_accounts and sa not in r.target_service_accounts:
                continue
            if r.target_networks and network not in r.target_networks:
                continue
            ports = [(p.start, p.end) for p in r.ports] or None
            m = match_space(src=list(r.sources) or None, dst=list(r.destinations) or None,
                            protocol=rule_protocol(r.protocol.value, r.protocol_number), dports=ports)
            action = {PolicyAction.ALLOW: "allow", PolicyAction.DENY: "deny",
                      PolicyAction.GOTO_NEXT: "goto_next"}[r.action]
            text = f"{policy.name} ({policy.kind}) priority {r.priority} {r.action.value}: {r.description}"
            if r.unresolved is not None:
                action, text = "unknown", f"{text} (matches {r.unresolved})"
            rules.append(FilterRule(m, action, self.ref("firewall-policy", text, r)))  # type: ignore[arg-type]
        return Stage(policy.name, tuple(rules))

    def _vpc_rules_stage(self, network: str, tags: tuple[str, ...], sa: str, direction: str) -> Stage:
        vpc = self.gcp[network].vpc
        applicable = []
        for r in vpc.firewall_rules:
            if r.direction.value != direction:
                continue
            targeted = bool(r.target_tags or r.target_service_accounts)
            if targeted and not (set(r.target_tags) & set(tags) or (sa and sa in r.target_service_accounts)):
                continue
            applicable.append(r)
        applicable.sort(key=lambda r: (r.priority, 0 if r.action.value == "deny" else 1, r.name))
        rules = []
        for r in applicable:
            ports = [(p.start, p.end) for p in r.ports] or None
            proto = rule_protocol(r.protocol.value, r.protocol_number)
            if direction == "ingress":
                srcs: list[Interval] = [net_interval(c) for c in r.sources]
                for t in r.source_tags:
                    srcs += self.tag_sources(network, t)
                for account in r.source_service_accounts:
                    srcs += self.sa_sources(network, account)
                if not srcs:
                    continue
                # destinationRanges on an ingress rule narrow the target's addresses
                m = match_space(src=srcs, dst=list(r.destinations) or None, protocol=proto, dports=ports)
            else:
                m = match_space(src=list(r.sources) or None, dst=list(r.destinations), protocol=proto, dports=ports)
            if r.unresolved is not None:
                text = f"{network}/{r.name} priority {r.priority} {direction} {r.action.value}"
                rules.append(FilterRule(m, "unknown", self.ref("firewall", f"{text} (matches {r.unresolved})", r)))
                continue
            rules.append(FilterRule(m, r.action.value, make=partial(self._firewall_rule_ref, network, r, direction)))
        return Stage(f"{network} VPC firewall rules", tuple(rules))

    def _firewall_rule_ref(self, network: str, r: FirewallRule, direction: str) -> RuleRef:
        return self.ref("firewall", f"{network}/{r.name} priority {r.priority} {direction} {r.action.value}", r)

    def tgw_attachment_for(self, tgw: TransitGateway, kind: str, target: str) -> TgwAttachment | None:
        index = self._attachment_index.get(tgw.name)
        if index is None:
            index = self._attachment_index[tgw.name] = {}
            for a in reversed(tgw.attachments):  # the first one wins, as a scan would find it
                index[(a.kind, a.target)] = a
        return index.get((kind, target))

    def tgw_attachment_named(self, tgw: TransitGateway, name: str) -> TgwAttachment | None:
        """A transit gateway's attachment by name (an index built once per gateway: a single query
        through a gateway of 2,000 attachments spent most of its time building it per hop)."""
        index = self._attachment_names.get(tgw.name)
        if index is None:
            index = self._attachment_names[tgw.name] = {a.name: a for a in tgw.attachments}
        return index.get(name)

    def attachment_serves_zone(self, a: TgwAttachment, network: str, zone: str) -> bool:
        """Can a subnet in ``zone`` reach the transit gateway over VPC attachment ``a``? Only zones where
        the attachment has a subnet can (AWS Transit Gateway guide, "Transit gateway attachments to a
        VPC"). An attachment that names no subnets (declared estates) serves every zone."""
        if not a.subnets or network not in self.aws:
            return True
        subs = self.aws[network].subnets
        return any(subs[s].zone == zone for s in a.subnets if s in subs)

    def attachment_up(self, a: TgwAttachment) -> bool:
        if a.kind in ("direct_connect", "vpn", "cross_cloud"):
            return self.link_up(a.target)
        return True

    def attachment_prefixes(self, a: TgwAttachment) -> list[IPv4Network]:
        """What an attachment propagates into the route tables it propagates to."""
        if not self.attachment_up(a):
            return []
        if a.kind == "vpc":
            return list(self.aws[a.target].vpc.cidrs) if a.target in self.aws else []
        link = self.links.get(a.target)
        if isinstance(link, DirectConnect):
            up = set(self.dx_vifs_up(link))
            return sorted({p for v in link.virtual_interfaces if v.name in up for p in v.advertised_prefixes})
        if isinstance(link, Vpn):
            return self.remote_prefixes(link.remote)
        if isinstance(link, CrossCloud):
            return self.gcp_advertised(link.gcp_network, link.gcp_router)
        return []

    def tgw_table(self, tgw: TransitGateway, table: str) -> RouteTable:
        key = (tgw.name, table)
        if key in self._tgw_tables:
            return self._tgw_tables[key]
        rt = next(t for t in tgw.route_tables if t.name == table)
        routes = []
        for r in rt.routes:
            hop: tuple[str, ...] = ("blackhole",) if r.blackhole else ("attachment", r.attachment or "")
            target = "blackhole" if r.blackhole else f"attachment {r.attachment}"
            routes.append(Route(r.destination, 0, hop,
                                self.ref("tgw-route", f"{tgw.name}/{table} {r.destination} -> {target} (static)", r)))
        for a in tgw.attachments:
            if table in a.propagate_to:
                for p in self.attachment_prefixes(a):
                    routes.append(Route(p, 1, ("attachment", a.name), self.ref(
                        "tgw-route", f"{tgw.name}/{table} {p} -> attachment {a.name} (propagated)", a,
                        "propagate_to")))
        out = RouteTable(f"{tgw.name}/{table}", routes)
        self._tgw_tables[key] = out
        return out

    def tgw_advertised(self, tgw: TransitGateway, attachment: TgwAttachment) -> list[IPv4Network]:
        """What a TGW advertises over an attachment: the routes of its associated table,
        except those pointing back over the attachment itself."""
        shared, exclude = self.tgw_learned(tgw, attachment)
        return [p for i, (_lo, _hi, p) in enumerate(shared.items) if i not in exclude]

    def tgw_learned(self, tgw: TransitGateway, attachment: TgwAttachment) -> tuple[PrefixSet, frozenset[int]]:
        """``tgw_advertised`` as the prefixes of the attachment's route table (one ``PrefixSet`` per
        table, shared by every attachment associated with it) and the indices of those that point back
        over the attachment itself (excluded)."""
        if attachment.route_table is None:
            return _NO_PREFIXES, frozenset()
        key = (tgw.name, attachment.route_table)
        if key not in self._advertised:
            table = self.tgw_table(tgw, attachment.route_table)
            by_prefix: dict[IPv4Network, set[tuple[object, ...]]] = {}
            for r in table.routes:
                if r.hop[0] != "blackhole":
                    by_prefix.setdefault(r.prefix, set()).add(r.hop)
            shared = PrefixSet(list(by_prefix))
            only: dict[str, list[int]] = {}
            for i, (_lo, _hi, p) in enumerate(shared.items):
                hops = by_prefix[p]
                if len(hops) == 1:
                    (hop,) = hops
                    if hop[0] == "attachment":
                        only.setdefault(str(hop[1]), []).append(i)
            self._advertised[key] = (shared, {name: frozenset(ix) for name, ix in only.items()})
        shared, only_via = self._advertised[key]
        return shared, only_via.get(attachment.name, frozenset())

    def gcp_advertised(self, network: str, router: str) -> list[IPv4Network]:
        """What a Cloud Router advertises: the VPC's subnets (region only if REGIONAL) and custom prefixes."""
        info = self.gcp.get(network)
        cr = self.links.get(router)
        if info is None or not isinstance(cr, CloudRouter):
            return []
        out: set[IPv4Network] = set(cr.advertised_prefixes)
        for s in info.vpc.subnets:
            if info.vpc.routing_mode == "GLOBAL" or s.region == cr.region:
                out.add(s.cidr)
                out.update(s.secondary_ranges.values())
        return sorted(out)

    def venues_at_site(self, site: str) -> list[Venue]:
        out = []
        for v in self.estate.venues:
            for c in v.connectivity:
                if c.kind in ("cross_connect", "interconnect") and c.via and self._site_of_carrier(c.via) == site:
                    out.append(v)
                    break
        return out

    def _site_of_carrier(self, via: str) -> str:
        if via in self.sites:
            return via
        link = self.links.get(via)
        if isinstance(link, DirectConnect | Interconnect):
            return link.site
        if isinstance(link, Vpn):
            return link.remote
        return ""

    def site_holds(self, site: str) -> list[Interval]:
        s = self.sites[site]
        out = [net_interval(c) for c in s.cidrs]
        for v in self.venues_at_site(site):
            out += [net_interval(c) for c in v.cidrs]
        return out

    def remote_prefixes(self, remote: str) -> list[IPv4Network]:
        """What a VPN's remote end advertises: a site's prefixes, or a network's CIDRs."""
        if remote in self.sites:
            s = self.sites[remote]
            out = set(s.cidrs)
            for v in self.venues_at_site(remote):
                out.update(v.cidrs)
            return sorted(out)
        if remote in self.aws:
            return list(self.aws[remote].vpc.cidrs)
        if remote in self.gcp:
            return sorted({s.cidr for s in self.gcp[remote].vpc.subnets})
        return []

    def gcp_table(self, network: str, region: str, tags: tuple[str, ...]) -> RouteTable:
        """The routes an instance (with ``tags``) in ``region`` of a GCP VPC uses."""
        info = self.gcp[network]
        # only tags that some route is limited to make a difference: instances differing in others share a table
        used = {t for r in info.vpc.routes for t in r.tags}
        key = (region, tuple(t for t in tags if t in used))
        if key in info.tables:
            return info.tables[key]
        vpc = info.vpc
        routes: list[Route | Learned] = []
        for s in vpc.subnets:
            for c in (s.cidr, *s.secondary_ranges.values()):
                routes.append(Route(c, 0, ("subnet",), self.ref("route", f"{network} subnet route {c} ({s.name})", s,
                                                                "cidr")))
        for r in vpc.routes:
            if r.tags and not set(r.tags) & set(tags):
                continue
            hop: tuple[str, ...] = (r.next_hop.value,) if r.via is None else (r.next_hop.value, r.via)
            routes.append(Route(r.destination, r.priority, hop, self.ref(
                "route", f"{network}/{r.name} {r.destination} -> {r.next_hop.value}"
                f"{' ' + r.via if r.via else ''} priority {r.priority}", r)))
        for link in self._links_of_network.get(network, ()):
            routes += self._dynamic_routes(link, network, region)
        routes += self._peering_routes(network, region)
        routes += self._psc_routes(network)
        out = RouteTable(f"{network}@{region}", routes)
        info.tables[key] = out
        return out

    def _peering_routes(self, network: str, region: str) -> list[Route]:
        """Routes a GCP VPC imports over its peerings (GCP VPC docs, "VPC Network Peering", route exchange):
        the peer's subnet routes always (public-range subnets only when the peer exports and this side
        imports them); the peer's static routes without tags and not to the internet gateway, and its
        dynamic routes, only when the peer exports custom routes and this side imports them. Only the
        peer's own routes cross: what the peer imported over its other peerings does not (not transitive).
        Each route's hop is ``("peering", link, peer, *the peer's hop)``."""
        out: list[Route] = []
        for link in self._gcp_peerings.get(network, ()):
            mine, theirs, peer = ((link.a_routes, link.b_routes, link.b) if link.a == network
                                  else (link.b_routes, link.a_routes, link.a))
            pinfo = self.gcp[peer]
            public_ok = theirs.export_subnet_routes_with_public_ip and mine.import_subnet_routes_with_public_ip
            for s in pinfo.vpc.subnets:
                for c in (s.cidr, *s.secondary_ranges.values()):
                    if not public_ok and _public_range(c):
                        continue
                    out.append(Route(c, 0, ("peering", link.name, peer, "subnet"), self.ref(
                        "route", f"{network} {c} -> peering {link.name} ({peer} subnet {s.name})", link)))
            if not (theirs.export_custom_routes and mine.import_custom_routes):
                continue
            for r in pinfo.vpc.routes:
                if r.tags or r.next_hop.value == "internet":
                    continue  # never exchanged
                hop: tuple[str, ...] = (r.next_hop.value,) if r.via is None else (r.next_hop.value, r.via)
                out.append(Route(r.destination, r.priority, ("peering", link.name, peer, *hop), self.ref(
                    "route", f"{network} {r.destination} -> peering {link.name} ({peer}/{r.name} -> "
                    f"{r.next_hop.value}{' ' + r.via if r.via else ''}, custom route imported)", link)))
            for dyn in self._links_of_network.get(peer, ()):
                for r2 in _expand(self._dynamic_routes(dyn, peer, region)):
                    out.append(Route(r2.prefix, r2.priority, ("peering", link.name, peer, *r2.hop), self.ref(
                        "route", f"{network} {r2.prefix} -> peering {link.name} ({r2.ref.text}; dynamic route "
                        "imported)", link)))
        return out

    @cached_property
    def _gcp_peerings(self) -> dict[str, list[VpcPeering]]:
        out: dict[str, list[VpcPeering]] = {}
        for link in self.estate.links_of(VpcPeering):
            if link.a in self.gcp and link.b in self.gcp:
                out.setdefault(link.a, []).append(link)
                out.setdefault(link.b, []).append(link)
        return out

    def _psc_routes(self, network: str) -> list[Route]:
        """Private Service Connect endpoints whose address is in no subnet (Google APIs endpoints: global
        internal addresses): a /32 route to the endpoint. Endpoints inside a subnet are reached by the
        subnet route."""
        out = []
        vpc = self.gcp[network].vpc
        for pe in vpc.psc_endpoints:
            if not any(pe.address in c for s in vpc.subnets for c in (s.cidr, *s.secondary_ranges.values())):
                out.append(Route(IPv4Network(f"{pe.address}/32"), 0, ("psc", pe.name), self.ref(
                    "route", f"{network} {pe.address}/32 -> Private Service Connect endpoint {pe.name}", pe)))
        return out

    def cloud_nat_sources(self, network: str, region: str) -> list[Interval]:
        """Source addresses Cloud NAT translates in ``region`` of a GCP VPC: the primary ranges of the
        region's subnets (every subnet of a ``cloud_nat_regions`` region, else the ``cloud_nat_subnets``).
        Cloud NAT translates only the network interfaces of the subnets (and ranges) it is configured
        for in its region and network, not traffic that entered the VPC from elsewhere, and carries no
        unsolicited inbound connections (GCP Cloud NAT overview, "Specifications")."""
        vpc = self.gcp[network].vpc
        return [net_interval(s.cidr) for s in vpc.subnets if s.region == region and (
            region in vpc.cloud_nat_regions or s.name in vpc.cloud_nat_subnets)]

    @cached_property
    def _links_of_network(self) -> dict[str, list[object]]:
        out: dict[str, list[object]] = {}
        for link in self.estate.links:
            if isinstance(link, Interconnect | Vpn):
                out.setdefault(link.network, []).append(link)
            elif isinstance(link, CrossCloud):
                out.setdefault(link.gcp_network, []).append(link)
        return out

    def _router_usable(self, router: str, region: str, vpc: GcpVpc) -> bool:
        cr = self.links.get(router)
        return isinstance(cr, CloudRouter) and (vpc.routing_mode == "GLOBAL" or cr.region == region)

    def _dynamic_routes(self, link: object, network: str, region: str) -> list[Route | Learned]:
        """What a GCP VPC's Cloud Routers learn over ``link`` (usable from ``region``); what a transit
        gateway advertises over a cross-cloud link is one ``Learned`` group (its prefixes shared by every
        VPC the route table advertises to)."""
        vpc = self.gcp[network].vpc
        routes: list[Route | Learned] = []
        if isinstance(link, Interconnect) and link.network == network:
            for a in link.attachments:
                if not self.up(f"{link.name}/{a.name}") or not self._router_usable(a.router, region, vpc):
                    continue
                for p in self.remote_prefixes(link.site):
                    routes.append(Route(p, 100, ("interconnect", link.name, a.name), self.ref(
                        "bgp-route", f"{network} {p} learned by {a.router} over {link.name}/{a.name}", a)))
        elif isinstance(link, Vpn) and link.network == network and link.router:
            if self.link_up(link.name) and self._router_usable(link.router, region, vpc):
                prio = 200 if link.backup_for else 100
                for p in self.remote_prefixes(link.remote):
                    routes.append(Route(p, prio, ("vpn", link.name), self.ref(
                        "bgp-route", f"{network} {p} learned by {link.router} over VPN {link.name}"
                        f"{' (backup, MED ' + str(prio) + ')' if link.backup_for else ''}", link)))
        elif isinstance(link, CrossCloud) and link.gcp_network == network:
            tgw = self.tgws.get(link.aws_transit_gateway)
            att = self.tgw_attachment_for(tgw, "cross_cloud", link.name) if tgw else None
            if tgw and att and self.link_up(link.name) and self._router_usable(link.gcp_router, region, vpc):
                ref = self.ref("bgp-route", f"{network} routes learned by {link.gcp_router} over {link.name} from "
                               f"{tgw.name}/{att.route_table}", link)
                shared, exclude = self.tgw_learned(tgw, att)
                routes.append(Learned(shared, 100, ("cross_cloud", link.name), ref, exclude))
        return routes

    def site_table(self, site: str) -> RouteTable:
        """What an on-premises site learns over its links, and which link each prefix leaves by."""
        if site in self._site_tables:
            return self._site_tables[site]
        routes: list[Route] = []
        for link in self.estate.links:
            if isinstance(link, Interconnect) and link.site == site and link.network in self.gcp:
                for a in link.attachments:
                    if not self.up(f"{link.name}/{a.name}"):
                        continue
                    for p in self.gcp_advertised(link.network, a.router):
                        routes.append(Route(p, 0, ("interconnect", link.name, a.name), self.ref(
                            "bgp-route", f"{site} {p} learned over {link.name}/{a.name} from {a.router}", a)))
            elif isinstance(link, Vpn) and link.remote == site and self.link_up(link.name):
                prio = 1 if link.backup_for else 0
                if link.network in self.gcp and link.router:
                    prefixes = self.gcp_advertised(link.network, link.router)
                elif link.transit_gateway and link.transit_gateway in self.tgws:
                    tgw = self.tgws[link.transit_gateway]
                    att = self.tgw_attachment_for(tgw, "vpn", link.name)
                    prefixes = self.tgw_advertised(tgw, att) if att else []
                elif link.network in self.aws:
                    prefixes = list(self.aws[link.network].vpc.cidrs)
                else:
                    prefixes = []
                for p in prefixes:
                    routes.append(Route(p, prio, ("vpn", link.name), self.ref(
                        "bgp-route", f"{site} {p} learned over VPN {link.name}"
                        f"{' (backup)' if link.backup_for else ''}", link)))
            elif isinstance(link, DirectConnect) and link.site == site and self.dx_vifs_up(link):
                for p in link.allowed_prefixes:
                    routes.append(Route(p, 0, ("direct_connect", link.name), self.ref(
                        "bgp-route", f"{site} {p} learned over Direct Connect {link.name} (allowed prefix)", link,
                        "allowed_prefixes")))
        out = RouteTable(f"site {site}", routes)
        self._site_tables[site] = out
        return out

    def subnet_table(self, network: str) -> RouteTable:
        """A network's subnets (and GCP secondary ranges) as a table, to split headers by subnet in one pass."""
        if network not in self._subnet_tables:
            n = self.aws[network].vpc if network in self.aws else self.gcp[network].vpc
            routes = []
            for s in n.subnets:
                ranges = (s.cidr, *s.secondary_ranges.values()) if isinstance(s, GcpSubnet) else (s.cidr,)
                for c in ranges:
                    routes.append(Route(c, 0, ("subnet", s.name), RuleRef("subnet", f"{network}/{s.name} {c}")))
            self._subnet_tables[network] = RouteTable(f"{network} subnets", routes)
        return self._subnet_tables[network]
