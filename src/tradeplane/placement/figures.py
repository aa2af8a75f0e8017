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

    @property
    def label(self) -> str:
        """The source's short name (up to its first parenthesis, comma or colon), for tables."""
        return self.source.split(" (")[0].split(",")[0].split(":")[0]


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
_GCP_DASHBOARD = ("Google Cloud Performance Dashboard (Network Intelligence Center, Google Cloud view): median "
                  "round trip between regions over 4 h (Google's own probes; whole ms), page captured 2023-11-27, "
                  "committed as github.com/ubc-cirrus-lab/caribou multi_x_serverless/global_routing/internal/"
                  "trackers/data/gcp_rtt_latency_between_regions.html (commit 84ed945)")
_REGISTER = ("The Register, 2013-02-27: Aurora <-> Carteret over fibre 12.98 ms round trip "
             "(microwave 8.23 ms on the same route)")


def _gcp(a: str, b: str, *ms: float, fit: bool = True) -> Measurement:
    """A pair of the GCP dashboard matrix from the directions read (ms, one or both), averaged."""
    return Measurement(a, b, 1000.0 * sum(ms) / len(ms), _GCP_DASHBOARD, "2023-11-27", "medium", fit)


# Every published figure we could source (../shared/FACTS.md and below). GCP: the Performance Dashboard's
# inter-region matrix (Google's own probes, the median over 4 hours) as captured on 2023-11-27 and committed
# as HTML to a public repository, which gives every pair of the catalog's GCP regions; the dashboard shows
# whole milliseconds (tenths below 10 ms); where both directions were read (first a -> b) they are averaged.
# Two pairs differ by direction: Singapore <-> Iowa (227 / 205 ms) and Singapore <-> South Carolina
# (237 / 218 ms). AWS pairs without a row here
# (eu-west-2, ap-east-1, ...) and pairs across clouds come from the route model fitted on these pairs
# (``fitted_route``).
# Left out of the fit (``fit=False``), kept as figures for their own pair:
# - the 2017 AWS table (low confidence: AWS's routes have changed since; us-east-1 <-> us-west-2 is 60-87 ms
#   across public sources); mixed in, its detours (Frankfurt <-> Tokyo 236.6 ms over 9,350 km) push the
#   fixed part to about 20 ms and every short pair far too high. Its Frankfurt <-> Singapore (325.9 ms,
#   round through the US then) is not shipped at all. Low-confidence figures never enter the fit.
# - GCP London <-> Tokyo and London <-> Hong Kong (214 and 205 ms over about 9,600 km, 2.2-2.3x the fibre
#   floor, where every other GCP pair over 5,000 km is 1.2-1.6x): Google carried them round through North America
#   (London <-> Oregon plus Oregon <-> Tokyo is about the same), a detour no great-circle model can know.
# benchmarks/placement.py prints the model's error against every one of them.
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
    _gcp("asia-east2", "asia-northeast1", 49, 50),
    _gcp("asia-east2", "asia-southeast1", 36),
    _gcp("asia-east2", "europe-west2", 205, 205, fit=False),
    _gcp("asia-east2", "us-central1", 167, 167),
    _gcp("asia-east2", "us-east1", 197, 197),
    _gcp("asia-east2", "us-east4", 186),
    _gcp("asia-east2", "us-south1", 170),
    _gcp("asia-northeast1", "asia-southeast1", 73),
    _gcp("asia-northeast1", "europe-west2", 214, 214, fit=False),
    _gcp("asia-northeast1", "us-central1", 144, 144),
    _gcp("asia-northeast1", "us-east1", 159, 158),
    _gcp("asia-northeast1", "us-east4", 143, 143),
    _gcp("asia-northeast1", "us-south1", 131),
    _gcp("asia-southeast1", "europe-west2", 169, 169),
    _gcp("asia-southeast1", "us-central1", 227, 205),
    _gcp("asia-southeast1", "us-east1", 237, 218),
    _gcp("asia-southeast1", "us-east4", 212, 213),
    _gcp("asia-southeast1", "us-south1", 190, 190),
    _gcp("europe-west2", "us-central1", 93, 93),
    _gcp("europe-west2", "us-east1", 87),
    _gcp("europe-west2", "us-east4", 76),
    _gcp("europe-west2", "us-south1", 105),
    _gcp("us-central1", "us-east1", 31, 31),
    _gcp("us-central1", "us-east4", 23, 23),
    _gcp("us-central1", "us-south1", 16, 16),
    _gcp("us-east1", "us-east4", 11, 11),
    _gcp("us-east1", "us-south1", 28, 27),
    _gcp("us-east4", "us-south1", 32, 32),
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
        by_source: dict[str, int] = {}
        for m in MEASURED:
            if f"{m.a}-{m.b}" in self.pairs:
                label = f"{m.label} {m.as_of}"
                by_source[label] = by_source.get(label, 0) + 1
        where = "; ".join(f"{n} from {label}" for label, n in by_source.items())
        return (f"route model fitted on {len(self.pairs)} measured pairs ({where}): "
                f"{self.fixed_us:,.0f} µs + {self.factor:.3f} x great circle in fibre")


def fitted_route(exclude: frozenset[str] | None = None) -> RouteFit:
    """The route model fitted on the measured region pairs (``exclude``: leave one pair out, to test it).

    Only pairs of medium or high confidence marked ``fit`` take part: low-confidence figures and detours
    are kept for their own pair and never shape the estimate of another.
    """
    from tradeplane.estate import catalog
    from tradeplane.placement import physics

    pts: list[tuple[float, float]] = []
    names: list[str] = []
    for m in MEASURED:
        if not m.fit or m.confidence == "low" or (exclude is not None and frozenset((m.a, m.b)) == exclude):
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
