"""Cloud Routers, what they learned (router status), Interconnect attachments and VPN tunnels -> links
and on-premises sites.

Read from the export directory (all optional):

  routers.json                    gcloud compute routers list --format=json
  router-status/[REGION/]R.json   gcloud compute routers get-status R --region=REGION --format=json
  interconnect-attachments.json   gcloud compute interconnects attachments list --format=json
  vpn-tunnels.json                gcloud compute vpn-tunnels list --format=json
  vpn-gateways.json               gcloud compute vpn-gateways list --format=json

The prefixes on-premises (or another cloud) advertises are the routes a Cloud Router learned:
``result.bestRoutesForRouter`` of its status (the best routes *this* router learned; Compute API
``RouterStatus``), each carried by the BGP peer whose ``peerIpAddress`` is the route's ``nextHopIp``
(or its ``nextHopVpnTunnel`` / ``nextHopInterconnectAttachment``), whose router interface links one
VPN tunnel or Interconnect attachment. Each group of attachments (or of tunnels to one peer gateway)
that learned the same prefixes becomes one Interconnect (or VPN) link to one site holding those
prefixes; the network's routing mode then decides where the routes apply (``REGIONAL``: the router's
region only). Tunnels that are not ``ESTABLISHED`` and attachments that are not ``ACTIVE`` carry
nothing and are noted; so is a router with BGP peers and no status file (what it learned is unknown).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import TYPE_CHECKING

from tradeplane.errors import InputError, Location
from tradeplane.estate.model import (
    CloudRouter,
    Interconnect,
    InterconnectAttachment,
    Site,
    Vpn,
    VpnTunnel,
)
from tradeplane.inventory.exports import ExportFile, Row
from tradeplane.inventory.naming import estate_name

if TYPE_CHECKING:
    from tradeplane.inventory.gcp.core import GcpImport

__all__ = ["HybridLinks", "read_hybrid"]

_BANDWIDTHS = (1, 2, 5, 10, 20, 50, 100)  # the model's attachment sizes (Gbps)
Carrier = tuple[str, str]  # ("tunnel" | "attachment", self link key)


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _key(url: str) -> str:
    i = url.find("projects/")
    return url[i:] if i >= 0 else url


def _region(url: str) -> str:
    return url.split("/regions/")[1].split("/")[0] if "/regions/" in url else ""


@dataclass
class _Router:
    row: Row
    network: str  # network key
    region: str
    name: str  # estate name
    asn: int
    peers: list[tuple[str, str, str, int | None]] = field(default_factory=list)  # name, interface, peer ip, asn
    links: dict[str, Carrier] = field(default_factory=dict)  # interface name -> carrier
    advertised: tuple[IPv4Network, ...] = ()
    status: bool = False


@dataclass
class HybridLinks:
    """What the hybrid exports become: sites, links (routers, interconnects, VPNs) and the count of tunnels."""

    sites: list[Site]
    links: list[CloudRouter | Interconnect | Vpn]
    tunnels: int


def _cidr(row: Row, fld: str, x: GcpImport) -> IPv4Network | None:
    text = row.text(fld)
    try:
        net = ip_network(text, strict=False)
    except ValueError:
        raise row.error(f"{fld} {text!r} is not a CIDR", field=fld) from None
    if isinstance(net, IPv6Network):
        x.note_row(row, f"{row.ident}: {fld} {text} (IPv6) not imported")
        return None
    return net


def _routers(x: GcpImport) -> dict[str, _Router]:
    rows = x.rows("routers", "routers", "compute#router")
    count: dict[str, int] = defaultdict(int)
    for r in rows:
        count[r.ident] += 1
    out: dict[str, _Router] = {}
    for r in rows:
        nk = x.net_of(r)
        region = _last(r.text("region"))
        key = _key(r.opt_text("selfLink") or f"{nk.split('/global/')[0]}/regions/{region}/routers/{r.ident}")
        bgp = r.sub("bgp")
        asn = bgp.integer("asn", 1, 4_294_967_294, default=64512, what="an ASN") if bgp.item else 64512
        info = _Router(r, nk, region, estate_name(r.ident if count[r.ident] == 1 else f"{r.ident}-{region}"), asn)
        for i, itf in enumerate(r.subs("interfaces")):
            ir = itf.where(f"interfaces[{i}]")
            if ir.has("linkedVpnTunnel"):
                info.links[ir.text("name")] = ("tunnel", _key(ir.text("linkedVpnTunnel")))
            elif ir.has("linkedInterconnectAttachment"):
                info.links[ir.text("name")] = ("attachment", _key(ir.text("linkedInterconnectAttachment")))
        for i, p in enumerate(r.subs("bgpPeers")):
            pr = p.where(f"bgpPeers[{i}]")
            if (pr.opt_text("enable", "TRUE") or "TRUE") == "FALSE":
                x.note_row(p, f"router {r.ident}: BGP peer {pr.opt_text('name', str(i))} is disabled; learns nothing")
                continue
            peer_asn = pr.integer("peerAsn", 1, 4_294_967_294, default=0, what="an ASN") if pr.has("peerAsn") else None
            info.peers.append((pr.text("name"), pr.opt_text("interfaceName", "") or "",
                               pr.opt_text("peerIpAddress", "") or "", peer_asn))
            if (pr.opt_text("advertiseMode", "DEFAULT") or "DEFAULT") == "CUSTOM":
                x.note_row(p, f"router {r.ident}: BGP peer {pr.text('name')} has its own custom advertisements; the "
                              "router's advertisements are used for every peer")
        mode = bgp.opt_text("advertiseMode", "DEFAULT") or "DEFAULT"
        if mode == "CUSTOM":
            ranges = []
            for j, ar in enumerate(bgp.subs("advertisedIpRanges")):
                net = _cidr(ar.where(f"bgp.advertisedIpRanges[{j}]"), "range", x)
                if net is not None:
                    ranges.append(net)
            info.advertised = tuple(sorted(set(ranges)))
            if "ALL_SUBNETS" not in bgp.strings("advertisedGroups"):
                x.note_row(r, f"router {r.ident}: custom advertisements without ALL_SUBNETS; the model advertises "
                              "the network's subnets as well (on-premises may not reach all of them)")
        out[key] = info
    return out


def _status_files(x: GcpImport, routers: dict[str, _Router]) -> dict[Carrier, set[IPv4Network]]:
    """Learned prefixes per carrier (tunnel or attachment), from ``router-status/[REGION/]ROUTER.json``."""
    learned: dict[Carrier, set[IPv4Network]] = defaultdict(set)
    base = x.dir / "router-status"
    if not base.is_dir():
        return learned
    for path in sorted(base.rglob("*.json")):
        region = path.parent.name if path.parent != base else ""
        found = [r for r in routers.values() if r.row.ident == path.stem and (not region or r.region == region)]
        if len(found) != 1:
            what = "no router" if not found else "several routers"
            raise InputError.single(
                f"{what} named {path.stem}{' in ' + region if region else ''} in routers.json",
                location=Location(str(path)),
                hint="name the file after the router (router-status/REGION/ROUTER.json when names repeat)")
        router = found[0]
        router.status = True
        f = ExportFile.read(path)
        if not isinstance(f.data, dict):
            raise InputError.single("expected the object `gcloud compute routers get-status` prints",
                                    location=f.at(()))
        top = f.row((), f.data, f"router-status {router.row.ident}")
        res = top.sub("result")
        if res.has("network") and _key(res.text("network")) != router.network:
            raise res.error(f"network {res.text('network')} is not the router's network", field="network")
        key = "bestRoutesForRouter" if res.has("bestRoutesForRouter") else "bestRoutes"
        by_ip = {ip: itf for _n, itf, ip, _a in router.peers if ip}
        for i, route in enumerate(res.subs(key)):
            rr = route.where(f"result.{key}[{i}]")
            dest = _cidr(rr, "destRange", x)
            if dest is None:
                continue
            carrier: Carrier | None = None
            if rr.has("nextHopVpnTunnel"):
                carrier = ("tunnel", _key(rr.text("nextHopVpnTunnel")))
            elif rr.has("nextHopInterconnectAttachment"):
                carrier = ("attachment", _key(rr.text("nextHopInterconnectAttachment")))
            else:
                hop = rr.opt_text("nextHopIp", "") or ""
                itf = by_ip.get(hop)
                carrier = router.links.get(itf) if itf is not None else None
            if carrier is None:
                x.note_row(route, f"router {router.row.ident}: learned route {dest} via "
                                  f"{rr.opt_text('nextHopIp', '?')}: no BGP peer with a VPN tunnel or Interconnect "
                                  "attachment has that address; not imported")
                continue
            learned[carrier].add(dest)
    return learned


def _gbps(row: Row) -> int:
    text = row.opt_text("bandwidth", "BPS_10G") or "BPS_10G"
    units = {"M": 0.001, "G": 1.0}
    try:
        value = float(text.removeprefix("BPS_")[:-1]) * units[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise row.error(f"bandwidth {text!r} is not a BPS_<n>M or BPS_<n>G value", field="bandwidth") from None
    fit = next((b for b in _BANDWIDTHS if b >= value), None)
    if fit is None:
        raise row.error(f"bandwidth {text} is above 100 Gbps", field="bandwidth")
    return fit


def read_hybrid(x: GcpImport, static: dict[tuple[str, str, str], list[IPv4Network]],
                static_src: dict[tuple[str, str, str], Row]) -> HybridLinks:
    """Links and sites of the hybrid exports; ``static`` are the destinations static routes send to each
    VPN tunnel (network key, region, tunnel name)."""
    routers = _routers(x)
    learned = _status_files(x, routers)
    for r in routers.values():
        if r.peers and not r.status:
            x.note_row(r.row, f"router {r.row.ident}: BGP peers but no router-status/{r.row.ident}.json; what it "
                              f"learned is unknown (run `gcloud compute routers get-status {r.row.ident} "
                              f"--region={r.region} --format=json`)")
    asn_of: dict[Carrier, int] = {}
    for r in routers.values():
        for _n, itf, _ip, peer_asn in r.peers:
            if itf in r.links and peer_asn:
                asn_of[r.links[itf]] = peer_asn
    used: set[str] = set()  # routers that carry links
    sites: list[Site] = []
    links: list[CloudRouter | Interconnect | Vpn] = []

    # ------------------------------------------------------------ interconnect attachments
    circuits: dict[str, tuple[int, bool, bool]] = {}  # interconnect -> (Gbps per link, MACsec, active)
    for c in x.rows("interconnects", "interconnects", "compute#interconnect"):
        link_type = c.opt_text("linkType", "") or ""
        gbps = {"LINK_TYPE_ETHERNET_10G_LR": 10, "LINK_TYPE_ETHERNET_100G_LR": 100,
                "LINK_TYPE_ETHERNET_400G_LR4": 400}.get(link_type, 0)
        active = c.opt_text("state", "ACTIVE") == "ACTIVE" and c.flag("adminEnabled", True)
        circuits[_key(c.opt_text("selfLink") or c.ident)] = (gbps, c.flag("macsecEnabled"), active)
    groups: dict[tuple[str, frozenset[IPv4Network]],
                 list[tuple[Row, InterconnectAttachment, str, int | None]]] = defaultdict(list)
    att_rows = x.rows("attachments", "interconnect-attachments", "compute#interconnectAttachment")
    att_names: dict[str, int] = defaultdict(int)  # names are unique per project and region only
    for a in att_rows:
        att_names[a.ident] += 1
    for a in att_rows:
        state = a.opt_text("state", "ACTIVE")
        if state != "ACTIVE" or not a.flag("adminEnabled", True):
            x.note_row(a, f"interconnect attachment {a.ident}: {state if state != 'ACTIVE' else 'admin disabled'}; "
                          "carries no traffic")
            continue
        kind = a.opt_text("type", "DEDICATED")
        if kind not in ("DEDICATED", "PARTNER", "PARTNER_PROVIDER"):
            x.note_row(a, f"interconnect attachment {a.ident}: type {kind} not modelled")
            continue
        router = routers.get(_key(a.text("router")))
        if router is None:
            x.note_row(a, f"interconnect attachment {a.ident}: router {_last(a.text('router'))} is not in routers.json; "
                          "not modelled")
            continue
        region = _last(a.text("region"))
        key = _key(a.opt_text("selfLink") or f"{router.row.ident}/{region}/{a.ident}")
        ead_text = a.opt_text("edgeAvailabilityDomain", "AVAILABILITY_DOMAIN_ANY")
        ead = {"AVAILABILITY_DOMAIN_1": 1, "AVAILABILITY_DOMAIN_2": 2}.get(ead_text or "", 1)
        if ead_text not in ("AVAILABILITY_DOMAIN_1", "AVAILABILITY_DOMAIN_2"):
            x.note_row(a, f"interconnect attachment {a.ident}: edge availability domain {ead_text} recorded as 1")
        att = InterconnectAttachment(name=estate_name(a.ident if att_names[a.ident] == 1 else f"{a.ident}-{region}"),
                                     metro="unknown", edge_availability_domain=ead,
                                     region=region, router=router.name,
                                     vlan=a.integer("vlanTag8021q", 2, 4094, what="a VLAN tag"),
                                     bandwidth_gbps=_gbps(a))
        prefixes = frozenset(learned.get(("attachment", key), set()))
        ic = _key(a.opt_text("interconnect") or "") or "partner"
        if ic in circuits and not circuits[ic][2]:
            x.note_row(a, f"interconnect attachment {a.ident}: its interconnect {_last(ic)} is not active; carries "
                          "no traffic")
            continue
        groups[(router.network, prefixes)].append((a, x.reg_row(att, a), "partner" if kind != "DEDICATED" else ic,
                                                    asn_of.get(("attachment", key))))
        used.add(router.name)
    for (nk, prefixes), members in sorted(groups.items(), key=lambda kv: sorted(m[1].name for m in kv[1])):
        first = min(members, key=lambda m: m[1].name)
        name = estate_name(f"ic-{first[1].router}")
        if any(getattr(link, "name", "") == name for link in links):
            name = estate_name(f"ic-{first[1].router}-{first[1].name}")
        site = estate_name(f"onprem-{name}")
        asns = {m[3] for m in members if m[3] is not None}
        sites.append(x.reg_row(Site(name=site, kind="datacenter", cidrs=tuple(sorted(prefixes)),
                                    asn=next(iter(asns)) if len(asns) == 1 else None), first[0], first[0].ident))
        circ = [circuits[m[2]] for m in members if m[2] in circuits]
        dedicated = all(m[2] != "partner" for m in members)
        sizes = {c[0] for c in circ}
        exact = dedicated and len(circ) == len(members) and len(sizes) == 1 and sizes <= {10, 100}
        link = Interconnect(kind="interconnect", name=name, type="dedicated" if dedicated else "partner",
                            network=x.nets[nk][1], site=site, macsec=exact and all(c[1] for c in circ),
                            circuit_gbps=next(iter(sizes)) if exact else 10,
                            attachments=tuple(sorted((m[1] for m in members), key=lambda t: t.name)))
        links.append(x.reg_row(link, first[0], first[0].ident))
        if not exact:
            x.note_row(first[0], f"interconnect {name}: circuit size and MACsec unknown (partner, mixed, or not in "
                                 f"{x.files_of('interconnects')}); recorded as 10 Gbps, MACsec off")

    # ------------------------------------------------------------ VPN tunnels
    gateways = {_key(g.opt_text("selfLink") or g.ident): g for g in x.rows("vpn_gateways", "vpn-gateways",
                                                                           "compute#vpnGateway")}
    dyn: dict[tuple[str, str], list[tuple[Row, VpnTunnel, Carrier, str]]] = defaultdict(list)
    in_dynamic: dict[tuple[str, str, str], tuple[str, str]] = {}  # static key -> dynamic group
    tunnel_rows = x.rows("vpn_tunnels", "vpn-tunnels", "compute#vpnTunnel")
    for t in tunnel_rows:
        status = t.opt_text("status", "ESTABLISHED")
        region = _last(t.text("region"))
        if status != "ESTABLISHED":
            x.note_row(t, f"VPN tunnel {t.ident}: {status}; carries no traffic, not imported")
            continue
        if not t.has("router"):
            continue  # route-based or policy-based with static routes: from routes.json below
        router = routers.get(_key(t.text("router")))
        if router is None:
            x.note_row(t, f"VPN tunnel {t.ident}: router {_last(t.text('router'))} is not in routers.json; "
                          "not modelled")
            continue
        gw_url = t.opt_text("vpnGateway")
        if gw_url and _key(gw_url) in gateways:
            gnk = x.net_of(gateways[_key(gw_url)])
            if gnk != router.network:
                raise t.error(f"vpnGateway {gw_url} is in another network than router {router.row.ident}",
                              field="vpnGateway")
        peer = t.opt_text("peerExternalGateway") or t.opt_text("peerGcpGateway") or t.opt_text("peerIp") or "peer"
        tkey = _key(t.opt_text("selfLink") or f"{region}/{t.ident}")
        gitf = t.integer("vpnGatewayInterface", 0, 1, default=0, what="a gateway interface")
        tunnel = VpnTunnel(name=x.tunnel_name(t.ident, region), interface=gitf,
                           peer_address=t.opt_text("peerIp", "unknown") or "unknown")
        dyn[(router.name, _key(peer))].append((t, tunnel, ("tunnel", tkey), "ha" if gw_url else "classic"))
        in_dynamic[(router.network, region, tunnel.name)] = (router.name, _key(peer))
        used.add(router.name)
    extra: dict[tuple[str, str], set[IPv4Network]] = defaultdict(set)
    for skey, dests in static.items():
        if skey in in_dynamic:
            extra[in_dynamic[skey]].update(dests)
    by_name = {r.name: r for r in routers.values()}
    for (rname, peer), vmembers in sorted(dyn.items()):
        router = by_name[rname]
        vprefixes = set(extra.get((rname, peer), set()))
        for _t, _tun, carrier, _k in vmembers:
            vprefixes |= learned.get(carrier, set())
        vfirst = vmembers[0][0]
        name = estate_name(f"vpn-{rname}-{_last(peer)}")
        site = estate_name(f"onprem-{name}")
        asn = next((asn_of[c] for _t, _u, c, _k in vmembers if c in asn_of), None)
        sites.append(x.reg_row(Site(name=site, kind="datacenter", cidrs=tuple(sorted(vprefixes)),
                                    asn=asn), vfirst, vfirst.ident))
        vpn = Vpn(kind="vpn", name=name, type="ha" if all(m[3] == "ha" for m in vmembers) else "classic",
                  network=x.nets[router.network][1], remote=site, router=rname, remote_asn=asn or 65000,
                  tunnels=tuple(sorted((m[1] for m in vmembers), key=lambda u: u.name)))
        links.append(x.reg_row(vpn, vfirst, vfirst.ident))

    # ------------------------------------------------------------ static routes to tunnels
    def tunnel_network(t: Row) -> str | None:  # a tunnel names no network: its router's or gateway's
        r = routers.get(_key(t.opt_text("router") or ""))
        if r is not None:
            return r.network
        gw = gateways.get(_key(t.opt_text("vpnGateway") or ""))
        return x.net_of(gw) if gw is not None else None

    known = {(tunnel_network(t), _last(t.text("region")), x.tunnel_name(t.ident, _last(t.text("region")))): t
             for t in tunnel_rows}
    for (snk, sregion, stunnel), dests in sorted(static.items()):
        if (snk, sregion, stunnel) in in_dynamic:
            continue
        trow = known.get((snk, sregion, stunnel))
        if tunnel_rows and trow is None:
            x.note_row(static_src[(snk, sregion, stunnel)], f"route to VPN tunnel {stunnel}: the tunnel is not in "
                                                          "vpn-tunnels.json; imported as a site per tunnel")
        elif trow is not None and trow.opt_text("status", "ESTABLISHED") != "ESTABLISHED":
            continue  # noted above; routes to it are dropped in the walk (no such tunnel)
        src = static_src[(snk, sregion, stunnel)]
        net = x.nets[snk][1]
        router = next((r for r in routers.values() if r.network == snk and r.region == sregion), None)
        if router is None:
            rname = estate_name(f"cr-{net}-{sregion}")
            if rname not in used:
                links.append(CloudRouter(kind="cloud_router", name=rname, network=net, region=sregion, asn=64512))
                used.add(rname)
        else:
            rname = router.name
            used.add(rname)
        site = estate_name(f"onprem-{stunnel}")
        sites.append(x.reg_row(Site(name=site, kind="datacenter", cidrs=tuple(sorted(set(dests)))),
                               src, stunnel))
        peer_ip = (trow.opt_text("peerIp", "exported") if trow is not None else "exported") or "exported"
        links.append(x.reg_row(Vpn(kind="vpn", name=estate_name(f"vpn-{stunnel}"), type="classic", network=net,
                                   remote=site, router=rname, remote_asn=65000,
                                   tunnels=(VpnTunnel(name=stunnel, peer_address=peer_ip),)), src, stunnel))

    for r in sorted(routers.values(), key=lambda r: r.name):
        if r.name in used:
            links.append(x.reg_row(CloudRouter(kind="cloud_router", name=r.name, network=x.nets[r.network][1],
                                               region=r.region, asn=r.asn, advertised_prefixes=r.advertised),
                                   r.row))
    tunnels = sum(len(v.tunnels) for v in links if isinstance(v, Vpn))
    return HybridLinks(sites, links, tunnels)
