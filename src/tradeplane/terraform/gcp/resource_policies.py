"""GCP compact placement resource policies (collocated VMs) and spread policies from placement intents."""

from __future__ import annotations

from collections import Counter

from tradeplane.estate.model import GcpVpc, PlacementStrategy, Workload
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import service_project
from tradeplane.terraform.names import ident
from tradeplane.terraform.placement import replica_zones, subnet_of
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

COMPACT_MAX_VMS = 150
COMPACT_FAMILIES = ("a2", "a3", "c2", "c2d", "c3", "c3d", "g2", "h3", "n2", "n2d")


def policy_of(w: Workload) -> str | None:
    """The compact/spread policy's estate name (shared by workloads naming the same group)."""
    if w.placement.strategy not in (PlacementStrategy.COMPACT, PlacementStrategy.SPREAD) or w.kind == "gke_node_pool":
        return None
    return w.placement.group or w.name


def consumer_project(ctx: Context, ws: list[Workload], net: GcpVpc, what: str) -> str:
    """The one project whose VMs use a shared compute resource (the members' service project):
    a resource policy or node group in another project (the Shared VPC host) cannot be attached."""
    projects = {service_project(ctx, w.desk, net) for w in ws}
    if len(projects) > 1:
        ctx.unsupported(ws[0].placement, "group", f"{what} '{ws[0].placement.group}' is shared by workloads in "
                        f"projects {', '.join(sorted(projects))}; a VM can use it only in its own project",
                        "give each project's workloads their own group")
    return projects.pop()


@family("resource_policies", cloud="gcp", stage=Stage.COMPUTE)
def emit(ctx: Context) -> None:
    """One policy per (region, group); compact groups are checked for size, machine family and zone."""
    mod = ctx.module("gcp", Stage.COMPUTE)
    members: dict[tuple[str, str], list[Workload]] = {}
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        net = ctx.networks[w.network]
        group = policy_of(w)
        if isinstance(net, GcpVpc) and group is not None:
            members.setdefault((subnet_of(ctx.estate, w).region, group), []).append(w)  # type: ignore[union-attr]
    for (region, group), ws in sorted(members.items()):
        first = ws[0]
        net = ctx.networks[first.network]
        assert isinstance(net, GcpVpc)
        compact = first.placement.strategy is PlacementStrategy.COMPACT
        total = sum(w.count for w in ws)
        pol = mod.resource("resource_policies", "google_compute_resource_policy", ident(region, group),
                           project=ctx.project_id(mod, consumer_project(ctx, ws, net, "placement group")),
                           name=group, region=region,
                           description=f"{first.placement.strategy.value} placement of {', '.join(w.name for w in ws)}")
        if compact:
            if total > COMPACT_MAX_VMS:
                ctx.unsupported(first, "count", f"compact placement '{group}' holds {total} VMs, over {COMPACT_MAX_VMS}",
                                "split the group")
            for w in ws:
                fam = w.machine_type.split("-")[0]
                if fam not in COMPACT_FAMILIES:
                    ctx.unsupported(w, "machine_type", f"{w.machine_type} cannot use compact placement",
                                    f"use one of {', '.join(COMPACT_FAMILIES)}")
            zones = {z for w in ws for z in replica_zones(ctx.estate, w, ctx.zones)}
            if len(zones) > 1:
                ctx.unsupported(first.placement, "zones", f"compact placement '{group}' spans {', '.join(sorted(zones))}",
                                "a compact policy keeps its VMs in one zone")
            pol.block("group_placement_policy", vm_count=total, collocation="COLLOCATED")
        else:
            spread = Counter(z for w in ws for z in replica_zones(ctx.estate, w, ctx.zones))
            pol.block("group_placement_policy", availability_domain_count=min(max(len(spread), 2), 8))
