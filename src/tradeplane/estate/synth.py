"""Synthetic estates of any size, for benchmarks and scale tests: the one module both import.

``synthetic(subnets)``: plain data for ``plan`` at any size (written to YAML and loaded);
``transit_mesh(desks, aws, gcp)``: the network engine's desk mesh, built in memory;
``placement_mix(base, n, ...)``: the placement solver's workload mix on a reference estate.
``render_mix(vpcs)``: the Terraform renderer's benchmark estate (plain data).

Produces plain data (what YAML files hold) so the same estate can be written
to files and loaded, or validated straight from memory. Deterministic: the
same size gives the same estate. Every estate it makes validates and plans
(``tests/estate/test_synth.py``), and gives every stage of ``plan`` real work:
peered AWS VPCs with routes over the peering, security groups and firewall rules,
one workload per subnet (some with latency budgets to a venue), venues and intents.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import yaml

from tradeplane.estate import catalog
from tradeplane.estate.model import (
    Action,
    AwsRoute,
    AwsRouteTable,
    AwsSubnet,
    AwsVpc,
    CloudRouter,
    CrossCloud,
    Desk,
    Direction,
    Estate,
    FirewallRule,
    GcpNextHop,
    GcpRoute,
    GcpSubnet,
    GcpVpc,
    Nacl,
    NaclRule,
    PortRange,
    Protocol,
    RouteTarget,
    SecurityGroup,
    SgPeer,
    SgRule,
    TgwAttachment,
    TgwRouteTable,
    TransitGateway,
    Workload,
)

_AWS_REGIONS = ("us-east-1", "us-east-2", "ap-northeast-1", "ap-southeast-1")
_GCP_REGIONS = ("us-central1", "us-east4", "us-south1", "asia-northeast1")
_VENUE_LOCATIONS = {"cme-globex": "cme-aurora", "binance": "apne1-az4"}
_VENUES = tuple(_VENUE_LOCATIONS)
# Machine types in turn over four families, so the demand per zone and family stays inside the
# placement capacity table's default allowance (1,536 vCPUs per AWS zone, 768 in apne1-az4, 2,400 per
# GCP zone) at 20,000 subnets: one family gave 2,500 workloads a region and an infeasible placement.
_AWS_TYPES = ("c6i.large", "m6i.large", "r6i.large", "c7i.large")
_GCP_TYPES = ("n2-standard-4", "n2d-standard-4", "e2-standard-4", "c3-standard-4")


def synthetic(subnets: int, *, subnets_per_network: int = 20, desks: int = 8) -> dict[str, Any]:
    """An estate with about ``subnets`` subnets split over AWS and GCP networks.

    Every network gets a block out of 10.0.0.0/8 (then 172.16/12) just big enough for its
    /24 subnets, every AWS VPC has a route table, a security group with a rule per
    subnet and one workload per subnet, so the object count grows with ``subnets``.
    """
    networks: list[dict[str, Any]] = []
    workloads: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    intents: list[dict[str, Any]] = []
    desk_names = [f"desk-{d}" for d in range(desks)]
    count = max(1, -(-subnets // subnets_per_network))
    prefix = 24 - max(0, (min(subnets_per_network, 256) - 1).bit_length())
    blocks = [*IPv4Network("10.0.0.0/8").subnets(new_prefix=prefix),
              *IPv4Network("172.16.0.0/12").subnets(new_prefix=prefix)]
    if count > len(blocks):
        raise ValueError(f"{subnets} subnets in networks of {subnets_per_network} do not fit private space")
    made = 0
    for n in range(count):
        block = blocks[n]
        per = min(subnets_per_network, subnets - made, 2 ** (24 - prefix))
        desk = desk_names[n % desks]
        name = f"net-{n}"
        nets24 = list(block.subnets(new_prefix=24))[:per]
        if n % 2 == 0:
            region = _AWS_REGIONS[(n // 2) % len(_AWS_REGIONS)]
            zones = [z.name for z in catalog.zones_of(region)]
            routes: list[dict[str, Any]] = []
            # AWS VPCs in pairs (net-0 with net-2, net-4 with net-6 ...), peered, routed both ways.
            partner = n + 2 if n % 4 == 0 else n - 2
            if 0 <= partner < count:
                pair = f"peer-{min(n, partner)}-{max(n, partner)}"
                routes.append({"destination": str(blocks[partner]), "target": "peering", "via": pair})
                if n < partner:
                    links.append({"kind": "vpc_peering", "name": pair, "a": name, "b": f"net-{partner}"})
            networks.append({
                "cloud": "aws", "name": name, "account": "acct", "region": region, "desk": desk,
                "cidrs": [str(block)],
                "route_tables": [{"name": "rt", "routes": routes}],
                "subnets": [{"name": f"s-{i}", "zone": zones[i % len(zones)], "cidr": str(c),
                             "route_table": "rt"} for i, c in enumerate(nets24)],
                "security_groups": [{"name": "sg", "description": "synthetic", "ingress": [
                    {"protocol": "tcp", "ports": [str(9000 + i)], "peers": [{"cidr": str(c)}],
                     "description": "synthetic"} for i, c in enumerate(nets24)]}],
            })
        else:
            region = _GCP_REGIONS[(n // 2) % len(_GCP_REGIONS)]
            networks.append({
                "cloud": "gcp", "name": name, "project": "proj", "desk": desk,
                "subnets": [{"name": f"s-{i}", "region": region, "cidr": str(c)} for i, c in enumerate(nets24)],
                "firewall_rules": [{"name": f"fw-{i}", "protocol": "tcp", "ports": [str(9000 + i)],
                                    "sources": [str(c)], "description": "synthetic"}
                                   for i, c in enumerate(nets24)],
            })
        for i in range(per):
            w: dict[str, Any] = {"name": f"w-{n}-{i}", "desk": desk, "team": "t", "network": name,
                                 "subnet": f"s-{i}", "machine_type": (_AWS_TYPES if n % 2 == 0 else _GCP_TYPES)[i % 4]}
            if i == 0:  # one trading workload per network: a (loose) latency budget to a venue
                w["latency_budgets"] = [{"to": _VENUES[n % len(_VENUES)], "rtt_us": 400_000}]
            workloads.append(w)
        if n % 2 == 1 and per > 0:  # GCP networks have no link: prove one unreachable from the previous
            intents.append({"name": f"isolated-{n}", "kind": "unreachable", "src": f"w-{n - 1}-0", "dst": name,
                            "protocol": "all", "reason": "no link between the clouds in a synthetic estate"})
        made += per
    return {
        "name": "synthetic",
        "organisation": {
            "aws": {"management_account_id": "100000000000",
                    "ous": [{"name": "ou", "accounts": [{"name": "acct", "account_id": "100000000001"}]}]},
            "gcp": {"org_id": "900000000001", "domain": "synthetic.example",
                    "billing_account": "0A0B0C-0D0E0F-101112", "folders": [{"name": "f"}],
                    "projects": [{"name": "proj", "project_id": "synthetic-proj", "folder": "f"}]},
        },
        "desks": [{"name": d, "owner": f"{d}@synthetic.example", "cost_centre": "CC", "teams": ["t"]}
                  for d in desk_names],
        "networks": networks,
        "links": links,
        "workloads": workloads,
        "venues": [{"name": v, "kind": "crypto" if v != "cme-globex" else "futures", "location": loc,
                    "connectivity": [{"kind": "internet"}]} for v, loc in _VENUE_LOCATIONS.items()],
        "intents": intents,
    }


def object_count(data: Any) -> int:
    """Mappings in the data: the estate objects a loader has to build."""
    if isinstance(data, dict):
        return 1 + sum(object_count(v) for v in data.values())
    if isinstance(data, list):
        return sum(object_count(v) for v in data)
    return 0


# ---------------------------------------------------------------------- the network engine's scale estate

TILES = (21, 22, 23, 24, 25, 26, 27, 28, 29, 29)  # ten subnets that exactly tile a /20


def _tiles(base: int) -> list[IPv4Network]:
    out, cur = [], base
    for plen in TILES:
        out.append(IPv4Network((cur, plen)))
        cur += 2 ** (32 - plen)
    return out


def _ports(rng: random.Random) -> tuple[PortRange, ...]:
    lo = rng.randrange(1024, 60000)
    return (PortRange.model_construct(start=lo, end=lo + rng.randrange(0, 50)),)


def transit_mesh(desks: int, aws_per_desk: int, gcp_per_desk: int, seed: int = 7) -> Estate:
    """The network engine's scale estate, built in memory (``model_construct``: 200,000 rules in seconds).

    ``desks`` desks, each with ``aws_per_desk`` AWS VPCs (10 subnets tiling a /20, a 20-rule NACL, 4
    security groups of 10 rules each) and ``gcp_per_desk`` GCP VPCs (10 subnets, 100 firewall rules)
    on one transit gateway (GCP over cross-cloud links), with one TGW route table per desk; each desk's
    attachments propagate to its own table and its neighbours', so desk k reaches desks k-1 and k+1 and
    nobody else (``tests/net/test_benchmark_estate.py`` proves it). One workload per subnet. Deterministic
    for a ``seed``."""
    rng = random.Random(seed)
    networks: list[AwsVpc | GcpVpc] = []
    workloads: list[Workload] = []
    links: list[CloudRouter | CrossCloud] = []
    attachments: list[TgwAttachment] = []
    base = int(IPv4Network("10.0.0.0/8").network_address)
    n = 0
    desk_names = [f"desk{k}" for k in range(desks)]
    for k, desk in enumerate(desk_names):
        table = f"rt-{desk}"
        neighbours = (f"rt-{desk_names[(k - 1) % desks]}", f"rt-{desk_names[(k + 1) % desks]}")
        block = IPv4Network((base + n * 4096, 20))
        for i in range(aws_per_desk):
            name = f"aws-{desk}-{i}"
            cidr = IPv4Network((base + n * 4096, 20))
            n += 1
            subs = _tiles(int(cidr.network_address))
            nacl = Nacl.model_construct(name="acl", ingress=(*tuple(NaclRule.model_construct(number=10 + j, action=Action.DENY if j % 5 == 0 else Action.ALLOW, protocol=Protocol.TCP, ports=_ports(rng)[0], cidr=IPv4Network((base + rng.randrange(0, 2 ** 22) * 4, 30))) for j in range(9)), NaclRule.model_construct(number=100, action=Action.ALLOW, protocol=Protocol.ALL, ports=None, cidr=IPv4Network("10.0.0.0/8"))),
                egress=(*tuple(NaclRule.model_construct(number=10 + j, action=Action.ALLOW, protocol=Protocol.TCP, ports=_ports(rng)[0], cidr=IPv4Network("192.168.0.0/16")) for j in range(9)), NaclRule.model_construct(number=100, action=Action.ALLOW, protocol=Protocol.ALL, ports=None, cidr=IPv4Network("0.0.0.0/0"))))
            sgs = tuple(SecurityGroup.model_construct(name=f"sg{g}", description="synthetic", ingress=(*tuple(SgRule.model_construct(protocol=Protocol.TCP, ports=_ports(rng), description="r", peers=(SgPeer.model_construct(cidr=IPv4Network((base + rng.randrange(0, 2 ** 16) * 256, 24)), security_group=None),)) for _ in range(9)), SgRule.model_construct(protocol=Protocol.TCP, ports=(PortRange.model_construct(start=7000, end=7010),), description="desk traffic", peers=(SgPeer.model_construct(cidr=IPv4Network("10.0.0.0/8"), security_group=None),))),
                egress=(*tuple(SgRule.model_construct(protocol=Protocol.TCP, ports=_ports(rng), description="r", peers=(SgPeer.model_construct(cidr=IPv4Network("172.16.0.0/12"), security_group=None),)) for _ in range(9)), SgRule.model_construct(protocol=Protocol.ALL, ports=(), description="any", peers=(SgPeer.model_construct(cidr=IPv4Network("10.0.0.0/8"), security_group=None),))))
                for g in range(4))
            networks.append(AwsVpc.model_construct(
                cloud="aws", name=name, account="acct", region="us-east-1", cidrs=(cidr,), desk=desk,
                internet_gateway=False, nat_gateways=(), flow_logs=True,
                route_tables=(AwsRouteTable.model_construct(name="rt", routes=(AwsRoute.model_construct(
                    destination=IPv4Network("0.0.0.0/0"), target=RouteTarget.TGW, via="tgw"),)),),
                subnets=tuple(AwsSubnet.model_construct(name=f"s{j}", zone="use1-az4", cidr=s, route_table="rt",
                                                        tier="private", nacl="acl") for j, s in enumerate(subs)),
                security_groups=sgs, nacls=(nacl,)))
            attachments.append(TgwAttachment.model_construct(name=f"att-{name}", kind="vpc", target=name,
                                                             subnets=("s9",), route_table=table,
                                                             propagate_to=(table, *neighbours)))
            for j in range(len(subs)):  # one workload per subnet, all with the VPC's two groups
                workloads.append(Workload.model_construct(
                    name=f"w-{name}-{j}", desk=desk, team="t", network=name, subnet=f"s{j}", machine_type="m",
                    count=1, security_groups=("sg0", "sg2"), tags=(), service_account=None,
                    depends_on=(), venues=()))
        for i in range(gcp_per_desk):
            name = f"gcp-{desk}-{i}"
            cidr = IPv4Network((base + n * 4096, 20))
            n += 1
            subs = _tiles(int(cidr.network_address))
            rules = (*tuple(FirewallRule.model_construct(name=f"f{r}", direction=Direction.INGRESS, action=Action.DENY if r % 7 == 0 else Action.ALLOW, priority=rng.choice((100, 500, 1000)), protocol=Protocol.TCP, ports=_ports(rng), sources=(IPv4Network((base + rng.randrange(0, 2 ** 16) * 256, 24)),), source_tags=(), destinations=(), target_tags=("t1",) if r % 2 else (), target_service_accounts=(), description="r", log=False) for r in range(99)), FirewallRule.model_construct(name="desk", direction=Direction.INGRESS, action=Action.ALLOW, priority=2000, protocol=Protocol.TCP, ports=(PortRange.model_construct(start=7000, end=7010),), sources=(IPv4Network("10.0.0.0/8"),), source_tags=(), destinations=(), target_tags=(), target_service_accounts=(), description="desk", log=False))
            networks.append(GcpVpc.model_construct(
                cloud="gcp", name=name, project="proj", routing_mode="GLOBAL", desk=desk, mtu=1460,
                subnets=tuple(GcpSubnet.model_construct(name=f"s{j}", region="us-central1", cidr=s, secondary_ranges={},
                                                        private_google_access=True, flow_logs=True, tier="private")
                              for j, s in enumerate(subs)),
                routes=(GcpRoute.model_construct(name="default", destination=IPv4Network("0.0.0.0/0"),
                                                 next_hop=GcpNextHop.INTERNET, via=None, priority=1000, tags=()),),
                firewall_rules=rules, cloud_nat_regions=(), shared_vpc_service_projects=()))
            links.append(CloudRouter.model_construct(kind="cloud_router", name=f"cr-{name}", network=name,
                                                     region="us-central1", asn=64512, advertised_prefixes=()))
            links.append(CrossCloud.model_construct(kind="cross_cloud", name=f"xc-{name}", gcp_network=name,
                                                    gcp_router=f"cr-{name}", aws_transit_gateway="tgw", metro="iad",
                                                    bandwidth_gbps=10, redundant=True))
            attachments.append(TgwAttachment.model_construct(name=f"att-xc-{name}", kind="cross_cloud",
                                                             target=f"xc-{name}", subnets=(), route_table=table,
                                                             propagate_to=(table, *neighbours)))
            for j in range(len(subs)):
                workloads.append(Workload.model_construct(
                    name=f"w-{name}-{j}", desk=desk, team="t", network=name, subnet=f"s{j}", machine_type="m",
                    count=1, security_groups=(), tags=("t1",) if i % 2 else (), service_account=None, depends_on=(),
                    venues=()))
        del block
    tgw = TransitGateway.model_construct(kind="transit_gateway", name="tgw", account="acct", region="us-east-1",
                                         asn=64512, attachments=tuple(attachments),
                                         route_tables=tuple(TgwRouteTable.model_construct(name=f"rt-{d}", routes=())
                                                            for d in desk_names))
    return Estate.model_construct(
        name="synthetic", networks=tuple(networks), links=(tgw, *links),
        desks=tuple(Desk.model_construct(name=d, owner="o", cost_centre="c", teams=("t",), may_talk_to=(),
                                         shared_services=(), isolated=False) for d in desk_names),
        workloads=tuple(workloads), sites=(), venues=(), intents=(), firewall_policies=())


def mesh_count(e: Estate) -> tuple[int, int, int]:
    """(VPCs, subnets, filter rules: NACL entries, security-group peers, GCP firewall rules) of an estate."""
    subnets = sum(len(n.subnets) for n in e.networks)
    rules = 0
    for n in e.networks:
        if isinstance(n, AwsVpc):
            rules += sum(len(a.ingress) + len(a.egress) for a in n.nacls)
            rules += sum(len(r.peers) for g in n.security_groups for r in (*g.ingress, *g.egress))
        else:
            rules += len(n.firewall_rules)
    return len(e.networks), subnets, rules


# ---------------------------------------------------------------------- the placement solver's mix

PLACEMENT_AWS_TYPES = ("c6in.2xlarge", "c6in.4xlarge", "c6i.4xlarge", "c7i.2xlarge", "m6i.2xlarge", "m7i.4xlarge",
                       "r6i.2xlarge", "c5n.4xlarge")
# Latency-sensitive GCP shapes (compute-optimised, highcpu) and cost-flexible ones (memory-heavy).
PLACEMENT_GCP_LATENCY_TYPES = ("c2-standard-8", "c2-standard-16", "c2d-highcpu-8", "c2d-highcpu-16", "n2-highcpu-8",
                               "n2-highcpu-16", "n2d-highcpu-16", "c3-highcpu-8", "n2-standard-8")
PLACEMENT_GCP_FLEX_TYPES = ("n2-highmem-8", "n2-highmem-16", "n2d-highmem-16", "c2d-highmem-8", "e2-highmem-8",
                            "c3-highmem-8", "n2-standard-16", "n2d-standard-16", "e2-standard-8")
PLACEMENT_VENUES = ("cme-globex", "binance", "coinbase", "bybit", "deribit", "kraken", "okx")
_VENUE_WEIGHTS = (4, 1, 3, 1, 1, 1, 1)  # a US-heavy firm: most latency budgets are to CME and Coinbase
_DESKS = (("futures", "fut-exec"), ("equities", "eq-exec"), ("research", "research"), ("platform", "sre"))
PAIR_RTT_US = 3_000.0  # budgets between pairs of cost-flexible workloads: within one region


def placement_networks() -> tuple[AwsVpc | GcpVpc, ...]:
    """One AWS VPC per catalog AWS region (a subnet in every zone) and one global GCP VPC (a subnet
    in every catalog GCP region), all ``trading`` tier."""
    nets: list[AwsVpc | GcpVpc] = []
    aws_regions = sorted(r for r, p in catalog.REGIONS.items() if p.cloud == "aws")
    for i, region in enumerate(aws_regions):
        zones = [z.name for z in catalog.zones_of(region)]
        nets.append(AwsVpc.model_validate({
            "cloud": "aws", "name": f"bench-{region}", "account": "aws-research", "region": region,
            "cidrs": [f"10.{200 + i}.0.0/16"], "route_tables": [{"name": "rt"}],
            "subnets": [{"name": f"s-{z}", "zone": z, "cidr": f"10.{200 + i}.{k}.0/24", "route_table": "rt",
                         "tier": "trading"} for k, z in enumerate(zones)]}))
    gcp_regions = sorted(r for r, p in catalog.REGIONS.items() if p.cloud == "gcp")
    nets.append(GcpVpc.model_validate({
        "cloud": "gcp", "name": "bench-gcp", "project": "gcp-net-host",
        "subnets": [{"name": f"s-{r}", "region": r, "cidr": f"10.190.{k}.0/24", "tier": "trading"}
                    for k, r in enumerate(gcp_regions)]}))
    return tuple(nets)


def _zones_of(nets: tuple[AwsVpc | GcpVpc, ...], network: str) -> list[str]:
    net = next(x for x in nets if x.name == network)
    if isinstance(net, AwsVpc):
        return [s.zone for s in net.subnets]
    return [z.name for s in net.subnets for z in catalog.zones_of(s.region)]


Rtt = Callable[[str, str], float]
"""Round trip in microseconds from a zone to a venue along the estate's declared path."""
Offers = Callable[[str, str], bool]
"""Whether a zone offers a machine family."""
Family = Callable[[str], str]
"""The machine family of a machine type (``c6in.2xlarge`` -> ``c6in``)."""


def _region_budget(rng: random.Random, rtt: Rtt, offers: Offers, zones: list[str], venue: str, family: str) -> float:
    """A venue budget that admits the nearest region offering ``family`` only, or the nearest two or
    three: the round trip (along the estate's declared path) from the k-th nearest region's best zone,
    plus 2 %."""
    best: dict[str, float] = {}
    for z in zones:
        if offers(z, family):
            r = catalog.region_of(z)
            best[r] = min(best.get(r, math.inf), rtt(z, venue))
    ranked = sorted(best.values())
    k = rng.choices((0, 1, 2), (0.4, 0.35, 0.25))[0]
    return float(math.ceil(ranked[min(k, len(ranked) - 1)] * 1.02))


def _near_budget(rng: random.Random, rtt: Rtt, offers: Offers, zones: list[str], venue: str, family: str) -> float:
    """A budget between the best the zones can do and half as much again."""
    best = min(rtt(z, venue) for z in zones if offers(z, family))
    return float(math.ceil(best * rng.uniform(1.05, 1.5)))


def placement_mix(base: Estate, n: int, *, rtt: Rtt, offers: Offers, family: Family, seed: int = 7,
                  pairs: bool = True) -> Estate:
    """The placement solver's benchmark estate: ``base`` (the reference estate: its organisation, desks
    and venues) with ``placement_networks()`` and ``n`` workloads drawn with ``seed``, a trading firm's
    mix (``benchmarks/placement.py`` describes it). Budgets are drawn from ``rtt`` (zone, venue ->
    microseconds), ``offers`` (zone, family) and ``family`` (machine type -> family), the placement
    package's latency model and capacity table, handed in because the estate imports no analysis.
    Without ``pairs``, the same draw minus the budgets between pairs of cost-flexible workloads."""
    rng = random.Random(seed)
    nets = placement_networks()
    aws_nets = [x for x in nets if isinstance(x, AwsVpc)]
    gcp_regions = sorted(r for r, p in catalog.REGIONS.items() if p.cloud == "gcp")
    gcp_zones = _zones_of(nets, "bench-gcp")
    workloads: list[dict[str, object]] = []
    names = [f"w{i:04d}" for i in range(n)]
    i = 0
    group_no = 0

    def venue() -> str:
        return rng.choices(PLACEMENT_VENUES, _VENUE_WEIGHTS)[0]

    while i < n:
        desk, team = rng.choice(_DESKS)
        roll = rng.random()
        size = 1
        placement: dict[str, object] = {}
        budgets: list[dict[str, object]] = []
        common: dict[str, object] = {"desk": desk, "team": team}
        if rng.random() < 0.6:
            network, subnet = "bench-gcp", f"s-{rng.choice(gcp_regions)}"
            common |= {"network": network, "subnet": subnet}
            if roll < 0.12:  # a research cluster: a compact policy or a sole-tenant node group
                size = min(n - i, rng.randint(2, 5))
                group_no += 1
                if rng.random() < 0.8:
                    placement = {"strategy": "compact", "group": f"g{group_no}"}
                    mtype = rng.choice(("c2-standard-8", "c2-standard-16", "n2-standard-8", "n2d-standard-16"))
                else:
                    placement = {"strategy": "sole_tenant", "group": f"g{group_no}"}
                    mtype = "n2-standard-16"
                if rng.random() < 0.35:
                    v = venue()
                    budgets.append({"to": v, "rtt_us": _region_budget(rng, rtt, offers, gcp_zones, v, family(mtype))})
            elif roll < 0.52:  # latency-constrained: a budget to one venue, maybe A/B legs
                mtype = rng.choice(PLACEMENT_GCP_LATENCY_TYPES)
                v = venue()
                budgets.append({"to": v, "rtt_us": _region_budget(rng, rtt, offers, gcp_zones, v, family(mtype))})
                if rng.random() < 0.33 and n - i >= 2:
                    size = 2
            else:  # cost-flexible
                mtype = rng.choice(PLACEMENT_GCP_FLEX_TYPES)
        else:
            vpc = rng.choice(aws_nets)
            network, subnet = vpc.name, rng.choice(vpc.subnets).name
            common |= {"network": network, "subnet": subnet}
            mtype = rng.choice(PLACEMENT_AWS_TYPES)
            if roll < 0.15:  # a cluster placement group of 2-5 workloads
                size = min(n - i, rng.randint(2, 5))
                group_no += 1
                placement = {"strategy": "cluster", "group": f"g{group_no}"}
            elif roll < 0.20:
                size = min(n - i, rng.randint(2, 3))
                group_no += 1
                placement = {"strategy": "spread", "group": f"g{group_no}"}
            if rng.random() < 0.35:
                v = venue()
                budgets.append({"to": v, "rtt_us": _near_budget(rng, rtt, offers, _zones_of(nets, network), v,
                                                                 family(mtype))})
        sole = placement.get("strategy") == "sole_tenant"
        legs = size == 2 and not placement
        for k in range(size):
            name = names[i + k]
            mine: list[dict[str, object]] = [dict(b) for b in budgets] if k == 0 or legs else []
            if k > 0 and placement.get("strategy") in ("cluster", "compact") and rng.random() < 0.5:
                mine.append({"to": names[i], "rtt_us": 100.0})
            pl = dict(placement)
            if legs:
                pl = {"anti_affinity": [names[i + 1 - k]]}
            w: dict[str, object] = {"name": name, **common, "machine_type": mtype,
                                    "count": 1 if sole else rng.randint(1, 4), "placement": pl,
                                    "latency_budgets": mine}
            if sole:
                w["kind"] = "sole_tenant"
            workloads.append(w)
        i += size
    # Budgets and anti-affinity between ungrouped, unbudgeted workloads of one network.
    by_net: dict[str, list[dict[str, object]]] = {}
    for w in workloads:
        if not w["placement"] and not w["latency_budgets"]:
            by_net.setdefault(str(w["network"]), []).append(w)
    for members in by_net.values():
        rng.shuffle(members)
        for a, b in zip(members[0::2], members[1::2], strict=False):
            r = rng.random()
            if r < 0.2:
                a["placement"] = {"anti_affinity": [b["name"]]}
            elif r < 0.35 and pairs:
                a["latency_budgets"] = [*a["latency_budgets"], {"to": b["name"], "rtt_us": PAIR_RTT_US}]  # type: ignore[misc]
    wl = tuple(Workload.model_validate(w) for w in workloads)
    return base.model_copy(update={"networks": nets, "workloads": wl, "guardrails": (), "name": f"bench-{n}"})


_RENDER_REGIONS = ("us-east-1", "ap-northeast-1", "us-east-2")


def render_mix(vpcs: int) -> dict[str, Any]:
    """The Terraform renderer's benchmark estate (``benchmarks/terraform_render.py``), as YAML-ready
    data: ``vpcs`` AWS VPCs in three regions, each with six subnets, two route tables, four security
    groups, a NACL and a workload of two clustered instances (about 70 resources per VPC)."""
    accounts = [{"name": f"acct-{i}", "account_id": f"{200000000000 + i}", "desk": "alpha"} for i in range(8)]
    networks: list[dict[str, Any]] = []
    workloads: list[dict[str, Any]] = []
    for i in range(vpcs):
        region = _RENDER_REGIONS[i % len(_RENDER_REGIONS)]
        zones = sorted(z.name for z in catalog.zones_of(region))
        a, b = divmod(i, 250)
        subnets = [{"name": f"s{j}", "zone": zones[j % len(zones)], "cidr": f"10.{a * 4 + j // 4}.{b}.{(j % 4) * 64}/26",
                    "route_table": f"rt{j % 2}", "tier": "trading", "nacl": "acl" if j < 2 else None}
                   for j in range(6)]
        for s in subnets:
            if s["nacl"] is None:
                del s["nacl"]
        sgs = [{"name": f"sg{k}", "description": f"tier {k}",
                "ingress": [{"protocol": "tcp", "ports": [f"{9000 + r}"],
                             "peers": [{"security_group": f"sg{(k + 1) % 4}"}, {"cidr": "10.0.0.0/8"}],
                             "description": f"service {r}"} for r in range(3)],
                "egress": [{"protocol": "tcp", "ports": ["443"], "peers": [{"cidr": "0.0.0.0/0"}],
                            "description": "tls out"}]} for k in range(4)]
        networks.append({
            "cloud": "aws", "name": f"vpc-{i}", "account": f"acct-{i % 8}", "region": region, "desk": "alpha",
            "cidrs": [f"10.{a * 4 + j}.{b}.0/24" for j in range(2)],
            "internet_gateway": True,
            "route_tables": [{"name": "rt0", "routes": [{"destination": "0.0.0.0/0", "target": "igw"}]},
                             {"name": "rt1", "routes": [{"destination": "0.0.0.0/0", "target": "igw"},
                                                        {"destination": "192.168.0.0/16", "target": "igw"}]}],
            "subnets": subnets, "security_groups": sgs,
            "nacls": [{"name": "acl", "ingress": [{"number": 100 + n, "action": "allow", "cidr": f"10.{n}.0.0/16"}
                                                  for n in range(3)],
                       "egress": [{"number": 100, "action": "allow", "cidr": "0.0.0.0/0"}]}],
        })
        workloads.append({"name": f"w-{i}", "desk": "alpha", "team": "alpha-exec", "network": f"vpc-{i}",
                          "subnet": "s0", "machine_type": "c6i.4xlarge", "count": 2, "security_groups": ["sg0"],
                          "placement": {"strategy": "cluster"}})
    return {"name": "synthetic", "organisation": {"aws": {"management_account_id": "100000000000",
                                                          "ous": [{"name": "trading", "accounts": accounts}]}},
            "desks": [{"name": "alpha", "owner": "a@example.test", "cost_centre": "CC-1", "teams": ["alpha-exec"]}],
            "networks": networks, "workloads": workloads}


def write_directory(data: dict[str, Any], root: Path, networks_per_file: int = 50) -> Path:
    """Write ``data`` (one of this module's plain estates) into ``root`` as a real estate directory
    reads: the networks in files of ``networks_per_file`` (``networks-0000.yaml``, ...), everything
    else in ``estate.yaml``. ``data`` is not changed. Returns ``root``."""
    nets = data.get("networks", [])
    for i in range(0, len(nets), networks_per_file):
        chunk = {"networks": nets[i:i + networks_per_file]}
        (root / f"networks-{i // networks_per_file:04d}.yaml").write_text(yaml.safe_dump(chunk, sort_keys=False))
    rest = {k: v for k, v in data.items() if k != "networks"}
    (root / "estate.yaml").write_text(yaml.safe_dump(rest, sort_keys=False))
    return root
