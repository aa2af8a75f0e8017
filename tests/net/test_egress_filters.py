"""The one list of a source's egress filters (``net.walk.egress_filters``): what the walk crosses before the
first route, and what the internet-egress check asks which rule let traffic out."""

from __future__ import annotations

from ipaddress import IPv4Network

from tradeplane.estate import Estate
from tradeplane.net.dataplane import Dataplane
from tradeplane.net.reach import reach
from tradeplane.net.space import Interval, net_interval
from tradeplane.net.walk import egress_filters


def _described(dp: Dataplane, key: str) -> list[tuple[str, str, bool, Interval | None]]:
    return [(f.at, f.what, f.stateful, f.edge) for f in egress_filters(dp, dp.endpoints[key])]


def test_an_aws_instance_leaves_through_its_security_groups_then_its_subnets_nacl(
        reference_estate: Estate) -> None:
    dp = Dataplane.build(reference_estate)
    assert _described(dp, "workload:eq-strategy") == [
        ("eq-strategy", "security group egress", True, None),
        ("aws-use1-equities/trading-a", "NACL egress", False, net_interval(IPv4Network("10.10.0.0/24"))),
    ]
    (sg, nacl) = egress_filters(dp, dp.endpoints["workload:eq-strategy"])
    assert sg.filter is dp.sg_filter("aws-use1-equities", ("strategy-sg",), "egress")
    assert nacl.filter is dp.aws["aws-use1-equities"].nacl_out["nacl-trading"]


def test_a_gcp_instance_leaves_through_its_firewall_and_a_site_through_none(reference_estate: Estate) -> None:
    dp = Dataplane.build(reference_estate)
    assert _described(dp, "workload:futures-pricer") == [("futures-pricer", "firewall egress", True, None)]
    assert egress_filters(dp, dp.endpoints["site:aurora-colo"]) == ()
    assert egress_filters(dp, dp.endpoints["internet"]) == ()


def test_the_walks_first_hops_are_the_egress_filters_in_order(reference_estate: Estate) -> None:
    dp = Dataplane.build(reference_estate)
    answer = reach(dp, "eq-strategy", "futures-pricer", "tcp", [(7000, 7000)])
    (pair,) = answer.pairs
    first = [(h.node, h.action) for h in pair.delivered[0].hops[:2]]
    assert first == [("eq-strategy", "security group egress allowed"),
                     ("aws-use1-equities/trading-a", "NACL egress allowed")]
    gcp = reach(dp, "futures-pricer", "md-distributor", "tcp", [(9000, 9000)])
    (pair,) = gcp.pairs
    assert (pair.delivered[0].hops[0].node, pair.delivered[0].hops[0].action) == (
        "futures-pricer", "firewall egress allowed")
