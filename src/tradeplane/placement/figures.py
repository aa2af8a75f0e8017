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
    "ROUTE_FIT",
    "CloudFabric",
    "Figure",
    "Measurement",
    "RouteFit",
    "fitted_route",
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
    """A published round trip between two catalog places (regions or sites), over fibre."""

    a: str  # place names of the catalog
    b: str
    rtt_us: float
    source: str
    as_of: str
    confidence: str = "high"  # high: measured and dated; medium: measured with overhead or old
    fit: bool = True  # False: a detour route (not along the great circle) kept as a figure, left out of the fit


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
_AWS_2017 = ("'Latency Between AWS Global Regions' (EC2 ping averages, both directions averaged here), tabulated in "
             "'A Computer Scientist Learns AWS: AWS Regions', 2017-04; old: AWS routes have changed since")
_REGISTER = ("The Register, 2013-02-27: Aurora <-> Carteret over fibre 12.98 ms round trip "
             "(microwave 8.23 ms on the same route)")

# Every published figure we could source (../shared/FACTS.md). No public static file of GCP's per-pair
# medians was found (Google shows them in its Performance Dashboard), so GCP pairs, and AWS pairs
# without a row here, are derived from the route model fitted on these pairs (``fitted_route``).
# The 2017 table's pairs are shipped as figures for their own pairs (low confidence: AWS's routes have
# changed since; us-east-1 <-> us-west-2 is 60-87 ms across public sources) but left out of the fit, which
# takes the dated 2025 figures only; mixed in, their detours (Frankfurt <-> Tokyo 236.6 ms over 9,350 km)
# push the fixed part to about 20 ms and every short pair far too high. Its Frankfurt <-> Singapore
# (325.9 ms, round through the US then) is not shipped at all. benchmarks/placement.py prints the model's
# error against every one of them.
MEASURED: tuple[Measurement, ...] = (
    Measurement("ap-northeast-1", "us-east-1", 149_400.0, _CLOUDPING, "2025-05-29", "medium"),
    Measurement("ap-northeast-1", "us-east-2", 135_500.0, _CLOUDPING, "2025-05-29", "medium"),
    Measurement("ap-northeast-1", "ap-southeast-1", 70_500.0, _CLOUDPING, "2025-05-29", "medium"),
    Measurement("us-east-1", "us-east-2", 14_700.0, _CLOUDPING, "2025-05-29", "medium"),
    Measurement("us-east-1", "us-west-2", 87_830.0, _AWS_2017, "2017-04", "low", fit=False),
    Measurement("eu-central-1", "us-east-1", 88_640.0, _AWS_2017, "2017-04", "low", fit=False),
    Measurement("eu-central-1", "us-west-2", 159_500.0, _AWS_2017, "2017-04", "low", fit=False),
    Measurement("ap-northeast-1", "us-west-2", 89_130.0, _AWS_2017, "2017-04", "low", fit=False),
    Measurement("ap-southeast-1", "us-east-1", 216_700.0, _AWS_2017, "2017-04", "low", fit=False),
    Measurement("ap-southeast-1", "us-west-2", 161_400.0, _AWS_2017, "2017-04", "low", fit=False),
    Measurement("ap-northeast-1", "eu-central-1", 236_550.0, _AWS_2017, "2017-04", "low", fit=False),
    Measurement("cme-aurora", "nasdaq-carteret", 12_980.0, _REGISTER, "2013-02-27", "medium"),
)

_BY_PAIR: dict[frozenset[str], Measurement] = {frozenset((m.a, m.b)): m for m in MEASURED}


def measured_rtt(a: str, b: str) -> Measurement | None:
    """The shipped measurement between two places, either way round."""
    return _BY_PAIR.get(frozenset((a, b)))


@dataclass(frozen=True)
class RouteFit:
    """Round trip = ``fixed_us`` + great-circle km x ``factor`` x fibre µs/km, least squares on measured pairs.

    The fixed part is what every path pays whatever its length (routers, the provider's edge, the
    measurement's own overhead); the factor is how much longer than the great circle the fibre runs.
    """

    fixed_us: float
    factor: float
    pairs: tuple[str, ...]

    @property
    def source(self) -> str:
        return (f"route model fitted on {len(self.pairs)} measured pairs ({', '.join(self.pairs)}): "
                f"{self.fixed_us:,.0f} µs + {self.factor:.3f} x great circle in fibre")


def fitted_route(exclude: frozenset[str] | None = None) -> RouteFit:
    """The route model fitted on the measured region pairs (``exclude``: leave one pair out, to test it)."""
    from tradeplane.estate import catalog
    from tradeplane.placement import physics

    pts: list[tuple[float, float]] = []
    names: list[str] = []
    for m in MEASURED:
        if not m.fit or (exclude is not None and frozenset((m.a, m.b)) == exclude):
            continue
        if m.a not in catalog.REGIONS or m.b not in catalog.REGIONS:
            continue
        pa, pb = catalog.REGIONS[m.a], catalog.REGIONS[m.b]
        x = physics.great_circle_km(pa.lat, pa.lon, pb.lat, pb.lon) * physics.FIBRE_US_PER_KM_RTT
        pts.append((x, m.rtt_us))
        names.append(f"{m.a}-{m.b}")
    n = len(pts)
    mx, my = sum(x for x, _ in pts) / n, sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    factor = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else physics.ROUTE_FACTOR
    fixed = my - factor * mx
    if fixed < 0 or factor < 1.0:  # physics: never shorter than the great circle, never a negative delay
        factor, fixed = max(1.0, sum(y for _, y in pts) / sum(x for x, _ in pts)), 0.0
    return RouteFit(fixed, factor, tuple(names))


ROUTE_FIT = fitted_route()
