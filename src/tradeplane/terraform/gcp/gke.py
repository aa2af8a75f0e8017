"""GKE: private regional-control-plane clusters and node pools with compact placement."""

from __future__ import annotations

from tradeplane.estate.model import GcpSubnet, GcpVpc, PlacementStrategy, Workload
from tradeplane.estate.scheduling import latency_class, node_labels, node_taints
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import service_project
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.maintenance import exclusion_problems, exclusions, weekly_window
from tradeplane.terraform.names import ident
from tradeplane.terraform.placement import replica_zones, subnet_of
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


@family("gke", cloud="gcp", stage=Stage.COMPUTE)
def emit(ctx: Context) -> None:
    """A regional private cluster per estate cluster name; a node pool per workload, compact when asked."""
    mod = ctx.module("gcp", Stage.COMPUTE)
    clusters: dict[str, list[Workload]] = {}
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        if w.kind == "gke_node_pool" and w.gke_cluster and isinstance(ctx.networks[w.network], GcpVpc):
            clusters.setdefault(w.gke_cluster, []).append(w)
    for cname, pools in sorted(clusters.items()):
        first = pools[0]
        net = ctx.networks[first.network]
        assert isinstance(net, GcpVpc)
        subnet = subnet_of(ctx.estate, first)
        assert isinstance(subnet, GcpSubnet)
        if {"pods", "services"} - set(subnet.secondary_ranges):
            ctx.unsupported(subnet, "secondary_ranges", f"GKE cluster '{cname}' needs secondary ranges 'pods' and "
                            f"'services' on subnet {subnet.name}", "add them to the subnet")
        project = ctx.project_id(mod, service_project(ctx, first.desk, net))
        c = mod.resource("gke", "google_container_cluster", ident(cname), project=project, name=cname,
                         location=subnet.region,  # a regional control plane; pools pick their zones
                         network=mod.upstream(Stage.NETWORKING, f'network_ids["{net.name}"]'),
                         subnetwork=mod.upstream(Stage.NETWORKING, f'subnet_self_links["{net.name}/{subnet.name}"]'),
                         remove_default_node_pool=True, initial_node_count=1, networking_mode="VPC_NATIVE",
                         enable_intranode_visibility=True, enable_shielded_nodes=True, enable_legacy_abac=False,
                         deletion_protection=True, resource_labels=ctx.gcp_labels(first.desk, first.team, first.env))
        c.block("ip_allocation_policy", cluster_secondary_range_name="pods", services_secondary_range_name="services")
        c.block("private_cluster_config", enable_private_nodes=True, enable_private_endpoint=True,
                master_ipv4_cidr_block=Expr(f'{mod.var("gke_master_cidrs", "map(string)", "control-plane /28 per GKE cluster")}["{cname}"]'))
        c.block("master_authorized_networks_config").block("cidr_blocks", cidr_block=str(subnet.cidr),
                                                            display_name=f"{subnet.name} subnet")
        c.block("release_channel", channel="STABLE")
        window = weekly_window(ctx.estate, first.desk)
        if window is None:
            ctx.unsupported(first, "desk", f"GKE cluster '{cname}' belongs to desk '{first.desk}', whose venues never "
                            "close for the 4 hours GKE needs as a maintenance window",
                            "run the desk's GKE workloads in a cluster of a desk with market hours, or declare "
                            "the venues' hours")
        policy = c.block("maintenance_policy")
        policy.block("recurring_window", start_time=window.start_time, end_time=window.end_time,
                     recurrence=window.recurrence)
        # No upgrade during the busy periods (rolls, expiries) the desk's venues declare.
        found = exclusions(ctx.estate, first.desk)
        for x, problem in exclusion_problems(found):
            ctx.unsupported(x.source.event, "end", f"GKE cluster '{cname}': maintenance exclusion {x.name} {problem}",
                            "split the event, or shorten it to the days that matter")
        for x in found:
            policy.block("maintenance_exclusion", exclusion_name=x.name, start_time=x.start_time,
                         end_time=x.end_time).block("exclusion_options", scope=x.scope)
        org = ctx.estate.organisation.gcp
        if org is not None and org.domain is None:
            ctx.unsupported(org, "domain", f"GKE cluster '{cname}': its security group is named in the "
                            "organisation's domain, which the estate does not declare",
                            "add organisation.gcp.domain (e.g. example.com)")
        c.block("authenticator_groups_config", security_group=f"gke-security-groups@{org.domain}" if org else None)
        disk_keys = mod.var("disk_kms_keys", "map(string)", "CMEK key per desk for boot disks")
        accounts = mod.var("workload_service_accounts", "map(string)",
                           "service account per workload without one in the estate")
        # The default pool is removed, but it is created first: it must pass the same org policy
        # (CMEK boot disks) and never run as the Compute Engine default service account.
        default_pool = c.block("node_config", boot_disk_kms_key=Expr(f'{disk_keys}["{first.desk}"]'),
                               service_account=first.service_account or Expr(f'{accounts}["{first.name}"]'))
        default_pool.block("workload_metadata_config", mode="GKE_METADATA")
        default_pool.block("shielded_instance_config", enable_secure_boot=True, enable_integrity_monitoring=True)
        c.block("workload_identity_config", workload_pool=Expr(f'"${{{project}}}.svc.id.goog"'))
        c.block("network_policy", enabled=True, provider="CALICO")
        c.block("addons_config").block("network_policy_config", disabled=False)
        c.block("binary_authorization", evaluation_mode="PROJECT_SINGLETON_POLICY_ENFORCE")
        c.block("master_auth").block("client_certificate_config", issue_client_certificate=False)
        c.block("database_encryption", state="ENCRYPTED", key_name=Expr(
            f'{mod.var("gke_kms_keys", "map(string)", "CMEK key per GKE cluster for etcd secrets")}["{cname}"]'))
        for w in pools:
            zones = sorted(set(replica_zones(ctx.estate, w, ctx.zones)))
            compact = w.placement.strategy in (PlacementStrategy.COMPACT, PlacementStrategy.CLUSTER)
            if compact and len(zones) > 1:
                ctx.unsupported(w.placement, "strategy", f"node pool '{w.name}' wants compact placement across "
                                f"{', '.join(zones)}", "a compact node pool lives in one zone")
            pool = mod.resource("gke", "google_container_node_pool", ident(cname, w.name), project=project,
                                name=w.name, cluster=Expr(f"google_container_cluster.{ident(cname)}.id"),
                                node_locations=zones, node_count=-(-w.count // len(zones)))
            pool.block("management", auto_repair=True, auto_upgrade=True)
            cfg = pool.block("node_config", machine_type=w.machine_type, image_type="COS_CONTAINERD",
                             labels={**ctx.gcp_labels(w.desk, w.team, w.env), **node_labels(w)},
                             tags=sorted(w.tags) or None,
                             service_account=w.service_account or Expr(f'{accounts}["{w.name}"]'),
                             boot_disk_kms_key=Expr(f'{disk_keys}["{w.desk}"]'),
                             oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"])
            cfg.set(metadata={"disable-legacy-endpoints": "true"})
            cfg.block("shielded_instance_config", enable_secure_boot=True, enable_integrity_monitoring=True)
            cfg.block("workload_metadata_config", mode="GKE_METADATA")
            cfg.block("gvnic", enabled=True)
            for key, value, effect in node_taints(w):  # the pods' tolerations match these (tradeplane k8s render)
                cfg.block("taint", key=key, value=value, effect=TAINT_EFFECTS[effect])
            if latency_class(w) == "critical":  # Guaranteed pods get exclusive cores
                cfg.block("kubelet_config", cpu_manager_policy="static", cpu_cfs_quota=True)
            if compact:
                pool.block("placement_policy", type="COMPACT")
