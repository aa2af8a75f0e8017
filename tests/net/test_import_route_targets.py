"""AWS routes to a target named by its own id (NAT gateway, transit gateway, peering): an id the exports
do not hold is a located error naming the file, the route table and what to export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tradeplane.errors import InputError
from tradeplane.estate.model import AwsVpc, RouteTarget
from tradeplane.inventory import import_aws

EXPORTS = Path(__file__).resolve().parents[1] / "inventory/exports/aws"


def _exports(tmp_path: Path, route: dict[str, str]) -> Path:
    d = tmp_path / "aws"
    shutil.copytree(EXPORTS, d)
    path = d / "describe-route-tables.json"
    data = json.loads(path.read_text())
    data["RouteTables"][2]["Routes"].append({"DestinationCidrBlock": "1.0.0.0/8", **route})
    path.write_text(json.dumps(data, indent=4))
    return d


@pytest.mark.parametrize(("route", "expect"), [
    ({"NatGatewayId": "nat-0gone"}, "route 1.0.0.0/8 -> nat-0gone: NAT gateway not in describe-nat-gateways.json for"),
    ({"TransitGatewayId": "tgw-0gone"}, "route 1.0.0.0/8 -> tgw-0gone: transit gateway not in "
                                        "describe-transit-gateways.json"),
    ({"VpcPeeringConnectionId": "pcx-0gone"}, "route 1.0.0.0/8 -> pcx-0gone: no active peering in "
                                              "describe-vpc-peering-connections.json"),
])
def test_unknown_target_id_is_a_located_error(tmp_path: Path, route: dict[str, str], expect: str) -> None:
    with pytest.raises(InputError) as info:
        import_aws(_exports(tmp_path, route))
    text = str(info.value)
    assert expect in text and "rtb-0b1main" in text and "describe-route-tables.json" in text


def test_known_target_ids_become_routes() -> None:
    estate = import_aws(EXPORTS).estate
    targets = {(r.target, r.via) for n in estate.networks if isinstance(n, AwsVpc)
               for t in n.route_tables for r in t.routes}
    assert any(t == RouteTarget.TGW and via for t, via in targets)
    assert any(t == RouteTarget.NAT and via for t, via in targets)
