"""Site-to-site VPN connections on virtual private gateways (``describe-vpn-connections``).

A VPN connection whose ``VpnGatewayId`` is attached to a VPC (``describe-vpn-gateways``) becomes a
VPN link from that VPC to an on-premises site. The site holds what the virtual private gateway
can forward over that connection (AWS Site-to-Site VPN guide, "Static and dynamic routing"):

- static routing (``Options.StaticRoutesOnly``): the connection's static ``Routes`` (state
  ``available``);
- dynamic routing (BGP): the prefixes learned from the customer gateway, which the exports show as
  the routes the gateway propagates into the VPC's route tables (``Origin``
  ``EnableVgwRoutePropagation``); several BGP connections on one gateway each get them (noted).

A route a user created to the gateway (``CreateRoute``) for a prefix no connection has is routed
to the gateway and dropped there. Tunnels come from ``VgwTelemetry`` (a tunnel that is not ``UP`` is
noted); the remote ASN from ``describe-customer-gateways`` (``BgpAsn``) when exported.
Connections on a transit gateway are imported with the TGW (its attachment); connections in other
states are noted.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Network

from tradeplane.estate.model import Site, Vpn, VpnTunnel
from tradeplane.inventory.aws.common import AWS_FILES, AwsExports, cidr
from tradeplane.inventory.naming import estate_name

__all__ = ["propagated_to_vgw", "read_vpn_connections"]


def propagated_to_vgw(x: AwsExports) -> dict[str, set[IPv4Network]]:
    """The routes each virtual private gateway propagates into route tables (what it learned over BGP)."""
    out: dict[str, set[IPv4Network]] = defaultdict(set)
    for rt in x.rows("route_tables", "RouteTables", "RouteTableId"):
        for r in rt.subs("Routes"):
            gw = r.opt_text("GatewayId", "") or ""
            if (gw.startswith("vgw-") and r.has("DestinationCidrBlock")
                    and r.opt_text("Origin") == "EnableVgwRoutePropagation"):
                out[gw].add(cidr(r, "DestinationCidrBlock"))
    return out


def _customer_asns(x: AwsExports) -> dict[str, int]:
    out = {}
    for g in x.rows("customer_gateways", "CustomerGateways", "CustomerGatewayId"):
        if g.has("BgpAsn"):
            out[g.ident] = g.integer("BgpAsn", 1, 4_294_967_294, what="an ASN")
    return out


def read_vpn_connections(x: AwsExports) -> list[Vpn]:
    rows = x.rows("vpn_connections", "VpnConnections", "VpnConnectionId")
    if not rows:
        return []
    learned = propagated_to_vgw(x)
    asns = _customer_asns(x)
    bgp_on: dict[str, int] = defaultdict(int)
    for c in rows:
        vgw_id = c.opt_text("VpnGatewayId")
        if vgw_id and not c.sub("Options").flag("StaticRoutesOnly") and c.opt_text("State", "available") == "available":
            bgp_on[vgw_id] += 1
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
        static = c.sub("Options").flag("StaticRoutesOnly")
        prefixes: set[IPv4Network] = set()
        if static:
            for r in c.subs("Routes"):
                if not r.has("DestinationCidrBlock"):
                    continue
                dest = cidr(r, "DestinationCidrBlock")
                if r.opt_text("State", "available") == "available":
                    prefixes.add(dest)
                else:
                    x.note_row(r, f"{c.ident}: static route {dest} skipped, state {r.opt_text('State')}")
        else:
            prefixes = set(learned.get(vgw, set()))
            if bgp_on[vgw] > 1:
                x.note_row(c, f"{c.ident}: {bgp_on[vgw]} BGP connections on {vgw}; the routes it propagates are "
                              "given to each (the exports do not say which connection learned which)")
        if not prefixes:
            x.note_row(c, f"{c.ident}: no {'static route' if static else 'route learned over BGP'} on {vgw}; "
                          "nothing is forwarded over it")
        site = x.reg_row(Site(name=estate_name(f"onprem-{c.ident}"), kind="datacenter",
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
                             remote=site.name,
                             remote_asn=asns.get(c.opt_text("CustomerGatewayId") or "", 65000), tunnels=tuple(tunnels)), c)
        x.vgw_vpns[vgw].append(link.name)
        out.append(link)
    return out
