"""Round-trip estimates between any two places of the catalog, each with its basis.

A place is a catalog region, zone or site (``tradeplane.estate.catalog``), or a
catalog venue name, which stands for the place its matching engine runs.
Preference order: the cloud's fabric figure inside one region; a shipped
measurement between two regions or sites; between regions without one, the
route model fitted on the measured pairs (``figures.ROUTE_FIT``); else the fibre
model (great circle x route factor at the speed of light in fibre), plus the hops
the path must take. Every estimate carries its basis and confidence, and two
floors: the great circle at the speed of light in vacuum (no network, microwave
included, can beat it) and in fibre.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from tradeplane.errors import InputError
from tradeplane.estate import catalog
from tradeplane.placement import figures, physics

__all__ = ["Confidence", "Estimate", "EstimateKind", "estimate_rtt", "model_rtt", "resolve_place", "venue_note"]

EstimateKind = Literal["measured", "fabric", "cross-connect", "fitted", "fibre-model", "routed", "path"]
Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Estimate:
    """A round-trip estimate from ``a`` to ``b`` in whole microseconds, and why.

    ``bound_us`` is the physical floor: the great circle at the speed of light in vacuum (no network,
    microwave included, can beat it); ``fibre_bound_us`` the floor of any fibre path. Inside a region
    both are the best fabric figure. ``kind`` is the basis (measured, fabric, cross-connect, fitted:
    the route model fitted on measured pairs, fibre-model; ``placement.paths`` adds routed: through the
    estate's Direct Connect / Interconnect exit, and path: over a declared physical path, whose
    ``fibre_bound_us`` is the floor along that route) and ``confidence`` how far to trust it.
    """

    a: str
    b: str
    rtt_us: float
    bound_us: float
    kind: EstimateKind
    basis: str
    sources: tuple[str, ...]
    distance_km: float
    fibre_bound_us: float = 0.0
    confidence: Confidence = "low"
    floor_basis: str = ""
    """What ``fibre_bound_us`` is, in words: the great circle in fibre between two places apart; inside
    one cloud region, the fabric's fastest figure (two instances in one cluster placement group or compact
    placement policy), not a distance; in one building, the cross-connect; along a route, the legs'
    floors summed."""

    def __post_init__(self) -> None:
        # One rounding everywhere: an estimate is a whole number of microseconds (the models are nowhere near
        # sub-µs accurate). What a budget is judged on, what every report prints and the smallest budget a
        # hint proposes are then the same figure (9,555.06 µs was judged as such, printed 9,555 by plan and
        # migrate and proposed as "at least 9,556" by place). A routed or path figure is the sum of its
        # legs' whole figures, so the legs its basis prints add up to it. Floors stay exact.
        object.__setattr__(self, "rtt_us", float(round(self.rtt_us)))

    def floor_text(self) -> str:
        """``fibre_bound_us`` and what it is, for a sentence: ``6,234 µs (637 km great circle in fibre at
        9.794 µs/km)``, or inside a region ``35 µs (aws fabric: two instances in one cluster placement
        group, the fastest round trip inside a region)``."""
        return f"{_us(self.fibre_bound_us)} ({self.floor_basis})" if self.floor_basis else _us(self.fibre_bound_us)

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "rtt_us": round(self.rtt_us, 1),
            "bound_us": round(self.bound_us, 1),
            "fibre_bound_us": round(self.fibre_bound_us, 1),
            "floor_basis": self.floor_basis,
            "kind": self.kind,
            "confidence": self.confidence,
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


_GROUP = {"aws": "cluster placement group", "gcp": "compact placement policy"}
"""What each cloud calls instances packed close together (the fabric's fastest figure, ``figures.FABRIC``)."""


@cache
def estimate_rtt(a: str, b: str, same_group: bool = False) -> Estimate:
    """The round trip between two places. ``same_group``: both ends share a placement group.

    Symmetric: ``estimate_rtt(a, b)`` and ``estimate_rtt(b, a)`` give the same figures.
    """
    pa, pb = resolve_place(a), resolve_place(b)
    if (pa.kind, pa.name) > (pb.kind, pb.name):
        pa, pb = pb, pa
    e = _estimate(pa, pb, same_group, figures.ROUTE_FIT, use_measured=True)
    return Estimate(a, b, e.rtt_us, e.bound_us, e.kind, e.basis, e.sources, e.distance_km, e.fibre_bound_us,
                    e.confidence, e.floor_basis)


def venue_note(name: str) -> str:
    """Where a catalog venue's matching engine is, in words, or ``""`` when ``name`` is not a venue (a
    place): ``binance: hosted in aws zone apne1-az4 (a cloud venue: reached inside the cloud; colocation
    does not apply)``, ``cme-globex: matching engine at site cme-aurora (colocation)``. The source is the
    catalog's venue location (``catalog.VENUE_LOCATIONS``)."""
    if name in catalog.PLACES:
        return ""
    venue = catalog.venue_location(name)
    if venue is None:
        return ""
    place = catalog.PLACES[venue.place]
    if place.kind == "site":
        return f"{name}: matching engine at site {place.name} (colocation)"
    known = "" if place.kind == "zone" else "; its zone is not known, so across zones"
    return (f"{name}: hosted in {place.cloud} {place.kind} {place.name} (a cloud venue: reached inside the cloud, "
            f"colocation does not apply{known})")


def model_rtt(a: str, b: str, fit: figures.RouteFit) -> Estimate:
    """What the model says for a pair with its measurement set aside and ``fit`` as the route model
    (``benchmarks/placement.py`` scores the model this way, pair by pair)."""
    pa, pb = resolve_place(a), resolve_place(b)
    if (pa.kind, pa.name) > (pb.kind, pb.name):
        pa, pb = pb, pa
    return _estimate(pa, pb, False, fit, use_measured=False)


def _fabric_sources(f: figures.Figure) -> tuple[str, ...]:
    return (f"{f.source} ({f.as_of})",)


def _estimate(pa: catalog.Place, pb: catalog.Place, same_group: bool, fit: figures.RouteFit,
              use_measured: bool) -> Estimate:
    km = physics.great_circle_km(pa.lat, pa.lon, pb.lat, pb.lon)
    cloud_a, cloud_b = pa.kind != "site", pb.kind != "site"
    region_a = pa.name if pa.kind == "region" else pa.region
    region_b = pb.name if pb.kind == "region" else pb.region

    def out(rtt: float, bound: float, kind: EstimateKind, basis: str, sources: tuple[str, ...], dist: float,
            fibre: float, confidence: Confidence, floor: str = "") -> Estimate:
        if not floor and dist < 1.0:  # two places of one metro at the same catalog coordinates
            floor = f"both at the {pa.metro} metro's catalog coordinates: no distance known, so no floor above zero"
        floor = floor or f"{dist:,.0f} km great circle in fibre at {physics.FIBRE_US_PER_KM_RTT:.3f} µs/km"
        return Estimate(pa.name, pb.name, rtt, bound, kind, basis, sources, dist, fibre, confidence, floor)

    # Inside one cloud region: the fabric figures. The floor is the fabric's fastest figure, not a distance.
    if cloud_a and cloud_b and region_a == region_b:
        fab = figures.FABRIC[pa.cloud]
        conf: Confidence = "medium" if pa.cloud == "aws" else "low"
        group = _GROUP[pa.cloud]
        floor = f"{pa.cloud} fabric: two instances in one {group}, the fastest round trip inside a region"
        if pa.kind == "zone" and pa.name == pb.name:
            f = fab.group if same_group else fab.zone
            what = f"same {group}" if same_group else "same zone"
            return out(f.rtt_us, fab.group.rtt_us, "fabric", f"{pa.cloud} {what} in {pa.name}: {_us(f.rtt_us)}",
                       _fabric_sources(f), 0.0, fab.group.rtt_us, conf, floor)
        f = fab.inter_zone
        if pa.kind == "zone" and pb.kind == "zone":
            what = f"different zones of {region_a}"
        else:
            zoned = [p.name for p in (pa, pb) if p.kind == "zone"]
            ends = f"{zoned[0]} and an unknown zone" if zoned else "unknown zones at both ends"
            what = f"{ends} of {region_a}, counted as different zones"
        return out(f.rtt_us, fab.group.rtt_us, "fabric", f"{pa.cloud} {what}: {_us(f.rtt_us)}",
                   _fabric_sources(f), 0.0, fab.group.rtt_us, conf, floor)

    bound = physics.vacuum_bound_rtt_us(km)
    fibre = physics.fibre_bound_rtt_us(km)
    floor_note = ""
    path_km = km
    if pa.metro == pb.metro and km < 1.0 and pa.name != pb.name:
        # Two facilities of one metro at the same catalog coordinates: assume the metro span.
        path_km = figures.METRO_SPAN.rtt_us / (physics.ROUTE_FACTOR * physics.FIBRE_US_PER_KM_RTT)
        floor_note = f" ({figures.METRO_SPAN.source})"

    # A published measurement between the two places (regions of one cloud, or two sites).
    m = figures.measured_rtt(region_a or pa.name, region_b or pb.name) if use_measured else None
    if m is not None and (cloud_a == cloud_b) and (not cloud_a or pa.cloud == pb.cloud):
        ends = f"{region_a or pa.name} <-> {region_b or pb.name}"
        return out(m.rtt_us, bound, "measured", f"measured {ends}: {_us(m.rtt_us)}", (f"{m.source} ({m.as_of})",),
                   km, fibre, m.confidence if m.confidence in ("high", "medium") else "low")  # type: ignore[arg-type]

    route = physics.route_rtt_us(path_km)
    model = (f"fibre model: {km:,.0f} km great circle x {physics.ROUTE_FACTOR} route factor x "
             f"{physics.FIBRE_US_PER_KM_RTT:.3f} µs/km = {_us(route)}{floor_note}")
    sources = (f"{physics.ROUTE_FACTOR_SOURCE}", "speed of light in fibre, group index 1.468 at 1550 nm")

    if not cloud_a and not cloud_b:
        f = figures.CROSS_CONNECT
        if pa.name == pb.name:
            return out(f.rtt_us, f.rtt_us, "cross-connect", f"same building ({pa.name}): cross-connect "
                       f"{_us(f.rtt_us)}", _fabric_sources(f), 0.0, f.rtt_us, "medium",
                       f"a cross-connect inside {pa.name}")
        return out(route + 2 * f.rtt_us, bound, "fibre-model",
                   f"{model} + a cross-connect at each end {_us(2 * f.rtt_us)}",
                   (*sources, f"{f.source} ({f.as_of})"), km, fibre, "low")

    hop = figures.EDGE_HOP
    if cloud_a and cloud_b:
        fitted = fit.fixed_us + fit.factor * km * physics.FIBRE_US_PER_KM_RTT
        text = (f"fitted route model: {fit.fixed_us:,.0f} µs + {km:,.0f} km x {fit.factor:.3f} x "
                f"{physics.FIBRE_US_PER_KM_RTT:.3f} µs/km = {_us(fitted)}")
        if pa.cloud == pb.cloud:
            return out(fitted, bound, "fitted", f"{text} (no measurement for {region_a} <-> {region_b})",
                       (fit.source,), km, fibre, "low")
        return out(fitted + hop.rtt_us, bound, "fitted", f"{text} + cross-cloud interconnect edge {_us(hop.rtt_us)}",
                   (fit.source, f"{hop.source} ({hop.as_of})"), km, fibre, "low")
    edge = {"aws": "Direct Connect", "gcp": "Interconnect"}.get(pa.cloud or pb.cloud, "provider")
    return out(route + hop.rtt_us, bound, "fibre-model", f"{model} + {edge} edge {_us(hop.rtt_us)}",
               (*sources, f"{hop.source} ({hop.as_of})"), km, fibre, "low")
