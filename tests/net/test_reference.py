"""The reference estate: verdicts, findings and traces that are true of examples/dv-trading."""

from __future__ import annotations

import json
import shutil
from ipaddress import IPv4Address
from pathlib import Path

from tests.conftest import EXAMPLES
from tradeplane.estate import Estate, load
from tradeplane.estate.model import PortRange
from tradeplane.net import Dataplane, diff, matrix, reach, verify
from tradeplane.net.space import Space


def without_nasdaq_route(tmp: Path) -> Estate:
    """The reference estate as first written: nothing carried Nasdaq's prefix over dx-new-york."""
    shutil.copytree(EXAMPLES / "dv-trading", tmp / "dv")
    links = tmp / "dv" / "links.yaml"
    links.write_text(links.read_text().replace(", 203.0.113.0/25]", "]"))
    nets = tmp / "dv" / "networks-aws.yaml"
    text = nets.read_text()
    cut = text.index("          - protocol: tcp\n            peers: [{cidr: 203.0.113.0/25}]")
    end = text.index("\n", text.index("description: order entry", cut))
    nets.write_text(text[:cut] + text[end + 1:])
    return load(tmp / "dv")


def test_every_property_of_the_reference_estate_holds(reference_estate: Estate) -> None:
    report = verify(reference_estate)
    intents = [p for p in report.passed if p.startswith("intent ")]
    assert len(intents) == len(reference_estate.intents)
    assert report.findings == []
    assert report.to_json() == verify(reference_estate).to_json()  # deterministic
    json.dumps(report.to_json())


def test_a_venue_with_no_route_is_a_high_finding_naming_the_rule(tmp_path: Path) -> None:
    report = verify(without_nasdaq_route(tmp_path))
    # eq-order-gateway trades on nasdaq, but nothing carries 203.0.113.0/25 over dx-new-york
    # and order-gateway-sg egress allows only 10/8 and 172.16/12.
    assert [(f.check, f.severity) for f in report.findings] == [("exchange-egress", "high")]
    f = report.findings[0]
    assert "nasdaq" in f.title and f.fix_location and "networks-aws.yaml" in f.fix_location


def test_order_routers_take_no_ssh(reference_estate: Estate) -> None:
    a = reach(reference_estate, "futures-risk", "cme-order-router", "tcp", [PortRange(start=22, end=22)])
    assert a.verdict == "unreachable"
    (dropped,) = a.pairs[0].dropped[:1]
    assert "deny-ssh-order-routers" in dropped.hops[-1].rules[-1].text


def test_traces_name_the_estate_lines(reference_estate: Estate) -> None:
    a = reach(reference_estate, "eq-strategy", "futures-pricer", "tcp", [PortRange(start=7000, end=7000)])
    assert a.verdict == "reachable"
    hops = a.pairs[0].delivered[0].hops
    texts = [r.text for h in hops for r in h.rules]
    assert any("strategy-sg egress allow tcp 7000" in t for t in texts)
    assert any("att-gcp (propagated)" in t for t in texts)
    assert any("allow-equities-signals" in t for t in texts)
    assert all(r.location and "examples/dv-trading/" in r.location for h in hops for r in h.rules)
    assert "xc-gcp" in a.pairs[0].links()


def test_crypto_is_isolated_with_why_not(reference_estate: Estate) -> None:
    for other in ("equities", "futures", "research", "platform"):
        assert reach(reference_estate, "crypto", other, "all").verdict == "unreachable"
        assert reach(reference_estate, other, "crypto", "all").verdict == "unreachable"
    why = reach(reference_estate, "eq-strategy", "binance-mm", "all").pairs[0]
    assert why.dropped and all(t.deciding_rule() is not None for t in why.dropped)


def test_colo_survives_each_single_failure(reference_estate: Estate) -> None:
    from tradeplane.net import failure_elements

    for element, link in failure_elements(reference_estate):
        if link != "cme-interconnect":
            continue
        dp = Dataplane.build(reference_estate, frozenset({element}))
        assert reach(dp, "aurora-colo", "cme-order-router", "tcp",
                     [PortRange(start=9050, end=9050)]).verdict == "reachable", element
    # all four attachments down: the HA VPN (backup) still carries it
    down = frozenset(e for e, link in failure_elements(reference_estate) if link == "cme-interconnect")
    a = reach(Dataplane.build(reference_estate, down), "aurora-colo", "cme-order-router", "tcp",
              [PortRange(start=9050, end=9050)])
    assert a.verdict == "reachable" and "vpn-aurora-backup" in a.pairs[0].links()


def test_matrix_of_desks(reference_estate: Estate) -> None:
    m = matrix(reference_estate)
    assert m.segments == ["crypto", "equities", "futures", "platform", "research", "internet"]
    assert not m.cell("crypto", "equities").reachable
    assert m.cell("research", "platform").summary() == "tcp 9000-9010"
    assert m.cell("crypto", "internet").summary() == "tcp 443, tcp 9443"
    # gcp-trading denies egress to 0.0.0.0/0 but HTTPS (it was "all": GCP's implied egress allow); HTTPS
    # to any internet address (Google APIs' public ones through Cloud NAT), not private.googleapis.com only
    futures = m.cell("futures", "internet").allowed()
    assert m.cell("futures", "internet").summary() == "tcp 443"
    assert futures.project("proto") == [(6, 6)] and futures.project("dport") == [(443, 443)]
    for address in ("8.8.8.8", "142.250.0.1", "199.36.153.8"):
        n = int(IPv4Address(address))
        assert futures.intersect(Space.build(dst=[(n, n)])), address
    assert not m.cell("internet", "equities").reachable
    assert m.to_json() == matrix(reference_estate).to_json()


def test_diff_reports_what_a_change_opens(reference_estate: Estate, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "dv-trading", tmp_path / "e")
    aws = tmp_path / "e" / "networks-aws.yaml"
    text = aws.read_text()
    # widen the strategies' signal port to all of 10/8, and let research egress on any TCP port
    text = text.replace("peers: [{cidr: 10.50.0.0/16}]\n            description: cross-asset signals",
                        "peers: [{cidr: 10.0.0.0/8}]\n            description: cross-asset signals")
    text = text.replace("ports: [443]\n            peers: [{cidr: 0.0.0.0/0}]\n            description: package mirrors",
                        "ports: [1-65535]\n            peers: [{cidr: 0.0.0.0/0}]\n            description: package mirrors")
    aws.write_text(text)
    d = diff(reference_estate, load(tmp_path / "e"))
    c = next(c for c in d.changes if (c.question, c.src, c.dst) == ("segments", "research", "equities"))
    # research now reaches equities' strategies on 7000, routed through the shared VPC's hairpin
    assert c.old == "unreachable" and c.new == "reachable" and "port 7000" in c.opened and c.traces
    hops = [h.node for h in c.traces[0].hops]
    assert "aws-use1-shared/tgw-a" in hops
    assert diff(reference_estate, reference_estate).changes == []
