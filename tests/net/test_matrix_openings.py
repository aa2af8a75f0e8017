"""What a matrix cell opens, to where: services grouped by the destination prefixes they reach."""

from __future__ import annotations

from ipaddress import IPv4Network

from tradeplane.estate import Estate
from tradeplane.net import matrix
from tradeplane.net.dataplane import internet_intervals
from tradeplane.net.matrix import Opening, cidrs, openings
from tradeplane.net.space import Interval, Space, net_interval

TCP, UDP, ICMP = (6, 6), (17, 17), (1, 1)


def iv(cidr: str) -> Interval:
    return net_interval(IPv4Network(cidr))


def test_cidrs_are_the_fewest_prefixes() -> None:
    assert cidrs([iv("10.50.0.0/22"), iv("10.50.4.0/22")]) == ["10.50.0.0/21"]
    assert cidrs([(iv("10.52.0.0/16")[0], iv("10.53.0.0/20")[1])]) == ["10.52.0.0/16", "10.53.0.0/20"]
    assert cidrs([]) == []


def test_services_that_reach_the_same_prefixes_are_one_opening() -> None:
    space = Space([*Space.build(dst=[iv("10.0.0.0/24")], proto=[TCP], dport=[(443, 443), (9443, 9443)]),
                   *Space.build(dst=[iv("10.0.0.0/24")], proto=[ICMP])])
    assert [o.text() for o in openings(space)] == ["icmp, tcp 443, tcp 9443 to 10.0.0.0/24"]


def test_ports_open_to_different_prefixes_are_separate_openings() -> None:
    space = Space([*Space.build(dst=[iv("10.0.0.0/24")], proto=[TCP], dport=[(10000, 10000)]),
                   *Space.build(dst=[iv("10.0.0.0/24")], proto=[TCP], dport=[(443, 443)]),
                   *Space.build(dst=[iv("10.0.0.0/24"), iv("10.9.0.0/16")], proto=[TCP], dport=[(9000, 9010)]),
                   *Space.build(dst=[iv("10.9.0.0/16")], proto=[UDP], dport=[(53, 53)])])
    # in protocol and port order (numeric: 10000 after 9010)
    assert [o.text() for o in openings(space)] == [
        "tcp 443, tcp 10000 to 10.0.0.0/24",
        "tcp 9000-9010 to 10.0.0.0/24, 10.9.0.0/16",
        "udp 53 to 10.9.0.0/16",
    ]


def test_overlapping_port_ranges_are_cut_where_the_destinations_change() -> None:
    # tcp 1000-2000 to A, tcp 1500-3000 to B: 1000-1499 A, 1500-2000 A and B, 2001-3000 B
    space = Space([*Space.build(dst=[iv("10.1.0.0/16")], proto=[TCP], dport=[(1000, 2000)]),
                   *Space.build(dst=[iv("10.2.0.0/16")], proto=[TCP], dport=[(1500, 3000)])])
    assert [o.text() for o in openings(space)] == [
        "tcp 1000-1499 to 10.1.0.0/16",
        "tcp 1500-2000 to 10.1.0.0/16, 10.2.0.0/16",
        "tcp 2001-3000 to 10.2.0.0/16",
    ]


def test_every_protocol_is_all_and_every_port_of_one_is_its_full_range() -> None:
    anywhere = [iv("8.8.8.0/24")]
    assert [o.text() for o in openings(Space.build(dst=anywhere))] == ["all to 8.8.8.0/24"]
    assert [o.text() for o in openings(Space.build(dst=anywhere, proto=[TCP]))] == ["tcp 0-65535 to 8.8.8.0/24"]
    assert [o.text() for o in openings(Space.build(dst=anywhere, proto=[(47, 47)]))] == ["proto 47 to 8.8.8.0/24"]


def test_the_internet_is_named_with_its_exceptions_when_that_is_shorter() -> None:
    internet = internet_intervals()
    cme = iv("198.51.100.0/24")
    most = Space.build(dst=internet, proto=[TCP], dport=[(443, 443)]).subtract(Space.build(dst=[cme]))
    (o,) = openings(most, "internet", internet)
    assert o.text() == "tcp 443 to internet except 198.51.100.0/24"
    assert o.excepted == ("198.51.100.0/24",) and o.segment == "internet"
    assert "198.51.100.0/24" not in o.prefixes and "198.51.101.0/24" in o.prefixes
    (whole,) = openings(Space.build(dst=internet, proto=[TCP], dport=[(443, 443)]), "internet", internet)
    assert whole.destinations() == "internet" and whole.excepted == ()
    # a few addresses of the internet: their prefixes, not "internet except" most of it
    (few,) = openings(Space.build(dst=[iv("199.36.153.8/30")], proto=[TCP], dport=[(443, 443)]), "internet",
                      internet)
    assert few.text() == "tcp 443 to 199.36.153.8/30" and few.segment == ""


def test_long_prefix_lists_are_cut_in_the_text_and_whole_in_json() -> None:
    many = [iv(f"10.{i}.0.0/16") for i in range(0, 12, 2)]
    (o,) = openings(Space.build(dst=many, proto=[TCP], dport=[(22, 22)]))
    assert o.text() == "tcp 22 to 10.0.0.0/16, 10.2.0.0/16, 10.4.0.0/16, 10.6.0.0/16, +2 more"
    assert o.to_json() == {"services": ["tcp 22"], "to": o.destinations(),
                           "prefixes": [f"10.{i}.0.0/16" for i in range(0, 12, 2)], "segment": "", "except": []}
    assert isinstance(o, Opening)


def test_the_reference_estates_cells_say_where_they_are_open(reference_estate: Estate) -> None:
    m = matrix(reference_estate)
    text = {(a, b): "; ".join(o.text() for o in c.openings()) for (a, b), c in m.cells.items() if c.reachable}
    assert text == {
        ("crypto", "internet"): "tcp 443, tcp 9443 to internet",
        ("equities", "futures"): "tcp 7000 to 10.50.0.0/21, 10.50.16.0/20, 10.52.0.0/16, 10.53.0.0/20",
        ("equities", "platform"): "tcp 9000-9010 to 10.0.0.0/24",
        ("futures", "equities"): "tcp 7000 to 10.10.0.0/24",
        # CME Globex's prefix is routed over the interconnect, nasdaq's over Direct Connect: not the internet
        ("futures", "internet"): "tcp 443 to internet except 198.51.100.0/24",
        ("futures", "platform"): "tcp 9000-9010 to 10.0.0.0/24",
        ("platform", "internet"): "tcp 443 to internet",
        ("research", "internet"): "tcp 443 to internet except 203.0.113.0/25",
        ("research", "platform"): "tcp 9000-9010 to 10.0.0.0/24",
    }
    cell = next(c for c in m.to_json()["cells"] if (c["src"], c["dst"]) == ("futures", "internet"))
    (opened,) = cell["open"]
    assert opened["services"] == ["tcp 443"] and opened["to"] == "internet except 198.51.100.0/24"
    assert opened["segment"] == "internet" and opened["except"] == ["198.51.100.0/24"]
    assert cell["services"] == "tcp 443"  # the protocol/port summary stays as it was
    unreachable = next(c for c in m.to_json()["cells"] if (c["src"], c["dst"]) == ("crypto", "equities"))
    assert unreachable["open"] == []


def test_port_ranges_that_together_cover_every_port_and_protocol_are_all() -> None:
    anywhere = [iv("8.8.8.0/24")]
    split = Space([*Space.build(dst=anywhere, proto=[TCP], dport=[(0, 1023)]),
                   *Space.build(dst=anywhere, proto=[TCP], dport=[(1024, 65535)]),
                   *Space.build(dst=anywhere, proto=[(0, 5), (7, 255)])])
    assert [o.text() for o in openings(split)] == ["all to 8.8.8.0/24"]
