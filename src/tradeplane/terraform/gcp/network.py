"""GCP custom-mode VPCs, regional subnets (flow logs, Private Google Access), routes and Cloud NAT."""

from __future__ import annotations

from ipaddress import IPv4Network

from tradeplane.estate.model import GcpNextHop, Vpn
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import net_project, ref, vpcs
from tradeplane.terraform.hcl import Table, Value
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "network"
PRIVATE_GOOGLE_APIS = IPv4Network("199.36.153.8/30")


@family("network", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Custom-mode VPCs (default routes removed), subnets with flow logs and PGA, routes, Cloud NAT."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    nets: dict[str, Value] = {}
    subnets: dict[str, Value] = {}
    tunnels = {t.name: (v, t) for v in ctx.estate.links_of(Vpn) for t in v.tunnels}
    for v in vpcs(ctx):
        project = net_project(ctx, mod, v)
        mod.resource(F, "google_compute_network", ident(v.name), project=project, name=v.name,
                     auto_create_subnetworks=False, routing_mode=v.routing_mode, mtu=v.mtu,
                     delete_default_routes_on_create=True, description=f"{v.name} (desk {v.desk or 'platform'})")
        nets[v.name] = ref("google_compute_network", v.name)
        for s in sorted(v.subnets, key=lambda s: s.name):
            sub = mod.resource(F, "google_compute_subnetwork", ident(v.name, s.name), project=project, name=s.name,
                               region=s.region, network=ref("google_compute_network", v.name),
                               ip_cidr_range=str(s.cidr), private_ip_google_access=s.private_google_access,
                               description=f"{s.tier} subnet of {v.name}")
            for rname, cidr in sorted(s.secondary_ranges.items()):
                sub.block("secondary_ip_range", range_name=rname, ip_cidr_range=str(cidr))
            if s.flow_logs:
                sub.block("log_config", aggregation_interval="INTERVAL_5_SEC", flow_sampling=1.0,
                          metadata="INCLUDE_ALL_METADATA")
            subnets[f"{v.name}/{s.name}"] = ref("google_compute_subnetwork", v.name, s.name, attr="self_link")
        for r in sorted(v.routes, key=lambda r: r.name):
            route = mod.resource(F, "google_compute_route", ident(v.name, r.name), project=project, name=r.name,
                                 network=ref("google_compute_network", v.name), dest_range=str(r.destination),
                                 priority=r.priority, tags=sorted(r.tags) or None)
            if r.next_hop is GcpNextHop.INTERNET:
                route.set(next_hop_gateway="default-internet-gateway")
            elif r.next_hop is GcpNextHop.VPN_TUNNEL:
                link, tunnel = tunnels[r.via or ""]
                route.set(next_hop_vpn_tunnel=ref("google_compute_vpn_tunnel", link.name, tunnel.name))
            elif r.next_hop is GcpNextHop.ILB:
                route.set(next_hop_ilb=r.via)
            elif r.next_hop is GcpNextHop.INSTANCE:
                route.set(next_hop_instance=r.via)
            else:
                ctx.unsupported(r, "next_hop", "GCP routes have no blackhole next hop",
                                "deny the prefix with a firewall rule or policy instead")
        if any(s.private_google_access for s in v.subnets) and not any(
                r.next_hop is GcpNextHop.INTERNET and PRIVATE_GOOGLE_APIS.subnet_of(r.destination) for r in v.routes):
            # The default routes are deleted at creation; Private Google Access still needs its VIP range.
            mod.resource(F, "google_compute_route", ident(v.name, "private_googleapis"), project=project,
                         name=f"{v.name}-private-googleapis", network=ref("google_compute_network", v.name),
                         dest_range=str(PRIVATE_GOOGLE_APIS), next_hop_gateway="default-internet-gateway",
                         priority=1000, description="private.googleapis.com for Private Google Access")
        for region in sorted(set(v.cloud_nat_regions)):
            router = ident(v.name, region, "nat")
            mod.resource(F, "google_compute_router", router, project=project, name=f"{v.name}-{region}-nat",
                         region=region, network=ref("google_compute_network", v.name))
            nat = mod.resource(F, "google_compute_router_nat", router, project=project, name=f"{v.name}-{region}",
                               region=region, router=ref("google_compute_router", v.name, region, "nat", attr="name"),
                               nat_ip_allocate_option="AUTO_ONLY",
                               source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES")
            nat.block("log_config", enable=True, filter="ERRORS_ONLY")
    if nets:
        mod.output("network_ids", Table(nets), "VPC network ids by estate name",
                   pattern="^projects/[a-z][-a-z0-9]*/global/networks/[a-z][-a-z0-9]*$")
        mod.output("subnet_self_links", Table(subnets), "subnet self links by 'network/subnet'",
                   pattern="^https://www[.]googleapis[.]com/compute/v1/projects/[a-z][-a-z0-9]*/regions/[a-z0-9-]+/"
                           "subnetworks/[a-z][-a-z0-9]*$")
