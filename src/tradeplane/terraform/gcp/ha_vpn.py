"""GCP HA VPN: the HA gateway, the remote (external) gateway, tunnels on both interfaces, BGP sessions."""

from __future__ import annotations

from ipaddress import IPv4Address

from tradeplane.estate.model import CloudRouter, GcpVpc, Vpn, VpnTunnel
from tradeplane.terraform.aws.vpn import peer_address
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import net_project, ref
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.names import digest, ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "ha_vpn"
REDUNDANCY = {1: "SINGLE_IP_INTERNALLY_REDUNDANT", 2: "TWO_IPS_REDUNDANCY", 4: "FOUR_IPS_REDUNDANCY"}


def link_local(tunnels: list[tuple[Vpn, VpnTunnel]]) -> dict[str, IPv4Address]:
    """A /30 in 169.254.0.0/16 per tunnel, from a hash of its name (stable when others change)."""
    used: set[int] = set()
    out: dict[str, IPv4Address] = {}
    for link, t in sorted(tunnels, key=lambda lt: (lt[0].name, lt[1].name)):
        slot = int(digest(link.name, t.name), 16) % 16384
        while slot in used:
            slot = (slot + 1) % 16384
        used.add(slot)
        out[f"{link.name}/{t.name}"] = IPv4Address("169.254.0.0") + slot * 4
    return out


def peer_name(t: VpnTunnel) -> str:
    """The Cloud Router BGP peer over tunnel ``t``."""
    return f"{t.name}-bgp"


@family("ha_vpn", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """HA VPN to sites (or another cloud) with IKEv2 and a BGP peer per tunnel; secrets are variables."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    routers = {r.name: r for r in ctx.estate.links_of(CloudRouter)}
    links = [v for v, _ in ctx.links_on(Vpn, GcpVpc)]
    addresses = link_local([(v, t) for v in links for t in v.tunnels])
    for v in links:
        net = ctx.networks[v.network]
        assert isinstance(net, GcpVpc)
        if v.type != "ha":
            ctx.unsupported(v, "type", "Classic VPN is deprecated on GCP for dynamic routing", "use type: ha")
        router = routers[v.router or ""]
        project = net_project(ctx, mod, net)
        name = ident(v.name)
        secrets = mod.var("vpn_shared_secrets", "map(string)", "IKE pre-shared keys by 'vpn/tunnel'",
                          sensitive=True)
        mod.resource(F, "google_compute_ha_vpn_gateway", name, project=project, name=v.name, region=router.region,
                     network=ref("google_compute_network", net.name))
        tunnels = sorted(v.tunnels, key=lambda t: (t.interface, t.name))
        if len(tunnels) not in REDUNDANCY:
            ctx.unsupported(v, "tunnels", f"HA VPN '{v.name}' has {len(tunnels)} tunnels", "use 1, 2 or 4 tunnels")
        ext = mod.resource(F, "google_compute_external_vpn_gateway", name, project=project, name=f"{v.name}-remote",
                           redundancy_type=REDUNDANCY[len(tunnels)], description=f"{v.remote} side of {v.name}")
        for i, t in enumerate(tunnels):
            ext.block("interface", id=i, ip_address=peer_address(mod, t.peer_address, f"{v.name}/{t.name}"))
        for i, t in enumerate(tunnels):
            tname = ident(v.name, t.name)
            base = addresses[f"{v.name}/{t.name}"]
            mod.resource(F, "google_compute_vpn_tunnel", tname, project=project, name=t.name, region=router.region,
                         vpn_gateway=ref("google_compute_ha_vpn_gateway", v.name),
                         vpn_gateway_interface=t.interface,
                         peer_external_gateway=ref("google_compute_external_vpn_gateway", v.name),
                         peer_external_gateway_interface=i, ike_version=2,
                         shared_secret=Expr(f'{secrets}["{v.name}/{t.name}"]'),
                         router=ref("google_compute_router", router.name))
            mod.resource(F, "google_compute_router_interface", tname, project=project, name=f"{t.name}-if",
                         region=router.region, router=ref("google_compute_router", router.name, attr="name"),
                         ip_range=f"{base + 1}/30", vpn_tunnel=ref("google_compute_vpn_tunnel", v.name, t.name, attr="name"))
            mod.resource(F, "google_compute_router_peer", tname, project=project, name=peer_name(t),
                         region=router.region, router=ref("google_compute_router", router.name, attr="name"),
                         interface=ref("google_compute_router_interface", v.name, t.name, attr="name"),
                         peer_ip_address=str(base + 2), peer_asn=v.remote_asn,
                         advertised_route_priority=200 if v.backup_for else 100)
