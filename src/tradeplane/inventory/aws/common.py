"""What every AWS export family shares: the file names, the rows read so far, protocols and ports.

Each family module (``vpcs``, ``filters``, ``instances``, ``transit``, ``vpn``) reads its files
into ``AwsExports`` and returns model objects; ``tradeplane.inventory.aws.import_aws`` runs them
in order. Field types and ranges are the EC2 API reference's (docs.aws.amazon.com/AWSEC2/latest/
APIReference): ports 0-65535, protocols by name, ``-1`` or number 0-255, NACL rule numbers
1-32767.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from tradeplane.estate.model import PortRange, Site, VpcPeering
from tradeplane.inventory.exports import ExportDirectory, Row

__all__ = ["AWS_FILES", "REQUIRED", "TGW_ROUTES_DIR", "AwsExports", "AwsProtocol", "cidr", "protocol", "tags"]

AWS_FILES = {
    "vpcs": "describe-vpcs.json",
    "subnets": "describe-subnets.json",
    "route_tables": "describe-route-tables.json",
    "security_groups": "describe-security-groups.json",
    "nacls": "describe-network-acls.json",
    "igws": "describe-internet-gateways.json",
    "nats": "describe-nat-gateways.json",
    "peerings": "describe-vpc-peering-connections.json",
    "instances": "describe-instances.json",
    "tgws": "describe-transit-gateways.json",
    "tgw_attachments": "describe-transit-gateway-attachments.json",
    "tgw_vpc_attachments": "describe-transit-gateway-vpc-attachments.json",
    "tgw_route_tables": "describe-transit-gateway-route-tables.json",
    "vpn_gateways": "describe-vpn-gateways.json",
    "vpn_connections": "describe-vpn-connections.json",
    "customer_gateways": "describe-customer-gateways.json",
    "vpc_endpoints": "describe-vpc-endpoints.json",
    "prefix_lists": "describe-prefix-lists.json",
    "dx_associations": "describe-direct-connect-gateway-associations.json",
}
REQUIRED = ("vpcs", "subnets", "route_tables", "security_groups")
TGW_ROUTES_DIR = "search-transit-gateway-routes"

_NAMES = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}


@dataclass(frozen=True)
class AwsProtocol:
    """A rule's protocol in the model's terms: a name (tcp, udp, icmp, all) and, for any other IP
    protocol, its number (the name is then ``all`` and the number narrows it)."""

    name: str
    number: int | None = None

    @property
    def text(self) -> str:
        return str(self.number) if self.number is not None else self.name


def protocol(row: Row, fld: str) -> AwsProtocol | None:
    """``IpProtocol`` / ``Protocol``: a name, ``-1`` (all) or a number 0-255. None: IPv6-only (ICMPv6)."""
    raw = row.text(fld)
    v = raw.lower()
    if v in ("-1", "all"):
        return AwsProtocol("all")
    if v in _NAMES:
        n = _NAMES[v]
    elif v.isdigit() and int(v) <= 255:
        n = int(v)
    else:
        raise row.error(f"{fld} {raw!r} is not an IP protocol (tcp, udp, icmp, -1 or a number 0-255)", field=fld)
    if n == 58:
        return None
    named = {6: "tcp", 17: "udp", 1: "icmp"}
    return AwsProtocol(named[n]) if n in named else AwsProtocol("all", n)


def port_range(row: Row, lo_field: str, hi_field: str) -> PortRange:
    """TCP/UDP ports ``lo_field``-``hi_field``, both 0-65535 and in order."""
    lo = row.integer(lo_field, 0, 65535, what="a port")
    hi = row.integer(hi_field, 0, 65535, what="a port")
    if lo > hi:
        raise row.error(f"{lo_field} {lo} is above {hi_field} {hi}", field=lo_field)
    return PortRange(start=lo, end=hi)


def cidr(row: Row, fld: str, value: object | None = None) -> IPv4Network:
    """An IPv4 CIDR from ``fld`` (or ``value`` read from it)."""
    text = row.text(fld) if value is None else value
    if not isinstance(text, str):
        raise row.error(f"{fld}: expected a CIDR string, got {type(text).__name__}", field=fld)
    try:
        net = ip_network(text, strict=False)
    except ValueError:
        raise row.error(f"{fld} {text!r} is not a CIDR", field=fld) from None
    if isinstance(net, IPv6Network):
        raise row.error(f"{fld} {text!r} is IPv6 where the API gives IPv4", field=fld)
    return net


def tags(row: Row) -> dict[str, str]:
    out = {}
    for t in row.subs("Tags"):
        out[t.text("Key")] = t.opt_text("Value", "") or ""
    return out


class AwsExports(ExportDirectory):
    """The export directory and the tables the families fill in for each other, keyed by AWS id."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, AWS_FILES, REQUIRED,
                         lambda key, name: f"aws {'directconnect' if key.startswith('dx') else 'ec2'} "
                                           f"{name.removesuffix('.json')} --output json")
        self.vpcs: dict[str, Row] = {}
        self.subnets: dict[str, Row] = {}
        self.subnet_vpc: dict[str, str] = {}
        self.subnets_by_vpc: dict[str, list[Row]] = defaultdict(list)
        self.igw_vpc: dict[str, str] = {}
        self.nats: dict[str, tuple[str, str]] = {}
        self.peerings: dict[str, VpcPeering] = {}
        self.tgw_ids: set[str] = set()
        self.sg_vpc: dict[str, str] = {}
        self.public_subnets: set[str] = set()  # subnets holding an instance with a public address
        self.vgw_vpc: dict[str, str] = {}
        self.vgw_vpns: dict[str, list[str]] = defaultdict(list)  # vgw id -> VPN link names
        self.sites: list[Site] = []
        self.prefix_lists: dict[str, list[IPv4Network]] = {}  # prefix-list id -> its IPv4 entries
        self.gateway_endpoints: dict[str, str] = {}  # available gateway endpoint id -> its VPC
        self.dx_associations: dict[tuple[str, str], Any] = {}  # (DX gateway, TGW or VGW id) -> DxAssociation
        self.vgw_dx: dict[str, list[str]] = defaultdict(list)  # vgw id -> associated DX gateways

    def rows(self, key: str, top: str, id_field: str) -> list[Row]:
        return self.file_rows(key, top, id_field, top)

    def vpc_of(self, row: Row, fld: str = "VpcId") -> str:
        vid = row.text(fld)
        if vid not in self.vpcs:
            raise row.error(f"{fld} {vid} is not in {AWS_FILES['vpcs']}", field=fld)
        return vid

    def subnet(self, row: Row, sid: str, fld: str = "SubnetId") -> str:
        if sid not in self.subnet_vpc:
            raise row.error(f"{fld} {sid} is not in {AWS_FILES['subnets']}", field=fld)
        return sid
