"""The internet-egress check: no workload reaches the internet on every protocol or every port.

The first estate is the reference estate's futures VPC as it was (GCP's implied egress allow, the default
internet route and Cloud NAT, no egress rule): every workload reaches the whole internet on every
protocol, and the finding names them, the implied rule's estate line and the fix. The others are the
same VPC restricted, and the shapes between (one port-wide rule beside a narrow one; one tagged workload).
"""

from __future__ import annotations

from collections.abc import Callable

from tradeplane.estate import Estate
from tradeplane.net import verify
from tradeplane.net.checks.internet_egress import unrestricted
from tradeplane.net.space import Space

Build = Callable[[str], Estate]

GCP = """
networks:
  - cloud: gcp
    name: g
    project: proj
    desk: alpha
    cloud_nat_regions: [us-central1]
    subnets:
      - {{name: trading, region: us-central1, cidr: 10.50.0.0/22, tier: trading}}
    routes:
      - {{name: default-internet, destination: 0.0.0.0/0, next_hop: internet}}
    firewall_rules:
      - {{name: allow-internal, protocol: all, sources: [10.50.0.0/16], description: east-west}}
{egress}workloads:
  - {{name: router, desk: alpha, team: t, network: g, subnet: trading, machine_type: m, tags: [cme]}}
  - {{name: pricer, desk: alpha, team: t, network: g, subnet: trading, machine_type: m, tags: [open]}}
"""

DENY_ALL = """      - {name: allow-google-apis, direction: egress, protocol: tcp, ports: [443], destinations: [199.36.153.8/30], description: Private Google Access}
      - {name: deny-all-egress, direction: egress, priority: 65000, action: deny, protocol: all, destinations: [0.0.0.0/0], description: nothing else leaves}
"""


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``needle`` in the estate as ``make_estate`` loads it (HEADER + body)."""
    from tests.net.conftest import HEADER

    return next(i for i, line in enumerate((HEADER + text).splitlines(), 1) if needle in line)


def test_the_old_reference_shape_is_a_high_finding_naming_the_implied_rule(build: Build) -> None:
    body = GCP.format(egress="")
    report = verify(build(body))
    found = [f for f in report.findings if f.check == "internet-egress"]
    assert [(f.severity, f.title) for f in found] == [
        ("high", "2 workloads of desk alpha in g reach the internet on all protocols")]
    f = found[0]
    assert [flow.split(":")[0] for flow in f.flows] == ["pricer -> internet", "router -> internet"]
    assert all(flow.endswith("all protocols") for flow in f.flows)
    # the rule that lets it out is GCP's implied egress allow, located at the network's firewall_rules
    assert "firewall g implied egress allow (priority 65535)" in f.detail
    assert f.fix_location == f"test.yaml:{line_of(body, 'firewall_rules:')}:5"
    assert "0.0.0.0/0" in f.fix and "low priority" in f.fix and "199.36.153.8/30" in f.fix
    # one trace per source class (the two workloads have different tags)
    assert len(f.traces) == 2 and all(t.disposition == "delivered" and t.at == "internet" for t in f.traces)
    hops = f.traces[0].hops
    assert hops[0].action == "firewall egress allowed" and hops[-1].action == "delivered"
    assert any(h.action.startswith("routed 0.0.0.0/0") for h in hops)
    assert not report.ok


def test_a_restricted_vpc_passes(build: Build) -> None:
    report = verify(build(GCP.format(egress=DENY_ALL)))
    assert [f for f in report.findings if f.check == "internet-egress"] == []
    assert "internet egress: desk alpha reaches the internet only on tcp 443" in report.passed


def test_a_port_wide_rule_beside_a_narrow_one_is_named_not_the_narrow_one(build: Build) -> None:
    egress = ("      - {name: allow-https, direction: egress, priority: 900, protocol: tcp, ports: [443], "
              "destinations: [0.0.0.0/0], description: tls}\n"
              "      - {name: allow-tcp-any, direction: egress, protocol: tcp, destinations: [0.0.0.0/0], "
              "description: too wide}\n" + DENY_ALL)
    body = GCP.format(egress=egress)
    (f,) = [f for f in verify(build(body)).findings if f.check == "internet-egress"]
    assert f.title == "2 workloads of desk alpha in g reach the internet on every tcp port"
    assert f.fix_location == f"test.yaml:{line_of(body, 'allow-tcp-any')}:9"
    assert "allow-tcp-any" in f.detail and "allow-https" not in f.detail


def test_only_the_workloads_that_are_open_are_named(build: Build) -> None:
    egress = ("      - {name: allow-open, direction: egress, protocol: all, destinations: [0.0.0.0/0], "
              "target_tags: [open], description: one workload left open}\n" + DENY_ALL)
    (f,) = [f for f in verify(build(GCP.format(egress=egress))).findings if f.check == "internet-egress"]
    assert f.title == "1 workload of desk alpha in g reaches the internet on all protocols"
    assert [flow.split(":")[0] for flow in f.flows] == ["pricer -> internet"]


def test_unrestricted_in_words() -> None:
    tcp, udp = [(6, 6)], [(17, 17)]
    assert unrestricted(Space.full()) == ["all protocols"]
    assert unrestricted(Space()) == []
    assert unrestricted(Space.build(proto=tcp, dport=[(443, 443)])) == []
    # every port, cut across two boxes with different destinations: still every port to somewhere
    split = Space([*Space.build(dst=[(1, 1)], proto=tcp, dport=[(1, 1000)]),
                   *Space.build(dst=[(2, 2)], proto=tcp, dport=[(1001, 65535)])])
    assert unrestricted(split) == ["every tcp port"]
    assert unrestricted(Space.build(proto=udp, dport=[(1, 65535)])) == ["every udp port"]
    # every protocol number but TCP and UDP only to port 443: the tunnels are open, the ports are not
    others = Space.build(proto=[(0, 5), (7, 16), (18, 255)])
    assert unrestricted(others.union(Space.build(proto=tcp + udp, dport=[(443, 443)]))) == [
        "every other IP protocol"]


AWS = """
networks:
  - cloud: aws
    name: a
    account: acct
    region: us-east-1
    desk: beta
    cidrs: [10.1.0.0/16]
    internet_gateway: true
    route_tables:
      - {{name: rt, routes: [{{destination: 0.0.0.0/0, target: igw}}]}}
    subnets:
      - {{name: s, zone: use1-az4, cidr: 10.1.0.0/24, route_table: rt}}
    security_groups:
      - name: sg
        description: app
        egress:
{egress}workloads:
  - {{name: app, desk: beta, team: t, network: a, subnet: s, machine_type: m, security_groups: [sg], public_ip: true}}
"""


def test_an_aws_security_group_open_to_everything_is_named_with_its_line(build: Build) -> None:
    body = AWS.format(egress="          - {protocol: all, peers: [{cidr: 0.0.0.0/0}], description: everything out}\n")
    (f,) = [f for f in verify(build(body)).findings if f.check == "internet-egress"]
    assert f.title == "1 workload of desk beta in a reaches the internet on all protocols"
    assert "security-group a/sg egress allow all" in f.detail
    assert f.fix_location == f"test.yaml:{line_of(body, 'everything out')}:13"
    assert f.fix.startswith("narrow the security group's egress")


def test_an_aws_security_group_open_on_https_only_passes(build: Build) -> None:
    body = AWS.format(egress="          - {protocol: tcp, ports: [443], peers: [{cidr: 0.0.0.0/0}], description: tls}\n")
    report = verify(build(body))
    assert [f for f in report.findings if f.check == "internet-egress"] == []
    assert "internet egress: desk beta reaches the internet only on tcp 443" in report.passed
