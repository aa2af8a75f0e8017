"""Real-shaped exports that once gave wrong answers (issue 15), each with its right verdict.

Each folder under ``tests/net/cases`` is a minimal export with a README giving the command and
the expected answer (copied from the field reports); the tests run the same commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeplane.cli import main
from tradeplane.estate.model import PortRange
from tradeplane.inventory import import_aws, import_gcp
from tradeplane.net import reach, verify

CASES = Path(__file__).parent / "cases"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def p(port: int) -> list[PortRange]:
    return [PortRange(start=port, end=port)]


def test_unassociated_tgw_attachment_receives_but_does_not_send(capsys: pytest.CaptureFixture[str]) -> None:
    d = CASES / "aws-tgw-unassociated-attachment"
    code, out, err = run(capsys, "net", "import", "aws", str(d))
    assert code == 0 and "Traceback" not in err
    assert "tgw-attach-b: not associated with a route table" in out
    a = reach(import_aws(d).estate, "i-a", "i-b", "tcp", p(22))
    pair = a.pairs[0]
    assert pair.forward  # delivered through the unassociated attachment
    assert a.verdict == "unreachable"  # the replies enter the TGW from it and are dropped
    assert any("no associated route table" in t.reason for t in pair.reply_dropped)
    code, out, _ = run(capsys, "net", "reach", f"aws:{d}", "i-a", "i-b", "--port", "22", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "unreachable"
    code, out, _ = run(capsys, "net", "reach", f"aws:{d}", "i-a", "i-b", "--port", "22")
    # the delivered trace under an "unreachable" verdict is labelled as the forward half
    assert out.index("forward (delivered):") < out.index("delivered to workload:i-b") < out.index("replies dropped:")


def test_subnets_are_keyed_by_region_not_by_name() -> None:
    d = CASES / "gcp-same-subnet-name-two-regions"
    e = import_gcp(d).estate
    subnets = {s.name: (s.region, str(s.cidr)) for n in e.networks for s in n.subnets}
    assert subnets["default-us-east1"] == ("us-east1", "10.142.0.0/20")
    a = reach(e, "app-east", "db-central", "tcp", p(5432))
    assert a.verdict == "reachable"
    assert a.pairs[0].src.addresses == ((int.from_bytes(bytes([10, 142, 0, 0]), "big"),
                                         int.from_bytes(bytes([10, 142, 15, 255]), "big")),)


def test_no_transit_gateway_from_a_zone_without_an_attachment_subnet() -> None:
    e = import_aws(CASES / "aws-tgw-az-without-attachment").estate
    a2 = reach(e, "i-a2", "i-b", "tcp", p(22))
    assert a2.verdict == "unreachable"
    assert any("has no subnet in zone" in t.reason for t in a2.pairs[0].dropped)
    assert reach(e, "i-a1", "i-b", "tcp", p(22)).verdict == "reachable"


def test_nacls_do_not_filter_inside_a_subnet() -> None:
    e = import_aws(CASES / "aws-nacl-intra-subnet").estate
    a = reach(e, "i-1", "i-2", "tcp", p(22))
    assert a.verdict == "reachable"
    assert not any("NACL" in h.action for t in a.pairs[0].delivered for h in t.hops)


def test_internet_reaches_only_instances_with_a_public_address() -> None:
    e = import_aws(CASES / "aws-no-public-ip").estate
    a = reach(e, "internet", "i-nopub", "tcp", p(443))
    assert a.verdict == "unreachable"
    assert any("public address" in t.reason for t in a.pairs[0].dropped)


def test_peered_spokes_that_overlap_each_other_are_not_one_domain(capsys: pytest.CaptureFixture[str]) -> None:
    d = CASES / "aws-peering-overlap-false-positive"
    report = verify(import_aws(d).estate)
    assert not [f for f in report.findings if f.check == "cidr-overlap"]
    code, _, _ = run(capsys, "net", "verify", f"aws:{d}")
    assert code == 0


def test_tgw_peering_attachment_is_a_note_not_a_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    d = CASES / "aws-tgw-peering-attachment"
    code, out, _ = run(capsys, "net", "import", "aws", str(d))
    assert code == 0 and "tgw-attach-peer" in out and "not followed" in out
    a = reach(import_aws(d).estate, "i-a", "10.9.0.1/32", "tcp", p(22))
    assert a.verdict == "unreachable"
    why = [t for pr in a.pairs for t in pr.dropped]
    assert why and any("search-transit-gateway-routes" in (r.location or "") for t in why for h in t.hops
                       for r in h.rules)


def test_stopped_instance_is_not_an_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    d = CASES / "aws-stopped-instance"
    r = import_aws(d)
    assert [w.name for w in r.estate.workloads] == ["i-run"]
    assert any("i-stopped: skipped, stopped" in n for n in r.notes)
    code, _, err = run(capsys, "net", "reach", f"aws:{d}", "i-run", "i-stopped", "--port", "22")
    assert code == 2 and err.count("\n") == 1
    assert "'i-stopped' is in the export but was not imported" in err and "skipped, stopped" in err
    assert "describe-instances.json:17:5" in err  # the export's line that says so
    assert r.estate.name == "aws-stopped-instance"  # the folder's name, not aws-aws-...


def test_outbound_through_an_internet_gateway_needs_the_instances_public_address() -> None:
    e = import_aws(CASES / "aws-igw-outbound").estate
    nopub = reach(e, "i-nopub", "internet", "tcp", p(443))
    assert nopub.verdict == "unreachable"
    assert any("internet gateway translates only" in t.reason for pr in nopub.pairs for t in pr.dropped)
    assert reach(e, "i-pub", "internet", "tcp", p(443)).verdict == "reachable"


def test_tgw_peering_is_followed_when_both_sides_are_exported(tmp_path: Path) -> None:
    d = CASES / "aws-tgw-peering-followed"
    e = import_aws(d).estate
    a = reach(e, "i-a", "i-b", "tcp", p(22))
    assert a.verdict == "reachable"
    assert any(h.node == "tgw peering tgw-attach-peer" for t in a.pairs[0].delivered for h in t.hops)
    # AWS does not propagate over TGW peering: without tgw-2's static route back, the replies are lost
    import shutil
    shutil.copytree(d, tmp_path / "x")
    rf = tmp_path / "x" / "search-transit-gateway-routes" / "tgw-rtb-2.json"
    data = json.loads(rf.read_text())
    data["Routes"] = [r for r in data["Routes"] if r["DestinationCidrBlock"] != "10.1.0.0/16"]
    rf.write_text(json.dumps(data))
    b = reach(import_aws(tmp_path / "x").estate, "i-a", "i-b", "tcp", p(22))
    assert b.verdict == "unreachable"
    assert b.pairs[0].forward and any("no route in tgw-2/tgw-rtb-2" in t.reason for t in b.pairs[0].reply_dropped)


def test_vgw_vpn_forwards_only_what_its_static_routes_or_bgp_hold(capsys: pytest.CaptureFixture[str]) -> None:
    d = CASES / "aws-vgw-vpn-static-bgp"
    r = import_aws(d)
    e = r.estate
    assert reach(e, "i-a", "192.168.10.5/32", "tcp", p(22)).verdict == "reachable"
    miss = reach(e, "i-a", "192.168.20.5/32", "tcp", p(22))
    assert miss.verdict == "unreachable"
    assert any("does not hold the destination" in t.reason for pr in miss.pairs for t in pr.dropped)
    assert reach(e, "i-b", "172.16.1.1/32", "tcp", p(22)).verdict == "reachable"
    assert reach(e, "i-b", "172.17.0.1/32", "tcp", p(22)).verdict == "unreachable"
    assert any("static route 192.168.30.0/24 skipped, state deleted" in n for n in r.notes)
    assert any("vpn-bgp: tunnel 52.0.1.2 is DOWN" in n for n in r.notes)
    assert {v.name: v.remote_asn for v in e.links if v.kind == "vpn"} == {"vpn-static": 65010, "vpn-bgp": 65020}


def test_gateway_endpoint_reached_by_its_prefix_list_route(tmp_path: Path) -> None:
    d = CASES / "aws-gateway-endpoint-prefix-list"
    r = import_aws(d)
    e = r.estate
    ok = reach(e, "i-a", "52.216.10.1/32", "tcp", p(443))
    assert ok.verdict == "reachable"
    assert any(h.node == "gateway-endpoint:vpc-a/vpce-0s3" for t in ok.pairs[0].delivered for h in t.hops)
    assert reach(e, "i-a", "52.216.10.1/32", "tcp", p(80)).verdict == "unreachable"  # SG: 443 to the list only
    assert reach(e, "i-a", "8.8.8.8/32", "tcp", p(443)).verdict == "unreachable"
    assert any("vpce-0api: Interface endpoint" in n for n in r.notes)
    # entries not exported: the route is named in the notes, the SG peer is unresolved ('unknown')
    import shutil
    shutil.copytree(d, tmp_path / "x")
    shutil.rmtree(tmp_path / "x" / "get-managed-prefix-list-entries")
    r2 = import_aws(tmp_path / "x")
    assert any("route to prefix list pl-63a5400a not imported" in n for n in r2.notes)
    assert reach(r2.estate, "i-a", "52.216.10.1/32", "tcp", p(443)).verdict == "unknown"


def test_direct_connect_gateway_associations_decide_what_on_premises_learns() -> None:
    r = import_aws(CASES / "aws-dx-gateway-associations")
    e = r.estate
    assert reach(e, "i-a", "192.168.1.1/32", "tcp", p(22)).verdict == "reachable"
    b = reach(e, "i-b", "192.168.1.1/32", "tcp", p(22))  # 10.2.0.0/16 is not an allowed prefix
    assert b.verdict == "unreachable" and b.pairs[0].forward
    assert any("onprem-dxgw-1 has learned no route" in t.reason for t in b.pairs[0].reply_dropped)
    c = reach(e, "i-c", "172.20.1.1/32", "tcp", p(22))  # Direct Connect gateway on vpc-c's VGW
    assert c.verdict == "reachable"
    assert any(h.node == "direct connect dxgw-dxgw-2-vgw-3" for t in c.pairs[0].delivered for h in t.hops)
    assert reach(e, "i-c", "172.21.0.1/32", "tcp", p(22)).verdict == "unreachable"
    assert any("dxassoc-old: dxgw-9 -> vgw-9 skipped, state disassociated" in n for n in r.notes)
