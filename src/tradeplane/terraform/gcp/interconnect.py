"""GCP Dedicated / Partner Interconnect: ports, VLAN attachments, router interfaces and BGP peers.

A ``99.99`` target is checked against Google's topology: two metros, both edge
availability domains in each, Cloud Routers in at least two regions, and a
network with global dynamic routing.
"""

from __future__ import annotations

from tradeplane.estate.model import CloudRouter, GcpVpc, Interconnect, InterconnectAttachment
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import net_project, ref
from tradeplane.terraform.hcl import Expr, Value
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "interconnect"
# BFD on every Interconnect BGP session: failure detected in 5 x 1 s instead of the BGP hold time
# (60 s by default). This is the fastest Cloud Router allows: Compute Engine API, RouterBgpPeerBfd,
# minReceiveInterval/minTransmitInterval "must be between 1000 and 30000", multiplier "between 5 and
# 16". AWS Direct Connect's end of a cross-cloud leg runs asynchronous BFD at 300 ms x 3 (AWS
# re:Post, "enable BFD for Direct Connect": not configurable), so each side negotiates the greater
# interval, 1000 ms: AWS declares the leg down after 3 s, Google after 5 s. Sub-second detection
# across the cross-cloud link is not available on Cloud Router.
BFD: dict[str, Value] = {"session_initialization_mode": "ACTIVE", "min_receive_interval": 1000, "min_transmit_interval": 1000,
       "multiplier": 5}


def port_name(ic: Interconnect, metro: str, ead: int) -> str:
    """The Dedicated Interconnect port of ``ic`` in (``metro``, edge availability domain ``ead``)."""
    return f"{ic.name}-{metro}-ead{ead}"


def ports(ic: Interconnect) -> list[tuple[str, int]]:
    """The (metro, edge availability domain) of each port a dedicated ``ic`` orders, sorted; none for partner."""
    if ic.type != "dedicated":
        return []
    return sorted({(a.metro, a.edge_availability_domain) for a in ic.attachments})


def peer_name(a: InterconnectAttachment) -> str:
    """The Cloud Router BGP peer over VLAN attachment ``a``."""
    return f"{a.name}-bgp"


def check_topology(ctx: Context, ic: Interconnect, net: GcpVpc) -> None:
    if ic.target_sla != "99.99":
        return
    metros: dict[str, set[int]] = {}
    for a in ic.attachments:
        metros.setdefault(a.metro, set()).add(a.edge_availability_domain)
    regions = {a.region for a in ic.attachments}
    if len(metros) < 2 or any(eads != {1, 2} for eads in metros.values()):
        shown = "; ".join(f"{m}: EAD {sorted(e)}" for m, e in sorted(metros.items()))
        ctx.unsupported(ic, "attachments", f"interconnect '{ic.name}' targets 99.99% but has {shown}",
                        "99.99% needs two metros with an attachment in both edge availability domains of each")
    if len(regions) < 2:
        ctx.unsupported(ic, "attachments", f"interconnect '{ic.name}' targets 99.99% but its Cloud Routers are all in "
                        f"{', '.join(sorted(regions))}", "99.99% needs Cloud Routers in at least two regions")
    if net.routing_mode != "GLOBAL":
        ctx.unsupported(net, "routing_mode", f"interconnect '{ic.name}' targets 99.99% but network {net.name} uses "
                        "regional dynamic routing", "set routing_mode: GLOBAL")


@family("interconnect", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """One port per (metro, edge availability domain); VLAN attachments with router interfaces and peers."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    routers = {r.name: r for r in ctx.estate.links_of(CloudRouter)}
    for ic in sorted(ctx.estate.links_of(Interconnect), key=lambda x: x.name):
        net = ctx.networks[ic.network]
        assert isinstance(net, GcpVpc)
        check_topology(ctx, ic, net)
        project = net_project(ctx, mod, net)
        site = ctx.estate.site(ic.site)
        if site.asn is None:
            ctx.unsupported(site, "asn", f"site '{site.name}' has no BGP ASN for interconnect '{ic.name}'", "add 'asn'")
        locations = mod.var("interconnect_locations", "map(string)",
                            "interconnect location (colocation facility) URL per 'interconnect/metro-eadN'")
        for metro, ead in ports(ic):
            key = f"{metro}-ead{ead}"
            port = mod.resource(F, "google_compute_interconnect", ident(ic.name, key), project=project,
                                name=port_name(ic, metro, ead), customer_name=ctx.estate.name,
                                interconnect_type="DEDICATED",
                                link_type=f"LINK_TYPE_ETHERNET_{ic.circuit_gbps}G_LR",
                                requested_link_count=1, admin_enabled=True,
                                location=Expr(f'{locations}["{ic.name}/{key}"]'), macsec_enabled=ic.macsec)
            if ic.macsec:
                # MACsec needs a pre-shared key on the port (Google generates the CAK/CKN that the
                # site's router is given from getMacsecConfig); enabling it without one is rejected.
                port.set(requested_features=["IF_MACSEC"])
                port.block("macsec", fail_open=False).block("pre_shared_keys", name=f"{ic.name}-{key}-k1")
        for a in sorted(ic.attachments, key=lambda a: a.name):
            router = routers[a.router]
            if router.region != a.region:
                ctx.unsupported(a, "router", f"attachment '{a.name}' is in {a.region} but router {router.name} is "
                                f"in {router.region}", "use a Cloud Router of the attachment's region")
            name = ident(ic.name, a.name)
            att = mod.resource(F, "google_compute_interconnect_attachment", name, project=project, name=a.name,
                               region=a.region, router=ref("google_compute_router", router.name),
                               bandwidth=f"BPS_{a.bandwidth_gbps}G", mtu=str(min(net.mtu, 8896)),
                               description=f"{ic.name} {a.metro} EAD{a.edge_availability_domain}")
            if ic.type == "dedicated":
                att.set(type="DEDICATED", vlan_tag8021q=a.vlan,
                        interconnect=Expr(f"google_compute_interconnect.{ident(ic.name, f'{a.metro}-ead{a.edge_availability_domain}')}.self_link"))
            else:
                att.set(type="PARTNER", edge_availability_domain=f"AVAILABILITY_DOMAIN_{a.edge_availability_domain}")
            mod.resource(F, "google_compute_router_interface", name, project=project, name=f"{a.name}-if",
                         region=a.region, router=ref("google_compute_router", router.name, attr="name"),
                         ip_range=Expr(f"google_compute_interconnect_attachment.{name}.cloud_router_ip_address"),
                         interconnect_attachment=Expr(f"google_compute_interconnect_attachment.{name}.self_link"))
            peer = mod.resource(F, "google_compute_router_peer", name, project=project, name=peer_name(a),
                         region=a.region, router=ref("google_compute_router", router.name, attr="name"),
                         interface=Expr(f"google_compute_router_interface.{name}.name"), peer_asn=site.asn,
                         peer_ip_address=Expr(f'split("/", google_compute_interconnect_attachment.{name}.customer_router_ip_address)[0]'),
                         advertised_route_priority=100)
            peer.block("bfd", **BFD)
