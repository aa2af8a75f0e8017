"""Direct Connect gateway associations (``aws directconnect describe-direct-connect-gateway-associations``).

An association joins a Direct Connect gateway to a transit gateway or to a virtual private gateway
(AWS Direct Connect guide, "Direct Connect gateways"). Its ``allowedPrefixesToDirectConnectGateway``
are what AWS advertises to the on-premises side, so they are all the on-premises site learns (and
can send to): the transit gateway's Direct Connect attachment takes them as its allowed prefixes
(without the file: the CIDRs of the VPCs on the transit gateway, noted). An association with a
virtual private gateway becomes a Direct Connect link from that VPC (``DirectConnect.network``) to an
on-premises site holding what the gateway propagates into the VPC's route tables (learned over BGP);
the VPC's routes to the gateway lead there. Associations in other states than ``associated`` are
noted and carry nothing. The virtual interfaces and connections are not in this export: the link
gets one placeholder connection and interface (failures of single VIFs cannot be analysed).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from tradeplane.estate.model import DirectConnect, DxConnection, DxVirtualInterface, Site
from tradeplane.inventory.aws.common import AWS_FILES, AwsExports, cidr
from tradeplane.inventory.aws.vpcs import vpc_cidrs
from tradeplane.inventory.exports import Row
from tradeplane.inventory.naming import account_name, estate_name

__all__ = ["DxAssociation", "dx_link", "read_dx_associations", "vgw_direct_connects"]


@dataclass(frozen=True)
class DxAssociation:
    gateway: str  # the Direct Connect gateway id
    associated: str  # the transit gateway or virtual private gateway id
    allowed: tuple[IPv4Network, ...]
    live: bool
    row: Row


def read_dx_associations(x: AwsExports) -> None:
    """Fill ``x.dx_associations`` ((DX gateway, associated gateway) -> association) with the live ones."""
    for a in x.rows("dx_associations", "directConnectGatewayAssociations", "associationId"):
        dxgw = a.text("directConnectGatewayId")
        gw = a.sub("associatedGateway").opt_text("id") or a.opt_text("virtualGatewayId")
        if not gw:
            raise a.error("neither associatedGateway.id nor virtualGatewayId", field="associatedGateway")
        state = a.opt_text("associationState", "associated")
        allowed = tuple(sorted({cidr(p, "cidr") for p in a.subs("allowedPrefixesToDirectConnectGateway")
                                if ":" not in (p.opt_text("cidr") or "")},
                               key=lambda n: (int(n.network_address), n.prefixlen)))
        live = state == "associated"
        if not live:
            x.note_row(a, f"{a.ident}: {dxgw} -> {gw} skipped, state {state} (nothing is advertised over it)")
            allowed = ()
        x.dx_associations[(dxgw, gw)] = DxAssociation(dxgw, gw, allowed, live, a)


def dx_link(name: str, site: str, asn: int, allowed: tuple[IPv4Network, ...], advertised: tuple[IPv4Network, ...],
            network: str | None = None, account: str = "acct-unknown") -> DirectConnect:
    """A Direct Connect gateway's link as the exports give it (one placeholder connection and VIF), in
    ``account``: the account of the transit gateway or VPC it is associated with."""
    return DirectConnect(kind="direct_connect", name=name, account=account, site=site, gateway_asn=asn,
                         connections=(DxConnection(name="connection", location=site, device="exported"),),
                         virtual_interfaces=(DxVirtualInterface(name="vif", connection="connection", vlan=1,
                                                                customer_asn=65000,
                                                                advertised_prefixes=advertised),),
                         allowed_prefixes=allowed, network=network)


def vgw_direct_connects(x: AwsExports, learned: dict[str, set[IPv4Network]]) -> list[DirectConnect]:
    """Associations with virtual private gateways attached to an exported VPC, as links (and their sites)."""
    out: list[DirectConnect] = []
    for (dxgw, gw), a in sorted(x.dx_associations.items()):
        if not gw.startswith("vgw-") or not a.live:
            continue
        vid = x.vgw_vpc.get(gw)
        if vid is None:
            x.note_row(a.row, f"{a.row.ident}: {gw} is not attached to an exported VPC ({AWS_FILES['vpn_gateways']}); "
                              "not imported")
            continue
        prefixes = tuple(sorted(learned.get(gw, set()), key=lambda n: (int(n.network_address), n.prefixlen)))
        site = x.reg_row(Site(name=estate_name(f"onprem-{dxgw}-{gw}"), kind="datacenter",
                              cidrs=prefixes), a.row)
        x.sites.append(site)
        x.vgw_dx[gw].append(dxgw)
        # without allowed prefixes, a virtual private gateway association advertises the VPC's CIDRs
        allowed = a.allowed or tuple(vpc_cidrs(x.vpcs[vid]))
        out.append(x.reg_row(dx_link(estate_name(f"dxgw-{dxgw}-{gw}"), site.name, 64512, allowed, prefixes,
                                     network=estate_name(vid),
                                     account=account_name(x.vpcs[vid].opt_text("OwnerId"))), a.row))
    return out
