"""Cloud semantics on focused estates: each test states one rule of AWS/GCP forwarding or filtering."""

from __future__ import annotations

from collections.abc import Callable

from tradeplane.estate import Estate
from tradeplane.estate.model import PortRange
from tradeplane.net import Dataplane, matrix, reach, verify

Build = Callable[[str], Estate]

AWS3 = """
networks:
{vpcs}
links:
{links}
workloads:
{workloads}
"""


def vpc(name: str, n: int, routes: str = "", extra: str = "", sg_in: str = "0.0.0.0/0", nacl: str = "") -> str:
    return f"""
  - cloud: aws
    name: {name}
    account: acct
    region: us-east-1
    cidrs: [10.{n}.0.0/16]
    route_tables:
      - name: rt
        routes: [{routes}]
    subnets:
      - {{name: s, zone: use1-az4, cidr: 10.{n}.0.0/24, route_table: rt{nacl}}}
      - {{name: t, zone: use1-az4, cidr: 10.{n}.1.0/24, route_table: rt}}
    security_groups:
      - name: sg
        description: all
        ingress: [{{protocol: all, peers: [{{cidr: {sg_in}}}], description: in}}]
        egress: [{{protocol: all, peers: [{{cidr: 0.0.0.0/0}}], description: out}}]
{extra}"""


def wl(name: str, net: str, desk: str = "alpha", subnet: str = "s", deps: str = "") -> str:
    return (f"  - {{name: {name}, desk: {desk}, team: t, network: {net}, subnet: {subnet}, machine_type: m,"
            f" security_groups: [sg]{deps}}}\n")


def test_peering_is_not_transitive(build: Build) -> None:
    e = build(AWS3.format(
        vpcs=vpc("a", 1, "{destination: 10.0.0.0/8, target: peering, via: ab}")
        + vpc("b", 2, "{destination: 10.1.0.0/16, target: peering, via: ab}, {destination: 10.3.0.0/16, target: peering, via: bc}")
        + vpc("c", 3, "{destination: 10.2.0.0/16, target: peering, via: bc}"),
        links="  - {kind: vpc_peering, name: ab, a: a, b: b}\n  - {kind: vpc_peering, name: bc, a: b, b: c}\n",
        workloads=wl("wa", "a") + wl("wb", "b") + wl("wc", "c")))
    assert reach(e, "wa", "wb", "tcp", [PortRange(start=443, end=443)]).verdict == "reachable"
    a = reach(e, "wa", "wc", "tcp")
    assert a.verdict == "unreachable"
    reasons = {t.reason for p in a.pairs for t in p.dropped}
    assert any("not transitive" in r for r in reasons)
    drop = next(t for p in a.pairs for t in p.dropped if "not transitive" in t.reason)
    assert drop.deciding_rule() is not None and drop.deciding_rule().location.startswith("test.yaml:")  # type: ignore[union-attr]


def test_nacl_is_stateless_and_needs_ephemeral_ports_for_replies(build: Build) -> None:
    nacl = """
    nacls:
      - name: acl
        ingress: [{number: 100, action: allow, protocol: tcp, ports: 443, cidr: 10.0.0.0/8}]
        egress: [{number: 100, action: allow, protocol: tcp, ports: 443, cidr: 10.0.0.0/8}]
"""
    body = AWS3.format(vpcs=vpc("a", 1, extra=nacl, nacl=", nacl: acl"), links="  []",
                       workloads=wl("client", "a", subnet="t",
                                    deps=", depends_on: [{workload: server, ports: [443]}]") + wl("server", "a"))
    e = build(body.replace("links:\n  []", "links: []"))
    a = reach(e, "client", "server", "tcp", [PortRange(start=443, end=443)])
    pair = a.pairs[0]
    assert pair.forward and not pair.working  # requests arrive, replies to ephemeral ports are denied
    assert any("NACL egress denied" in t.reason for t in pair.reply_dropped)
    report = verify(e)
    finding = next(f for f in report.findings if f.check == "return-path")
    assert "client -> server" in finding.flows[0] and finding.fix_location
    # allowing the ephemeral range on egress fixes it
    fixed = build(body.replace("links:\n  []", "links: []").replace(
        "egress: [{number: 100, action: allow, protocol: tcp, ports: 443, cidr: 10.0.0.0/8}]",
        "egress: [{number: 100, action: allow, protocol: tcp, ports: 1024-65535, cidr: 10.0.0.0/8}]"))
    assert reach(fixed, "client", "server", "tcp", [PortRange(start=443, end=443)]).verdict == "reachable"


def test_tgw_blackhole_propagation_and_loop(build: Build) -> None:
    tgw = """
  - kind: transit_gateway
    name: tgw
    account: acct
    region: us-east-1
    asn: 64512
    route_tables:
      - name: rt1
        routes: [{destination: 10.2.1.0/24, blackhole: true}, {destination: 10.9.0.0/16, attachment: att-b}]
      - name: rt2
        routes: [{destination: 10.9.0.0/16, attachment: att-a}]
    attachments:
      - {name: att-a, kind: vpc, target: a, subnets: [s], route_table: rt1, propagate_to: [rt2]}
      - {name: att-b, kind: vpc, target: b, subnets: [s], route_table: rt2, propagate_to: [rt1]}
"""
    e = build(AWS3.format(vpcs=vpc("a", 1, "{destination: 0.0.0.0/0, target: tgw, via: tgw}")
                          + vpc("b", 2, "{destination: 0.0.0.0/0, target: tgw, via: tgw}"),
                          links=tgw, workloads=wl("wa", "a") + wl("wb", "b") + wl("wt", "b", subnet="t")))
    assert reach(e, "wa", "wb", "tcp").verdict == "reachable"  # propagated 10.2.0.0/16
    blocked = reach(e, "wa", "wt", "tcp")
    assert blocked.verdict == "unreachable"
    assert {t.reason for p in blocked.pairs for t in p.dropped} == {"blackhole route"}
    loop = reach(e, "wa", "10.9.0.0/16", "tcp")
    assert any(t.reason.startswith("routing loop") for p in loop.pairs for t in p.dropped)


def test_gcp_firewall_priority_deny_wins_ties_tags_and_goto_next(build: Build) -> None:
    body = """
networks:
  - cloud: gcp
    name: g
    project: proj
    subnets:
      - {name: a, region: us-central1, cidr: 10.5.0.0/24}
      - {name: b, region: us-central1, cidr: 10.5.1.0/24}
    firewall_rules:
      - {name: allow-web, priority: 500, protocol: tcp, ports: [443], sources: [10.5.0.0/24], target_tags: [web], description: d}
      - {name: deny-web, priority: 500, action: deny, protocol: tcp, ports: [443], sources: [10.5.0.0/25], target_tags: [web], description: d}
      - {name: allow-ssh, priority: 1000, protocol: tcp, ports: [22], sources: [10.5.0.0/24], description: d}
firewall_policies:
  - name: org
    kind: hierarchical
    attached_to: [organization]
    rules:
      - {priority: 1, action: deny, protocol: tcp, ports: [22], sources: [10.5.0.128/25], description: no ssh from upper half}
      - {priority: 2, action: goto_next, protocol: all, sources: [0.0.0.0/0], description: defer}
workloads:
  - {name: client, desk: alpha, team: t, network: g, subnet: a, machine_type: m}
  - {name: web, desk: alpha, team: t, network: g, subnet: b, machine_type: m, tags: [web]}
  - {name: plain, desk: alpha, team: t, network: g, subnet: b, machine_type: m}
"""
    e = build(body)
    https = reach(e, "client", "web", "tcp", [PortRange(start=443, end=443)]).pairs[0]
    assert https.verdict == "partial"
    assert https.working.project("src") == [(0x0A050080, 0x0A0500FF)]  # deny wins the tie for .0/25
    deny = next(t for t in https.dropped if "denied" in t.reason)
    assert "deny-web" in deny.deciding_rule().text  # type: ignore[union-attr]
    assert reach(e, "client", "plain", "tcp", [PortRange(start=443, end=443)]).verdict == "unreachable"  # no tag
    ssh = reach(e, "client", "plain", "tcp", [PortRange(start=22, end=22)]).pairs[0]
    assert ssh.working.project("src") == [(0x0A050000, 0x0A05007F)]  # org policy denies the upper half


def test_single_failure_of_the_only_attachment_is_found(build: Build) -> None:
    body = """
sites:
  - {name: colo, location: cme-aurora, cidrs: [172.16.0.0/20]}
networks:
  - cloud: gcp
    name: g
    project: proj
    subnets: [{name: a, region: us-central1, cidr: 10.5.0.0/24}]
    firewall_rules:
      - {name: allow-colo, protocol: tcp, ports: [9050], sources: [172.16.0.0/20], description: d}
links:
  - {kind: cloud_router, name: cr, network: g, region: us-central1, asn: 64512}
  - kind: interconnect
    name: ic
    network: g
    site: colo
    attachments:
      - {name: only, metro: chi, edge_availability_domain: 1, region: us-central1, router: cr, vlan: 10}
workloads:
  - {name: router, desk: alpha, team: t, network: g, subnet: a, machine_type: m}
intents:
  - {name: colo-survives, kind: survives_single_failure, src: colo, dst: router, ports: [9050], reason: r}
"""
    e = build(body)
    assert reach(e, "colo", "router", "tcp", [PortRange(start=9050, end=9050)]).verdict == "reachable"
    down = Dataplane.build(e, frozenset({"ic/only"}))
    assert reach(down, "colo", "router", "tcp", [PortRange(start=9050, end=9050)]).verdict == "unreachable"
    report = verify(e)
    titles = [f.title for f in report.findings]
    assert any("breaks when ic/only fails" in t for t in titles)
    f = next(f for f in report.findings if f.check == "intents")
    assert f.fix_location and f.fix_location.startswith("test.yaml:")


def test_internet_ingress_overlap_and_isolated_desk(build: Build) -> None:
    extra = "    internet_gateway: true\n"
    e = build(AWS3.format(
        vpcs=vpc("a", 1, "{destination: 0.0.0.0/0, target: igw}, {destination: 10.2.0.0/16, target: peering, via: ab}",
                 extra=extra).replace("route_table: rt}", "route_table: rt, tier: trading}", 1)
        + vpc("b", 2, "{destination: 10.1.0.0/16, target: peering, via: ab}"),
        links="  - {kind: vpc_peering, name: ab, a: a, b: b}\n",
        # wa has a public IP in a trading-tier subnet routed to the internet gateway: outside the perimeter
        workloads=wl("wa", "a", deps=", public_ip: true") + wl("wg", "b", desk="gamma")))
    report = verify(e)
    checks = {(f.check, f.severity) for f in report.findings}
    assert ("internet-ingress", "critical") in checks
    assert ("desk-segmentation", "critical") in checks  # gamma is isolated yet alpha reaches it
    seg = next(f for f in report.findings if f.check == "desk-segmentation")
    assert seg.traces and seg.traces[0].disposition == "delivered"
    assert report.findings == sorted(report.findings, key=lambda f: f.sort_key())
    assert not report.ok


def test_overlapping_cidrs_in_one_routing_domain(build: Build) -> None:
    # a and c (both 10.1.0.0/16) are each peered with hub b only: peering is not transitive, so
    # they are not one routing domain (AWS supports this hub design with specific routes)
    body = AWS3.format(
        vpcs=vpc("a", 1, "{destination: 10.2.0.0/16, target: peering, via: ab}")
        + vpc("b", 2, "{destination: 10.1.0.0/16, target: peering, via: ab}")
        + vpc("c", 1),
        links="  - {kind: vpc_peering, name: ab, a: a, b: b}\n  - {kind: vpc_peering, name: bc, a: b, b: c}\n",
        workloads=wl("wa", "a"))
    assert not [f for f in verify(build(body)).findings if f.check == "cidr-overlap"]
    # peered directly, they route to each other: the overlap is a finding
    e = build(body.replace("  - {kind: vpc_peering, name: bc, a: b, b: c}\n",
                           "  - {kind: vpc_peering, name: bc, a: b, b: c}\n  - {kind: vpc_peering, name: ac, a: a, b: c}\n"))
    overlaps = [f for f in verify(e).findings if f.check == "cidr-overlap"]
    assert len(overlaps) == 1 and "10.1.0.0/16" in overlaps[0].title
    assert overlaps[0].fix_location and overlaps[0].fix_location.startswith("test.yaml:")


def test_matrix_reports_traffic_an_unresolved_rule_decides(build: Build) -> None:
    b = vpc("b", 2, "{destination: 10.1.0.0/16, target: peering, via: ab}").replace(
        "ingress: [{protocol: all, peers: [{cidr: 0.0.0.0/0}], description: in}]",
        "ingress: [{protocol: tcp, ports: ['443'], peers: [{unresolved: prefix list pl-0abc}], description: in}]")
    e = build(AWS3.format(
        vpcs=vpc("a", 1, "{destination: 10.2.0.0/16, target: peering, via: ab}") + b,
        links="  - {kind: vpc_peering, name: ab, a: a, b: b}\n",
        workloads=wl("wa", "a") + wl("wb", "b", desk="beta")))
    cell = matrix(e).cell("alpha", "beta")
    assert not cell.reachable
    assert set(cell.undecided) == {"workload:wb"} and "tcp" in cell.undecided_text()
    assert cell.undecided["workload:wb"].project("dport") == [(443, 443)]
    assert reach(e, "wa", "wb", "tcp", [PortRange(start=443, end=443)]).verdict == "unknown"
    cells = {(c["src"], c["dst"]): c for c in matrix(e).to_json()["cells"]}
    assert cells[("alpha", "beta")]["undecided"] and not cells[("beta", "alpha")]["undecided"]
