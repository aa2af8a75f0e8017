"""What must hold *between* rendered resources, checked on the rendered output itself.

The provider schema (``schema.py``) says each resource is well formed; these checks say the
estate's output would work and would pass its own guardrails once applied. Each takes the
rendered files (path -> text, as ``Rendered.files`` or a directory read back) and returns
findings with the file and line, so they run equally on a fresh render and on golden files:

- ``alert-delivery``: every CloudWatch alarm publishes to a topic of its module that has a
  subscription and a customer-managed key whose policy lets CloudWatch use it (an alarm cannot
  publish to a topic under ``alias/aws/sns``); every GCP alert policy names notification
  channels rendered beside it.
- ``placement``: a GCP VM's resource policy and sole-tenant node group are in the VM's project
  and region/zone (a policy in the Shared VPC host project cannot be attached to a service
  project's VM).
- ``half-configured``: MACsec switched on with its keys (GCP ``macsec.pre_shared_keys``, an AWS
  ``aws_dx_macsec_key_association`` per connection or LAG that requests it, on it or, for a LAG and
  its member connection, on the other).
- ``link-agreement``: both ends of a cross-cloud BGP session (AWS transit VIF, GCP router peer
  paired by name) use the same VLAN, addresses, ASNs, MTU and MD5 key reference.
- ``cross-cloud-port``: the AWS end of every cross-cloud leg (a transit or private VIF named as a
  GCP ``google_compute_interconnect_attachment``, as ``link-agreement`` pairs them) sits on an
  ``aws_dx_lag``, never on a bare ``aws_dx_connection``, and that LAG is the leg's alone and holds
  exactly one connection of its bandwidth and location (its ``connection_id`` or one
  ``aws_dx_connection_association``). Source: Google Cloud, Cross-Cloud Interconnect for AWS,
  "Order AWS ports": "You must order LAGs, not connections ... Cross-Cloud Interconnect for AWS
  requires LACP. Order one LAG for each Cross-Cloud Interconnect connection", a redundant pair
  being two LAGs of one connection each. A LAG given neither is empty: the hashicorp/aws provider
  deletes the connection CreateLag made for it (lag.go, ``resourceLagCreate``).
- ``link-agreement`` also holds for HA VPN tunnels (``check_vpn_agreement``): interface and BGP
  peer on the tunnel's router, both addresses in one /30, the pre-shared key the sensitive
  input keyed by the tunnel, the remote interface present, the peer ASN the VPN's.
- ``secret-access``: the rule of ``estate.access`` (also what security's custody check applies):
  roles people assume never read secrets; the instance role of every workload that uses a venue
  key may read its Secrets Manager secret, and no other workload's may (needs the estate).
- ``project-services``: the APIs each GCP resource type needs are enabled in its project.
- ``scp-conflict``: no rendered SCP denies outright (no condition beyond a principal exemption,
  ``guardrails.PRINCIPAL_KEYS``) an action that a resource rendered into an account under it
  needs (``aws_actions.TYPE_ACTIONS`` of its type), unless the statement exempts the role of the
  stage that renders it (``ArnNotLike aws:PrincipalArn``) or the account (``StringNotEquals
  aws:PrincipalAccount``). SCPs apply to every principal of a member account, the stages' roles
  included; never to the management account (AWS Organizations User Guide, "Service control
  policies"). Conditional statements are the ``guardrail`` rules' to check (needs the estate).
- ``resource-location``: every GCP resource with a literal ``location``, ``region`` or ``zone`` is
  inside the ``allowed_values`` of the ``gcp.resourceLocations`` policy rendered for its project
  (the project's override, else its nearest folder's, given the estate, else the organisation's):
  ``in:<region>-locations`` admits the region and its zones, never ``global`` (Google Cloud,
  "Restricting resource locations": value groups; Cloud Logging buckets are governed by it too).
- ``guardrail``: each of the estate's guardrails evaluated on every rendered resource in its
  scope (CMEK, no external IPs, Shielded VM, IMDSv2, OS Login, no serial port, allowed
  regions), plus GKE nodes never running as the Compute Engine default service account.

``check_conformance(files, estate)`` runs them all, sorted by file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from tradeplane.estate import catalog
from tradeplane.estate.access import Reader, allowed_readers, reads_secrets, secret_access_problems
from tradeplane.estate.model import Control, Estate, Guardrail
from tradeplane.terraform.aws_actions import TYPE_ACTIONS
from tradeplane.terraform.guardrails import PRINCIPAL_KEYS
from tradeplane.terraform.hcl import HclBlock
from tradeplane.terraform.names import ident
from tradeplane.terraform.schema import Finding, HclScanError, scan

if TYPE_CHECKING:
    from tradeplane.terraform.render import Rendered

__all__ = ["ConformanceFinding", "Index", "check_conformance"]

_REF = re.compile(r"\b((?:data\.)?[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.")
_STR = re.compile(r'^"((?:[^"\\$]|\\.)*)"$')
_PROJECT = re.compile(r'(?:var|module\.globals)\.project_ids\["([^"]+)"\]')


@dataclass(frozen=True, order=True)
class ConformanceFinding(Finding):
    """``file:line: address: [rule] message``."""

    rule: str
    message: str

    @property
    def detail(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass(frozen=True)
class Item:
    module: str
    file: str
    kind: str  # resource | data | provider
    type: str
    name: str
    block: HclBlock

    @property
    def address(self) -> str:
        return f"data.{self.type}.{self.name}" if self.kind == "data" else f"{self.type}.{self.name}"


class Index:
    """Every resource, data source and provider block of the rendered output, by module and address:
    from ``Rendered.blocks`` (the renderer's own structure, no parsing) or from files (path ->
    text) scanned with ``schema.scan``."""

    def __init__(self, rendered: Rendered | Mapping[str, str]) -> None:
        self.items: list[Item] = []
        self.errors: list[ConformanceFinding] = []
        self.by_address: dict[tuple[str, str], Item] = {}
        self._by_type: dict[tuple[str, str], list[Item]] = {}
        if isinstance(rendered, Mapping):
            files: dict[str, list[HclBlock]] = {}
            for path, text in sorted(rendered.items()):
                if not path.endswith(".tf"):
                    continue
                try:
                    files[path] = scan(text)
                except HclScanError as e:
                    self.errors.append(ConformanceFinding(path, e.line, "", "scan", str(e)))
        else:
            files = rendered.blocks
        for path, blocks in sorted(files.items()):
            module = path.rsplit("/", 1)[0] if "/" in path else ""
            for b in blocks:
                if b.type in ("resource", "data") and len(b.labels) == 2:
                    item = Item(module, path, b.type, b.labels[0], b.labels[1], b)
                elif b.type == "provider" and b.labels:
                    item = Item(module, path, "provider", b.labels[0], b.value("alias") or "", b)
                else:
                    continue
                self.items.append(item)
                self.by_address[(module, item.address)] = item
                self._by_type.setdefault((item.kind, item.type), []).append(item)

    def of(self, *types: str, kind: str = "resource") -> Iterator[Item]:
        return (i for t in types for i in self._by_type.get((kind, t), ()))

    def ref(self, module: str, expr: str | None, type_: str) -> Item | None:
        """The item of ``module`` that ``expr`` refers to as ``type_.name.<attr>``."""
        for t, name in _REF.findall(expr or ""):
            if t == type_:
                return self.by_address.get((module, f"{t}.{name}"))
        return None

    def referring(self, module: str, type_: str, attr: str, target: Item) -> list[Item]:
        """Items of ``type_`` in ``module`` whose ``attr`` refers to ``target``."""
        needle = f"{target.address}."
        return [i for i in self.of(type_) if i.module == module and needle in (i.block.value(attr) or "")]


def literal(value: str | None) -> str | None:
    """The content of a plain string literal (no interpolation), else None."""
    m = _STR.match(value or "")
    return m.group(1) if m else None


def _f(item: Item, rule: str, message: str, block: HclBlock | None = None, attr: str | None = None) -> ConformanceFinding:
    b = block or item.block
    line = b.attrs.get(attr, b.line) if attr else b.line
    return ConformanceFinding(item.file, line, item.address, rule, message)


# ---------------------------------------------------------------------------------------- delivery

def check_alert_delivery(ix: Index) -> list[ConformanceFinding]:
    out: list[ConformanceFinding] = []
    # A metric alarm that only feeds a composite alarm notifies through the composite.
    rules = [c.block.value("alarm_rule") or "" for c in ix.of("aws_cloudwatch_composite_alarm")]
    for alarm in [*ix.of("aws_cloudwatch_metric_alarm"), *ix.of("aws_cloudwatch_composite_alarm")]:
        if alarm.type == "aws_cloudwatch_metric_alarm" and any(f"{alarm.address}." in r for r in rules):
            continue
        actions = alarm.block.value("alarm_actions") or ""
        topics = [t for t, _ in _REF.findall(actions) if t == "aws_sns_topic"]
        if not topics:
            out.append(_f(alarm, "alert-delivery", "the alarm notifies no SNS topic", attr="alarm_actions"))
            continue
        topic = ix.ref(alarm.module, actions, "aws_sns_topic")
        if topic is None:
            out.append(_f(alarm, "alert-delivery", "the alarm's topic is not rendered in its stage", attr="alarm_actions"))
            continue
        out += _topic_problems(ix, alarm, topic)
    for pol in ix.of("google_monitoring_alert_policy"):
        channels = pol.block.value("notification_channels") or ""
        if ix.ref(pol.module, channels, "google_monitoring_notification_channel") is None:
            out.append(_f(pol, "alert-delivery", f"notification_channels ({channels or 'unset'}) names no channel "
                          "rendered beside it, so the alert reaches nobody", attr="notification_channels"))
    return out


def _topic_problems(ix: Index, alarm: Item, topic: Item) -> list[ConformanceFinding]:
    out = []
    key_expr = topic.block.value("kms_master_key_id")
    if key_expr is not None:
        key = ix.ref(topic.module, key_expr, "aws_kms_key")
        if key is None:
            out.append(_f(alarm, "alert-delivery", f"topic {topic.address} is encrypted with {key_expr}, whose key "
                          "policy cannot let CloudWatch publish (use a customer-managed key)", attr="alarm_actions"))
        else:
            doc = ix.ref(key.module, key.block.value("policy"), "data.aws_iam_policy_document")
            services = {literal(s.strip()) for st in (doc.block.children("statement") if doc else [])
                        for pr in st.children("principals") if literal(pr.value("type")) == "Service"
                        for s in (pr.value("identifiers") or "").strip("[]").split(",")}
            if "cloudwatch.amazonaws.com" not in services:
                out.append(_f(alarm, "alert-delivery", f"the key of topic {topic.address} ({key.address}) does not "
                              "let cloudwatch.amazonaws.com use it", attr="alarm_actions"))
    if not ix.referring(topic.module, "aws_sns_topic_subscription", "topic_arn", topic):
        out.append(_f(alarm, "alert-delivery", f"topic {topic.address} has no subscription", attr="alarm_actions"))
    return out


# ---------------------------------------------------------------------------------------- placement

def _region_of_zone(zone: str) -> str:
    return zone.rsplit("-", 1)[0]


def check_placement(ix: Index) -> list[ConformanceFinding]:
    out: list[ConformanceFinding] = []
    for vm in ix.of("google_compute_instance"):
        project = vm.block.value("project")
        zone = literal(vm.block.value("zone")) or ""
        for pol_name in re.findall(r"google_compute_resource_policy\.(\w+)\.", vm.block.value("resource_policies") or ""):
            pol = ix.by_address.get((vm.module, f"google_compute_resource_policy.{pol_name}"))
            if pol is None:
                continue
            if pol.block.value("project") != project:
                out.append(_f(vm, "placement", f"resource policy {pol.address} is in {pol.block.value('project')}, "
                              f"not the VM's project {project}; it cannot be attached", attr="resource_policies"))
            if zone and literal(pol.block.value("region")) not in (None, _region_of_zone(zone)):
                out.append(_f(vm, "placement", f"resource policy {pol.address} is in region "
                              f"{literal(pol.block.value('region'))}, the VM in zone {zone}", attr="resource_policies"))
        sched = vm.block.child("scheduling")
        for aff in sched.children("node_affinities") if sched else []:
            group = ix.ref(vm.module, aff.value("values"), "google_compute_node_group")
            if group is None:
                continue
            if group.block.value("project") != project:
                out.append(_f(vm, "placement", f"node group {group.address} is in {group.block.value('project')}, "
                              f"not the VM's project {project}, and is not shared", block=aff, attr="values"))
            if zone and literal(group.block.value("zone")) not in (None, zone):
                out.append(_f(vm, "placement", f"node group {group.address} is in {literal(group.block.value('zone'))}, "
                              f"the VM in {zone}", block=aff, attr="values"))
            template = ix.ref(group.module, group.block.value("node_template"), "google_compute_node_template")
            if template is not None and template.block.value("project") != group.block.value("project"):
                out.append(_f(group, "placement", f"node template {template.address} is in another project",
                              attr="node_template"))
    return out


# ---------------------------------------------------------------------------------------- half-configured

def check_half_configured(ix: Index) -> list[ConformanceFinding]:
    out: list[ConformanceFinding] = []
    for port in ix.of("google_compute_interconnect"):
        if port.block.value("macsec_enabled") == "true":
            macsec = port.block.child("macsec")
            if macsec is None or not macsec.children("pre_shared_keys"):
                out.append(_f(port, "half-configured", "MACsec is enabled without a macsec block holding "
                              "pre_shared_keys; the API rejects it", attr="macsec_enabled"))
    for port in ix.of("aws_dx_connection", "aws_dx_lag"):
        if port.block.value("request_macsec") != "true":
            continue
        # A LAG and its member connection share MACsec: a key or encryption mode on either covers both.
        group = [port, *_lag_members(ix, port)] if port.type == "aws_dx_lag" else [port, *_lags_of(ix, port)]
        if not any(ix.referring(p.module, "aws_dx_macsec_key_association", "connection_id", p) for p in group):
            out.append(_f(port, "half-configured", "MACsec is requested but no aws_dx_macsec_key_association "
                          f"gives the {'LAG' if port.type == 'aws_dx_lag' else 'connection'} its CKN/CAK",
                          attr="request_macsec"))
        if not any(literal(p.block.value("encryption_mode")) == "must_encrypt" for p in group):
            out.append(_f(port, "half-configured", "MACsec is requested but encryption_mode is not "
                          "must_encrypt, so the link silently runs in clear", attr="request_macsec"))
    return out


# ---------------------------------------------------------------------------------------- links

def _host(value: str | None) -> str | None:
    text = literal(value)
    return text.split("/", 1)[0] if text else None


def _lag_members(ix: Index, lag: Item) -> list[Item]:
    """The connections of an ``aws_dx_lag``: its ``connection_id`` and every
    ``aws_dx_connection_association`` whose ``lag_id`` is it."""
    own = ix.ref(lag.module, lag.block.value("connection_id"), "aws_dx_connection")
    joined = [ix.ref(a.module, a.block.value("connection_id"), "aws_dx_connection")
              for a in ix.referring(lag.module, "aws_dx_connection_association", "lag_id", lag)]
    return sorted({c.address: c for c in (own, *joined) if c is not None}.values(), key=lambda c: c.address)


def _lags_of(ix: Index, conn: Item) -> list[Item]:
    """The ``aws_dx_lag`` items that hold ``conn``."""
    return [lag for lag in ix.of("aws_dx_lag")
            if lag.module == conn.module and conn.address in {m.address for m in _lag_members(ix, lag)}]


def _cross_cloud_vifs(ix: Index) -> Iterator[tuple[Item, Item]]:
    """(AWS VIF, GCP attachment) of every cross-cloud leg: the VIF named as the attachment."""
    attachments = {literal(a.block.value("name")): a for a in ix.of("google_compute_interconnect_attachment")}
    for vif in ix.of("aws_dx_transit_virtual_interface", "aws_dx_private_virtual_interface"):
        att = attachments.get(literal(vif.block.value("name")))
        if att is not None:  # else not a cross-cloud leg: the other end is a site's router
            yield vif, att


def check_link_agreement(ix: Index) -> list[ConformanceFinding]:
    out: list[ConformanceFinding] = []
    for vif, att in _cross_cloud_vifs(ix):
        peer = next((p for p in ix.of("google_compute_router_peer") if p.module == att.module
                     and f"google_compute_router_interface.{att.name}." in (p.block.value("interface") or "")), None)
        gw = ix.ref(vif.module, vif.block.value("dx_gateway_id"), "aws_dx_gateway")
        router = ix.ref(att.module, att.block.value("router"), "google_compute_router")
        if peer is None:
            out.append(_f(vif, "link-agreement", f"the GCP end {att.address} has no BGP peer"))
            continue
        bgp = router.block.child("bgp") if router else None
        pairs = [
            ("VLAN", vif.block.value("vlan"), att.block.value("vlan_tag8021q")),
            ("AWS address", _host(vif.block.value("amazon_address")), literal(peer.block.value("peer_ip_address"))),
            ("GCP address", _host(vif.block.value("customer_address")), literal(peer.block.value("ip_address"))),
            ("AWS ASN", literal(gw.block.value("amazon_side_asn")) if gw else None, peer.block.value("peer_asn")),
            ("GCP ASN", vif.block.value("bgp_asn"), bgp.value("asn") if bgp else None),
            ("MTU", vif.block.value("mtu"), literal(att.block.value("mtu")) or att.block.value("mtu")),
        ]
        md5 = peer.block.child("md5_authentication_key")
        pairs.append(("MD5 key", vif.block.value("bgp_auth_key"), md5.value("key") if md5 else None))
        for what, aws, gcp in pairs:
            if aws is None or gcp is None:
                out.append(_f(vif, "link-agreement", f"{what} is not set on both ends ({vif.address}: {aws or 'unset'}, "
                              f"{peer.address}: {gcp or 'unset'}); the side left open picks its own"))
            elif aws != gcp:
                out.append(_f(vif, "link-agreement", f"{what} differs: {aws} here, {gcp} on {peer.address}"))
    return out


_ORDER_AWS_PORTS = ("Google Cloud, Cross-Cloud Interconnect for AWS, \"Order AWS ports\": order LAGs, not "
                    "connections; Cross-Cloud Interconnect for AWS requires LACP")


def check_cross_cloud_ports(ix: Index) -> list[ConformanceFinding]:
    """``cross-cloud-port``: each cross-cloud leg's VIF sits on a LAG of its own holding one connection
    of the LAG's bandwidth and location (module docstring; ``_ORDER_AWS_PORTS`` is the source)."""
    out: list[ConformanceFinding] = []
    legs: dict[tuple[str, str], list[Item]] = {}
    for vif, att in _cross_cloud_vifs(ix):
        expr = vif.block.value("connection_id") or ""
        lag = ix.ref(vif.module, expr, "aws_dx_lag")
        if lag is None:
            conn = ix.ref(vif.module, expr, "aws_dx_connection")
            if conn is not None or (literal(expr) or "").startswith("dxcon-"):
                out.append(_f(vif, "cross-cloud-port", f"the AWS end of cross-cloud leg {att.address} is a bare "
                              f"Direct Connect connection ({conn.address if conn else expr}); put the VIF on an "
                              f"aws_dx_lag holding it ({_ORDER_AWS_PORTS})", attr="connection_id"))
            continue
        legs.setdefault((lag.module, lag.address), []).append(vif)
        members = _lag_members(ix, lag)
        if len(members) != 1:
            what = "no connection (without connection_id the provider deletes the one CreateLag made)" \
                if not members else f"{len(members)} connections ({', '.join(m.address for m in members)})"
            out.append(_f(lag, "cross-cloud-port", f"the LAG of cross-cloud leg {att.address} holds {what}; it "
                          "holds exactly one, and a redundant pair is two LAGs (Google Cloud, Cross-Cloud "
                          "Interconnect for AWS, \"Order AWS ports\")"))
        for m in members:
            for mine, theirs, what in (("connections_bandwidth", "bandwidth", "bandwidth"),
                                       ("location", "location", "location")):
                a, b = lag.block.value(mine), m.block.value(theirs)
                if a is not None and b is not None and a != b:
                    out.append(_f(lag, "cross-cloud-port", f"{what} {a} differs from {b} of its connection "
                                  f"{m.address}; every connection of a LAG has the LAG's (AWS Direct Connect "
                                  "guide, \"Link aggregation groups\")", attr=mine))
    for (_, address), vifs in sorted(legs.items()):
        if len(vifs) > 1:
            for vif in vifs:
                out.append(_f(vif, "cross-cloud-port", f"{address} carries {len(vifs)} cross-cloud legs "
                              f"({', '.join(v.address for v in vifs)}); order one LAG for each Cross-Cloud "
                              "Interconnect connection (Google Cloud, \"Order AWS ports\")", attr="connection_id"))
    return out


_SECRET_KEY = re.compile(r'^var\.vpn_shared_secrets\["([^"]+)"\]$')


def check_vpn_agreement(ix: Index, estate: Estate | None) -> list[ConformanceFinding]:
    """Both ends of every HA VPN tunnel agree: the tunnel's router interface and BGP peer exist,
    on the tunnel's router and region; the interface's /30 holds both BGP addresses (ours and the
    remote's), distinct; the pre-shared key is the sensitive input keyed by this tunnel
    (``var.vpn_shared_secrets["vpn/tunnel"]``, never a literal or another tunnel's key); the
    remote interface index exists on the external gateway; and (with the estate) the peer ASN
    is the VPN's ``remote_asn``."""
    out: list[ConformanceFinding] = []
    asns: dict[str, int] = {}
    if estate is not None:
        from tradeplane.estate.model import Vpn

        asns = {v.name: v.remote_asn for v in estate.links_of(Vpn)}
    for tun in ix.of("google_compute_vpn_tunnel"):
        interfaces = ix.referring(tun.module, "google_compute_router_interface", "vpn_tunnel", tun)
        if len(interfaces) != 1:
            out.append(_f(tun, "link-agreement", f"{len(interfaces)} router interfaces carry this tunnel; "
                          "BGP needs exactly one"))
            continue
        itf = interfaces[0]
        peers = ix.referring(tun.module, "google_compute_router_peer", "interface", itf)
        if len(peers) != 1:
            out.append(_f(tun, "link-agreement", f"{len(peers)} BGP peers on {itf.address}; the tunnel needs one"))
            continue
        peer = peers[0]
        routers = {_router_of(i) for i in (tun, itf, peer)}
        if len(routers) != 1:
            out.append(_f(peer, "link-agreement", "the tunnel, its interface and its BGP peer are not on one router "
                          f"({', '.join(sorted(routers))})", attr="router"))
        regions = {literal(i.block.value("region")) for i in (tun, itf, peer)}
        if len(regions) != 1:
            out.append(_f(peer, "link-agreement", f"the tunnel's ends are in regions {sorted(map(str, regions))}",
                          attr="region"))
        out += _tunnel_addresses(itf, peer)
        key = _SECRET_KEY.match(tun.block.value("shared_secret") or "")
        vpn_name = next((v for v in sorted(asns, key=len, reverse=True) if tun.name.startswith(ident(v) + "__")), None)
        expected = f"{vpn_name}/{literal(tun.block.value('name'))}" if vpn_name else None
        if key is None:
            out.append(_f(tun, "link-agreement", "the pre-shared key is not the sensitive input "
                          "var.vpn_shared_secrets[...]; both ends must take it from one place", attr="shared_secret"))
        elif expected is not None and key.group(1) != expected:
            out.append(_f(tun, "link-agreement", f"the pre-shared key is the one of {key.group(1)}, not of this "
                          f"tunnel ({expected})", attr="shared_secret"))
        ext = ix.ref(tun.module, tun.block.value("peer_external_gateway"), "google_compute_external_vpn_gateway")
        index = tun.block.value("peer_external_gateway_interface")
        if ext is not None and index not in {c.value("id") for c in ext.block.children("interface")}:
            out.append(_f(tun, "link-agreement", f"remote interface {index} is not an interface of {ext.address}",
                          attr="peer_external_gateway_interface"))
        if vpn_name is not None and peer.block.value("peer_asn") != str(asns[vpn_name]):
            out.append(_f(peer, "link-agreement", f"peer ASN {peer.block.value('peer_asn')} is not the remote ASN "
                          f"{asns[vpn_name]} of VPN {vpn_name}", attr="peer_asn"))
    return out


def _router_of(item: Item) -> str:
    expr = item.block.value("router") or ""
    m = re.search(r"google_compute_router\.(\w+)\.", expr)
    return f"google_compute_router.{m.group(1)}" if m else expr


def _tunnel_addresses(itf: Item, peer: Item) -> list[ConformanceFinding]:
    import ipaddress

    try:
        mine = ipaddress.ip_interface(literal(itf.block.value("ip_range")) or "")
        theirs = ipaddress.ip_address(literal(peer.block.value("peer_ip_address")) or "")
    except ValueError:
        return [_f(peer, "link-agreement", "the interface range or the peer address is not a literal address; "
                   "the two ends cannot be checked", attr="peer_ip_address")]
    hosts = set(mine.network.hosts())
    if mine.network.prefixlen != 30 or mine.ip not in hosts:
        return [_f(itf, "link-agreement", f"ip_range {mine} is not a host of a /30", attr="ip_range")]
    if theirs not in hosts or theirs == mine.ip:
        return [_f(peer, "link-agreement", f"peer address {theirs} is not the other host of {mine.network} "
                   f"(ours is {mine.ip})", attr="peer_ip_address")]
    return []


# ---------------------------------------------------------------------------------------- secrets

def _granting(doc: Item | None) -> list[HclBlock]:
    """The Allow statements of a policy document that may read a secret's value."""
    found = []
    for st in doc.block.children("statement") if doc else []:
        if literal(st.value("effect")) == "Deny":
            continue
        actions = [literal(a.strip()) or "" for a in (st.value("actions") or "").strip("[]").split(",")]
        if reads_secrets(actions):
            found.append(st)
    return found


def check_secret_access(ix: Index, estate: Estate | None) -> list[ConformanceFinding]:
    """The rule of ``estate.access`` (who may read a venue key's secret) on the rendered AWS IAM:
    each role's inline policies say which ``aws-sm://`` secrets it may read; people's roles
    (trusted by AWS or federated principals) read none; a workload's instance role is in
    ``30-compute`` and named for it."""
    policies: dict[tuple[str, str], list[tuple[Item, list[HclBlock]]]] = {}
    for rp in ix.of("aws_iam_role_policy"):
        role = ix.ref(rp.module, rp.block.value("role"), "aws_iam_role")
        if role is not None:
            doc = ix.ref(rp.module, rp.block.value("policy"), "data.aws_iam_policy_document")
            policies.setdefault((role.module, role.address), []).append((rp, _granting(doc)))
    workloads = {ident(w.name): w.name for w in (estate.workloads if estate else ())}
    refs = sorted(r for r in (allowed_readers(estate) if estate else {}) if r.startswith("aws-sm://"))
    readers: list[Reader] = []
    by_principal: dict[str, Item] = {}
    instance_roles: dict[str, Item] = {}
    for role in sorted(ix.of("aws_iam_role"), key=lambda i: (i.module, i.address)):
        trust = ix.ref(role.module, role.block.value("assume_role_policy"), "data.aws_iam_policy_document")
        human = any(literal(p.value("type")) in ("AWS", "Federated")
                    for st in (trust.block.children("statement") if trust else []) for p in st.children("principals"))
        workload = workloads.get(role.name) if role.module.endswith("30-compute") and not human else None
        if workload is not None:
            instance_roles.setdefault(workload, role)
        mine = policies.get((role.module, role.address), [])
        readable = " ".join(st.value("resources") or "" for _, sts in mine for st in sts)
        principal = f"{role.module}/{role.address}"
        by_principal[principal] = role
        readers.append(Reader(principal, human, workload,
                              frozenset(r for r in refs if f":secret:{r.removeprefix('aws-sm://')}-" in readable),
                              any(sts for _, sts in mine)))
    out: list[ConformanceFinding] = []
    for p in secret_access_problems(estate, readers, refs):
        role = by_principal.get(p.principal or "")
        if p.kind == "person-reads" and role is not None:
            for rp, sts in policies.get((role.module, role.address), []):
                for st in sts:
                    out.append(_f(rp, "secret-access", f"{role.address} is assumed by people and may read secrets "
                                  f"({st.value('resources')}); only workloads' instance roles may"))
        elif p.kind == "not-a-user" and role is not None and p.workload is not None:
            out.append(_f(role, "secret-access", f"the instance role of {p.workload} may read "
                          f"'{(p.secret_ref or '').removeprefix('aws-sm://')}', a key it does not use"))
        elif p.kind == "user-cannot-read" and p.workload in instance_roles:
            out.append(_f(instance_roles[p.workload], "secret-access", f"the instance role of {p.workload} cannot "
                          f"read its venue key '{(p.secret_ref or '').removeprefix('aws-sm://')}'"))
    return out


# ---------------------------------------------------------------------------------------- guardrails

@dataclass(frozen=True)
class Owner:
    """Who a rendered resource belongs to: the cloud, its account or project, and scopes it sits in."""

    cloud: str
    name: str
    scopes: frozenset[str]


def _owners(estate: Estate) -> tuple[dict[str, str], dict[str, Owner], dict[str, Owner]]:
    """(provider alias -> account), account -> Owner, project -> Owner."""
    org = estate.organisation
    accounts: dict[str, Owner] = {}
    for ou in org.aws.ous if org.aws else ():
        for a in ou.accounts:
            accounts[a.name] = Owner("aws", a.name, frozenset({"root", ou.name, a.name}))
    projects: dict[str, Owner] = {}
    if org.gcp:
        parents = {f.name: f.parent for f in org.gcp.folders}
        for p in org.gcp.projects:
            scopes = {"root", p.name}
            folder: str | None = p.folder
            while folder:
                scopes.add(folder)
                folder = parents.get(folder)
            projects[p.name] = Owner("gcp", p.name, frozenset(scopes))
    return {ident(a): a for a in accounts}, accounts, projects


def _owner_of(item: Item, aliases: dict[str, str], accounts: dict[str, Owner],
              projects: dict[str, Owner]) -> Owner | None:
    if item.type.startswith("aws_") or item.type == "aws":
        alias = (item.block.value("provider") or "").removeprefix("aws.") if item.kind != "provider" else \
            literal(item.block.value("alias")) or ""
        account = aliases.get(alias.split("__", 1)[0])
        return accounts.get(account or "")
    m = _PROJECT.search(item.block.value("project") or "")
    return projects.get(m.group(1)) if m else None


def _applies(g: Guardrail, owner: Owner | None) -> bool:
    if owner is None:
        return "root" in g.applies_to
    return bool(owner.scopes & set(g.applies_to)) and owner.name not in g.exempt


Rule = Callable[[Item, Guardrail], list[ConformanceFinding]]


def _g(item: Item, g: Guardrail, message: str, block: HclBlock | None = None, attr: str | None = None) -> ConformanceFinding:
    return _f(item, "guardrail", f"{g.name} ({g.control.value}): {message}", block, attr)


def _node_configs(item: Item) -> list[HclBlock]:
    return item.block.children("node_config")


def _cmek(item: Item, g: Guardrail) -> list[ConformanceFinding]:
    out = []
    if item.type == "google_compute_instance":
        boot = item.block.child("boot_disk")
        if boot is None or boot.value("kms_key_self_link") is None:
            out.append(_g(item, g, "boot disk without a customer-managed key (kms_key_self_link)", boot))
    elif item.type in ("google_container_cluster", "google_container_node_pool"):
        for cfg in _node_configs(item):
            if cfg.value("boot_disk_kms_key") is None:
                out.append(_g(item, g, "GKE nodes' boot disks without boot_disk_kms_key; creation is refused", cfg))
    elif item.type == "aws_instance":
        root = item.block.child("root_block_device")
        if root is None or root.value("encrypted") != "true":
            out.append(_g(item, g, "root volume not encrypted", root))
    elif item.type == "aws_launch_template":
        for bdm in item.block.children("block_device_mappings"):
            ebs = bdm.child("ebs")
            if ebs is None or ebs.value("encrypted") != "true":
                out.append(_g(item, g, "EBS volume not encrypted", bdm))
    return out


def _no_external_ips(item: Item, g: Guardrail) -> list[ConformanceFinding]:
    out = []
    if item.type == "google_compute_instance":
        for nic in item.block.children("network_interface"):
            if nic.children("access_config"):
                out.append(_g(item, g, "network interface with an external IP (access_config)", nic))
    elif item.type == "aws_instance" and item.block.value("associate_public_ip_address") != "false":
        out.append(_g(item, g, "associate_public_ip_address is not false", attr="associate_public_ip_address"))
    elif item.type == "aws_launch_template":
        for nic in item.block.children("network_interfaces"):
            if nic.value("associate_public_ip_address") == "true":
                out.append(_g(item, g, "launch template associates a public IP", nic))
    return out


def _shielded(item: Item, g: Guardrail) -> list[ConformanceFinding]:
    configs: list[HclBlock] = []
    if item.type == "google_compute_instance":
        configs = [item.block]
    elif item.type in ("google_container_cluster", "google_container_node_pool"):
        configs = _node_configs(item)
    out = []
    for cfg in configs:
        sh = cfg.child("shielded_instance_config")
        if sh is None or sh.value("enable_secure_boot") != "true":
            out.append(_g(item, g, "Shielded VM secure boot is not enabled", sh or cfg))
    return out


def _imdsv2(item: Item, g: Guardrail) -> list[ConformanceFinding]:
    if item.type not in ("aws_instance", "aws_launch_template"):
        return []
    md = item.block.child("metadata_options")
    if md is None or literal(md.value("http_tokens")) != "required":
        return [_g(item, g, "metadata_options.http_tokens is not \"required\" (IMDSv1 allowed)", md)]
    return []


def _os_login(item: Item, g: Guardrail) -> list[ConformanceFinding]:
    if item.type == "google_compute_instance":
        meta = item.block.value("metadata") or ""
        if not re.search(r'enable-oslogin\s*=\s*"(TRUE|true)"', meta):
            return [_g(item, g, "metadata does not set enable-oslogin = TRUE", attr="metadata")]
    elif item.type in ("aws_instance", "aws_launch_template") and "key_name" in item.block.attrs:
        return [_g(item, g, "launches with an EC2 key pair", attr="key_name")]
    return []


def _serial_port(item: Item, g: Guardrail) -> list[ConformanceFinding]:
    if item.type == "google_compute_instance" and re.search(r'serial-port-enable\s*=\s*"(TRUE|true|1)"',
                                                            item.block.value("metadata") or ""):
        return [_g(item, g, "metadata enables the serial port", attr="metadata")]
    return []


def _regions(item: Item, g: Guardrail) -> list[ConformanceFinding]:
    allowed = set(g.regions)
    if item.kind == "provider" and item.type == "aws":
        region = literal(item.block.value("region"))
        if region and not _region_allowed(region, allowed, "aws"):
            return [_g(item, g, f"provider region {region} is not an allowed region", attr="region")]
        return []
    if not item.type.startswith("google_"):
        return []
    for attr in ("region", "zone", "location"):
        place = literal(item.block.value(attr))
        if place is None:
            continue
        region = _region_of_zone(place) if attr == "zone" or place.count("-") == 2 else place
        if "-" in region and not _region_allowed(region, allowed, "gcp"):
            return [_g(item, g, f"{attr} {place} is outside the allowed regions", attr=attr)]
    return []


def _region_allowed(region: str, allowed: set[str], cloud: str) -> bool:
    """Allowed when the guardrail lists no region of this cloud (it does not render there)."""
    mine = {r for r in allowed if r in catalog.REGIONS and catalog.REGIONS[r].cloud == cloud}
    return not mine or region in mine


RULES: dict[Control, Rule] = {
    Control.CUSTOMER_MANAGED_KEYS: _cmek,
    Control.NO_EXTERNAL_IPS: _no_external_ips,
    Control.REQUIRE_SHIELDED_VM: _shielded,
    Control.REQUIRE_IMDSV2: _imdsv2,
    Control.REQUIRE_OS_LOGIN: _os_login,
    Control.NO_SERIAL_PORT: _serial_port,
    Control.RESTRICT_REGIONS: _regions,
}


def check_guardrails(ix: Index, estate: Estate) -> list[ConformanceFinding]:
    """Each guardrail's rule on every rendered resource (and AWS provider) in its scope."""
    aliases, accounts, projects = _owners(estate)
    out: list[ConformanceFinding] = []
    guardrails = sorted(estate.guardrails, key=lambda g: g.name)
    for item in ix.items:
        if item.kind == "data":
            continue
        owner = _owner_of(item, aliases, accounts, projects)
        for g in guardrails:
            rule = RULES.get(g.control)
            if rule is not None and _applies(g, owner):
                out += rule(item, g)
        if item.type in ("google_container_cluster", "google_container_node_pool"):
            for cfg in _node_configs(item):
                if cfg.value("service_account") is None:
                    out.append(_f(item, "guardrail", "GKE nodes run as the Compute Engine default service account "
                                  "(Editor on the project); name a service account", cfg))
    return out


# ---------------------------------------------------------------------------------------- SCPs

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_OU_REF = re.compile(r"aws_organizations_organizational_unit\.([A-Za-z0-9_]+)\.id")
_STAGE_ROLE = "arn:aws:iam::{account_id}:role/tradeplane-terraform-{slug}"


def _strings(value: str | None) -> list[str]:
    """The string literals of a rendered list (``["a", "b"]``)."""
    return _QUOTED.findall(value or "")


def _scp_targets(ix: Index) -> list[tuple[Item, str, HclBlock]]:
    """(attachment, target: an OU's identifier or ``root``, Deny statement) of every attached SCP."""
    out = []
    for att in ix.of("aws_organizations_policy_attachment"):
        policy = ix.ref(att.module, att.block.value("policy_id"), "aws_organizations_policy")
        doc = ix.ref(att.module, policy.block.value("content"), "data.aws_iam_policy_document") if policy else None
        target_expr = att.block.value("target_id") or ""
        m = _OU_REF.search(target_expr)
        target = m.group(1) if m else "root" if ".roots[0]." in target_expr else None
        if doc is None or target is None:
            continue
        for st in doc.block.children("statement"):
            if literal(st.value("effect")) == "Deny" and st.value("actions"):
                out.append((att, target, st))
    return out


def _exempts(st: HclBlock, principal: str, account_id: str) -> bool | None:
    """Whether ``st``'s conditions spare ``principal`` of ``account_id``; None when it has a condition
    on the request (not only on who calls): it is conditional, not an outright deny."""
    spared = False
    for c in st.children("condition"):
        key, test, values = literal(c.value("variable")), literal(c.value("test")), _strings(c.value("values"))
        if key not in PRINCIPAL_KEYS:
            return None
        if key == "aws:PrincipalArn" and test == "ArnNotLike":
            spared |= any(fnmatchcase(principal, v) for v in values)
        elif key == "aws:PrincipalAccount" and test == "StringNotEquals":
            spared |= account_id in values
    return spared


def check_scp_conflicts(ix: Index, estate: Estate) -> list[ConformanceFinding]:
    """No attached SCP denies outright an action a rendered resource needs in an account under it
    (``scp-conflict``): the stage that renders it would race its own guardrail on the first apply
    and get AccessDenied on every later one."""
    org = estate.organisation.aws
    if org is None:
        return []
    parents = {ident(o.name): ident(o.parent) if o.parent else None for o in org.ous}
    accounts: dict[str, tuple[str, str, set[str]]] = {}  # provider alias prefix -> (name, id, scopes)
    for o in org.ous:
        scopes = {"root"}
        node: str | None = ident(o.name)
        while node is not None:
            scopes.add(node)
            node = parents.get(node)
        for a in o.accounts:
            accounts[ident(a.name)] = (a.name, a.account_id, scopes)
    statements = _scp_targets(ix)
    out: list[ConformanceFinding] = []
    for item in ix.items:
        needed = TYPE_ACTIONS.get(item.type, ()) if item.kind == "resource" else ()
        if not needed or not item.module.startswith("aws/"):
            continue
        alias = (item.block.value("provider") or "").removeprefix("aws.").split("__", 1)[0]
        if alias not in accounts:
            continue  # the management account, outside every SCP
        name, account_id, scopes = accounts[alias]
        slug = item.module.split("/", 1)[1].split("-", 1)[1]
        principal = _STAGE_ROLE.format(account_id=account_id, slug=slug)
        for att, target, st in statements:
            if target not in scopes:
                continue
            denied = _strings(st.value("actions"))
            hit = sorted(a for a in needed if any(fnmatchcase(a.lower(), d.lower()) for d in denied))
            if hit and _exempts(st, principal, account_id) is False:
                sid = literal(st.value("sid")) or "?"
                out.append(_f(item, "scp-conflict", f"{att.address} (statement {sid}) denies {', '.join(hit)} in "
                              f"{name} to every principal, {item.module}'s role tradeplane-terraform-{slug} "
                              "included: exempt that role (ArnNotLike aws:PrincipalArn) or do not render it there"))
    return out


# ---------------------------------------------------------------------------------------- locations

_FOLDER_REF = re.compile(r"google_folder\.([A-Za-z0-9_]+)\.name")


def _location_policies(ix: Index) -> dict[str, tuple[Item, frozenset[str] | None]]:
    """scope (``root``, a folder's identifier, ``project:<key>``) -> (policy, allowed values; None: all)."""
    out: dict[str, tuple[Item, frozenset[str] | None]] = {}
    for pol in ix.of("google_org_policy_policy"):
        if not (pol.block.value("name") or "").rstrip('"').endswith("/policies/gcp.resourceLocations"):
            continue
        parent = pol.block.value("parent") or ""
        folder, project = _FOLDER_REF.search(parent), _PROJECT.search(parent)
        scope = f"project:{project.group(1)}" if project else folder.group(1) if folder else "root"
        spec = pol.block.child("spec")
        rules = spec.children("rules") if spec else []
        if any(r.value("allow_all") in ("TRUE", '"TRUE"', "true") for r in rules):
            out[scope] = (pol, None)
            continue
        allowed = {v for r in rules for vals in r.children("values") for v in _strings(vals.value("allowed_values"))}
        out[scope] = (pol, frozenset(allowed))
    return out


def location_allowed(place: str, allowed: frozenset[str]) -> bool:
    """Whether ``place`` (a region, zone, ``global`` or multi-region) is within ``allowed``
    (``in:<group>-locations`` value groups or plain locations)."""
    for value in allowed:
        group = value.removeprefix("in:").removesuffix("-locations") if value.startswith("in:") else None
        if group is None:
            if place == value:
                return True
        elif place == group or place.startswith(f"{group}-"):
            return True
    return False


def check_resource_locations(ix: Index, estate: Estate | None = None) -> list[ConformanceFinding]:
    """Every located GCP resource within the rendered ``gcp.resourceLocations`` of its project."""
    policies = _location_policies(ix)
    if not policies:
        return []
    ancestry: dict[str, list[str]] = {}
    if estate is not None and estate.organisation.gcp is not None:
        parents = {f.name: f.parent for f in estate.organisation.gcp.folders}
        for p in estate.organisation.gcp.projects:
            chain: list[str] = []
            folder: str | None = p.folder
            while folder:
                chain.append(ident(folder))
                folder = parents.get(folder)
            ancestry[p.name] = chain
    out: list[ConformanceFinding] = []
    for item in ix.items:
        if item.kind != "resource" or not item.type.startswith("google_") or item.type == "google_org_policy_policy":
            continue
        m = _PROJECT.search(item.block.value("project") or "")
        if m is None:
            continue
        scopes = [f"project:{m.group(1)}", *ancestry.get(m.group(1), []), "root"]
        governing = next((policies[s] for s in scopes if s in policies), None)
        if governing is None:
            continue
        pol, allowed = governing
        if allowed is None:
            continue
        for attr in ("location", "region", "zone"):
            place = literal(item.block.value(attr))
            if place and not location_allowed(place, allowed):
                out.append(_f(item, "resource-location", f"{attr} {place!r} is outside gcp.resourceLocations of "
                              f"{pol.address} ({', '.join(sorted(allowed))}); creation is refused", attr=attr))
    return out


# ---------------------------------------------------------------------------------------- services

def check_project_services(ix: Index) -> list[ConformanceFinding]:
    """Every GCP resource's project enables the APIs its type needs (``google_project_service``)."""
    from tradeplane.terraform.gcp.project_services import apis_for

    enabled = {(m.group(1), literal(i.block.value("service")))
               for i in ix.of("google_project_service") if (m := _PROJECT.search(i.block.value("project") or ""))}
    if not any(i.type.startswith("google_") for i in ix.items):
        return []
    out = []
    for item in ix.items:
        m = _PROJECT.search(item.block.value("project") or "") if item.kind == "resource" else None
        if m is None:
            continue
        for api in apis_for(item.type):
            if (m.group(1), api) not in enabled:
                out.append(_f(item, "project-services", f"project {m.group(1)} does not enable {api}", attr="project"))
    return out


# ---------------------------------------------------------------------------------------- all

def check_conformance(rendered: Rendered | Mapping[str, str], estate: Estate | None = None) -> list[ConformanceFinding]:
    """Every conformance finding of the rendered output (a ``Rendered``: its block structure; or
    files, path -> text, scanned); guardrails and workloads' secret access need the ``estate``
    they were rendered from."""
    ix = Index(rendered)
    out = [*ix.errors, *check_alert_delivery(ix), *check_placement(ix), *check_half_configured(ix),
           *check_link_agreement(ix), *check_cross_cloud_ports(ix),
           *check_vpn_agreement(ix, estate), *check_secret_access(ix, estate), *check_project_services(ix),
           *check_resource_locations(ix, estate)]
    if estate is not None:
        out += check_guardrails(ix, estate) + check_scp_conflicts(ix, estate)
    return sorted(set(out))
