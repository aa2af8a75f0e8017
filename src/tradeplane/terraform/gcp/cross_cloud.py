"""GCP side of a cross-cloud link: Cross-Cloud Interconnect attachments and BGP to AWS."""

from __future__ import annotations

from tradeplane.estate.model import CloudRouter, CrossCloud, GcpVpc, TransitGateway
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import net_project, ref
from tradeplane.terraform.gcp.interconnect import BFD
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.links import MD5_KEYS_VAR, CrossCloudLeg, cross_cloud_legs
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "cross_cloud"


def port_name(leg: CrossCloudLeg) -> str:
    """The Cross-Cloud Interconnect port (and its VLAN attachment) of ``leg``."""
    return f"{leg.link}-{leg.leg}"


def peer_name(leg: CrossCloudLeg) -> str:
    """The Cloud Router BGP peer of ``leg`` (with the AWS Direct Connect gateway)."""
    return f"{port_name(leg)}-bgp"


@family("cross_cloud", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """A Cross-Cloud Interconnect port and VLAN attachment per leg, peering with the AWS DX gateway."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    routers = {r.name: r for r in ctx.estate.links_of(CloudRouter)}
    tgws = {t.name: t for t in ctx.estate.links_of(TransitGateway)}
    legs_ = cross_cloud_legs(ctx.estate)
    for link in sorted(ctx.estate.links_of(CrossCloud), key=lambda x: x.name):
        net = ctx.networks[link.gcp_network]
        assert isinstance(net, GcpVpc)
        router = routers[link.gcp_router]
        t = tgws[link.aws_transit_gateway]
        project = net_project(ctx, mod, net)
        locations = mod.var("cross_cloud_locations", "map(string)",
                            "Google interconnect location URL of each Cross-Cloud Interconnect leg, by 'link/leg'",
                            validation=('alltrue([for k, v in var.cross_cloud_locations : '
                                        'can(regex("/interconnectLocations/[a-z0-9-]+$", v))])',
                                        "every Cross-Cloud Interconnect location is an interconnectLocations URL"))
        remote = mod.var("cross_cloud_remote_locations", "map(string)",
                         "remote (AWS) location name of each cross-cloud link, as Google lists it")
        keys = mod.var(MD5_KEYS_VAR, "map(string)", "BGP MD5 key of each cross-cloud leg by 'link/leg' (the same "
                       "secret feeds the AWS networking stage)", sensitive=True)
        for shared in (x for x in legs_ if x.link == link.name):
            leg = shared.leg
            name = ident(link.name, leg)
            mod.resource(F, "google_compute_interconnect", name, project=project, name=port_name(shared),
                         customer_name=ctx.estate.name, interconnect_type="DEDICATED",
                         link_type=f"LINK_TYPE_ETHERNET_{link.bandwidth_gbps}G_LR", requested_link_count=1,
                         admin_enabled=True, location=Expr(f'{locations}["{link.name}/{leg}"]'),
                         remote_location=Expr(f'{remote}["{link.name}"]'),
                         description=f"Cross-Cloud Interconnect to AWS {t.name}, leg {leg}")
            mod.resource(F, "google_compute_interconnect_attachment", name, project=project, name=port_name(shared),
                         region=router.region, router=ref("google_compute_router", router.name), type="DEDICATED",
                         interconnect=Expr(f"google_compute_interconnect.{name}.self_link"), vlan_tag8021q=shared.vlan,
                         candidate_subnets=[str(shared.subnet)],
                         bandwidth=f"BPS_{link.bandwidth_gbps}G", mtu=str(shared.mtu),
                         description=f"cross-cloud to AWS {t.name} ({link.metro})")
            mod.resource(F, "google_compute_router_interface", name, project=project, name=f"{link.name}-{leg}-if",
                         region=router.region, router=ref("google_compute_router", router.name, attr="name"),
                         ip_range=shared.cidr(shared.gcp_address),
                         interconnect_attachment=Expr(f"google_compute_interconnect_attachment.{name}.self_link"))
            peer = mod.resource(F, "google_compute_router_peer", name, project=project, name=peer_name(shared),
                                region=router.region, router=ref("google_compute_router", router.name, attr="name"),
                                interface=Expr(f"google_compute_router_interface.{name}.name"), peer_asn=shared.aws_asn,
                                ip_address=shared.gcp_address, peer_ip_address=shared.aws_address)
            peer.block("md5_authentication_key", name=f"{link.name}-{leg}", key=Expr(f'{keys}["{shared.key}"]'))
            peer.block("bfd", **BFD)
