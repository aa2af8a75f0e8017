"""GCP side of a cross-cloud link: Cross-Cloud Interconnect attachments and BGP to AWS."""

from __future__ import annotations

from tradeplane.estate.model import CloudRouter, CrossCloud, GcpVpc, TransitGateway
from tradeplane.terraform.aws.cross_cloud import legs
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import net_project, ref
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "cross_cloud"


@family("cross_cloud", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """A Cross-Cloud Interconnect port and VLAN attachment per leg, peering with the AWS DX gateway."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    routers = {r.name: r for r in ctx.estate.links_of(CloudRouter)}
    tgws = {t.name: t for t in ctx.estate.links_of(TransitGateway)}
    for link in sorted(ctx.estate.links_of(CrossCloud), key=lambda x: x.name):
        net = ctx.networks[link.gcp_network]
        assert isinstance(net, GcpVpc)
        router = routers[link.gcp_router]
        t = tgws[link.aws_transit_gateway]
        aws_asn = t.asn + 1000 if t.asn + 1000 <= 65534 else t.asn
        project = net_project(ctx, mod, net)
        locations = mod.var("cross_cloud_locations", "map(string)",
                            "Google interconnect location URL of each Cross-Cloud Interconnect leg, by 'link/leg'")
        remote = mod.var("cross_cloud_remote_locations", "map(string)",
                         "remote (AWS) location name of each cross-cloud link, as Google lists it")
        for leg in legs(link):
            name = ident(link.name, leg)
            mod.resource(F, "google_compute_interconnect", name, project=project, name=f"{link.name}-{leg}",
                         customer_name=ctx.estate.name, interconnect_type="DEDICATED",
                         link_type=f"LINK_TYPE_ETHERNET_{link.bandwidth_gbps}G_LR", requested_link_count=1,
                         admin_enabled=True, location=Expr(f'{locations}["{link.name}/{leg}"]'),
                         remote_location=Expr(f'{remote}["{link.name}"]'),
                         description=f"Cross-Cloud Interconnect to AWS {t.name}, leg {leg}")
            mod.resource(F, "google_compute_interconnect_attachment", name, project=project, name=f"{link.name}-{leg}",
                         region=router.region, router=ref("google_compute_router", router.name), type="DEDICATED",
                         interconnect=Expr(f"google_compute_interconnect.{name}.self_link"), vlan_tag8021q=3000 + legs(link).index(leg),
                         bandwidth=f"BPS_{link.bandwidth_gbps}G", mtu="8896",
                         description=f"cross-cloud to AWS {t.name} ({link.metro})")
            mod.resource(F, "google_compute_router_interface", name, project=project, name=f"{link.name}-{leg}-if",
                         region=router.region, router=ref("google_compute_router", router.name, attr="name"),
                         ip_range=Expr(f"google_compute_interconnect_attachment.{name}.cloud_router_ip_address"),
                         interconnect_attachment=Expr(f"google_compute_interconnect_attachment.{name}.self_link"))
            mod.resource(F, "google_compute_router_peer", name, project=project, name=f"{link.name}-{leg}-bgp",
                         region=router.region, router=ref("google_compute_router", router.name, attr="name"),
                         interface=Expr(f"google_compute_router_interface.{name}.name"), peer_asn=aws_asn,
                         peer_ip_address=Expr(f'split("/", google_compute_interconnect_attachment.{name}.customer_router_ip_address)[0]'))
