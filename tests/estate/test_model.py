"""The estate model: every kind loads, the round trip is exact, objects know where they were written."""

from __future__ import annotations

import json
from ipaddress import IPv4Network

import pytest
from pydantic import BaseModel, ValidationError

from tradeplane import estate as est
from tradeplane.estate import model

TGW_PEERING = """
name: peered
organisation:
  aws:
    management_account_id: "100000000000"
    ous: [{name: net, accounts: [{name: network, account_id: "100000000001"}]}]
links:
  - {kind: transit_gateway, name: tgw-use1, account: network, region: us-east-1, asn: 64512,
     route_tables: [{name: rt}], attachments: [{name: att-peer, kind: peering, target: use1-apne1, route_table: rt}]}
  - {kind: transit_gateway, name: tgw-apne1, account: network, region: ap-northeast-1, asn: 64513,
     route_tables: [{name: rt}]}
  - {kind: tgw_peering, name: use1-apne1, a: tgw-use1, b: tgw-apne1}
"""


def _kinds(obj: object, seen: set[str]) -> None:
    if isinstance(obj, BaseModel):
        seen.add(type(obj).__name__)
        for name in type(obj).model_fields:
            _kinds(getattr(obj, name), seen)
    elif isinstance(obj, tuple | list):
        for item in obj:
            _kinds(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            _kinds(item, seen)


def test_every_model_kind_is_exercised(reference_estate: est.Estate, small_estate: est.Estate) -> None:
    seen: set[str] = set()
    for e in (reference_estate, small_estate, est.load_text(TGW_PEERING)):
        _kinds(e, seen)
    kinds = {
        name for name, cls in vars(model).items()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == model.__name__
    } - {"Frozen"}
    assert kinds - seen == set()


@pytest.mark.parametrize("name", ["dv-trading", "small"])
def test_round_trip_load_dump_load_is_equal(name: str, reference_estate: est.Estate,
                                            small_estate: est.Estate) -> None:
    e = reference_estate if name == "dv-trading" else small_estate
    text = est.to_yaml(e)
    again = est.load_text(text, "dumped.yaml")
    assert again == e
    assert est.to_yaml(again) == text


def test_reference_estate_contents(reference_estate: est.Estate) -> None:
    e = reference_estate
    assert {d.name for d in e.desks} == {"equities", "futures", "crypto", "research", "platform"}
    assert e.desk("crypto").isolated
    assert {v.name for v in e.venues} >= {"cme-globex", "binance", "coinbase", "kraken", "okx", "bybit", "deribit"}
    ic = e.links_of(model.Interconnect)[0]
    # the 99.99% topology: two metros, two edge availability domains in each
    assert {(a.metro, a.edge_availability_domain) for a in ic.attachments} == {
        ("chi", 1), ("chi", 2), ("dfw", 1), ("dfw", 2)}
    assert {a.region for a in ic.attachments} == {"us-central1", "us-south1"}
    assert all(k.secret_ref.startswith("aws-sm://") for v in e.venues for k in v.api_keys)


def test_objects_know_their_file_and_line(reference_estate: est.Estate) -> None:
    e = reference_estate
    w = e.workload("cme-order-router")
    loc = e.where(w)
    assert loc is not None and loc.file.endswith("workloads.yaml") and loc.line == 3
    desk_loc = e.where(w, "desk")
    assert desk_loc is not None and desk_loc.line == 4
    assert e.path_of(w) == "workloads[0]"
    rule = e.network("aws-use1-shared").security_groups[0].ingress[0]  # type: ignore[union-attr]
    rule_loc = e.where(rule)
    assert rule_loc is not None and rule_loc.file.endswith("networks-aws.yaml")
    assert est.load_text("name: x").where(object()) is None


def test_estate_is_immutable(small_estate: est.Estate) -> None:
    with pytest.raises(ValidationError):
        small_estate.desks[0].name = "other"  # type: ignore[misc]
    assert isinstance(small_estate.desks, tuple)


@pytest.mark.parametrize(("text", "start", "end"), [(443, 443, 443), ("443", 443, 443),
                                                    ("1024-65535", 1024, 65535)])
def test_port_ranges_parse_and_print(text: object, start: int, end: int) -> None:
    p = model.PortRange.model_validate(text)
    assert (p.start, p.end) == (start, end)
    assert p.model_dump() == str(p)


@pytest.mark.parametrize("text", ["80-", "http", "9-1", -1, "70000"])
def test_bad_port_ranges_are_rejected(text: object) -> None:
    with pytest.raises(ValidationError):
        model.PortRange.model_validate(text)


def test_route_and_peer_rules() -> None:
    with pytest.raises(ValidationError, match="needs 'via'"):
        model.AwsRoute(destination=IPv4Network("0.0.0.0/0"), target=model.RouteTarget.NAT)
    with pytest.raises(ValidationError, match="takes no 'via'"):
        model.AwsRoute(destination=IPv4Network("0.0.0.0/0"), target=model.RouteTarget.IGW, via="x")
    with pytest.raises(ValidationError, match="exactly one"):
        model.SgPeer()
    with pytest.raises(ValidationError, match="exactly one"):
        model.TgwRoute(destination=IPv4Network("10.0.0.0/8"))


def test_json_schema_covers_every_section() -> None:
    schema = json.loads(est.json_schema())
    assert set(schema["properties"]) == set(est.Estate.model_fields)
    assert schema["$schema"].endswith("2020-12/schema")
    port = schema["$defs"]["PortRange"]
    assert {"type": "integer", "minimum": 0, "maximum": 65535} in port["anyOf"]


def test_lookups(reference_estate: est.Estate) -> None:
    e = reference_estate
    assert len(e.aws_vpcs) + len(e.gcp_vpcs) == len(e.networks)
    assert e.venue("binance").ip_allowlist
    assert e.site("aurora-colo").asn == 65010
    with pytest.raises(KeyError):
        e.workload("nope")
