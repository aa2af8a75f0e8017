"""Random small networks for comparing the symbolic engine with the oracle."""

from __future__ import annotations

import random
from ipaddress import IPv4Network

from tradeplane.estate.model import (
    AwsRoute,
    AwsRouteTable,
    AwsSubnet,
    AwsVpc,
    CloudRouter,
    CrossCloud,
    Desk,
    DirectConnect,
    DxConnection,
    DxVirtualInterface,
    Estate,
    FirewallPolicy,
    FirewallRule,
    GcpRoute,
    GcpSubnet,
    GcpVpc,
    Interconnect,
    InterconnectAttachment,
    Nacl,
    NaclRule,
    NatGateway,
    PolicyRule,
    SecurityGroup,
    SgPeer,
    SgRule,
    Site,
    TgwAttachment,
    TgwRoute,
    TgwRouteTable,
    TransitGateway,
    VpcPeering,
    Workload,
)

POOL = ["0.0.0.0/0", "0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16", "10.1.1.0/24", "10.50.0.0/16",
        "10.50.1.0/24", "172.16.0.0/20", "172.20.0.0/16", "8.8.8.0/24", "10.0.0.0/16"]
PORTS = ["22", "443", "1024-65535", "9000-9010", "0-1023"]
PROTOS = ["tcp", "udp", "all", "icmp"]


def _cidr(rng: random.Random) -> IPv4Network:
    return IPv4Network(rng.choice(POOL))


def random_estate(seed: int) -> Estate:
    rng = random.Random(seed)
    n_vpcs = rng.randint(1, 3)
    vpcs: list[AwsVpc] = []
    workloads: list[Workload] = []
    use_tgw = rng.random() < 0.8
    peering = n_vpcs >= 2 and rng.random() < 0.5
    for i in range(n_vpcs):
        name = f"vpc{i}"
        igw = rng.random() < 0.5
        subnets = [AwsSubnet(name=f"s{j}", zone="use1-az4", cidr=IPv4Network(f"10.{i}.{j}.0/24"),
                             route_table=f"rt{rng.randint(0, 1)}", tier=rng.choice(["public", "private", "trading"]),
                             nacl=rng.choice([None, None, "acl"])) for j in range(2)]
        nat = rng.random() < 0.5
        tables = []
        for t in range(2):
            routes = []
            for _ in range(rng.randint(0, 3)):
                dest = _cidr(rng)
                targets = ["blackhole"]
                if use_tgw:
                    targets.append("tgw")
                if igw:
                    targets.append("igw")
                if nat:
                    targets.append("nat")
                if peering and i < 2:
                    targets.append("peering")
                tgt = rng.choice(targets)
                via = {"tgw": "tgw", "nat": "nat", "peering": "pcx"}.get(tgt)
                if any(r.destination == dest for r in routes):
                    continue
                routes.append(AwsRoute(destination=dest, target=tgt, via=via))  # type: ignore[arg-type]
            tables.append(AwsRouteTable(name=f"rt{t}", routes=tuple(routes)))
        acl = Nacl(name="acl",
                   ingress=tuple(NaclRule(number=k * 10 + 1, action=rng.choice(["allow", "deny"]),
                                          protocol=rng.choice(PROTOS), ports=rng.choice([None, *PORTS]),
                                          cidr=_cidr(rng)) for k in range(rng.randint(0, 3))),
                   egress=tuple(NaclRule(number=k * 10 + 1, action=rng.choice(["allow", "deny"]),
                                         protocol=rng.choice(PROTOS), ports=rng.choice([None, *PORTS]),
                                         cidr=_cidr(rng)) for k in range(rng.randint(0, 3))))

        def sg_rules(rng: random.Random = rng) -> tuple[SgRule, ...]:
            out = []
            if rng.random() < 0.5:
                out.append(SgRule(protocol="all", peers=(SgPeer(cidr=IPv4Network("0.0.0.0/0")),), description="any"))
            for _ in range(rng.randint(0, 2)):
                peer = SgPeer(security_group=rng.choice(["ga", "gb"])) if rng.random() < 0.3 else SgPeer(cidr=_cidr(rng))
                out.append(SgRule(protocol=rng.choice(PROTOS), ports=tuple(rng.sample(PORTS, rng.randint(0, 2))),
                                  peers=(peer,), description="r"))
            return tuple(out)

        sgs = (SecurityGroup(name="ga", description="a", ingress=sg_rules(), egress=sg_rules()),
               SecurityGroup(name="gb", description="b", ingress=sg_rules(), egress=sg_rules()))
        vpcs.append(AwsVpc(cloud="aws", name=name, account="acct", region="us-east-1",
                           cidrs=(IPv4Network(f"10.{i}.0.0/16"),), desk="d0", internet_gateway=igw,
                           nat_gateways=(NatGateway(name="nat", subnet="s0"),) if nat else (),
                           route_tables=tuple(tables), subnets=tuple(subnets), security_groups=sgs,
                           nacls=(acl,)))
        for j in range(2):
            workloads.append(Workload(name=f"w{i}-{j}", desk=f"d{rng.randint(0, 1)}", team="t", network=name,
                                      subnet=f"s{j}", machine_type="m",
                                      security_groups=tuple(rng.sample(["ga", "gb"], rng.randint(1, 2)))))
    # GCP
    gfw = []
    for k in range(rng.randint(0, 4)):
        direction = rng.choice(["ingress", "egress"])
        gfw.append(FirewallRule(name=f"f{k}", direction=direction, action=rng.choice(["allow", "deny"]),  # type: ignore[arg-type]
                                priority=rng.choice([100, 1000]), protocol=rng.choice(PROTOS),  # type: ignore[arg-type]
                                ports=tuple(rng.sample(PORTS, rng.randint(0, 1))),
                                sources=(_cidr(rng),) if direction == "ingress" else (),
                                source_tags=("a",) if direction == "ingress" and rng.random() < 0.3 else (),
                                destinations=(_cidr(rng),) if direction == "egress" else (),
                                target_tags=tuple(rng.sample(["a", "b"], rng.randint(0, 1))), description="f"))
    groutes = [GcpRoute(name="default", destination=IPv4Network("0.0.0.0/0"), next_hop="internet")] \
        if rng.random() < 0.6 else []  # type: ignore[arg-type]
    gvpc = GcpVpc(cloud="gcp", name="gvpc", project="proj", desk="d1",
                  subnets=(GcpSubnet(name="g0", region="us-central1", cidr=IPv4Network("10.50.0.0/24"),
                                     tier=rng.choice(["public", "private"])),
                           GcpSubnet(name="g1", region="us-south1", cidr=IPv4Network("10.50.1.0/24"))),
                  routes=tuple(groutes), firewall_rules=tuple(gfw),
                  cloud_nat_regions=("us-central1",) if rng.random() < 0.5 else (),
                  routing_mode=rng.choice(["GLOBAL", "REGIONAL"]))
    for j in range(2):
        workloads.append(Workload(name=f"g{j}", desk=f"d{rng.randint(0, 1)}", team="t", network="gvpc",
                                  subnet=f"g{j}", machine_type="m", tags=tuple(rng.sample(["a", "b"], rng.randint(0, 2)))))
    policies = []
    if rng.random() < 0.5:
        policies.append(FirewallPolicy(name="hp", kind="hierarchical", attached_to=("organization",), rules=tuple(
            PolicyRule(priority=p, action=rng.choice(["allow", "deny", "goto_next"]),  # type: ignore[arg-type]
                       direction=rng.choice(["ingress", "egress"]), protocol=rng.choice(PROTOS),  # type: ignore[arg-type]
                       sources=(_cidr(rng),), destinations=(), description="p")
            for p in range(rng.randint(1, 3)))))
    sites = [Site(name="colo", location="cme-aurora", cidrs=(IPv4Network("172.16.0.0/20"),)),
             Site(name="office", location="office-chicago", cidrs=(IPv4Network("172.20.0.0/16"),))]
    links: list[object] = [
        CloudRouter(kind="cloud_router", name="cr1", network="gvpc", region="us-central1", asn=64512),
        CloudRouter(kind="cloud_router", name="cr2", network="gvpc", region="us-south1", asn=64513),
        Interconnect(kind="interconnect", name="ic", network="gvpc", site="colo", attachments=(
            InterconnectAttachment(name="a1", metro="chi", edge_availability_domain=1, region="us-central1",
                                   router="cr1", vlan=10),
            InterconnectAttachment(name="a2", metro="dfw", edge_availability_domain=2, region="us-south1",
                                   router="cr2", vlan=11))),
    ]
    if use_tgw:
        attached = [v.name for v in vpcs if rng.random() < 0.8]
        kinds = [(f"att-{v}", "vpc", v) for v in attached]
        dx = rng.random() < 0.6
        xc = rng.random() < 0.6
        if dx:
            kinds.append(("att-dx", "direct_connect", "dx"))
            links.append(DirectConnect(kind="direct_connect", name="dx", account="acct", site="office",
                                       gateway_asn=64600,
                                       connections=(DxConnection(name="c1", location="office", device="d1"),),
                                       virtual_interfaces=(DxVirtualInterface(
                                           name="v1", connection="c1", vlan=5, customer_asn=65000,
                                           advertised_prefixes=(IPv4Network("172.20.0.0/16"),)),),
                                       allowed_prefixes=tuple({_cidr(rng) for _ in range(2)})))
        if xc:
            kinds.append(("att-xc", "cross_cloud", "xc"))
            links.append(CrossCloud(kind="cross_cloud", name="xc", gcp_network="gvpc", gcp_router="cr1",
                                    aws_transit_gateway="tgw", metro="iad", redundant=rng.random() < 0.5))
        tables = ["t0", "t1"]
        atts = tuple(TgwAttachment(name=n, kind=k, target=t, subnets=("s0",) if k == "vpc" else (),  # type: ignore[arg-type]
                                   route_table=rng.choice(tables),
                                   propagate_to=tuple(rng.sample(tables, rng.randint(0, 2))))
                     for n, k, t in kinds)
        names = [a.name for a in atts]
        rts = []
        for t in tables:
            statics = []
            for _ in range(rng.randint(0, 2)):
                dest = _cidr(rng)
                if any(s.destination == dest for s in statics):
                    continue
                if names and rng.random() < 0.7:
                    statics.append(TgwRoute(destination=dest, attachment=rng.choice(names)))
                else:
                    statics.append(TgwRoute(destination=dest, blackhole=True))
            rts.append(TgwRouteTable(name=t, routes=tuple(statics)))
        links.append(TransitGateway(kind="transit_gateway", name="tgw", account="acct", region="us-east-1",
                                    asn=64512, route_tables=tuple(rts), attachments=atts))
    if peering:
        links.append(VpcPeering(kind="vpc_peering", name="pcx", a="vpc0", b="vpc1"))
    desks = (Desk(name="d0", owner="o", cost_centre="c", teams=("t",)),
             Desk(name="d1", owner="o", cost_centre="c", teams=("t",)))
    return Estate(name="random", sites=tuple(sites), networks=(*vpcs, gvpc), firewall_policies=tuple(policies),
                  links=tuple(links), desks=desks, workloads=tuple(workloads))  # type: ignore[arg-type]
