"""The estate: one typed, immutable model of everything the firm runs.

Every other package reads this model and none writes back into it. Objects
refer to each other by name (a subnet's route table, a workload's desk, a
link's ends); ``tradeplane.estate.refs`` checks that every such name resolves.
Collections are tuples so a loaded estate cannot be changed by any consumer.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_serializer, model_validator

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
    "ApiKey",
    "Asn",
    "AwsAccount",
    "AwsOrganisation",
    "AwsOu",
    "AwsRoute",
    "AwsRouteTable",
    "AwsSubnet",
    "AwsVpc",
    "Budget",
    "Cidr",
    "ClockTime",
    "Cloud",
    "CloudRouter",
    "Connectivity",
    "Control",
    "CrossCloud",
    "DailyHalt",
    "Dependency",
    "Desk",
    "DirectConnect",
    "Direction",
    "DxConnection",
    "DxVirtualInterface",
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
    "MarketHours",
    "Nacl",
    "NaclRule",
    "Name",
    "NatGateway",
    "Network",
    "ObservabilityStandards",
    "Organisation",
    "Placement",
    "PlacementStrategy",
    "PolicyAction",
    "PolicyRule",
    "PortRange",
    "PrivateEndpoint",
    "Protocol",
    "RouteTarget",
    "SecurityGroup",
    "SgPeer",
    "SgRule",
    "Site",
    "Slo",
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
    """Base of every estate object: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


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
    management_account_id: str = Field(pattern=r"^\d{12}$")
    ous: tuple[AwsOu, ...] = ()


class GcpFolder(Frozen):
    name: Name
    parent: Name | None = Field(default=None, description="parent folder; the organisation when omitted")


class GcpProject(Frozen):
    name: Name
    project_id: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    folder: Name
    desk: Name | None = None
    env: Literal["prod", "staging", "dev", "shared"] = "prod"
    shared_vpc_host: bool = False
    shared_vpc_host_project: Name | None = Field(
        default=None, description="the Shared VPC host project this service project attaches to"
    )


class GcpOrganisation(Frozen):
    org_id: str = Field(pattern=r"^\d{6,20}$")
    domain: str
    billing_account: str = Field(pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
    folders: tuple[GcpFolder, ...] = ()
    projects: tuple[GcpProject, ...] = ()


class Organisation(Frozen):
    aws: AwsOrganisation | None = None
    gcp: GcpOrganisation | None = None


# --------------------------------------------------------------------------- sites


class Site(Frozen):
    """A place the firm has presence outside the clouds: a colocation cage, an office."""

    name: Name
    location: Name = Field(description="a site of the built-in catalog (e.g. cme-aurora, equinix-ny4)")
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


class AwsRoute(Frozen):
    destination: Cidr
    target: RouteTarget
    via: Name | None = Field(
        default=None, description="the NAT gateway, transit gateway, peering or endpoint named by target"
    )

    @model_validator(mode="after")
    def _via_needed(self) -> AwsRoute:
        needs = {RouteTarget.NAT, RouteTarget.TGW, RouteTarget.PEERING, RouteTarget.ENDPOINT}
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


class SgPeer(Frozen):
    """One side of a security-group rule: a CIDR or another security group (same VPC)."""

    cidr: Cidr | None = None
    security_group: Name | None = None

    @model_validator(mode="after")
    def _one(self) -> SgPeer:
        if (self.cidr is None) == (self.security_group is None):
            raise ValueError("give exactly one of 'cidr' or 'security_group'")
        return self


class SgRule(Frozen):
    protocol: Protocol = Protocol.TCP
    ports: tuple[PortRange, ...] = Field(default=(), description="empty means all ports")
    peers: tuple[SgPeer, ...] = Field(min_length=1)
    description: str = Field(min_length=1, description="why this rule exists; reviewers read it")


class SecurityGroup(Frozen):
    """Stateful, allow-only. Return traffic of an allowed flow is always allowed."""

    name: Name
    description: str = Field(min_length=1)
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = ()


class NaclRule(Frozen):
    number: int = Field(ge=1, le=32766)
    action: Action
    protocol: Protocol = Protocol.ALL
    ports: PortRange | None = None
    cidr: Cidr


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
    sources: tuple[Cidr, ...] = Field(default=(), description="ingress: source ranges")
    source_tags: tuple[str, ...] = ()
    destinations: tuple[Cidr, ...] = Field(default=(), description="egress: destination ranges")
    target_tags: tuple[str, ...] = ()
    target_service_accounts: tuple[str, ...] = ()
    description: str = Field(min_length=1)
    log: bool = True

    @model_validator(mode="after")
    def _ranges(self) -> FirewallRule:
        if self.direction is Direction.INGRESS and not (self.sources or self.source_tags):
            raise ValueError("an ingress rule needs 'sources' or 'source_tags'")
        if self.direction is Direction.EGRESS and not self.destinations:
            raise ValueError("an egress rule needs 'destinations'")
        return self


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
    shared_vpc_service_projects: tuple[Name, ...] = ()


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


class FirewallPolicy(Frozen):
    """A GCP network firewall policy (attached to VPCs) or hierarchical one (org/folders)."""

    name: Name
    kind: Literal["network", "hierarchical"]
    attached_to: tuple[str, ...] = Field(
        min_length=1,
        description="network: VPC names; hierarchical: folder names or 'organization'",
    )
    rules: tuple[PolicyRule, ...] = ()


# --------------------------------------------------------------------------- links


class VpcPeering(Frozen):
    kind: Literal["vpc_peering"]
    name: Name
    a: Name
    b: Name


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
    route_table: Name = Field(description="the route table this attachment is associated with")
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


Link = Annotated[
    VpcPeering
    | TransitGateway
    | TgwPeering
    | DirectConnect
    | Interconnect
    | CloudRouter
    | Vpn
    | CrossCloud
    | PrivateEndpoint,
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
    rtt_us: float = Field(gt=0, description="round-trip budget in microseconds")


class Dependency(Frozen):
    workload: Name
    protocol: Protocol = Protocol.TCP
    ports: tuple[PortRange, ...] = Field(min_length=1)


class Workload(Frozen):
    name: Name
    desk: Name
    team: Name
    env: Literal["prod", "staging", "dev"] = "prod"
    kind: Literal["vm", "gke_node_pool", "sole_tenant"] = "vm"
    network: Name
    subnet: Name
    machine_type: str
    count: int = Field(default=1, ge=1, le=10_000)
    placement: Placement = Field(default_factory=Placement)
    latency_budgets: tuple[LatencyBudget, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    listens_on: tuple[PortRange, ...] = ()
    security_groups: tuple[Name, ...] = Field(default=(), description="AWS: security groups of its VPC")
    tags: tuple[str, ...] = Field(default=(), description="GCP: network tags used by firewall rules")
    service_account: str | None = None
    venues: tuple[Name, ...] = Field(default=(), description="venues this workload trades on or reads")
    gke_cluster: Name | None = Field(default=None, description="gke_node_pool: the cluster it belongs to")
    hourly_usd: float | None = Field(default=None, ge=0, description="override the price table")


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
        default=(), description="dates YYYY-MM-DD on which no session opens (the exchange's holiday calendar)"
    )
    source: str = Field(default="", description="where these hours are published")

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
    monthly_usd: float = Field(gt=0)
    alert_at: tuple[float, ...] = Field(default=(0.5, 0.8, 1.0))
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$",
                          description="ISO 4217 code of monthly_usd (the monthly amount); only spend in it is compared")


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


class Slo(Frozen):
    name: Name
    description: str
    objective: float = Field(gt=0, lt=100, description="percent, e.g. 99.9")
    window_days: int = Field(default=28, ge=1, le=90)
    indicator: str = Field(description="the SLI, as the metric expression of the standards")


class ObservabilityStandards(Frozen):
    metric_prefix: Name = "tradeplane"
    required_labels: tuple[str, ...] = ("desk", "team", "env")
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

    _sources: dict[tuple[int, str], Location] = PrivateAttr(default_factory=dict)
    _paths: dict[int, str] = PrivateAttr(default_factory=dict)

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

    def network(self, name: str) -> AwsVpc | GcpVpc:
        return _named(self.networks, name)

    def desk(self, name: str) -> Desk:
        return _named(self.desks, name)

    def workload(self, name: str) -> Workload:
        return _named(self.workloads, name)

    def venue(self, name: str) -> Venue:
        return _named(self.venues, name)

    def site(self, name: str) -> Site:
        return _named(self.sites, name)

    def links_of(self, kind: type[L]) -> tuple[L, ...]:
        """Every link of one kind, e.g. ``estate.links_of(Interconnect)``."""
        return tuple(link for link in self.links if isinstance(link, kind))
