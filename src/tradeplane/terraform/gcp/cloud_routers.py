"""GCP Cloud Routers: BGP speakers with the estate's ASNs and custom advertisements."""

from __future__ import annotations

from tradeplane.estate.model import CloudRouter, GcpVpc
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import net_project, ref
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "cloud_routers"


@family("cloud_routers", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Routers advertising all subnets, plus any custom prefixes the estate lists."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    for r in sorted(ctx.estate.links_of(CloudRouter), key=lambda r: r.name):
        net = ctx.networks[r.network]
        assert isinstance(net, GcpVpc)
        router = mod.resource(F, "google_compute_router", ident(r.name), project=net_project(ctx, mod, net),
                              name=r.name, region=r.region, network=ref("google_compute_network", net.name))
        bgp = router.block("bgp", asn=r.asn, keepalive_interval=20)
        if r.advertised_prefixes:
            bgp.set(advertise_mode="CUSTOM", advertised_groups=["ALL_SUBNETS"])
            for prefix in sorted(r.advertised_prefixes, key=lambda c: (c.network_address, c.prefixlen)):
                bgp.block("advertised_ip_ranges", range=str(prefix))
