"""GCP VPC network peering, both directions, exporting and importing custom routes as each side declares."""

from __future__ import annotations

from tradeplane.estate.model import GcpVpc, VpcPeering
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import ref
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("network_peering", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """A peering resource on each side (GCP needs both for the peering to become active)."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    for link in sorted(ctx.estate.links_of(VpcPeering), key=lambda x: x.name):
        a, b = ctx.networks[link.a], ctx.networks[link.b]
        if not (isinstance(a, GcpVpc) and isinstance(b, GcpVpc)):
            continue
        for side, here, there, routes in (("a", a, b, link.a_routes), ("b", b, a, link.b_routes)):
            mod.resource("network_peering", "google_compute_network_peering", ident(link.name, side),
                         name=f"{link.name}-{side}", network=ref("google_compute_network", here.name, attr="self_link"),
                         peer_network=ref("google_compute_network", there.name, attr="self_link"),
                         export_custom_routes=routes.export_custom_routes,
                         import_custom_routes=routes.import_custom_routes)
