"""GCP VM instances per zone: Shielded VM, OS Login, no external IP, placement and node affinity."""

from __future__ import annotations

from collections import Counter

from tradeplane.estate.model import GcpVpc, PlacementStrategy
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import service_project
from tradeplane.terraform.gcp.resource_policies import policy_of
from tradeplane.terraform.gcp.sole_tenant import node_group_of
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.names import bounded, ident
from tradeplane.terraform.placement import replica_zones, subnet_of
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("instances", cloud="gcp", stage=Stage.COMPUTE)
def emit(ctx: Context) -> None:
    """Instances (count per zone) on the Shared VPC subnet, gVNIC, TERMINATE when collocated."""
    mod = ctx.module("gcp", Stage.COMPUTE)
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        net = ctx.networks[w.network]
        if not isinstance(net, GcpVpc) or w.kind == "gke_node_pool":
            continue
        subnet = subnet_of(ctx.estate, w)
        region = subnet.region  # type: ignore[union-attr]
        project = ctx.project_id(mod, service_project(ctx, w.desk, net))
        images = mod.var("images", "map(string)", "boot image per workload (hardened, Shielded VM capable)")
        policy = policy_of(w)
        group = node_group_of(w)
        for zone, n in sorted(Counter(replica_zones(ctx.estate, w, ctx.zones)).items()):
            vm = mod.resource("instances", "google_compute_instance", ident(w.name, zone), project=project, count=n,
                              name=Expr(f'"{bounded(f"{w.name}-{zone}", 58)}-${{count.index}}"'), zone=zone, machine_type=w.machine_type,
                              tags=sorted(w.tags) or None, labels=ctx.gcp_labels(w.desk, w.team, w.env),
                              metadata={"enable-oslogin": "TRUE", "block-project-ssh-keys": "true",
                                        "serial-port-enable": "false"},
                              resource_policies=[Expr(f"google_compute_resource_policy.{ident(region, policy)}.id")]
                              if policy else None, can_ip_forward=False, deletion_protection=w.env == "prod")
            boot = vm.block("boot_disk", auto_delete=True)
            boot.set(kms_key_self_link=Expr(f'{mod.var("disk_kms_keys", "map(string)", "CMEK key per desk for boot disks")}["{w.desk}"]'))
            boot.block("initialize_params", image=Expr(f'{images}["{w.name}"]'), size=100, type="pd-ssd")
            nic = vm.block("network_interface", nic_type="GVNIC",
                           subnetwork=mod.upstream(Stage.NETWORKING, f'subnet_self_links["{net.name}/{w.subnet}"]'))
            if w.public_ip is True:  # an ephemeral external IP (estate/refs.py refuses it under no_external_ips)
                nic.block("access_config", network_tier="PREMIUM")
            collocated = w.placement.strategy is PlacementStrategy.COMPACT or group is not None
            sched = vm.block("scheduling", on_host_maintenance="TERMINATE" if collocated else "MIGRATE",
                             automatic_restart=True)
            if group is not None:
                sched.block("node_affinities", key="compute.googleapis.com/node-group-name", operator="IN",
                            values=[Expr(f"google_compute_node_group.{ident(zone, group)}.name")])
            vm.block("shielded_instance_config", enable_secure_boot=True, enable_vtpm=True,
                     enable_integrity_monitoring=True)
            vm.block("service_account", email=w.service_account or Expr(
                f'{mod.var("workload_service_accounts", "map(string)", "service account per workload without one in the estate")}["{w.name}"]'),
                     scopes=["cloud-platform"])
            # A new boot image (the GCP launch-template edit) would replace the VM: it reaches running
            # hosts only through an explicit `terraform apply -replace=...` in a change window.
            vm.block("lifecycle", ignore_changes=[Expr("boot_disk[0].initialize_params[0].image")])

