"""Round-trip estimates between any two places of the catalog, each with its basis.

A place is a catalog region, zone or site (``tradeplane.estate.catalog``), or a
catalog venue name, which stands for the place its matching engine runs.
Preference order: a shipped measurement between two regions, the cloud's
fabric figure inside one region, else the fibre model (great circle x route
factor at the speed of light in fibre) plus the hops the path must take. Every
estimate also carries the physical bound: the great-circle fibre round trip no
network can beat.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from tradeplane.errors import InputError
from tradeplane.estate import catalog
from tradeplane.placement import figures, physics

__all__ = ["Estimate", "EstimateKind", "estimate_rtt", "resolve_place"]

EstimateKind = Literal["measured", "fabric", "cross-connect", "fibre-model"]


@dataclass(frozen=True)
class Estimate:
    """A round-trip estimate from ``a`` to ``b`` in microseconds, and why."""

    a: str
    b: str
    rtt_us: float
    bound_us: float  # the physical floor: great-circle fibre (or the best fabric figure inside a region)
    kind: EstimateKind
    basis: str
    sources: tuple[str, ...]
    distance_km: float

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "rtt_us": round(self.rtt_us, 1),
            "bound_us": round(self.bound_us, 1),
            "kind": self.kind,
            "basis": self.basis,
            "sources": list(self.sources),
            "distance_km": round(self.distance_km, 1),
        }


def resolve_place(name: str) -> catalog.Place:
    """A catalog place by name, or the place of a catalog venue's matching engine."""
    if name in catalog.PLACES:
        return catalog.PLACES[name]
    venue = catalog.venue_location(name)
    if venue is not None:
        return catalog.PLACES[venue.place]
    known = sorted({*catalog.REGIONS, *catalog.SITES, *(v.venue for v in catalog.VENUE_LOCATIONS)})
    raise InputError.single(
        f"unknown place '{name}'",
        field="place",
        hint="give a catalog region, zone (AWS zone id, e.g. use1-az4; GCP zone, e.g. us-central1-a), site "
        "or venue: " + ", ".join(known),
    )


def _us(x: float) -> str:
    return f"{x:,.0f} µs" if x >= 10 else f"{x:.1f} µs"


@cache
def estimate_rtt(a: str, b: str, same_group: bool = False) -> Estimate:
    """The round trip between two places. ``same_group``: both ends share a placement group.

    Symmetric: ``estimate_rtt(a, b)`` and ``estimate_rtt(b, a)`` give the same figures.
    """
    pa, pb = resolve_place(a), resolve_place(b)
    if (pa.kind, pa.name) > (pb.kind, pb.name):
        pa, pb = pb, pa
    rtt, bound, kind, basis, sources, km = _estimate(pa, pb, same_group)
    return Estimate(a, b, rtt, bound, kind, basis, sources, km)


def _fabric_sources(f: figures.Figure) -> tuple[str, ...]:
    return (f"{f.source} ({f.as_of})",)


def _estimate(pa: catalog.Place, pb: catalog.Place, same_group: bool
              ) -> tuple[float, float, EstimateKind, str, tuple[str, ...], float]:
    km = physics.great_circle_km(pa.lat, pa.lon, pb.lat, pb.lon)
    cloud_a, cloud_b = pa.kind != "site", pb.kind != "site"
    region_a = pa.name if pa.kind == "region" else pa.region
    region_b = pb.name if pb.kind == "region" else pb.region

    # Inside one cloud region: the fabric figures.
    if cloud_a and cloud_b and region_a == region_b:
        fab = figures.FABRIC[pa.cloud]
        if pa.kind == "zone" and pa.name == pb.name:
            f = fab.group if same_group else fab.zone
            what = "same placement group" if same_group else "same zone"
            return (f.rtt_us, fab.group.rtt_us, "fabric", f"{pa.cloud} {what} in {pa.name}: {_us(f.rtt_us)}",
                    _fabric_sources(f), 0.0)
        f = fab.inter_zone
        if pa.kind == "zone" and pb.kind == "zone":
            what = f"different zones of {region_a}"
        else:
            what = f"somewhere in region {region_a} (its zone is not known, so across zones)"
        return (f.rtt_us, fab.group.rtt_us, "fabric", f"{pa.cloud} {what}: {_us(f.rtt_us)}",
                _fabric_sources(f), 0.0)

    bound = physics.fibre_bound_rtt_us(km)
    floor_note = ""
    path_km = km
    if pa.metro == pb.metro and km < 1.0 and pa.name != pb.name:
        # Two facilities of one metro at the same catalog coordinates: assume the metro span.
        path_km = figures.METRO_SPAN.rtt_us / (physics.ROUTE_FACTOR * physics.FIBRE_US_PER_KM_RTT)
        floor_note = f" ({figures.METRO_SPAN.source})"

    # Between two regions of one cloud: a measurement if there is one.
    if cloud_a and cloud_b and pa.cloud == pb.cloud:
        m = figures.measured_rtt(region_a, region_b)
        if m is not None:
            return (m.rtt_us, bound, "measured", f"measured {region_a} <-> {region_b}: {_us(m.rtt_us)}",
                    (f"{m.source} ({m.as_of})",), km)

    route = physics.route_rtt_us(path_km)
    model = (f"fibre model: {km:,.0f} km great circle x {physics.ROUTE_FACTOR} route factor x "
             f"{physics.FIBRE_US_PER_KM_RTT:.3f} µs/km = {_us(route)}{floor_note}")
    sources = [f"{physics.ROUTE_FACTOR_SOURCE}", "speed of light in fibre, group index 1.468 at 1550 nm"]

    if not cloud_a and not cloud_b:
        if pa.name == pb.name:
            f = figures.CROSS_CONNECT
            return (f.rtt_us, f.rtt_us, "cross-connect", f"same building ({pa.name}): cross-connect "
                    f"{_us(f.rtt_us)}", _fabric_sources(f), 0.0)
        f = figures.CROSS_CONNECT
        return (route + 2 * f.rtt_us, bound, "fibre-model",
                f"{model} + a cross-connect at each end {_us(2 * f.rtt_us)}",
                (*sources, f"{f.source} ({f.as_of})"), km)

    hop = figures.EDGE_HOP
    if cloud_a and cloud_b:
        if pa.cloud == pb.cloud:
            return (route, bound, "fibre-model", f"{model} (no measurement for {region_a} <-> {region_b})",
                    tuple(sources), km)
        return (route + hop.rtt_us, bound, "fibre-model",
                f"{model} + cross-cloud interconnect edge {_us(hop.rtt_us)}",
                (*sources, f"{hop.source} ({hop.as_of})"), km)
    edge = {"aws": "Direct Connect", "gcp": "Interconnect"}.get(pa.cloud or pb.cloud, "provider")
    return (route + hop.rtt_us, bound, "fibre-model", f"{model} + {edge} edge {_us(hop.rtt_us)}",
            (*sources, f"{hop.source} ({hop.as_of})"), km)
