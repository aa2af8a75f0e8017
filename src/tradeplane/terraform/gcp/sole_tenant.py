"""GCP sole-tenant node templates and node groups for workloads that need dedicated hosts."""

from __future__ import annotations

from tradeplane.estate.model import GcpVpc, Workload
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp.resource_policies import consumer_project
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.names import ident
from tradeplane.terraform.placement import replica_zones, subnet_of
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

NODE_TYPES = {"n2": "n2-node-80-640", "n2d": "n2d-node-224-896", "c2": "c2-node-60-240", "c3": "c3-node-176-352",
              "m1": "m1-node-96-1433", "n1": "n1-node-96-624"}
NODE_VCPUS = {"n2": 80, "n2d": 224, "c2": 60, "c3": 176, "m1": 96, "n1": 96}


def node_group_of(w: Workload) -> str | None:
    return (w.placement.group or w.name) if w.kind == "sole_tenant" or w.placement.strategy.value == "sole_tenant" else None


def _vcpus(machine_type: str) -> int:
    tail = machine_type.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 2


@family("sole_tenant", cloud="gcp", stage=Stage.COMPUTE)
def emit(ctx: Context) -> None:
    """A node template per (region, group) and node groups per zone sized to the VMs they host."""
    mod = ctx.module("gcp", Stage.COMPUTE)
    groups: dict[tuple[str, str], list[Workload]] = {}
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        group = node_group_of(w)
        if isinstance(ctx.networks[w.network], GcpVpc) and group is not None:
            groups.setdefault((subnet_of(ctx.estate, w).region, group), []).append(w)  # type: ignore[union-attr]
    for (region, group), ws in sorted(groups.items()):
        net = ctx.networks[ws[0].network]
        assert isinstance(net, GcpVpc)
        fam = ws[0].machine_type.split("-")[0]
        if fam not in NODE_TYPES:
            ctx.unsupported(ws[0], "machine_type", f"no sole-tenant node type for {ws[0].machine_type}",
                            f"use one of the families {', '.join(sorted(NODE_TYPES))}")
        project = ctx.project_id(mod, consumer_project(ctx, ws, net, "sole-tenant group"))
        mod.resource("sole_tenant", "google_compute_node_template", ident(region, group), project=project,
                     name=group, region=region, node_type=NODE_TYPES[fam], cpu_overcommit_type="NONE")
        per_zone: dict[str, int] = {}
        for w in ws:
            for z in replica_zones(ctx.estate, w, ctx.zones):
                per_zone[z] = per_zone.get(z, 0) + _vcpus(w.machine_type)
        for zone, vcpus in sorted(per_zone.items()):
            nodes = max(1, -(-vcpus // NODE_VCPUS[fam]))
            mod.resource("sole_tenant", "google_compute_node_group", ident(zone, group), project=project,
                         name=f"{group}-{zone}", zone=zone, initial_size=nodes, maintenance_policy="MIGRATE_WITHIN_NODE_GROUP",
                         node_template=Expr(f"google_compute_node_template.{ident(region, group)}.id"),
                         description=f"sole-tenant nodes for {', '.join(w.name for w in ws)}")
