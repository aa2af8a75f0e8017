"""The internet-egress check: no workload reaches the internet on every protocol or every port.

The first estate is the reference estate's futures VPC as it was (GCP's implied egress allow, the default
internet route and Cloud NAT, no egress rule): every workload reaches the whole internet on every
protocol, and the finding names them, the implied rule's estate line and the fix. The others are the
same VPC restricted, and the shapes between (one port-wide rule beside a narrow one; one tagged workload).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXAMPLES
from tradeplane.estate import Estate, load
from tradeplane.net import verify
from tradeplane.net.checks.internet_egress import GCP_FIX, unrestricted
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
    assert f.fix == GCP_FIX
    assert "0.0.0.0/0" in f.fix and "low priority" in f.fix and "tcp 443" in f.fix
    assert "199.36.153.8/30" in f.fix and "private DNS zone for googleapis.com" in f.fix
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


def test_an_explicit_allow_without_a_deny_below_gets_both_halves_of_the_fix(build: Build) -> None:
    egress = "      - {name: allow-all-out, direction: egress, protocol: all, destinations: [0.0.0.0/0], description: x}\n"
    body = GCP.format(egress=egress)
    (f,) = [f for f in verify(build(body)).findings if f.check == "internet-egress"]
    assert "firewall g/allow-all-out priority 1000 egress allow" in f.detail and "implied" not in f.detail
    assert f.fix_location == f"test.yaml:{line_of(body, 'allow-all-out')}:9"
    assert f.fix.startswith("narrow the destinations, protocol and ports of g/allow-all-out")
    assert "deny the rest of egress to 0.0.0.0/0" in f.fix


# The reference estate, as the reviewer changed it: one allow rule above deny-all-egress opens egress. The
# filter hop of the trace names every rule that allowed part of the headers (allow-cme-egress to CME over
# the interconnect, allow-https-egress on tcp 443); the finding names the one that let the rest out.

REFERENCE_DENY = "      - name: deny-all-egress\n"


def reference_with(tmp_path: Path, change: Callable[[str], str]) -> tuple[Estate, Path]:
    shutil.copytree(EXAMPLES / "dv-trading", tmp_path / "e")
    path = tmp_path / "e" / "networks-gcp.yaml"
    path.write_text(change(path.read_text()))
    return load(tmp_path / "e"), path


def file_line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_reference_with_an_allow_tcp_anywhere_names_that_rule_and_says_narrow_it(tmp_path: Path) -> None:
    rule = ("      - {name: allow-tcp-anywhere, direction: egress, protocol: tcp, destinations: [0.0.0.0/0], "
            "description: too wide}\n")
    estate, path = reference_with(tmp_path, lambda t: t.replace(REFERENCE_DENY, rule + REFERENCE_DENY, 1))
    (f,) = [f for f in verify(estate).findings if f.check == "internet-egress"]
    assert f.title == "7 workloads of desk futures in gcp-trading reach the internet on every tcp port"
    assert f.detail.endswith("allowed by firewall gcp-trading/allow-tcp-anywhere priority 1000 egress allow "
                             f"[{path}:{file_line(path, 'allow-tcp-anywhere')}:9]")
    assert "allow-cme-egress" not in f.detail and "allow-https-egress" not in f.detail
    assert f.fix_location == f"{path}:{file_line(path, 'allow-tcp-anywhere')}:9"
    # the estate has its deny-all already: narrow the allow, do not add a deny
    assert f.fix.startswith("narrow the destinations, protocol and ports of gcp-trading/allow-tcp-anywhere")
    assert "gcp-trading/deny-all-egress, below it, already denies the rest" in f.fix
    assert "65000" not in f.fix and not f.fix.startswith("deny")


def test_reference_with_all_egress_split_over_two_halves_names_both(tmp_path: Path) -> None:
    halves = ("      - {name: allow-low-half, direction: egress, protocol: all, destinations: [0.0.0.0/1], description: a}\n"
              "      - {name: allow-high-half, direction: egress, protocol: all, destinations: [128.0.0.0/1], "
              "description: b}\n")
    estate, path = reference_with(tmp_path, lambda t: t.replace(REFERENCE_DENY, halves + REFERENCE_DENY, 1))
    (f,) = [f for f in verify(estate).findings if f.check == "internet-egress"]
    assert f.title == "7 workloads of desk futures in gcp-trading reach the internet on all protocols"
    named = f.detail.split("allowed by ", 1)[1]
    assert "gcp-trading/allow-low-half" in named and "gcp-trading/allow-high-half" in named
    assert "allow-cme-egress" not in named and "allow-https-egress" not in named and "implied" not in named
    # GCP's order: same priority, then by name (allow-high-half first)
    assert f.fix_location == f"{path}:{file_line(path, 'allow-high-half')}:9"
    assert "gcp-trading/allow-high-half and gcp-trading/allow-low-half" in f.fix
    assert "gcp-trading/deny-all-egress, below them, already denies the rest" in f.fix


def test_reference_before_the_egress_rules_names_the_implied_rule(tmp_path: Path) -> None:
    def revert(text: str) -> str:
        start = text.index("      # Egress: GCP's implied rule")
        end = text.index("\n", text.index("description: nothing else leaves")) + 1
        return text[:start] + text[end:]

    estate, path = reference_with(tmp_path, revert)
    (f,) = [f for f in verify(estate).findings if f.check == "internet-egress"]
    assert f.title == "7 workloads of desk futures in gcp-trading reach the internet on all protocols"
    assert f.detail.endswith("allowed by firewall gcp-trading implied egress allow (priority 65535) "
                             f"[{path}:{file_line(path, 'firewall_rules:')}:5]")
    assert f.fix == GCP_FIX
    assert "tcp 443" in f.fix and "private DNS zone for googleapis.com" in f.fix
