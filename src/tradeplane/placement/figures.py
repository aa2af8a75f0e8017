"""The latency figures the model ships, each with its source and date.

Three kinds: measured inter-region round trips (public measurements), the
fabric figures of each cloud (same placement group, same zone, across zones of
a region) and the hops on the way out of a cloud (a same-building cross-connect,
the Direct Connect / Interconnect edge). Where no provider publishes a figure the
entry says it is an assumption and what it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CROSS_CONNECT",
    "EDGE_HOP",
    "FABRIC",
    "MEASURED",
    "METRO_SPAN",
    "CloudFabric",
    "Figure",
    "Measurement",
    "measured_rtt",
]


@dataclass(frozen=True)
class Figure:
    """One round-trip figure in microseconds and where it comes from."""

    rtt_us: float
    source: str
    as_of: str


@dataclass(frozen=True)
class CloudFabric:
    """Round trips inside one cloud region."""

    cloud: str
    group: Figure  # same cluster placement group / compact placement policy
    zone: Figure  # same zone, no group
    inter_zone: Figure  # different zones of one region


@dataclass(frozen=True)
class Measurement:
    a: str  # region names of the catalog
    b: str
    rtt_us: float
    source: str
    as_of: str


_PUTRA = ("Anton Putra, video 'Reduce AWS Latency by 200x: Drop from 7ms to 35us' (EC2 ping: placement group "
          "35 µs, same AZ 100 µs, different AZ 300 µs; summary at recapio.com); inter-AZ spread 0.25-3.37 ms "
          "best-of-50 in xkyle.com 'Measuring AWS Region and AZ Latency'")
_GCP_REGION = ("Google Cloud, 'Best practices for Compute Engine regions selection': locations within a "
               "region have round-trip latencies under 1 ms at the 95th percentile")

FABRIC: dict[str, CloudFabric] = {
    "aws": CloudFabric(
        "aws",
        group=Figure(35.0, "cluster placement group: " + _PUTRA, "undated"),
        zone=Figure(100.0, "same Availability Zone: " + _PUTRA, "undated"),
        inter_zone=Figure(300.0, "different Availability Zones of one region: " + _PUTRA, "undated"),
    ),
    "gcp": CloudFabric(
        "gcp",
        group=Figure(35.0, "compact placement policy: assumed equal to the AWS cluster placement group "
                           "figure (Google publishes none)", "2026-11"),
        zone=Figure(100.0, "same zone: assumed equal to the AWS same-zone figure (Google publishes none)",
                    "2026-11"),
        inter_zone=Figure(1000.0, "different zones of one region: the published p95 ceiling; "
                          + _GCP_REGION, "archived 2019-10, still published"),
    ),
}

CROSS_CONNECT = Figure(
    10.0,
    "same-building cross-connect: under 300 m of fibre (2.9 µs round trip) plus two switch hops; "
    "physical estimate, no published figure",
    "2026-11",
)

EDGE_HOP = Figure(
    100.0,
    "Direct Connect / Dedicated Interconnect edge: the cross-connect at the provider's edge facility and "
    "two router hops (customer router, provider edge); assumption, neither provider publishes a figure",
    "2026-11",
)

METRO_SPAN = Figure(
    50.0 * 9.795,
    "one metro, buildings not in the catalog: 50 km of fibre assumed "
    "(AWS keeps the zones of a region within 100 km of each other)",
    "2026-11",
)

_CLOUDPING = "cloudping.co AWS inter-region p50 (includes some measurement overhead)"

MEASURED: tuple[Measurement, ...] = (
    Measurement("ap-northeast-1", "us-east-1", 149_400.0, _CLOUDPING, "2025-05-29"),
    Measurement("ap-northeast-1", "us-east-2", 135_500.0, _CLOUDPING, "2025-05-29"),
    Measurement("ap-northeast-1", "ap-southeast-1", 70_500.0, _CLOUDPING, "2025-05-29"),
    Measurement("us-east-1", "us-east-2", 14_700.0, _CLOUDPING, "2025-05-29"),
)

_BY_PAIR: dict[frozenset[str], Measurement] = {frozenset((m.a, m.b)): m for m in MEASURED}


def measured_rtt(a: str, b: str) -> Measurement | None:
    """The shipped measurement between two regions, either way round."""
    return _BY_PAIR.get(frozenset((a, b)))
