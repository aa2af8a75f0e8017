"""GCP Shared VPC: host projects and the service projects attached to them."""

from __future__ import annotations

from tradeplane.estate.model import GcpVpc
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import service_project, vpcs
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "shared_vpc"


@family("shared_vpc", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Host projects, service project attachments, and subnet-level networkUser grants for service projects."""
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
    _network_users(ctx)


def _network_users(ctx: Context) -> None:
    """compute.networkUser on exactly the host subnets a service project's workloads use."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    grants: dict[tuple[str, str, str], set[str]] = {}  # (network, subnet, service project) -> kinds
    for w in ctx.estate.workloads:
        net = ctx.networks[w.network]
        if not isinstance(net, GcpVpc):
            continue
        sp = service_project(ctx, w.desk, net)
        if sp != net.project:
            grants.setdefault((net.name, w.subnet, sp), set()).add(w.kind)
    gke_projects: set[tuple[str, str]] = set()
    for (network, subnet_name, sp), kinds in sorted(grants.items()):
        net = ctx.networks[network]
        assert isinstance(net, GcpVpc)
        subnet = next(s for s in net.subnets if s.name == subnet_name)
        number = mod.upstream(Stage.ORG, f'project_numbers["{sp}"]')
        members = {"apis": interp(f"serviceAccount:${{{number}}}@cloudservices.gserviceaccount.com")}
        if "gke_node_pool" in kinds:
            members["gke"] = interp(f"serviceAccount:service-${{{number}}}@container-engine-robot.iam.gserviceaccount.com")
            gke_projects.add((net.project, sp))
        for who, member in sorted(members.items()):
            mod.resource(F, "google_compute_subnetwork_iam_member", ident(network, subnet_name, sp, who),
                         project=ctx.project_id(mod, net.project), region=subnet.region,
                         subnetwork=Expr(f"google_compute_subnetwork.{ident(network, subnet_name)}.name"),
                         role="roles/compute.networkUser", member=member)
    for host, sp in sorted(gke_projects):
        number = mod.upstream(Stage.ORG, f'project_numbers["{sp}"]')
        mod.resource(F, "google_project_iam_member", ident(host, sp, "gke_host_agent"),
                     project=ctx.project_id(mod, host), role="roles/container.hostServiceAgentUser",
                     member=interp(f"serviceAccount:service-${{{number}}}@container-engine-robot.iam.gserviceaccount.com"))
