"""The estate: one typed, immutable model of everything the firm runs.

Every other package reads this model and none writes back into it. Objects
refer to each other by name (a subnet's route table, a workload's desk, a
link's ends); ``tradeplane.estate.refs`` checks that every such name resolves.
Collections are tuples so a loaded estate cannot be changed by any consumer.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_serializer,
    model_validator,
)

from tradeplane.errors import Location

Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=63,
        pattern=r"^[a-z][a-z0-9-]*$",
        description="lower-case letters, digits and hyphens, starting with a letter",
    ),
]
Cidr = IPv4Network
__all__ = [
    "Action",
    "AlertRoute",
    "ApiKey",
    "Asn",
    "AuditLogging",
    "AwsAccount",
    "AwsOrganisation",
    "AwsOu",
    "AwsRoute",
    "AwsRouteTable",
    "AwsSubnet",
    "AwsVpc",
    "BgpWatch",
    "Budget",
    "BuiltinSlo",
    "BuiltinSlos",
    "ChainWatch",
    "Cidr",
    "ClockTime",
    "Cloud",
    "CloudNatAddresses",
    "CloudRouter",
    "ColoHost",
    "ColoRole",
    "ColoWorkload",
    "Colocation",
    "Connectivity",
    "Contact",
    "Control",
    "CostAllocation",
    "CostMatch",
    "CrossCloud",
    "CutoverCriteria",
    "DailyHalt",
    "DataFlow",
    "Dependency",
    "Desk",
    "DirectConnect",
    "Direction",
    "DxConnection",
    "DxVirtualInterface",
    "EscalationLevel",
    "EscalationPolicy",
    "Estate",
    "FirewallPolicy",
    "FirewallRule",
    "Frozen",
    "GcpFolder",
    "GcpNextHop",
    "GcpOrganisation",
    "GcpProject",
    "GcpRoute",
    "GcpSubnet",
    "GcpVpc",
    "Guardrail",
    "Intent",
    "Interconnect",
    "InterconnectAttachment",
    "LatencyBudget",
    "Link",
    "MaintenanceWindow",
    "MarketHours",
    "MetricService",
    "MetricSpec",
    "Migration",
    "MigrationTarget",
    "MoveGroup",
    "Nacl",
    "NaclRule",
    "Name",
    "NatGateway",
    "Network",
    "ObservabilityStandards",
    "Oncall",
    "Organisation",
    "PeeringRoutes",
    "PhysicalPath",
    "Placement",
    "PlacementStrategy",
    "PodSpec",
    "PolicyAction",
    "PolicyRule",
    "PortRange",
    "PrivateEndpoint",
    "Protocol",
    "PscEndpoint",
    "QuietHours",
    "Rack",
    "Rotation",
    "RouteTarget",
    "SecurityGroup",
    "SecurityPolicy",
    "SgPeer",
    "SgRule",
    "SharedCost",
    "Site",
    "Sli",
    "Slo",
    "SloCalendar",
    "TagSchema",
    "TgwAttachment",
    "TgwPeering",
    "TgwRoute",
    "TgwRouteTable",
    "TradingSession",
    "TransitGateway",
    "Venue",
    "VpcPeering",
    "Vpn",
    "VpnTunnel",
    "WatchedPrefix",
    "Weekday",
    "Workload",
]

L = TypeVar("L")
Asn = Annotated[int, Field(ge=1, le=4_294_967_294)]


N = TypeVar("N")


def _named(items: tuple[N, ...], name: str) -> N:
    """The item called ``name``; ``KeyError`` if none is."""
    for item in items:
        if getattr(item, "name", None) == name:
            return item
    raise KeyError(name)


class Frozen(BaseModel):
    """Base of every estate object: immutable, unknown keys rejected, no inf or nan in any number
    (each number field also has a range that says its unit)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Cloud(StrEnum):
    AWS = "aws"
    GCP = "gcp"


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ALL = "all"


class Action(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


class PortRange(Frozen):
    """An inclusive range of ports; ``"443"`` and ``"1024-65535"`` parse to it."""

    start: int = Field(ge=0, le=65535)
    end: int = Field(ge=0, le=65535)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"start": value, "end": value}
        if isinstance(value, str):
            text = value.strip()
            lo, sep, hi = text.partition("-")
            if not lo.isdigit() or (sep and not hi.isdigit()):
                raise ValueError(f"port range must look like 443 or 1024-65535, got {value!r}")
            return {"start": int(lo), "end": int(hi if sep else lo)}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> PortRange:
        if self.start > self.end:
            raise ValueError(f"port range {self.start}-{self.end} is empty: start must be <= end")
        return self

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    @model_serializer
    def _as_text(self) -> str:
        return str(self)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 65535},
                {"type": "string", "pattern": r"^\d{1,5}(-\d{1,5})?$"},
            ],
            "title": "PortRange",
            "description": "a port (443) or an inclusive range ('1024-65535')",
        }


# --------------------------------------------------------------------------- organisation


class AwsAccount(Frozen):
    name: Name
    account_id: str = Field(pattern=r"^\d{12}$", description="12-digit AWS account id")
    desk: Name | None = None
    env: Literal["prod", "staging", "dev", "shared"] = "prod"


class AwsOu(Frozen):
    name: Name
    parent: Name | None = Field(default=None, description="parent OU; the root when omitted")
    accounts: tuple[AwsAccount, ...] = ()


class AwsOrganisation(Frozen):
    management_account_id: str | None = Field(
        default=None, pattern=r"^\d{12}$",
        description="12-digit id of the management account; omitted when not known (an estate imported from "
                    "cloud exports, which do not say it): Terraform then takes it as a required variable")
    ous: tuple[AwsOu, ...] = ()


class GcpFolder(Frozen):
    name: Name
    parent: Name | None = Field(default=None, description="parent folder; the organisation when omitted")


class GcpProject(Frozen):
    name: Name
    project_id: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    folder: Name | None = Field(default=None, description="its folder; directly under the organisation when omitted")
    desk: Name | None = None
    env: Literal["prod", "staging", "dev", "shared"] = "prod"
    shared_vpc_host: bool = False
    shared_vpc_host_project: Name | None = Field(
        default=None, description="the Shared VPC host project this service project attaches to"
    )


class GcpOrganisation(Frozen):
    """The organisation; ``org_id``, ``domain`` and ``billing_account`` may be omitted when not known (an
    estate imported from cloud exports, which do not say them): Terraform then takes them as required
    variables."""

    org_id: str | None = Field(default=None, pattern=r"^\d{6,20}$")
    domain: str | None = None
    billing_account: str | None = Field(default=None, pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
    folders: tuple[GcpFolder, ...] = ()
    projects: tuple[GcpProject, ...] = ()


class Organisation(Frozen):
    aws: AwsOrganisation | None = None
    gcp: GcpOrganisation | None = None


# --------------------------------------------------------------------------- sites


class Site(Frozen):
    """A place the firm has presence outside the clouds: a colocation cage, an office."""

    name: Name
    location: Name | None = Field(
        default=None, description="a site of the built-in catalog (e.g. cme-aurora, equinix-ny4); omitted when "
                                  "the catalog does not know the place (an imported VPN or Direct Connect peer): "
                                  "latency, placement and migration then have no distance for it")
    kind: Literal["colocation", "office", "datacenter"] = "colocation"
    cidrs: tuple[Cidr, ...] = Field(default=(), description="on-premises prefixes at this site")
    asn: Asn | None = Field(default=None, description="the firm's BGP ASN at this site")
    desk: Name | None = None


# --------------------------------------------------------------------------- AWS networks


class RouteTarget(StrEnum):
    LOCAL = "local"
    IGW = "igw"
    NAT = "nat"
    TGW = "tgw"
    PEERING = "peering"
    VGW = "vgw"
    ENDPOINT = "endpoint"
    BLACKHOLE = "blackhole"
    GATEWAY_ENDPOINT = "gateway_endpoint"
    """A gateway VPC endpoint (S3, DynamoDB): the AWS service's public prefixes reached privately, without
    an internet gateway or NAT; ``via`` names the endpoint (imported from exports: its vpce id)."""


class AwsRoute(Frozen):
    destination: Cidr
    target: RouteTarget
    via: Name | None = Field(
        default=None, description="the NAT gateway, transit gateway, peering, private endpoint or gateway endpoint "
                                  "named by target"
    )

    @model_validator(mode="after")
    def _via_needed(self) -> AwsRoute:
        needs = {RouteTarget.NAT, RouteTarget.TGW, RouteTarget.PEERING, RouteTarget.ENDPOINT,
                 RouteTarget.GATEWAY_ENDPOINT}
        if self.target in needs and self.via is None:
            raise ValueError(f"a route to {self.target.value} needs 'via' naming which one")
        if self.target not in needs and self.via is not None:
            raise ValueError(f"a route to {self.target.value} takes no 'via'")
        return self


class AwsRouteTable(Frozen):
    name: Name
    routes: tuple[AwsRoute, ...] = ()


class AwsSubnet(Frozen):
    name: Name
    zone: str = Field(description="AWS zone id, e.g. use1-az4 (ids, not names, are the same in every account)")
    cidr: Cidr
    route_table: Name
    tier: Literal["public", "private", "trading", "data"] = "private"
    nacl: Name | None = None


class NatGateway(Frozen):
    name: Name
    subnet: Name
    public_ips: tuple[IPv4Address, ...] = Field(
        default=(), description="its Elastic IPs, once allocated: what venues allow-list as the firm's egress"
    )


class SgPeer(Frozen):
    """One side of a security-group rule: a CIDR, another security group (same VPC), or a peer
    whose addresses the model does not know (``unresolved``: imported prefix lists, groups of
    other VPCs or accounts). Verification answers "unknown" for traffic only such a peer decides."""

    cidr: Cidr | None = None
    security_group: Name | None = None
    unresolved: str | None = Field(default=None, description="what the peer is, when its addresses are unknown")

    @model_validator(mode="after")
    def _one(self) -> SgPeer:
        if sum(x is not None for x in (self.cidr, self.security_group, self.unresolved)) != 1:
            raise ValueError("give exactly one of 'cidr' or 'security_group'")
        return self


class SgRule(Frozen):
    protocol: Protocol = Protocol.TCP
    ports: tuple[PortRange, ...] = Field(default=(), description="empty means all ports")
    peers: tuple[SgPeer, ...] = Field(min_length=1)
    protocol_number: int | None = Field(
        default=None, ge=0, le=255,
        description="an IP protocol number other than TCP, UDP and ICMP (47 GRE, 50 ESP...); set protocol to all")
    description: str = Field(min_length=1, description="why this rule exists; reviewers read it")


class SecurityGroup(Frozen):
    """Stateful, allow-only. Return traffic of an allowed flow is always allowed."""

    name: Name = Field(description="rendered as the AWS group name; AWS refuses names starting with 'sg-'")
    description: str = Field(min_length=1)
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = ()


class NaclRule(Frozen):
    number: int = Field(ge=1, le=32766)
    action: Action
    protocol: Protocol = Protocol.ALL
    ports: PortRange | None = None
    cidr: Cidr
    protocol_number: int | None = Field(
        default=None, ge=0, le=255,
        description="an IP protocol number other than TCP, UDP and ICMP (47 GRE, 50 ESP...); set protocol to all")


class Nacl(Frozen):
    """Stateless and ordered by rule number; anything unmatched is denied."""

    name: Name
    ingress: tuple[NaclRule, ...] = ()
    egress: tuple[NaclRule, ...] = ()


class AwsVpc(Frozen):
    cloud: Literal["aws"]
    name: Name
    account: Name
    region: str
    cidrs: tuple[Cidr, ...] = Field(min_length=1)
    desk: Name | None = None
    internet_gateway: bool = False
    nat_gateways: tuple[NatGateway, ...] = ()
    route_tables: tuple[AwsRouteTable, ...] = ()
    subnets: tuple[AwsSubnet, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    nacls: tuple[Nacl, ...] = ()
    flow_logs: bool = True


# --------------------------------------------------------------------------- GCP networks


class GcpSubnet(Frozen):
    name: Name
    region: str
    cidr: Cidr
    secondary_ranges: dict[str, Cidr] = Field(default_factory=dict)
    private_google_access: bool = True
    flow_logs: bool = True
    tier: Literal["public", "private", "trading", "data"] = "private"


class GcpNextHop(StrEnum):
    INTERNET = "internet"
    INSTANCE = "instance"
    ILB = "ilb"
    VPN_TUNNEL = "vpn_tunnel"
    BLACKHOLE = "blackhole"


class GcpRoute(Frozen):
    name: Name
    destination: Cidr
    next_hop: GcpNextHop
    via: Name | None = None
    priority: int = Field(default=1000, ge=0, le=65535)
    tags: tuple[str, ...] = ()


class FirewallRule(Frozen):
    """A VPC firewall rule: lower priority number wins; deny wins a tie."""

    name: Name
    direction: Direction = Direction.INGRESS
    action: Action = Action.ALLOW
    priority: int = Field(default=1000, ge=0, le=65535)
    protocol: Protocol = Protocol.TCP
    ports: tuple[PortRange, ...] = ()
    sources: tuple[Cidr, ...] = Field(default=(), description="source ranges (ingress; egress: optional filter)")
    source_tags: tuple[str, ...] = ()
    destinations: tuple[Cidr, ...] = Field(
        default=(), description="destination ranges (egress; ingress: optional filter on the target's address)")
    target_tags: tuple[str, ...] = ()
    target_service_accounts: tuple[str, ...] = ()
    source_service_accounts: tuple[str, ...] = Field(
        default=(), description="ingress: instances running as these service accounts (like source tags)")
    description: str = Field(min_length=1)
    log: bool = True
    protocol_number: int | None = Field(
        default=None, ge=0, le=255,
        description="an IP protocol number other than TCP, UDP and ICMP (47 GRE, 50 ESP...); set protocol to all")
    unresolved: str | None = Field(
        default=None, description="a match the model cannot express (imports: SCTP ports): what it matches is "
                                  "undecided, never allowed or denied")

    @model_validator(mode="after")
    def _ranges(self) -> FirewallRule:
        if self.direction is Direction.INGRESS and not (self.sources or self.source_tags
                                                        or self.source_service_accounts):
            raise ValueError("an ingress rule needs 'sources', 'source_tags' or 'source_service_accounts'")
        if self.direction is Direction.EGRESS and not self.destinations:
            raise ValueError("an egress rule needs 'destinations'")
        return self


class CloudNatAddresses(Frozen):
    region: str
    addresses: tuple[IPv4Address, ...] = Field(min_length=1)


class PscEndpoint(Frozen):
    """A Private Service Connect endpoint: a consumer forwarding rule whose internal address reaches a
    published service (a service attachment) or Google APIs (Compute API ``forwardingRules``)."""

    name: Name
    address: IPv4Address = Field(description="the endpoint's internal address in the consumer VPC")
    region: str = Field(default="", description="the forwarding rule's region (empty: a global Google APIs endpoint)")
    target: str = Field(min_length=1, description="the service attachment (projects/P/regions/R/serviceAttachments/N), "
                                                   "or all-apis / vpc-sc for Google APIs")
    accepted: bool = Field(default=True, description="the producer accepted the connection (pscConnectionStatus "
                                                     "ACCEPTED); other states carry no traffic")
    global_access: bool = Field(default=True, description="reachable from every region (allowPscGlobalAccess); "
                                                          "false: only from its own region")


class GcpVpc(Frozen):
    cloud: Literal["gcp"]
    name: Name
    project: Name
    routing_mode: Literal["GLOBAL", "REGIONAL"] = "GLOBAL"
    desk: Name | None = None
    mtu: int = Field(default=1460, ge=1300, le=8896)
    subnets: tuple[GcpSubnet, ...] = ()
    routes: tuple[GcpRoute, ...] = ()
    firewall_rules: tuple[FirewallRule, ...] = ()
    cloud_nat_regions: tuple[str, ...] = ()
    cloud_nat_addresses: tuple[CloudNatAddresses, ...] = Field(
        default=(), description="reserved Cloud NAT addresses per region: what venues allow-list as egress"
    )
    shared_vpc_service_projects: tuple[Name, ...] = ()
    cloud_nat_subnets: tuple[Name, ...] = Field(
        default=(), description="subnets a Cloud NAT configured for a list of subnets translates (besides every "
                                "subnet of cloud_nat_regions)")
    firewall_policy_order: Literal["after_classic", "before_classic"] = Field(
        default="after_classic", description="network firewall policies after (default) or before the VPC firewall "
                                             "rules (networkFirewallPolicyEnforcementOrder)")
    folders: tuple[Name, ...] = Field(
        default=(), description="the folders above the network's project, top-down, whose hierarchical firewall "
                                "policies apply (imports: gcloud projects get-ancestors); empty: the organisation's")
    psc_endpoints: tuple[PscEndpoint, ...] = ()


Network = Annotated[AwsVpc | GcpVpc, Field(discriminator="cloud")]


# --------------------------------------------------------------------------- GCP firewall policies


class PolicyAction(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    GOTO_NEXT = "goto_next"


class PolicyRule(Frozen):
    priority: int = Field(ge=0, le=2_147_483_647)
    direction: Direction = Direction.INGRESS
    action: PolicyAction
    protocol: Protocol = Protocol.ALL
    ports: tuple[PortRange, ...] = ()
    sources: tuple[Cidr, ...] = ()
    destinations: tuple[Cidr, ...] = ()
    target_service_accounts: tuple[str, ...] = ()
    description: str = Field(min_length=1)
    protocol_number: int | None = Field(
        default=None, ge=0, le=255, description="an IP protocol number other than TCP, UDP and ICMP; protocol: all")
    target_networks: tuple[Name, ...] = Field(
        default=(), description="hierarchical: only these networks (targetResources); empty: every network")
    unresolved: str | None = Field(
        default=None, description="a match the model cannot resolve (secure tags, FQDNs, geolocations, address "
                                  "groups, threat intelligence, L7 inspection): what it matches is undecided")


class FirewallPolicy(Frozen):
    """A GCP network firewall policy (attached to VPCs) or hierarchical one (org/folders)."""

    name: Name
    kind: Literal["network", "hierarchical"]
    attached_to: tuple[str, ...] = Field(
        min_length=1,
        description="network: VPC names; hierarchical: folder names or 'organization'",
    )
    rules: tuple[PolicyRule, ...] = ()
    region: str | None = Field(default=None, description="network: a regional policy applies in this region only")


# --------------------------------------------------------------------------- links


class PeeringRoutes(Frozen):
    """One side of a GCP VPC peering: which routes it exports and imports (the Compute API's
    ``NetworkPeering`` flags, with their defaults). Subnet routes always cross, except subnets with
    public ranges, which need export on one side and import on the other."""

    export_custom_routes: bool = False
    import_custom_routes: bool = False
    export_subnet_routes_with_public_ip: bool = True
    import_subnet_routes_with_public_ip: bool = False


class VpcPeering(Frozen):
    kind: Literal["vpc_peering"]
    name: Name
    a: Name
    b: Name
    a_routes: PeeringRoutes = Field(default_factory=PeeringRoutes, description="GCP: what a exports and imports")
    b_routes: PeeringRoutes = Field(default_factory=PeeringRoutes, description="GCP: what b exports and imports")


class TgwRoute(Frozen):
    destination: Cidr
    attachment: Name | None = None
    blackhole: bool = False

    @model_validator(mode="after")
    def _one(self) -> TgwRoute:
        if self.blackhole == (self.attachment is not None):
            raise ValueError("a transit gateway route needs exactly one of 'attachment' or 'blackhole: true'")
        return self


class TgwRouteTable(Frozen):
    name: Name
    routes: tuple[TgwRoute, ...] = ()


class TgwAttachment(Frozen):
    name: Name
    kind: Literal["vpc", "vpn", "direct_connect", "peering", "cross_cloud"]
    target: Name = Field(
        description="the VPC, VPN, Direct Connect link, transit gateway peering or cross-cloud link attached"
    )
    subnets: tuple[Name, ...] = Field(default=(), description="vpc attachments: one subnet per zone")
    route_table: Name | None = Field(
        description="the route table this attachment is associated with; none: the attachment still receives "
                    "traffic, but what enters the transit gateway from it is dropped")
    propagate_to: tuple[Name, ...] = Field(
        default=(), description="route tables this attachment's prefixes propagate into"
    )


class TransitGateway(Frozen):
    kind: Literal["transit_gateway"]
    name: Name
    account: Name
    region: str
    asn: Asn
    route_tables: tuple[TgwRouteTable, ...] = Field(min_length=1)
    attachments: tuple[TgwAttachment, ...] = ()


class TgwPeering(Frozen):
    kind: Literal["tgw_peering"]
    name: Name
    a: Name
    b: Name


class DxConnection(Frozen):
    name: Name
    location: Name = Field(description="a site of the estate where the port lands")
    device: str = Field(description="the AWS device or its stand-in; resiliency needs distinct devices")
    bandwidth_gbps: Literal[1, 10, 100, 400] = 10


class DxVirtualInterface(Frozen):
    name: Name
    connection: Name
    kind: Literal["private", "transit"] = "transit"
    vlan: int = Field(ge=1, le=4094)
    customer_asn: Asn
    advertised_prefixes: tuple[Cidr, ...] = Field(
        default=(), description="prefixes the on-premises side advertises to AWS"
    )


class DirectConnect(Frozen):
    kind: Literal["direct_connect"]
    name: Name
    account: Name
    site: Name = Field(description="the on-premises site this Direct Connect serves")
    gateway_asn: Asn
    connections: tuple[DxConnection, ...] = Field(min_length=1)
    virtual_interfaces: tuple[DxVirtualInterface, ...] = Field(min_length=1)
    allowed_prefixes: tuple[Cidr, ...] = Field(
        default=(), description="AWS prefixes advertised to the site through the gateway association"
    )
    network: Name | None = Field(
        default=None, description="the AWS VPC whose virtual private gateway the Direct Connect gateway is "
                                  "associated with (its routes to the gateway lead here); none: a transit gateway "
                                  "attachment")


class InterconnectAttachment(Frozen):
    name: Name
    metro: str = Field(description="interconnect metro, e.g. chi or dfw")
    edge_availability_domain: Literal[1, 2]
    region: str
    router: Name
    vlan: int = Field(ge=2, le=4094)
    bandwidth_gbps: Literal[1, 2, 5, 10, 20, 50, 100] = 10


class Interconnect(Frozen):
    """Dedicated or Partner Interconnect from a site into one GCP VPC."""

    kind: Literal["interconnect"]
    name: Name
    type: Literal["dedicated", "partner"] = "dedicated"
    network: Name
    site: Name
    circuit_gbps: Literal[10, 100] = 10
    macsec: bool = True
    attachments: tuple[InterconnectAttachment, ...] = Field(min_length=1)
    target_sla: Literal["99.9", "99.99"] = "99.99"


class CloudRouter(Frozen):
    kind: Literal["cloud_router"]
    name: Name
    network: Name
    region: str
    asn: Asn
    advertised_prefixes: tuple[Cidr, ...] = Field(
        default=(), description="custom advertisements; subnets of the VPC are advertised always"
    )


class VpnTunnel(Frozen):
    name: Name
    interface: Literal[0, 1] = 0
    peer_address: str = Field(description="the remote gateway's public IP (or a variable name)")


class Vpn(Frozen):
    """HA VPN (GCP) or site-to-site VPN (AWS) between a network and a site or another cloud."""

    kind: Literal["vpn"]
    name: Name
    type: Literal["ha", "classic"] = "ha"
    network: Name
    remote: Name = Field(description="a site, or a network in the other cloud")
    router: Name | None = Field(default=None, description="GCP: the Cloud Router running BGP")
    transit_gateway: Name | None = Field(default=None, description="AWS: terminate on this transit gateway")
    remote_asn: Asn
    tunnels: tuple[VpnTunnel, ...] = Field(min_length=1)
    backup_for: Name | None = Field(default=None, description="the link this VPN backs up")


class CrossCloud(Frozen):
    """A private cross-cloud link (Cross-Cloud Interconnect to an AWS Direct Connect gateway)."""

    kind: Literal["cross_cloud"]
    name: Name
    gcp_network: Name
    gcp_router: Name
    aws_transit_gateway: Name
    metro: str
    bandwidth_gbps: Literal[10, 100] = 10
    redundant: bool = True


class PrivateEndpoint(Frozen):
    """PrivateLink (AWS) or Private Service Connect (GCP) endpoint to a venue's service."""

    kind: Literal["private_endpoint"]
    name: Name
    network: Name
    venue: Name
    service_name: str = Field(description="the venue's endpoint service name or PSC service attachment")
    subnets: tuple[Name, ...] = Field(min_length=1)


class PhysicalPath(Frozen):
    """A physical route between two sites that no cloud API knows: a leased fibre, a microwave or a
    millimetre-wave (E-band) link, e.g. Aurora <-> Carteret over microwave.

    Nothing is rendered for it (Terraform and net verify ignore it); placement uses it for latency
    budgets that name it in ``via``. Radio media are faster than fibre (light in air, refractive index
    about 1.0003, against 1.468 in glass) but fade in heavy rain, so they declare their availability
    and, usually, the fibre path taken when they are down (``fallback``).
    """

    kind: Literal["path"]
    name: Name
    medium: Literal["fibre", "microwave", "mmwave"]
    a: Name = Field(description="one end: an estate site or a catalog site (e.g. aurora-colo, nasdaq-carteret)")
    b: Name = Field(description="the other end: an estate site or a catalog site")
    route_km: float | None = Field(
        default=None, gt=0, le=40_075, allow_inf_nan=False,
        description="length of the route in km; default: the great circle between the ends x the medium's "
                    "route factor (fibre 1.3, radio 1.046)")
    rtt_us: float | None = Field(
        default=None, gt=0, le=10_000_000, allow_inf_nan=False,
        description="a measured or contracted round trip end to end in µs; preferred to the model")
    availability: float | None = Field(
        default=None, gt=0, le=1, allow_inf_nan=False,
        description="fraction of the time the path carries traffic (0.999 = 99.9%); required for microwave and "
                    "mmwave, which fade in heavy rain")
    fallback: Name | None = Field(default=None, description="the path (kind: path) taken when this one is down")
    provider: str = Field(default="", description="who runs it")
    source: str = Field(default="", description="where the route length or round trip comes from, with its date")

    @model_validator(mode="after")
    def _radio_declares_availability(self) -> PhysicalPath:
        if self.medium != "fibre" and self.availability is None:
            raise ValueError(f"a {self.medium} path needs 'availability' (the fraction of the time it is up): "
                             "radio links fade in heavy rain; declare it, and a fibre 'fallback'")
        return self


Link = Annotated[
    VpcPeering
    | TransitGateway
    | TgwPeering
    | DirectConnect
    | Interconnect
    | CloudRouter
    | Vpn
    | CrossCloud
    | PrivateEndpoint
    | PhysicalPath,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- desks and workloads


class Desk(Frozen):
    name: Name
    owner: str = Field(description="the accountable person (an e-mail address)")
    cost_centre: str
    teams: tuple[Name, ...] = Field(min_length=1)
    may_talk_to: tuple[Name, ...] = Field(
        default=(), description="other desks this desk may exchange traffic with; everything else is denied"
    )
    shared_services: tuple[Name, ...] = Field(
        default=(), description="workloads of other desks this desk may reach (e.g. shared market data)"
    )
    isolated: bool = Field(default=False, description="segmented: its own VPCs and perimeter, no transit")


class PlacementStrategy(StrEnum):
    NONE = "none"
    CLUSTER = "cluster"
    SPREAD = "spread"
    PARTITION = "partition"
    COMPACT = "compact"
    SOLE_TENANT = "sole_tenant"


class Placement(Frozen):
    strategy: PlacementStrategy = PlacementStrategy.NONE
    group: Name | None = Field(default=None, description="workloads naming the same group share it")
    zones: tuple[str, ...] = Field(default=(), description="pin to these zones; empty lets the solver choose")
    anti_affinity: tuple[Name, ...] = Field(
        default=(), description="workloads that must not share a zone with this one (redundant legs)"
    )


class LatencyBudget(Frozen):
    to: Name = Field(description="a venue, site or workload")
    rtt_us: float = Field(gt=0, le=10_000_000,
                          description="round-trip budget in microseconds (more than 0, at most 10,000,000 = 10 s)")
    via: Name | None = Field(
        default=None,
        description="a link of kind path the traffic takes (e.g. a microwave route between two sites); the "
                    "estimate runs zone -> the path's nearer end -> the path -> its far end -> the target")


class Dependency(Frozen):
    workload: Name
    protocol: Protocol = Protocol.TCP
    ports: tuple[PortRange, ...] = Field(min_length=1)


class PodSpec(Frozen):
    """What a GKE workload runs on its node pool: one Deployment of ``replicas`` pods.

    ``cpu`` is whole CPUs (latency-critical pods get requests = limits, so the kubelet's static
    CPU manager pins them to exclusive cores); other pods get a CPU request and no CPU limit.
    """

    image: str = Field(min_length=1, description="container image, pinned by tag or digest")
    replicas: int = Field(default=1, ge=1, le=1_000)
    cpu: int = Field(ge=1, le=256, description="whole CPUs per pod")
    memory_gib: float = Field(gt=0, le=4_096, allow_inf_nan=False, description="memory per pod (GiB)")
    ports: tuple[int, ...] = Field(default=(), description="container ports")


class Workload(Frozen):
    name: Name
    desk: Name
    team: Name
    env: Literal["prod", "staging", "dev"] = "prod"
    kind: Literal["vm", "gke_node_pool", "sole_tenant"] = "vm"
    network: Name
    subnet: Name
    machine_type: str
    count: int = Field(default=1, ge=1, le=10_000, description="instances (replicas), 1 to 10,000")
    placement: Placement = Field(default_factory=Placement)
    latency_budgets: tuple[LatencyBudget, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    listens_on: tuple[PortRange, ...] = ()
    security_groups: tuple[Name, ...] = Field(default=(), description="AWS: security groups of its VPC")
    tags: tuple[str, ...] = Field(default=(), description="GCP: network tags used by firewall rules")
    service_account: str | None = None
    public_ip: bool | None = Field(
        default=None, description="has a public IPv4 or Elastic IP (AWS) / external IP (GCP); unset: yes exactly "
                                  "when its subnet is in the public tier")
    venues: tuple[Name, ...] = Field(default=(), description="venues this workload trades on or reads")
    api_keys: tuple[Name, ...] = Field(
        default=(), description="the venue API keys it uses, by name (default: every key of its venues)"
    )
    gke_cluster: Name | None = Field(default=None, description="gke_node_pool: the cluster it belongs to")
    pods: PodSpec | None = Field(default=None, description="gke_node_pool: the pods it runs (tradeplane k8s render)")
    hourly_usd: float | None = Field(
        default=None, ge=0, le=10_000,
        description="override the price table: US dollars per hour per instance (0 to 10,000)")


# --------------------------------------------------------------------------- venues


class Connectivity(Frozen):
    kind: Literal["internet", "privatelink", "private_service_connect", "cross_connect", "interconnect"]
    via: Name | None = Field(default=None, description="the estate link or site that carries it")


class ApiKey(Frozen):
    name: Name
    secret_ref: str = Field(
        pattern=r"^(aws-sm|gcp-sm|vault)://[A-Za-z0-9/_.:-]+$",
        description="secret-manager reference, never a literal key: aws-sm://, gcp-sm:// or vault://",
    )
    permissions: tuple[Literal["read", "trade", "withdraw"], ...] = ("read",)
    ip_restricted: bool = True
    allowlist: tuple[IPv4Address, ...] = Field(
        default=(), description="source addresses registered with the venue for this key (its IP allowlist)"
    )


# --------------------------------------------------------------------------- security


def _check_prefix(text: str) -> str:
    from ipaddress import ip_network

    try:
        return str(ip_network(text, strict=True))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a network prefix ({exc}); write it as 192.0.2.0/24 or 2001:db8::/32") from None


class WatchedPrefix(Frozen):
    """A prefix whose BGP origin the firm watches: its own, a venue's, or a cloud endpoint it depends on."""

    prefix: str = Field(description="IPv4 or IPv6 prefix, e.g. 205.251.192.0/21")
    origins: tuple[Asn, ...] = Field(min_length=1, description="the AS numbers allowed to originate it")
    max_length: int | None = Field(
        default=None, ge=0, le=128, description="longest announcement the owner makes (default: the prefix length)"
    )
    upstreams: tuple[Asn, ...] = Field(
        default=(), description="the origin's expected neighbours (first hops); empty = not checked"
    )
    owner: str = Field(min_length=1, description="whose space this is, e.g. 'firm', 'binance', 'aws route53'")
    desk: Name | None = Field(default=None, description="the desk an incident about it belongs to")

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return _check_prefix(value)

    @model_validator(mode="after")
    def _check(self) -> WatchedPrefix:
        from ipaddress import ip_network

        length = ip_network(self.prefix).prefixlen
        limit = 32 if ip_network(self.prefix).version == 4 else 128
        if self.max_length is not None and not length <= self.max_length <= limit:
            raise ValueError(f"max_length {self.max_length} must be between {length} and {limit} for {self.prefix}")
        return self


class BgpWatch(Frozen):
    """What the BGP hijack watcher watches and how sure it must be before it alerts."""

    prefixes: tuple[WatchedPrefix, ...] = ()
    venues: bool = Field(default=True, description="also watch every venue's cidrs against the venue's asns")
    min_peers: int = Field(
        default=2, ge=1, le=10_000, description="visibility: alert when fewer collector peers than this see a route"
    )


class ChainWatch(Frozen):
    """A chain whose deposits the crypto desk credits, and the policy that says when."""

    name: Name
    kind: Literal["ethereum", "bitcoin"]
    endpoints: tuple[str, ...] = Field(min_length=1, description="JSON-RPC URLs (http:// or https://)")
    confirmations: int = Field(ge=1, le=100_000, description="blocks on top before a deposit is credited")
    use_finalized: bool = Field(default=False, description="Ethereum: credit only at or below the 'finalized' block")
    max_reorg_depth: int = Field(default=2, ge=1, le=100_000, description="alert on a reorg deeper than this (blocks)")
    finality_stall_s: int = Field(
        default=1_800, ge=1, le=604_800, description="alert when the finalized block has not moved for this long (s)"
    )
    raise_factor: int = Field(
        default=2, ge=1, le=100, description="multiply confirmations by this while the chain shows reorgs or disagreement"
    )

    @model_validator(mode="after")
    def _check(self) -> ChainWatch:
        for url in self.endpoints:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"endpoint {url!r} must be an http:// or https:// JSON-RPC URL")
        if self.use_finalized and self.kind != "ethereum":
            raise ValueError("use_finalized is only for ethereum ('finalized' block tag)")
        return self


class SecurityPolicy(Frozen):
    """The crypto desk's security posture: BGP watch, chains, key rotation."""

    bgp: BgpWatch = Field(default_factory=BgpWatch)
    chains: tuple[ChainWatch, ...] = ()
    key_rotation_days: int = Field(default=90, ge=1, le=3_650, description="API keys older than this are a finding (days)")


# --------------------------------------------------------------------------- market hours


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


ClockTime = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="a wall-clock time HH:MM in the venue's time zone"),
]


class TradingSession(Frozen):
    """One weekly trading session, in the venue's time zone.

    The session opens at ``open`` on each of ``days`` and closes at ``close``; a ``close``
    at or before ``open`` is on the next day (CME Globex: opens Sun-Thu 17:00, closes the
    next day 16:00, which leaves the daily 16:00-17:00 maintenance halt between sessions).
    """

    days: tuple[Weekday, ...] = Field(min_length=1, description="the days on which this session opens")
    open: ClockTime
    close: ClockTime


class DailyHalt(Frozen):
    """A halt inside a session (e.g. a mid-session maintenance window), in the venue's time zone."""

    days: tuple[Weekday, ...] = Field(min_length=1)
    start: ClockTime
    end: ClockTime
    reason: str = ""


class MarketEvent(Frozen):
    """A dated stretch of unusual activity at a venue, in its time zone, from the start of
    ``start`` to the end of ``end`` (both inclusive): a contract roll and expiry, an index
    rebalance, quadruple witching, a scheduled release. Sessions are as usual; nothing that
    can be deferred (cluster upgrades, changes) should happen then (GKE maintenance exclusions
    are rendered from these)."""

    name: Name
    start: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="first day, YYYY-MM-DD (venue time zone)")
    end: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="last day, YYYY-MM-DD (inclusive)")
    reason: str = ""

    @model_validator(mode="after")
    def _check(self) -> MarketEvent:
        from datetime import date

        try:
            first, last = date.fromisoformat(self.start), date.fromisoformat(self.end)
        except ValueError:
            raise ValueError(f"event {self.name!r}: start and end are dates YYYY-MM-DD") from None
        if last < first:
            raise ValueError(f"event {self.name!r} ends ({self.end}) before it starts ({self.start})")
        return self


class MarketHours(Frozen):
    """When a venue trades: weekly sessions, halts and holidays in the venue's own time zone.

    The one place market hours live; change freezes, SLO budgets, escalation, maintenance and
    migration windows all read them through ``tradeplane.estate.hours``.
    """

    timezone: str = Field(description="IANA time zone of the venue, e.g. America/Chicago")
    always_open: bool = Field(default=False, description="trades 24x7 (crypto); sessions are then ignored")
    sessions: tuple[TradingSession, ...] = ()
    halts: tuple[DailyHalt, ...] = ()
    holidays: tuple[str, ...] = Field(
        default=(),
        description="trading dates YYYY-MM-DD on which the venue does not trade (the exchange's holiday "
        "calendar): every session of that date is cancelled, including one that opens the evening before "
        "(a session's trading date is the date it closes on)",
    )
    source: str = Field(default="", description="where these hours are published")
    events: tuple[MarketEvent, ...] = Field(
        default=(), description="dated busy periods (rolls, expiries, rebalances): no deferrable maintenance then"
    )

    @model_validator(mode="after")
    def _check(self) -> MarketHours:
        from datetime import date
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {self.timezone!r}: use an IANA name such as America/Chicago"
            ) from None
        if not self.always_open and not self.sessions:
            raise ValueError("give at least one trading session, or always_open: true")
        for day in self.holidays:
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"holiday {day!r} is not a date YYYY-MM-DD") from None
        names = [e.name for e in self.events]
        if len(names) != len(set(names)):
            raise ValueError(f"event names repeat: {sorted({n for n in names if names.count(n) > 1})}")
        return self


class Venue(Frozen):
    name: Name
    kind: Literal["futures", "equities", "crypto", "options"]
    location: Name = Field(description="where the matching engine runs: a catalog site, region or zone")
    cidrs: tuple[Cidr, ...] = Field(default=(), description="the venue's own prefixes, as the firm sees them")
    connectivity: tuple[Connectivity, ...] = Field(min_length=1)
    websocket: str | None = Field(default=None, pattern=r"^wss?://")
    rest: str | None = Field(default=None, pattern=r"^https?://")
    api_keys: tuple[ApiKey, ...] = ()
    ip_allowlist: bool = Field(default=False, description="the venue only accepts allow-listed source IPs")
    hours: MarketHours | None = Field(default=None, description="trading sessions, halts and holidays")
    asns: tuple[Asn, ...] = Field(default=(), description="AS numbers that originate the venue's cidrs")


# --------------------------------------------------------------------------- guardrails, budgets, tags


class Control(StrEnum):
    RESTRICT_REGIONS = "restrict_regions"
    NO_PUBLIC_STORAGE = "no_public_storage"
    NO_EXTERNAL_IPS = "no_external_ips"
    NO_LONG_LIVED_KEYS = "no_long_lived_keys"
    CUSTOMER_MANAGED_KEYS = "customer_managed_keys"
    NO_DEFAULT_NETWORK = "no_default_network"
    REQUIRE_IMDSV2 = "require_imdsv2"
    REQUIRE_OS_LOGIN = "require_os_login"
    NO_SERIAL_PORT = "no_serial_port"
    DENY_LEAVE_ORGANIZATION = "deny_leave_organization"
    PROTECT_AUDIT_LOGS = "protect_audit_logs"
    RESTRICT_VPC_PEERING = "restrict_vpc_peering"
    REQUIRE_SHIELDED_VM = "require_shielded_vm"


class Guardrail(Frozen):
    name: Name
    control: Control
    applies_to: tuple[str, ...] = Field(
        default=("root",), description="AWS OUs / GCP folders by name, or 'root' for the whole organisation"
    )
    regions: tuple[str, ...] = Field(default=(), description="restrict_regions: the allowed regions")
    exempt: tuple[str, ...] = Field(default=(), description="accounts or projects exempted, with a reason")
    reason: str = Field(min_length=1)


class Budget(Frozen):
    desk: Name
    monthly_usd: float = Field(gt=0, le=1_000_000_000,
                               description="US dollars per month (more than 0, at most 1,000,000,000)")
    alert_at: tuple[Annotated[float, Field(gt=0, le=10)], ...] = Field(
        default=(0.5, 0.8, 1.0), description="fractions of the monthly budget that alert (0.8 = 80%; up to 10)")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$",
                          description="ISO 4217 code of monthly_usd (the monthly amount); only spend in it is compared")


class CostMatch(Frozen):
    """Which billing rows a shared-cost rule takes (every given selector must hold)."""

    service: tuple[str, ...] = Field(default=(), description="FOCUS ServiceName values")
    resource_type: tuple[str, ...] = Field(default=(), description="FOCUS ResourceType values")
    description_like: tuple[str, ...] = Field(default=(), description="SQL LIKE patterns on ChargeDescription")
    accounts: tuple[str, ...] = Field(default=(), description="estate AWS account or GCP project names")
    unit: str | None = Field(default=None, description="usage selectors: ConsumedUnit")

    @model_validator(mode="after")
    def _something(self) -> CostMatch:
        if not (self.service or self.resource_type or self.description_like or self.accounts):
            raise ValueError("a match needs at least one of service, resource_type, description_like, accounts")
        return self


class SharedCost(Frozen):
    """One shared cost and how it is split across desks, day by day.

    The split methods are the FinOps Foundation's (FinOps Framework, capability "Shared Cost
    Management"): ``proportional`` to each desk's direct spend, ``even`` among ``desks``, ``fixed``
    ``shares`` summing to 100 %; plus ``by_usage``, proportional to each desk's consumed quantity of
    the rows ``usage`` matches (proportional on a usage metric instead of spend).
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    match: CostMatch
    split: Literal["proportional", "even", "fixed", "by_usage"]
    desks: tuple[Name, ...] = Field(default=(), description="proportional/even: the desks sharing it (all if empty)")
    shares: dict[Name, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="fixed: desk -> fraction (0 to 1), summing to 1")
    usage: CostMatch | None = Field(default=None, description="by_usage: the rows whose ConsumedQuantity weighs a desk")

    @model_validator(mode="after")
    def _complete(self) -> SharedCost:
        if self.split == "fixed":
            if not self.shares:
                raise ValueError("split 'fixed' needs 'shares' (desk: fraction)")
            total = sum(self.shares.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"shares must sum to 1, they sum to {total:g}")
        elif self.shares:
            raise ValueError(f"'shares' is for split 'fixed', not '{self.split}'")
        if self.split == "by_usage" and self.usage is None:
            raise ValueError("split 'by_usage' needs 'usage' (which rows' ConsumedQuantity weighs each desk)")
        return self


class CostAllocation(Frozen):
    """How the cost report allocates: which cost it counts, and the shared costs split across desks.

    Direct allocation needs no rule (a row's desk tag, else its account's or project's desk); a row
    that matches a shared rule (the first that matches) is split instead. Read by
    ``tradeplane.finops`` (``cost report``, ``cost allocate``, the warehouse SQL).
    """

    cost: Literal["effective", "billed"] = Field(
        default="effective", description="effective (amortised, EffectiveCost) or billed (BilledCost)")
    shared: tuple[SharedCost, ...] = ()


def _default_tag_aliases() -> dict[str, tuple[str, ...]]:
    return {"env": ("environment",), "cost-centre": ("cost-center", "costcenter", "costcentre")}


class TagSchema(Frozen):
    """The tag (label) keys every billable resource carries, and the other names people write them as.

    Keys are matched case-insensitively, with AWS's ``user:`` prefix dropped and ``_`` read as ``-``
    (``user:CostCentre``, ``cost_centre`` and ``Cost-Centre`` are one key).
    """

    required: tuple[str, ...] = ("desk", "team", "env", "cost-centre")
    allowed_envs: tuple[str, ...] = ("prod", "staging", "dev", "shared")
    aliases: dict[str, tuple[str, ...]] = Field(
        default_factory=_default_tag_aliases,
        description="key -> other key names that mean it (e.g. env: [environment]; cost-centre: [CostCenter])")

    @model_validator(mode="after")
    def _aliases_of_known_keys(self) -> TagSchema:
        known = {"desk", "team", "env", "workload", "cost-centre", *self.required}
        unknown = sorted(set(self.aliases) - known)
        if unknown:
            raise ValueError(f"aliases for unknown tag key(s) {', '.join(unknown)}; keys: {', '.join(sorted(known))}")
        return self


MetricName = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*[a-z0-9]$", max_length=200,
          description="a Prometheus metric name: lower-case snake case"),
]
LabelName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=100, description="a label name")]
Selector = Annotated[
    str,
    Field(pattern=r'^[a-z][a-z0-9_]*[a-z0-9](\{[^{}]*\})?$', max_length=500,
          description='a metric with optional label matchers, e.g. feeds_events_total{venue="binance"}'),
]


class MetricSpec(Frozen):
    """One metric a service exposes, as the standard requires it (name, type, labels, cardinality)."""

    name: MetricName
    type: Literal["counter", "gauge", "histogram", "summary"]
    help: str = ""
    labels: tuple[LabelName, ...] = Field(default=(), description="labels the service puts on every series")
    max_series: int | None = Field(default=None, ge=1, description="cardinality limit; the standard's default when omitted")
    buckets: tuple[float, ...] | None = Field(
        default=None, min_length=1,
        description="histograms: the bucket upper bounds the service exposes (its `le` labels, without +Inf), "
        "ascending; a latency SLO's threshold_seconds must be one of them")

    @model_validator(mode="after")
    def _check_buckets(self) -> MetricSpec:
        if self.buckets is None:
            return self
        if self.type != "histogram":
            raise ValueError(f"{self.name} is a {self.type}: only a histogram has buckets")
        if any(not (b > 0 and b != float("inf")) for b in self.buckets):
            raise ValueError(f"{self.name}: bucket bounds are positive finite numbers (+Inf is implied)")
        if any(b >= c for b, c in zip(self.buckets, self.buckets[1:], strict=False)):
            raise ValueError(f"{self.name}: bucket bounds must be strictly ascending")
        return self


class MetricService(Frozen):
    """A service exposing /metrics: every metric name it exposes starts with ``<name>_``.

    ``feeds`` (the feed gateway) and ``hybrid`` (hybrid-link BGP state) are built into
    ``tradeplane.observe`` with their metrics; other services declare theirs here.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9]*$", max_length=30, description="the service's metric prefix")
    workloads: tuple[Name, ...] = Field(min_length=1, description="workloads running it (desk, team, env come from them)")
    port: int = Field(default=9464, ge=1, le=65535, description="the /metrics port")
    metrics: tuple[MetricSpec, ...] = ()


class Sli(Frozen):
    """A service level indicator: exactly one of three forms.

    * ratio: ``bad`` (or ``good``) events over ``total`` events, both counters;
    * latency: the share of a ``histogram``'s observations at or under ``threshold_seconds``
      (a bucket boundary of the histogram);
    * time: the share of time a ``gauge`` satisfies ``good_when`` (e.g. ``"== 2"``).

    ``by`` lists labels the SLO is evaluated per (one burn-rate alert per stream, per link).
    """

    good: Selector | None = None
    bad: Selector | None = None
    total: Selector | None = None
    histogram: Selector | None = None
    threshold_seconds: float | None = Field(default=None, gt=0)
    gauge: Selector | None = None
    good_when: str | None = Field(default=None, pattern=r"^(==|!=|<=|>=|<|>) ?-?[0-9]+(\.[0-9]+)?$")
    by: tuple[LabelName, ...] = ()

    @property
    def kind(self) -> Literal["ratio", "latency", "time"]:
        if self.histogram is not None:
            return "latency"
        if self.gauge is not None:
            return "time"
        return "ratio"

    @model_validator(mode="after")
    def _one_form(self) -> Sli:
        ratio = self.good is not None or self.bad is not None or self.total is not None
        latency = self.histogram is not None or self.threshold_seconds is not None
        time_ = self.gauge is not None or self.good_when is not None
        if sum((ratio, latency, time_)) != 1:
            raise ValueError("give one indicator form: good|bad with total (ratio), histogram with "
                             "threshold_seconds (latency), or gauge with good_when (time)")
        if ratio and (self.total is None or (self.good is None) == (self.bad is None)):
            raise ValueError("a ratio indicator needs 'total' and exactly one of 'good' or 'bad'")
        if latency and (self.histogram is None or self.threshold_seconds is None):
            raise ValueError("a latency indicator needs 'histogram' and 'threshold_seconds'")
        if time_ and (self.gauge is None or self.good_when is None):
            raise ValueError("a time indicator needs 'gauge' and 'good_when'")
        return self


class MaintenanceWindow(Frozen):
    """A one-off maintenance period (UTC, ISO 8601) excluded from an SLO's error budget."""

    start: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$", description="e.g. 2026-12-05T02:00Z")
    end: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$")
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.end.rstrip("Z") <= self.start.rstrip("Z"):
            raise ValueError(f"maintenance window ends ({self.end}) at or before it starts ({self.start})")
        return self


class SloCalendar(Frozen):
    """When an SLO's error budget is spent: only while one of ``venues`` trades (their declared
    market hours) and outside the ``maintenance`` windows."""

    venues: tuple[Name, ...] = Field(default=(), description="budget spent only while one of these venues is open")
    maintenance: tuple[MaintenanceWindow, ...] = ()


class Slo(Frozen):
    """A service level objective of the firm's standard, owned by a desk and one of its teams."""

    name: Name
    description: str
    objective: float = Field(gt=0, lt=100, description="percent, e.g. 99.9")
    window_days: int = Field(default=28, ge=7, le=90,
                             description="rolling window; at least 7 days (the ticket alert looks back 3 days)")
    desk: Name
    team: Name
    indicator: Sli
    calendar: SloCalendar | None = None


class AlertRoute(Frozen):
    """Where a desk's (or one team's) alerts go: an Alertmanager webhook (v4 payload)."""

    desk: Name
    team: Name | None = Field(default=None, description="only this team's alerts; all of the desk's when omitted")
    webhook_url: str = Field(pattern=r"^https?://", description="the receiver (the incidents intake)")
    ticket_webhook_url: str | None = Field(default=None, pattern=r"^https?://",
                                           description="tickets go here instead when given")


class BuiltinSlo(Frozen):
    """Objective and window of one of tradeplane's built-in SLOs."""

    enabled: bool = True
    objective: float = Field(gt=0, lt=100)
    window_days: int = Field(default=28, ge=7, le=90)
    threshold_seconds: float | None = Field(default=None, gt=0, description="latency SLOs: the good bound")
    desk: Name | None = Field(default=None, description="owner; feeds: the gateway workloads' desk when omitted")
    team: Name | None = None


class BuiltinSlos(Frozen):
    """The SLOs of what tradeplane itself runs: feeds per stream and hybrid links per session."""

    feed_freshness: BuiltinSlo = BuiltinSlo(objective=99.9)
    feed_gaps: BuiltinSlo = BuiltinSlo(objective=99.99)
    feed_resyncs: BuiltinSlo = BuiltinSlo(objective=99.99)
    feed_latency: BuiltinSlo = BuiltinSlo(objective=99.0, threshold_seconds=0.25)
    link_availability: BuiltinSlo = BuiltinSlo(objective=99.99)


class AuditLogging(Frozen):
    """Where the organisation's audit trail is kept, and for how long it cannot be deleted."""

    retention_years: int = Field(
        default=6, ge=1, le=100,
        description="object-lock (compliance mode) retention of the AWS organisation trail; 6 years is what "
                    "broker-dealer record-keeping asks for (SEC 17a-4, FINRA 4511)")
    log_archive_account: Name | None = Field(
        default=None, description="AWS account holding the locked trail bucket and AWS Config history")
    security_account: Name | None = Field(
        default=None, description="AWS account delegated to administer GuardDuty and aggregate AWS Config")


class ObservabilityStandards(Frozen):
    """The firm's metric, SLO and alerting standard; ``tradeplane.observe`` compiles it."""

    metric_prefix: Name = Field(default="tradeplane", description="prefix of recording rules and cloud resources")
    required_labels: tuple[LabelName, ...] = ("desk", "team", "env")
    cardinality_limit: int = Field(default=10_000, ge=1, description="series per metric unless the metric says")
    scrape_interval_seconds: int = Field(default=15, ge=1, le=60)
    pending_seconds: int = Field(default=120, ge=0, le=3600, description="how long a burn must last before it fires")
    group_wait_seconds: int = Field(default=30, ge=0, le=600, description="Alertmanager group_wait")
    services: tuple[MetricService, ...] = ()
    routes: tuple[AlertRoute, ...] = ()
    builtin: BuiltinSlos = Field(default_factory=BuiltinSlos)
    slos: tuple[Slo, ...] = ()


class Intent(Frozen):
    """A network property the estate promises; ``tradeplane net verify`` proves or refutes it."""

    name: Name
    kind: Literal["isolated", "reachable", "unreachable", "survives_single_failure"]
    src: str = Field(description="a desk, workload, subnet, site, venue, 'internet' or a CIDR")
    dst: str
    protocol: Protocol = Protocol.TCP
    ports: tuple[PortRange, ...] = ()
    reason: str = Field(min_length=1)


# --------------------------------------------------------------------------- on-call and escalation


def _check_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/London") from None
    return name


class QuietHours(Frozen):
    """A span of a contact's local night, in the contact's own time zone (``end`` at or before
    ``start`` is on the next day). While the desk's venues are closed a contact in quiet hours
    is paged only for critical incidents; the rotation's next awake member is paged instead."""

    start: ClockTime
    end: ClockTime


class Contact(Frozen):
    """A person who can be paged."""

    name: Name
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="where e-mail pages go")
    timezone: str = Field(description="IANA time zone the person lives in, e.g. Asia/Singapore")
    quiet_hours: QuietHours | None = Field(default=None, description="local night; see QuietHours")
    webhook: str | None = Field(default=None, pattern=r"^https?://",
                                description="a personal chat webhook (Slack-compatible); the team's otherwise")

    @model_validator(mode="after")
    def _zone(self) -> Contact:
        _check_zone(self.timezone)
        return self


class Rotation(Frozen):
    """A team's on-call rotation: ``members`` take ``shift_hours`` turns from ``start``."""

    team: Name = Field(description="a team of one of the estate's desks")
    members: tuple[Name, ...] = Field(min_length=1, description="contacts, in rotation order")
    start: str = Field(description="when the first member's first shift begins, ISO 8601 with offset")
    shift_hours: int = Field(default=168, ge=1, le=24 * 28)
    webhook: str | None = Field(default=None, pattern=r"^https?://",
                                description="the team's chat webhook (Slack-compatible)")

    @model_validator(mode="after")
    def _start(self) -> Rotation:
        from datetime import datetime

        try:
            when = datetime.fromisoformat(self.start)
        except ValueError:
            raise ValueError(f"start {self.start!r} is not an ISO 8601 date-time") from None
        if when.tzinfo is None:
            raise ValueError(f"start {self.start!r} needs a UTC offset, e.g. 2026-01-05T09:00:00+00:00")
        return self


class EscalationLevel(Frozen):
    """One level of a desk's escalation: who is paged, how, and how long they have to acknowledge.

    Targets: ``oncall:TEAM`` (the rotation's current on-call), ``team:TEAM`` (every member),
    ``contact:NAME``. ``when`` restricts the level to the times the desk's venues are open or
    closed (market hours from the estate's venues)."""

    notify: tuple[str, ...] = Field(min_length=1, description="oncall:TEAM, team:TEAM or contact:NAME")
    timeout_minutes: int = Field(default=15, ge=1, le=24 * 60,
                                 description="minutes to acknowledge before the next level is paged")
    closed_timeout_minutes: int | None = Field(
        default=None, ge=1, le=24 * 60, description="the timeout while the desk's venues are closed"
    )
    when: Literal["always", "market_open", "market_closed"] = "always"
    channels: tuple[Literal["webhook", "email"], ...] = ("webhook", "email")

    @model_validator(mode="after")
    def _targets(self) -> EscalationLevel:
        for t in self.notify:
            kind, sep, name = t.partition(":")
            if not sep or kind not in ("oncall", "team", "contact") or not name:
                raise ValueError(f"target {t!r} must be oncall:TEAM, team:TEAM or contact:NAME")
        return self


class EscalationPolicy(Frozen):
    desk: Name
    levels: tuple[EscalationLevel, ...] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10, description="times to run the levels again when nobody acks")


class Oncall(Frozen):
    """Who is paged for what: contacts, team rotations and one escalation policy per desk."""

    contacts: tuple[Contact, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    policies: tuple[EscalationPolicy, ...] = ()
    infrastructure_desk: Name | None = Field(
        default=None,
        description="the desk owning links and networks no desk owns, and seeing every desk's incidents",
    )
# --------------------------------------------------------------------------- colocation and migration


class ColoRole(StrEnum):
    """What a colocation workload does; the runbooks and windows read it."""

    MARKET_DATA = "market-data"
    STRATEGY = "strategy"
    ORDER_GATEWAY = "order-gateway"
    RISK = "risk"
    DROP_COPY = "drop-copy"
    CLOCK = "clock"
    MONITORING = "monitoring"


class ColoHost(Frozen):
    """One server in a colocation rack."""

    name: Name
    address: IPv4Address = Field(description="its address on the colocation network (inside the site's cidrs)")
    model: str = Field(default="", description="hardware model, for the inventory")
    cores: int = Field(default=0, ge=0)


class Rack(Frozen):
    """A rack (or half-rack) at the colocation site; released once its last workload has moved."""

    name: Name
    cage: str = ""
    monthly_usd: float = Field(default=0.0, ge=0, description="rent, power and cross-connects, USD a month")
    hosts: tuple[ColoHost, ...] = Field(min_length=1)


class DataFlow(Frozen):
    """Data a colocation workload sends to another workload or a venue (market data, drop copies, orders)."""

    to: Name = Field(description="a colocation workload, an estate workload or a venue")
    protocol: Protocol = Protocol.TCP
    ports: tuple[PortRange, ...] = Field(default=(), description="empty means all ports")
    mbps: float = Field(default=0.0, ge=0, description="peak rate in megabits per second")
    description: str = ""


class MigrationTarget(Frozen):
    """Where a colocation workload runs in GCP once moved: network, subnet, zone, machine, placement."""

    network: Name = Field(description="a GCP network of the estate")
    subnet: Name
    zone: str | None = Field(default=None, description="pin to this zone; the solver chooses in the subnet's region "
                                                       "when omitted")
    machine_type: str
    count: int = Field(default=1, ge=1, le=10_000)
    kind: Literal["vm", "sole_tenant"] = "vm"
    placement: Placement = Field(default_factory=Placement)
    tags: tuple[str, ...] = Field(default=(), description="GCP network tags used by firewall rules")
    service_account: str | None = None


class ColoWorkload(Frozen):
    """A workload running on hosts at the colocation site, and where it goes in GCP.

    ``depends_on`` and ``latency_budgets`` use the estate's own classes; their names may be other
    colocation workloads or estate workloads. A workload without ``target`` stays in the colocation
    (``stays`` says why): the migration plan reports it as a finding.
    """

    name: Name
    role: ColoRole
    desk: Name
    team: Name
    env: Literal["prod", "staging", "dev"] = "prod"
    hosts: tuple[Name, ...] = Field(min_length=1, description="the colocation hosts it runs on")
    listens_on: tuple[PortRange, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    flows: tuple[DataFlow, ...] = ()
    latency_budgets: tuple[LatencyBudget, ...] = ()
    venues: tuple[Name, ...] = ()
    cutover_minutes: int = Field(default=20, ge=1, le=2880, description="time to switch it over, minutes")
    target: MigrationTarget | None = None
    stays: str = Field(default="", description="why it has no GCP target")


class MoveGroup(Frozen):
    """Colocation workloads that must move in the same wave."""

    name: Name
    workloads: tuple[Name, ...] = Field(min_length=2)
    reason: str = Field(min_length=1)


class CutoverCriteria(Frozen):
    """What a parallel-run comparison (``tradeplane migrate compare``) must show before a cutover."""

    max_missing: int = Field(default=0, ge=0, description="events on the colo side absent from the GCP side")
    max_extra: int = Field(default=0, ge=0, description="events on the GCP side absent from the colo side")
    max_duplicated: int = Field(default=0, ge=0)
    max_reordered: int = Field(default=0, ge=0)
    max_differing: int = Field(default=0, ge=0, description="same sequence number, different content")
    max_p99_us: float = Field(default=1000.0, gt=0, description="p99 of GCP-minus-colo latency, microseconds")
    max_us: float | None = Field(default=None, gt=0, description="worst GCP-minus-colo latency, microseconds")


class Migration(Frozen):
    """How the colocation moves: the venue whose hours give the windows, constraints and criteria."""

    venue: Name = Field(description="the venue whose trading hours decide the cutover windows (read from its hours)")
    windows: tuple[Literal["weekend", "daily-halt"], ...] = Field(
        default=("weekend", "daily-halt"), min_length=1,
        description="closed periods cutovers may use: the weekend close or the daily maintenance halt")
    start: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="first date (YYYY-MM-DD, venue's zone) a wave "
                                                                   "may be scheduled")
    soak_days: int = Field(default=1, ge=0, le=60, description="parallel-run days between two waves")
    rollback_minutes: int = Field(default=30, ge=1, le=1440, description="rollback time objective, minutes")
    max_wave_workloads: int = Field(default=8, ge=1, description="at most this many workloads in one wave")
    move_groups: tuple[MoveGroup, ...] = ()
    criteria: CutoverCriteria = Field(default_factory=CutoverCriteria)

    @model_validator(mode="after")
    def _start_is_a_date(self) -> Migration:
        from datetime import date

        try:
            date.fromisoformat(self.start)
        except ValueError:
            raise ValueError(f"start {self.start!r} is not a date YYYY-MM-DD") from None
        return self


class Colocation(Frozen):
    """The colocation inventory: racks, hosts and workloads at one site, and the plan to move them."""

    site: Name = Field(description="the estate site (kind colocation) these racks are in")
    racks: tuple[Rack, ...] = ()
    workloads: tuple[ColoWorkload, ...] = ()
    migration: Migration | None = None

    def workload(self, name: str) -> ColoWorkload:
        return _named(self.workloads, name)

    def hosts(self) -> dict[str, tuple[Rack, ColoHost]]:
        """Every host by name, with its rack."""
        return {h.name: (r, h) for r in self.racks for h in r.hosts}


# --------------------------------------------------------------------------- the estate


class Estate(Frozen):
    """The whole estate. Build it with ``tradeplane.estate.load``; never mutate it."""

    name: Name
    description: str = ""
    organisation: Organisation = Field(default_factory=Organisation)
    sites: tuple[Site, ...] = ()
    networks: tuple[Network, ...] = ()
    firewall_policies: tuple[FirewallPolicy, ...] = ()
    links: tuple[Link, ...] = ()
    desks: tuple[Desk, ...] = ()
    workloads: tuple[Workload, ...] = ()
    venues: tuple[Venue, ...] = ()
    guardrails: tuple[Guardrail, ...] = ()
    budgets: tuple[Budget, ...] = ()
    tags: TagSchema = Field(default_factory=TagSchema)
    observability: ObservabilityStandards = Field(default_factory=ObservabilityStandards)
    intents: tuple[Intent, ...] = ()
    security: SecurityPolicy = Field(default_factory=SecurityPolicy)
    oncall: Oncall = Field(default_factory=Oncall)
    audit: AuditLogging = Field(default_factory=AuditLogging)
    colocation: Colocation | None = Field(default=None, description="the colocation inventory and its migration")
    cost_allocation: CostAllocation | None = Field(
        default=None, description="shared costs and how they split across desks (else finops' generic rules)")

    _sources: dict[tuple[int, str], Location] = PrivateAttr(default_factory=dict)
    _paths: dict[int, str] = PrivateAttr(default_factory=dict)
    # Name lookups (``network``, ``workload`` ...) by kind: (the tuple indexed, name -> first item so
    # named). Kept with the tuple it was built from, so a ``model_copy`` that replaces the tuple
    # (and shares this dict) rebuilds the index instead of answering from the old one.
    _names: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = PrivateAttr(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        # Where an object was written is not part of what it is.
        return isinstance(other, Estate) and self.__dict__ == other.__dict__

    def where(self, obj: object, field: str = "") -> Location | None:
        """The file:line an object of this estate (or one of its fields) was written at.

        ``None`` for estates built in code or imported from cloud exports.
        """
        return self._sources.get((id(obj), field)) or self._sources.get((id(obj), ""))

    def path_of(self, obj: object) -> str:
        """The field path of an object of this estate, e.g. ``networks[2].subnets[0]``."""
        return self._paths.get(id(obj), "")

    def source_maps(self) -> tuple[dict[tuple[int, str], Location], dict[int, str]]:
        """The loader's two maps, ``(id(obj), field) -> Location`` and ``id(obj) -> path``, for callers that
        look up many objects (``where`` and ``path_of`` go through pydantic's private-attribute access
        on every call, which dominated compiling 200,000 firewall rules)."""
        return self._sources, self._paths

    def attach_sources(self, sources: dict[tuple[int, str], Location], paths: dict[int, str]) -> None:
        """Called once by the loader; the maps are keyed by object identity, so they stay valid."""
        self._sources = sources
        self._paths = paths

    # Lookups every consumer needs; cheap because the estate is small and immutable.

    @property
    def aws_vpcs(self) -> tuple[AwsVpc, ...]:
        return tuple(n for n in self.networks if isinstance(n, AwsVpc))

    @property
    def gcp_vpcs(self) -> tuple[GcpVpc, ...]:
        return tuple(n for n in self.networks if isinstance(n, GcpVpc))

    def _by_name(self, kind: str, items: tuple[N, ...], name: str) -> N:
        """The first of ``items`` called ``name`` (``KeyError`` if none is), through an index built
        once per tuple: a scan per lookup made every per-workload lookup of a large estate
        quadratic (20,000 workloads each looking up its network among 1,000)."""
        cached = self._names.get(kind)
        if cached is None or cached[0] is not items:
            index: dict[str, Any] = {}
            for item in items:
                index.setdefault(getattr(item, "name", None), item)  # type: ignore[arg-type]
            cached = self._names[kind] = (items, index)
        try:
            found: N = cached[1][name]
        except KeyError:
            raise KeyError(name) from None
        return found

    def network(self, name: str) -> AwsVpc | GcpVpc:
        return self._by_name("networks", self.networks, name)

    def desk(self, name: str) -> Desk:
        return self._by_name("desks", self.desks, name)

    def workload(self, name: str) -> Workload:
        return self._by_name("workloads", self.workloads, name)

    def venue(self, name: str) -> Venue:
        return self._by_name("venues", self.venues, name)

    def api_keys_of(self, workload: Workload) -> list[tuple[Venue, ApiKey]]:
        """The venue API keys a workload uses: those it names in ``api_keys``, or, naming none,
        every key of its venues. The one rule Terraform (who may read a secret) and the security
        check (who should) both follow."""
        return [(v, k) for v in sorted(self.venues, key=lambda v: v.name) if v.name in workload.venues
                for k in sorted(v.api_keys, key=lambda k: k.name) if k.name in workload.api_keys or not workload.api_keys]

    def key_users(self, venue: Venue, key: ApiKey) -> list[Workload]:
        """The workloads that use ``key`` of ``venue`` (sorted by name)."""
        return sorted((w for w in self.workloads if (venue, key) in self.api_keys_of(w)), key=lambda w: w.name)

    def site(self, name: str) -> Site:
        return self._by_name("sites", self.sites, name)

    def links_of(self, kind: type[L]) -> tuple[L, ...]:
        """Every link of one kind, e.g. ``estate.links_of(Interconnect)``."""
        return tuple(link for link in self.links if isinstance(link, kind))
