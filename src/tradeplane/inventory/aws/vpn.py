"""Site-to-site VPN connections on virtual private gateways (``describe-vpn-connections``).

A VPN connection whose ``VpnGatewayId`` is attached to a VPC (``describe-vpn-gateways``) becomes a
VPN link from that VPC to an on-premises site holding the connection's static routes and the
prefixes the VPC's route tables send to the gateway (propagated BGP routes appear there). Its
tunnels come from ``VgwTelemetry``. Connections on a transit gateway are imported with the TGW
(its attachment); connections in other states are noted.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Network

from tradeplane.estate.model import Site, Vpn, VpnTunnel
from tradeplane.inventory.aws.common import AWS_FILES, AwsExports, cidr
from tradeplane.inventory.naming import estate_name

__all__ = ["read_vpn_connections"]


def _routed_to_vgw(x: AwsExports) -> dict[str, set[IPv4Network]]:
    out: dict[str, set[IPv4Network]] = defaultdict(set)
    for rt in x.rows("route_tables", "RouteTables", "RouteTableId"):
        for r in rt.subs("Routes"):
            gw = r.opt_text("GatewayId", "") or ""
            if gw.startswith("vgw-") and r.has("DestinationCidrBlock"):
                out[gw].add(cidr(r, "DestinationCidrBlock"))
    return out


def read_vpn_connections(x: AwsExports) -> list[Vpn]:
    rows = x.rows("vpn_connections", "VpnConnections", "VpnConnectionId")
    if not rows:
        return []
    routed = _routed_to_vgw(x)
    out: list[Vpn] = []
    for c in rows:
        state = c.opt_text("State", "available")
        vgw = c.opt_text("VpnGatewayId")
        if c.opt_text("TransitGatewayId") and not vgw:
            continue  # imported with the transit gateway's VPN attachment
        if state != "available":
            x.note_row(c, f"{c.ident}: skipped, state {state}")
            continue
        if not vgw:
            x.note_row(c, f"{c.ident}: neither on a virtual private gateway nor a transit gateway; not imported")
            continue
        vid = x.vgw_vpc.get(vgw)
        if vid is None:
            x.note_row(c, f"{c.ident}: {vgw} is not attached to an exported VPC ({AWS_FILES['vpn_gateways']}); "
                          "not imported")
            continue
        prefixes = set(routed.get(vgw, set()))
        for r in c.subs("Routes"):
            if r.opt_text("State", "available") == "available" and r.has("DestinationCidrBlock"):
                prefixes.add(cidr(r, "DestinationCidrBlock"))
        site = x.reg_row(Site(name=estate_name(f"onprem-{c.ident}"), location="unknown", kind="datacenter",
                              cidrs=tuple(sorted(prefixes))), c)
        x.sites.append(site)
        tunnels = []
        for i, tel in enumerate(c.subs("VgwTelemetry")[:2]):
            addr = tel.opt_text("OutsideIpAddress", "exported") or "exported"
            tunnels.append(VpnTunnel(name=estate_name(f"{c.ident}-t{i}"), interface=1 if i else 0, peer_address=addr))
            if tel.opt_text("Status", "UP") != "UP":
                x.note_row(tel, f"{c.ident}: tunnel {addr} is {tel.opt_text('Status')} (pass --fail "
                                f"{estate_name(c.ident)}/{estate_name(f'{c.ident}-t{i}')} to analyse it down)")
        if not tunnels:
            tunnels.append(VpnTunnel(name=estate_name(f"{c.ident}-t0"), peer_address="exported"))
        link = x.reg_row(Vpn(kind="vpn", name=estate_name(c.ident), type="classic", network=estate_name(vid),
                             remote=site.name, remote_asn=65000, tunnels=tuple(tunnels)), c)
        x.vgw_vpns[vgw].append(link.name)
        out.append(link)
    return out
