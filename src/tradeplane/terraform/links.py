"""Parameters both ends of a link must share, computed in one place for both clouds' families.

A cross-cloud leg (AWS transit VIF <-> GCP Cross-Cloud Interconnect attachment) needs the same
VLAN, the same BGP addresses (a /29 in 169.254.0.0/16: Google's Cloud Router takes the first
host, AWS the second, as Google assigns them from ``candidate_subnets``), each side's ASN as the
other's peer ASN, and the same MD5 key. The key is never rendered: both stages read it from the
sensitive input ``cross_cloud_bgp_md5_keys`` (fed from one secret), keyed by ``link/leg``.
Both ends also carry the same MTU (``CROSS_CLOUD_MTU``).
``conformance.check_link_agreement`` proves on the output that both ends agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from tradeplane.estate.model import CloudRouter, CrossCloud, Estate, TransitGateway
from tradeplane.terraform.names import digest

__all__ = ["AWS_TRANSIT_VIF_MTUS", "CROSS_CLOUD_MTU", "GCP_ATTACHMENT_MTUS", "MD5_KEYS_VAR", "CrossCloudLeg",
           "cross_cloud_legs", "dx_gateway_asn"]

MD5_KEYS_VAR = "cross_cloud_bgp_md5_keys"
# The MTUs each end accepts. AWS Direct Connect API Reference, CreateTransitVirtualInterface: "A jumbo
# MTU value must be either 1500 or 8500. No other values will be accepted." Compute Engine API,
# interconnectAttachments: "Valid values are 1440, 1460, 1500, and 8896" (default 1440).
AWS_TRANSIT_VIF_MTUS = (1500, 8500)
GCP_ATTACHMENT_MTUS = (1440, 1460, 1500, 8896)
# Bytes: the largest MTU both ends accept, so each end of a leg renders the same value (1500). A larger
# packet crossing the link is dropped at the smaller end; see docs/terraform.md for the VPCs' MTUs.
CROSS_CLOUD_MTU = max(set(AWS_TRANSIT_VIF_MTUS) & set(GCP_ATTACHMENT_MTUS))
_LINK_LOCAL = IPv4Network("169.254.0.0/16")


def dx_gateway_asn(tgw: TransitGateway) -> int:
    """The AWS DX gateway ASN of a cross-cloud link: the transit gateway ASN + 1000 (private range)."""
    return tgw.asn + 1000 if tgw.asn + 1000 <= 65534 else tgw.asn


@dataclass(frozen=True)
class CrossCloudLeg:
    link: str
    leg: str
    vlan: int
    subnet: IPv4Network  # the /29 both ends address from
    aws_asn: int
    gcp_asn: int
    mtu: int = CROSS_CLOUD_MTU  # bytes, the same on the AWS VIF and the GCP attachment

    @property
    def key(self) -> str:
        return f"{self.link}/{self.leg}"

    @property
    def gcp_address(self) -> str:
        return str(self.subnet.network_address + 1)

    @property
    def aws_address(self) -> str:
        return str(self.subnet.network_address + 2)

    def cidr(self, address: str) -> str:
        return f"{address}/{self.subnet.prefixlen}"


def cross_cloud_legs(estate: Estate) -> list[CrossCloudLeg]:
    """Every leg of every cross-cloud link with its shared parameters, /29s distinct across the estate."""
    routers = {r.name: r for r in estate.links_of(CloudRouter)}
    tgws = {t.name: t for t in estate.links_of(TransitGateway)}
    used: set[int] = set()
    out: list[CrossCloudLeg] = []
    slots = _LINK_LOCAL.num_addresses // 8
    for link in sorted(estate.links_of(CrossCloud), key=lambda x: x.name):
        router = routers.get(link.gcp_router)
        legs = ("a", "b") if link.redundant else ("a",)
        for i, leg in enumerate(legs):
            slot = int(digest(link.name, leg, "cross-cloud"), 16) % slots
            while slot in used or slot == 0:
                slot = (slot + 1) % slots
            used.add(slot)
            subnet = IPv4Network((int(_LINK_LOCAL.network_address) + slot * 8, 29))
            out.append(CrossCloudLeg(link.name, leg, 3000 + i, subnet, dx_gateway_asn(tgws[link.aws_transit_gateway]),
                                     router.asn if router is not None else 16550))
    return out
