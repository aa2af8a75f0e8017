"""Network verification at scale: symbolic engine vs the brute-force oracle.

    uv run python benchmarks/net_verify.py            # 2,000 VPCs, 20,000 subnets, 200,000 rules
    uv run python benchmarks/net_verify.py --quick    # 100 VPCs, 1,000 subnets, 10,000 rules

The synthetic estate (generated in code): D desks; per desk AWS VPCs (10 subnets each,
a 20-rule NACL, 4 security groups of 20 rules) and GCP VPCs (10 subnets, 100 firewall
rules) on one transit gateway (GCP over cross-cloud links) with one route table per desk;
each desk's attachments propagate to its own table and its neighbours', so desk k reaches
desks k-1 and k+1 and nobody else. Prints build time, desk-matrix time, single-query time, peak
memory, and the speed-up of the symbolic matrix over the oracle on a network both finish.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from ipaddress import IPv4Network

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
from tradeplane.net import Dataplane, Simulator, matrix, reach
from tradeplane.net.matrix import segments
from tradeplane.net.space import Header, Space

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


def synthetic(desks: int, aws_per_desk: int, gcp_per_desk: int, seed: int = 7) -> Estate:
    """D desks x (AWS + GCP) VPCs; 10 subnets per VPC; 100 filter rules per VPC."""
    rng = random.Random(seed)
    networks: list[AwsVpc | GcpVpc] = []
    workloads: list[Workload] = []
    links: list[object] = []
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


def count(e: Estate) -> tuple[int, int, int]:
    subnets = sum(len(n.subnets) for n in e.networks)
    rules = 0
    for n in e.networks:
        if isinstance(n, AwsVpc):
            rules += sum(len(a.ingress) + len(a.egress) for a in n.nacls)
            rules += sum(len(r.peers) for g in n.security_groups for r in (*g.ingress, *g.egress))
        else:
            rules += len(n.firewall_rules)
    return len(e.networks), subnets, rules


def oracle_matrix(dp: Dataplane, ports: list[int]) -> tuple[dict[tuple[str, str, int], bool], int]:
    """Brute force: for each VPC's first workload to every other desk's, one concrete packet per TCP port."""
    sim = Simulator(dp)
    segs = {name: [ep for ep in eps if ep.key.endswith("-0")] for name, eps in segments(dp).items()}
    out: dict[tuple[str, str, int], bool] = {}
    packets = 0
    for a, eps in segs.items():
        if a == "internet":
            continue
        for src in eps:
            for b, targets in segs.items():
                if b in (a, "internet"):
                    continue
                for dst in targets:
                    for port in ports:
                        packets += 1
                        h = Header(src.addresses[0][0], dst.addresses[0][0], 6, 40000, port)
                        out[(src.key, dst.key, port)] = any(
                            o.disposition == "delivered" and o.endpoint == dst.key for o in sim.forward(src, h))
    return out, packets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    args = ap.parse_args()
    desks, aws, gcp = (5, 15, 5) if args.quick else (10, 150, 50)

    t0 = time.perf_counter()
    estate = synthetic(desks, aws, gcp)
    t_gen = time.perf_counter() - t0
    vpcs, subnets, rules = count(estate)
    print(f"synthetic estate: {vpcs:,} VPCs, {subnets:,} subnets, {rules:,} firewall rules, "
          f"{len(estate.workloads):,} workloads, {desks} desks (generated in {t_gen:.1f} s)")

    t0 = time.perf_counter()
    dp = Dataplane.build(estate)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    m = matrix(dp)
    t_matrix = time.perf_counter() - t0
    reachable = sorted((a, b) for (a, b), c in m.cells.items() if c.reachable)
    expected = sorted({(f"desk{k}", f"desk{(k + d) % desks}") for k in range(desks) for d in (1, -1)})
    ok = [x for x in reachable if "internet" not in x] == expected
    src, dst = estate.workloads[0].name, next(w.name for w in estate.workloads if w.desk == "desk1")
    reach(dp, src, dst, "tcp", [PortRange(start=7000, end=7000)])  # warm the tables once
    t0 = time.perf_counter()
    n_q = 20
    for _ in range(n_q):
        answer = reach(dp, src, dst, "tcp", [PortRange(start=7000, end=7000)])
    t_query = (time.perf_counter() - t0) / n_q
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"data plane build: {t_build:.2f} s (tables compile lazily on first use)")
    print(f"desk matrix ({desks}x{desks} + internet): {t_matrix:.2f} s; reachable desk pairs match the design: {ok}")
    print(f"single query {src} -> {dst} tcp/7000: {t_query * 1000:.1f} ms ({answer.verdict}, "
          f"{len(answer.pairs[0].delivered)} trace(s))")
    print(f"peak memory (max RSS): {peak:,.0f} MiB")

    small = synthetic(3, 1, 1, seed=11)
    sdp = Dataplane.build(small)
    ports = sorted({*range(0, 65536, 64 if not args.quick else 1024), *range(6995, 7016)})
    t0 = time.perf_counter()
    sm = matrix(sdp, "tcp")
    t_sym = time.perf_counter() - t0
    t0 = time.perf_counter()
    om, packets = oracle_matrix(sdp, ports)
    t_oracle = time.perf_counter() - t0
    seg_of = {ep.key: name for name, eps in segments(sdp).items() for ep in eps}
    agree = True
    for (s_key, d_key, port), delivered in om.items():
        src_ep, dst_ep = sdp.endpoints[s_key], sdp.endpoints[d_key]
        h = Header(src_ep.addresses[0][0], dst_ep.addresses[0][0], 6, 40000, port)
        got = sm.cells[(seg_of[s_key], seg_of[d_key])].reached.get(d_key, Space()).contains(h)
        agree = agree and got == delivered
    v2, s2, r2 = count(small)
    print(f"oracle comparison on {v2} VPCs / {s2} subnets / {r2} rules: symbolic matrix {t_sym * 1000:.1f} ms "
          f"(all headers, all endpoints), oracle {t_oracle:.1f} s ({packets:,} concrete packets: one workload per "
          f"VPC, one address pair and {len(ports):,} TCP ports per endpoint pair); verdicts agree: {agree}")
    pairs = packets // len(ports)
    per_pair_oracle = t_oracle / pairs * (65536 / len(ports))
    per_pair_symbolic = t_sym / max(1, sum(c.count()[1] for c in sm.cells.values()))
    print(f"speed-up of the symbolic engine over the oracle: {t_oracle / t_sym:,.0f}x measured (the symbolic "
          f"matrix did more: every endpoint and header); per endpoint pair, covering all 65,536 TCP ports of "
          f"one address pair: oracle {per_pair_oracle * 1000:,.0f} ms (extrapolated) vs symbolic "
          f"{per_pair_symbolic * 1000:.3f} ms for every header = {per_pair_oracle / per_pair_symbolic:,.0f}x")


if __name__ == "__main__":
    main()
