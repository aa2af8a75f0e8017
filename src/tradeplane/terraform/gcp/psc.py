"""GCP Private Service Connect endpoints to venues' published services."""

from __future__ import annotations

from tradeplane.estate.model import GcpVpc, PrivateEndpoint
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import net_project, ref
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("psc", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """An internal address in the first named subnet and a forwarding rule to the service attachment."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    for pe, net in ctx.links_on(PrivateEndpoint, GcpVpc):
        subnet = next(s for s in net.subnets if s.name == sorted(pe.subnets)[0])
        project = net_project(ctx, mod, net)
        mod.resource("psc", "google_compute_address", ident(pe.name), project=project, name=pe.name,
                     region=subnet.region, address_type="INTERNAL", purpose="GCE_ENDPOINT",
                     subnetwork=ref("google_compute_subnetwork", net.name, subnet.name))
        mod.resource("psc", "google_compute_forwarding_rule", ident(pe.name), project=project, name=pe.name,
                     region=subnet.region, load_balancing_scheme="", target=pe.service_name,
                     network=ref("google_compute_network", net.name),
                     ip_address=ref("google_compute_address", pe.name), labels=ctx.gcp_labels(net.desk))
