"""Importing real export shapes: the data plane they describe, and clear errors for bad exports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tradeplane.errors import InputError
from tradeplane.estate import load
from tradeplane.estate.model import AwsVpc, GcpVpc, PortRange, RouteTarget
from tradeplane.inventory import import_aws, import_gcp, with_policy
from tradeplane.net import reach, verify

EXPORTS = Path(__file__).parent / "exports"
DV = Path(__file__).resolve().parents[2] / "examples/dv-trading"


def test_aws_import_builds_the_data_plane() -> None:
    r = import_aws(EXPORTS / "aws")
    e = r.estate
    shared = e.network("vpc-0a11shared")
    assert isinstance(shared, AwsVpc) and shared.internet_gateway
    public = next(s for s in shared.subnets if s.name == "subnet-0aa1public")
    assert public.tier == "public"
    private = next(s for s in shared.subnets if s.name == "subnet-0aa2shared")
    assert private.route_table == "rtb-0a2private"  # main table
    nat = next(t for t in shared.route_tables if t.name == "rtb-0a2private").routes[0]
    assert nat.target is RouteTarget.NAT
    eq = e.network("vpc-0b22equities")
    assert isinstance(eq, AwsVpc) and [n.name for n in eq.nacls] == ["acl-0b1trading"]
    assert len(eq.nacls[0].ingress) == 3  # the 32767 default is implicit
    # ESP (IP protocol 50) is modelled by number; the prefix-list peer is kept unresolved and noted
    assert any(rule.protocol_number == 50 for g in eq.security_groups for rule in g.egress)
    assert any("pl-63a5400a" in n for n in r.notes)
    loc = e.where(shared)
    assert loc is not None and loc.file.endswith("describe-vpcs.json") and loc.line == 3


def test_aws_questions_run_on_imports() -> None:
    e = import_aws(EXPORTS / "aws").estate
    a = reach(e, "i-0bbb2222strategy", "i-0aaa1111mddist", "tcp", [PortRange(start=9000, end=9000)])
    assert a.verdict == "reachable"
    locs = [r.location for h in a.pairs[0].delivered[0].hops for r in h.rules]
    assert any(loc and "search-transit-gateway-routes/tgw-rtb-0spokes.json" in loc for loc in locs)
    # NACL ingress on trading only allows 9100 and ephemeral from 10/8: SSH from the VPN site is dropped
    ssh = reach(e, "onprem-vpn-0123abcd", "i-0bbb1111ordergw", "tcp", [PortRange(start=22, end=22)])
    assert ssh.verdict == "unreachable"
    assert reach(e, "i-0bbb2222strategy", "i-0ccc1111crypto", "all").verdict == "unreachable"  # TGW blackhole
    assert reach(e, "i-0aaa1111mddist", "internet", "tcp", [PortRange(start=443, end=443)]).verdict == "reachable"
    policy = with_policy(e, load(DV))
    report = verify(policy)
    assert any(p.startswith("intent crypto-isolated-from-equities") for p in report.passed)


def test_gcp_import_builds_the_data_plane() -> None:
    r = import_gcp(EXPORTS / "gcp")
    e = r.estate
    net = e.network("trading")
    assert isinstance(net, GcpVpc) and net.routing_mode == "GLOBAL" and net.cloud_nat_regions == ("us-central1",)
    names = sorted(f.name for f in net.firewall_rules)
    assert "allow-internal-0" in names and "old-debug" not in names
    esp = next(f for f in net.firewall_rules if f.name == "allow-esp")  # ESP is modelled by protocol number
    assert esp.protocol_number == 50
    assert {s.name: s.tier for s in net.subnets}["edge"] == "public"
    assert [r.next_hop.value for r in net.routes] == ["internet", "vpn_tunnel"]
    assert any("disabled" in n for n in r.notes)
    ok = reach(e, "onprem-aurora-t0", "cme-order-router-1", "tcp", [PortRange(start=9050, end=9050)])
    assert ok.verdict == "reachable"
    denied = reach(e, "internet", "cme-order-router-1", "tcp", [PortRange(start=443, end=443)])
    assert denied.verdict == "unreachable"


def _copy(tmp_path: Path, cloud: str) -> Path:
    d = tmp_path / cloud
    shutil.copytree(EXPORTS / cloud, d)
    return d


def _edit(path: Path, fn: object) -> None:
    data = json.loads(path.read_text())
    fn(data)  # type: ignore[operator]
    path.write_text(json.dumps(data, indent=4))


@pytest.mark.parametrize(("file", "edit", "expect"), [
    ("describe-subnets.json", lambda d: d["Subnets"][0].pop("CidrBlock"), "subnet-0aa1public: missing field 'CidrBlock'"),
    ("describe-subnets.json", lambda d: d["Subnets"][0].update(VpcId="vpc-0nothere"), "VpcId vpc-0nothere is not in"),
    ("describe-route-tables.json",
     lambda d: d["RouteTables"][2]["Routes"].append({"DestinationCidrBlock": "1.0.0.0/8", "NatGatewayId": "nat-0gone"}),
     "rtb-0b1main: route 1.0.0.0/8 -> nat-0gone"),
    ("describe-route-tables.json",
     lambda d: d["RouteTables"][2]["Routes"].append({"DestinationCidrBlock": "1.0.0.0/8", "WeirdGatewayId": "x-1"}),
     "unknown target"),
    ("describe-transit-gateway-attachments.json",
     lambda d: d["TransitGatewayAttachments"][0].update(ResourceType=7), "ResourceType: expected a string"),
    ("describe-instances.json", lambda d: d["Reservations"][0]["Instances"][0].update(SubnetId="subnet-0gone"),
     "i-0aaa1111mddist: SubnetId subnet-0gone"),
    ("describe-vpcs.json", lambda d: d.pop("Vpcs"), "expected an object with 'Vpcs'"),
])
def test_bad_aws_exports_name_file_and_object(tmp_path: Path, file: str, edit: object, expect: str) -> None:
    d = _copy(tmp_path, "aws")
    _edit(d / file, edit)
    with pytest.raises(InputError) as info:
        import_aws(d)
    text = str(info.value)
    assert expect in text and file in text


def test_missing_aws_files(tmp_path: Path) -> None:
    d = _copy(tmp_path, "aws")
    (d / "search-transit-gateway-routes" / "tgw-rtb-0spokes.json").unlink()
    with pytest.raises(InputError, match="search-transit-gateway-routes"):
        import_aws(d)
    (d / "describe-vpcs.json").unlink()
    with pytest.raises(InputError, match=r"missing export describe-vpcs\.json"):
        import_aws(d)


@pytest.mark.parametrize(("file", "edit", "expect"), [
    ("subnets.json", lambda d: d[0].update(kind="compute#address"), "unknown resource kind 'compute#address'"),
    ("subnets.json", lambda d: d[1].update(network="https://x/projects/p/global/networks/ghost"), "futures-gke: network"),
    ("routes.json", lambda d: d[0].pop("nextHopGateway"), "default-route-5c1d2e3f4a5b6c7d: route has no next hop"),
    ("firewall-rules.json", lambda d: d[0].pop("denied"), "deny-crypto-ingress: a firewall rule has exactly one"),
    ("instances.json", lambda d: d[0].pop("networkInterfaces"), "cme-order-router-1: missing field"),
    ("networks.json", lambda d: d.clear() or d.append("x"), "must be an object"),
])
def test_bad_gcp_exports_name_file_and_object(tmp_path: Path, file: str, edit: object, expect: str) -> None:
    d = _copy(tmp_path, "gcp")
    _edit(d / file, edit)
    with pytest.raises(InputError) as info:
        import_gcp(d)
    text = str(info.value)
    assert expect in text and file in text


def test_not_json(tmp_path: Path) -> None:
    d = _copy(tmp_path, "gcp")
    (d / "routes.json").write_text("[{]")
    with pytest.raises(InputError, match="not JSON"):
        import_gcp(d)
