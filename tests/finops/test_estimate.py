from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane import finops
from tradeplane.errors import ConfigError, UnsupportedError
from tradeplane.estate.prices import HOURS_PER_MONTH, instance_price, network_price

from .conftest import REFERENCE


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "estate"
    shutil.copytree(REFERENCE, dst)
    return dst


def test_estimate_prices_every_declared_item(estate) -> None:
    e = finops.estimate(estate)
    lines = {line.id: line for line in e.lines}
    gw = lines["workload.eq-order-gateway"]
    assert gw.monthly == pytest.approx(4 * instance_price("aws", "us-east-1", "c6in.8xlarge").hourly_usd
                                       * HOURS_PER_MONTH)
    assert gw.where.endswith("workloads.yaml:" + gw.where.split(":")[-2] + ":" + gw.where.split(":")[-1])
    kinds = {line.kind for line in e.lines}
    assert {"instance", "sole_tenant_node", "gke_cluster", "nat_gateway", "tgw_attachment", "dx_port",
            "interconnect", "cross_cloud", "vpn", "private_endpoint", "data_transfer"} <= kinds
    # 4 Dedicated Interconnect circuits (2 metros x 2 edge domains) and 6 Direct Connect 10G ports: 4 at
    # the sites, 2 for the cross-cloud link's legs.
    assert sum(1 for i in lines if ".circuit." in i) == 4
    assert sum(1 for line in e.lines if line.kind == "dx_port") == 6
    assert lines["dx.dx-chicago.dxcon-ch1-a"].monthly == pytest.approx(
        network_price("aws", "dx_port_10g").usd * HOURS_PER_MONTH)
    assert "sole-tenant.st-pricing" in lines and "workload.futures-pricer" not in lines
    assert e.total_monthly == pytest.approx(sum(line.monthly for line in e.lines))
    j = e.to_json()
    assert j["prices"]["as_of"] and j["prices"]["source"]
    assert [x["id"] for x in j["lines"]] == sorted(x["id"] for x in j["lines"])


def test_cross_cloud_links_are_billed_on_the_aws_side_too(estate) -> None:
    """Each leg of a cross-cloud link ends on an AWS Direct Connect dedicated port (one connection in a
    LAG), billed per port-hour like a site's, with Direct Connect data out once per link."""
    e = finops.estimate(estate)
    lines = {line.id: line for line in e.lines}
    aws = {i: line for i, line in lines.items() if i.startswith("cross-cloud.xc-gcp.dx")}
    assert sorted(aws) == ["cross-cloud.xc-gcp.dx-a", "cross-cloud.xc-gcp.dx-b", "cross-cloud.xc-gcp.dx-data"]
    for leg in ("a", "b"):
        port = lines[f"cross-cloud.xc-gcp.dx-{leg}"]
        assert (port.kind, port.cloud, port.region, port.desk) == ("dx_port", "aws", "us-east-1", "platform")
        assert port.unit_price == network_price("aws", "dx_port_10g").usd == 2.25
        assert round(port.monthly, 2) == 1642.50  # 2.25 $/h x 730 h
        assert "links.yaml:" in port.where
    data = lines["cross-cloud.xc-gcp.dx-data"]
    assert (data.kind, data.cloud, data.desk, data.quantity) == ("data_transfer", "aws", "platform", 10000)
    assert data.basis == "dx_data_out 0.02/GB x 10000 GB (assumption cross_cloud_aws_out_gb)"
    # The reference estate's two 10G legs: $3,285.00 of ports and $200.00 of data out a month on AWS,
    # beside the unchanged GCP side ($8,176.00 for two Cross-Cloud Interconnects, $200.00 egress).
    assert round(sum(line.monthly for line in aws.values()), 2) == 3485.00
    assert round(lines["cross-cloud.xc-gcp"].monthly, 2) == 8176.00
    assert round(lines["cross-cloud.xc-gcp.egress"].monthly, 2) == 200.00
    assert round(e.total_monthly, 2) == 75204.31  # quoted in docs/finops.md
    assert round(e.by("desk")["platform"], 2) == 21300.71


def test_a_single_leg_cross_cloud_link_has_one_aws_port(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    links = d / "links.yaml"
    text = links.read_text()
    assert "    bandwidth_gbps: 10\n    redundant: true\n" in text
    links.write_text(text.replace("    bandwidth_gbps: 10\n    redundant: true\n",
                                  "    bandwidth_gbps: 100\n    redundant: false\n"))
    p = tmp_path / "a.yaml"
    p.write_text("cross_cloud_aws_out_gb: 0\n")
    lines = {line.id: line for line in finops.estimate(est.load(d), finops.load_assumptions(p)).lines}
    assert [i for i in lines if i.startswith("cross-cloud.xc-gcp.dx")] == ["cross-cloud.xc-gcp.dx-a"]
    assert lines["cross-cloud.xc-gcp.dx-a"].monthly == pytest.approx(22.50 * HOURS_PER_MONTH)


def test_diff_resource_by_resource(tmp_path: Path, estate) -> None:
    new_dir = _copy(tmp_path)
    wl = new_dir / "workloads.yaml"
    text = wl.read_text()
    text = text.replace("machine_type: m6i.8xlarge\n    count: 20", "machine_type: m6i.8xlarge\n    count: 10")
    wl.write_text(text)
    links = new_dir / "links.yaml"
    links.write_text(links.read_text().replace(
        "      - {name: dxcon-ny4-b, location: ny4-meetme, device: EqNY4-3efgh2, bandwidth_gbps: 10}\n", ""
    ).replace("{name: vif-ny4-b, connection: dxcon-ny4-b", "{name: vif-ny4-b, connection: dxcon-ny4-a"))
    old, new = finops.estimate(estate), finops.estimate(est.load(new_dir))
    d = finops.diff(old, new)
    changes = {c.id: c for c in d.changes}
    assert changes["workload.research-batch"].change == "changed"
    assert changes["workload.research-batch"].delta == pytest.approx(
        -10 * instance_price("aws", "us-east-1", "m6i.8xlarge").hourly_usd * HOURS_PER_MONTH)
    assert changes["dx.dx-new-york.dxcon-ny4-b"].change == "removed"
    assert set(changes) == {"workload.research-batch", "dx.dx-new-york.dxcon-ny4-b"}
    assert d.delta == pytest.approx(sum(c.delta for c in d.changes))
    assert d.delta == pytest.approx(new.total_monthly - old.total_monthly)
    assert finops.diff(old, old).changes == ()
    back = finops.diff(new, old)
    assert {c.id: c.change for c in back.changes}["dx.dx-new-york.dxcon-ny4-b"] == "added"


def test_unpriced_machine_type_points_at_the_estate(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    wl = d / "workloads.yaml"
    wl.write_text(wl.read_text().replace("machine_type: c6i.4xlarge", "machine_type: x9z.4xlarge"))
    with pytest.raises(UnsupportedError) as exc:
        finops.estimate(est.load(d))
    p = exc.value.problems[0]
    assert "x9z.4xlarge" in p.message and p.location is not None and p.location.file.endswith("workloads.yaml")
    assert p.location.line > 0


def test_assumptions_file(tmp_path: Path, estate) -> None:
    p = tmp_path / "a.yaml"
    p.write_text("nat_gateway_gb: 0\n")
    e = finops.estimate(estate, finops.load_assumptions(p))
    assert not any(line.id.startswith("nat.") and line.id.endswith(".data") for line in e.lines)
    p.write_text("nat_gb: 10\n")
    with pytest.raises(ConfigError, match=r"a\.yaml:1:1: nat_gb: unknown field 'nat_gb'"):
        finops.load_assumptions(p)
    p.write_text("nat_gateway_gb: .inf\n")
    with pytest.raises(ConfigError, match=r"a\.yaml:1:17: nat_gateway_gb: "):
        finops.load_assumptions(p)
