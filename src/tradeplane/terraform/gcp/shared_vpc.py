"""GCP Shared VPC: host projects and the service projects attached to them."""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import vpcs
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "shared_vpc"


@family("shared_vpc", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Host project enablement and service project attachments (from projects and networks)."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    hosts = {p.name for p in ctx.projects.values() if p.shared_vpc_host}
    attach: set[tuple[str, str]] = {(p.shared_vpc_host_project, p.name) for p in ctx.projects.values()
                                    if p.shared_vpc_host_project}
    for v in vpcs(ctx):
        if v.shared_vpc_service_projects:
            hosts.add(v.project)
            attach |= {(v.project, sp) for sp in v.shared_vpc_service_projects}
    for h in sorted(hosts):
        mod.resource(F, "google_compute_shared_vpc_host_project", ident(h), project=ctx.project_id(mod, h))
    for host, service in sorted(attach):
        mod.resource(F, "google_compute_shared_vpc_service_project", ident(host, service),
                     host_project=Expr(f"google_compute_shared_vpc_host_project.{ident(host)}.project"),
                     service_project=ctx.project_id(mod, service))
