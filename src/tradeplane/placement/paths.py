"""Round trips along the path an estate declares, not the straight line between two places.

``estimate_rtt`` knows the catalog only. An estate says more about how a packet really travels:

- **Exits.** Traffic between a cloud zone and a site leaves the cloud where the estate's Direct
  Connect or Interconnect meets the provider: a DX connection's location, an Interconnect
  attachment's metro. A zone -> site round trip is zone -> exit -> site, the two legs estimated by
  ``estimate_rtt`` (``route_through``); the best exit of the declared links wins. Which links: a
  venue's ``connectivity`` entries naming a DX or Interconnect link (or the links of the estate site
  it is cross-connected at); an estate site's own links. No declared link: the straight model.
  The migration's colo <-> GCP crossing uses the same function.
- **Physical paths** (links of ``kind: path``): fibre, microwave or millimetre-wave routes between
  sites. A budget naming one in ``via`` is estimated zone -> the path's nearer end (through the
  exits above) -> the path -> its far end -> the target. The path's own figure is its declared
  ``rtt_us`` when given, else its length (``route_km``, or the great circle x the medium's route
  factor) at the medium's speed (``physics.MEDIA``). Radio paths carry their availability and the
  fallback's figure in the basis: rain takes them down.

Every composed figure is an ``Estimate`` (kind ``routed`` or ``path``): ``bound_us`` stays the
physical floor between the two ends (great circle in vacuum); ``fibre_bound_us`` becomes the floor
along the route taken (each leg's floor in its own medium); ``confidence`` the lowest of the legs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tradeplane.errors import EstateError, InputError
from tradeplane.estate import catalog
from tradeplane.estate.model import DirectConnect, Estate, Interconnect, PhysicalPath, Venue
from tradeplane.placement import physics
from tradeplane.placement.latency import Confidence, Estimate, estimate_rtt, resolve_place

__all__ = ["Exit", "Routed", "Routes", "exits_of", "metro_place", "path_estimate", "route_through"]

_ORDER: dict[str, int] = {"high": 2, "medium": 1, "low": 0}


def _lowest(*cs: Confidence) -> Confidence:
    return min(cs, key=lambda c: _ORDER[c])


def _us(x: float) -> str:
    return f"{x:,.0f} µs"


@dataclass(frozen=True, order=True)
class Exit:
    """Where traffic leaves a cloud for the firm's sites: a Direct Connect location or an Interconnect metro."""

    cloud: str  # aws or gcp
    link: str  # the estate link
    code: str  # the Interconnect metro code (chi) or the DX connection's estate site (ch1-meetme)
    place: str  # the catalog place standing for it (equinix-ch1)


@dataclass(frozen=True)
class Routed:
    """A cloud place <-> site round trip through one exit: the whole figure and its two legs."""

    estimate: Estimate
    exit: Exit
    legs: tuple[Estimate, Estimate]


def metro_place(code: str, avoid: str = "") -> str | None:
    """A catalog place standing for an Interconnect metro code: an Equinix site there, else another
    site, else a region of that metro; ``None`` when the catalog knows no place in it. ``avoid``: a
    place not to pick (the colocation itself, which is not the provider's edge)."""
    metro = catalog.INTERCONNECT_METROS.get(code)
    if metro is None:
        return None
    sites = sorted(p.name for p in catalog.SITES.values() if p.metro == metro and p.name != avoid)
    preferred = [s for s in sites if s.startswith("equinix-")] or sites
    if preferred:
        return preferred[0]
    regions = sorted(p.name for p in catalog.REGIONS.values() if p.metro == metro)
    return regions[0] if regions else None


def exits_of(estate: Estate, link: DirectConnect | Interconnect) -> tuple[Exit, ...]:
    """The exits of one link: each DX connection's location, each Interconnect attachment's metro (sorted)."""
    out: set[Exit] = set()
    sites = {s.name: s.location for s in estate.sites if s.location}
    if isinstance(link, DirectConnect):
        for conn in link.connections:
            if conn.location in sites:
                out.add(Exit("aws", link.name, conn.location, sites[conn.location]))
    else:
        home = sites.get(link.site, "")
        for att in link.attachments:
            place = metro_place(att.metro, avoid=home)
            if place is not None:
                out.add(Exit("gcp", link.name, att.metro, place))
    return tuple(sorted(out))


def _combine(a: str, b: str, legs: list[Estimate], kind: str, basis: str, sources: tuple[str, ...],
             floor: float) -> Estimate:
    pa, pb = resolve_place(a), resolve_place(b)
    km = physics.great_circle_km(pa.lat, pa.lon, pb.lat, pb.lon)
    return Estimate(a, b, sum(e.rtt_us for e in legs), physics.vacuum_bound_rtt_us(km), kind,  # type: ignore[arg-type]
                    basis, sources, km, floor, _lowest(*(e.confidence for e in legs)),
                    "along the route: " + " + ".join(_us(e.fibre_bound_us) for e in legs) + ", each leg's own floor")


def _sources(*legs: Estimate) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for e in legs for s in e.sources))


def route_through(place: str, site: str, exits: Iterable[Exit]) -> Routed | None:
    """The best round trip from cloud ``place`` (a zone or region) to catalog site ``site`` through one of
    ``exits`` of the place's cloud: place -> exit -> site, each leg from ``estimate_rtt``. Ties go to the
    first exit in sort order. ``None`` when no exit belongs to the place's cloud."""
    cloud = resolve_place(place).cloud
    best: Routed | None = None
    for x in sorted(set(exits)):
        if x.cloud != cloud:
            continue
        leg1, leg2 = estimate_rtt(place, x.place), estimate_rtt(x.place, site)
        total = leg1.rtt_us + leg2.rtt_us
        edge = "Direct Connect location" if x.cloud == "aws" else "Interconnect metro"
        basis = (f"{place} -> {edge} {x.code} ({x.place}) {_us(leg1.rtt_us)} [{leg1.basis}] + {x.place} -> {site} "
                 f"{_us(leg2.rtt_us)} [{leg2.basis}] over {x.link}")
        est = _combine(place, site, [leg1, leg2], "routed", basis, _sources(leg1, leg2),
                       leg1.fibre_bound_us + leg2.fibre_bound_us)
        r = Routed(est, x, (leg1, leg2))
        if best is None or (total, r.exit) < (best.estimate.rtt_us, best.exit):
            best = r
    return best


def path_estimate(estate: Estate, path: PhysicalPath) -> Estimate:
    """The round trip end to end over one physical path: its declared ``rtt_us``, else its length at the
    medium's speed. The basis names the medium, its availability and weather caveat, and the fallback's
    figure when one is declared. Raises ``EstateError`` (located) for an end that is not a place."""
    a, b = _end(estate, path, "a"), _end(estate, path, "b")
    medium = physics.MEDIA[path.medium]
    km = catalog.distance_km(a, b)
    if path.route_km is not None:
        length, how = path.route_km, f"{path.route_km:,.0f} km route"
    else:
        length = km * medium.route_factor
        how = f"{km:,.0f} km great circle x {medium.route_factor} route factor"
    model = length * medium.us_per_km_rtt
    if path.rtt_us is not None:
        rtt = path.rtt_us
        basis = f"{path.medium} path {path.name}: declared {_us(rtt)} round trip"
        sources = tuple(s for s in (path.source,) if s) or (f"estate link {path.name}",)
        conf: Confidence = "medium"
    else:
        rtt = model
        basis = f"{path.medium} path {path.name}: {how} x {medium.us_per_km_rtt:.3f} µs/km = {_us(rtt)}"
        sources = tuple(s for s in (path.source, medium.source) if s)
        conf = "low"
    floor = km * medium.us_per_km_rtt
    if path.availability is not None:
        basis += f"; up {path.availability:.3%} of the time ({medium.caveat})"
    if path.fallback is not None:
        fb = next((p for p in estate.links_of(PhysicalPath) if p.name == path.fallback), None)
        if fb is not None and fb.fallback != path.name:
            basis += f"; when down, over {fb.name}: {_us(path_estimate(estate, fb).rtt_us)}"
    pa, pb = catalog.PLACES[a], catalog.PLACES[b]
    return Estimate(a, b, rtt, physics.vacuum_bound_rtt_us(physics.great_circle_km(pa.lat, pa.lon, pb.lat, pb.lon)),
                    "path", basis, sources, km, floor, conf,
                    f"{km:,.0f} km great circle in {path.medium} at {medium.us_per_km_rtt:.3f} µs/km")


def _end(estate: Estate, path: PhysicalPath, end: str) -> str:
    name: str = path.a if end == "a" else path.b
    for s in estate.sites:
        if s.name == name and s.location:  # a site without one is refused by estate/refs.py
            return s.location
    if name in catalog.SITES:
        return name
    raise EstateError.single(f"path '{path.name}': end '{name}' is neither an estate site nor a catalog site",
                             location=estate.where(path, end), field=end,
                             hint="name an estate site (sites:) or a catalog site, e.g. cme-aurora")


@dataclass
class Routes:
    """The round trips of one estate, memoised: ``rtt(place, to, via)`` for every budget placement checks.

    ``to`` is a venue, an estate site or a catalog place; ``via`` a path link's name or ``None``.
    """

    estate: Estate
    _cache: dict[tuple[str, str, str], Estimate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        e = self.estate
        self._venues: dict[str, Venue] = {v.name: v for v in e.venues}
        self._sites = {s.name: s.location for s in e.sites if s.location}
        self._links = {lk.name: lk for lk in e.links}
        self._paths = {p.name: p for p in e.links_of(PhysicalPath)}

    def target_place(self, to: str) -> str:
        """The catalog place of a venue, estate site or catalog place."""
        if to in self._venues:
            return self._venues[to].location
        if to in self._sites:
            return self._sites[to]
        return resolve_place(to).name

    def exits_to(self, to: str) -> tuple[Exit, ...]:
        """The exits the estate declares for traffic to ``to``: a venue's DX / Interconnect connectivity (or
        the links of the estate site it is cross-connected at); an estate site's own links."""
        links: list[DirectConnect | Interconnect] = []
        sites: list[str] = []
        if to in self._venues:
            for c in self._venues[to].connectivity:
                link = self._links.get(c.via or "")
                if isinstance(link, DirectConnect | Interconnect):
                    links.append(link)
                elif c.via in self._sites:
                    sites.append(c.via)
        elif to in self._sites:
            sites.append(to)
        for lk in self.estate.links:
            if isinstance(lk, DirectConnect | Interconnect) and lk.site in sites:
                links.append(lk)
        return tuple(sorted({x for lk in links for x in exits_of(self.estate, lk)}))

    def rtt(self, place: str, to: str, via: str | None = None) -> Estimate:
        """The round trip from cloud ``place`` (a zone or region) to ``to`` along the declared path."""
        key = (place, to, via or "")
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._rtt(place, to, via)
        return hit

    def between(self, a: str, b: str, via: str | None = None) -> Estimate:
        """The round trip ``plan`` and ``place`` judge a latency budget between ``a`` and ``b`` on (what
        ``tradeplane place latency A B ESTATE`` prints): ``rtt`` from the cloud end to the other end, so a
        zone -> venue or site pair goes through the estate's exits (and over ``via``, a path link, as a
        budget naming it does). ``a`` and ``b``: catalog places, catalog venues, the estate's venues and
        sites; either order. Raises ``InputError`` for an unknown place or path."""
        if via is not None and via not in self._paths:
            raise InputError.single(f"unknown path '{via}'", field="via",
                                    hint="the estate's paths (links of kind path): "
                                    + (", ".join(sorted(self._paths)) or "none is declared"))
        pa, pb = resolve_place(self.target_place(a)), resolve_place(self.target_place(b))
        if pa.kind == "site" and pb.kind != "site":  # budgets run from the workload's zone to the target
            a, b, pa = b, a, pb
        return self.rtt(pa.name, b, via)

    def _leg(self, place: str, site: str, exits: tuple[Exit, ...]) -> Estimate:
        p = resolve_place(place)
        if p.kind == "site" or resolve_place(site).kind != "site":
            return estimate_rtt(place, site)
        routed = route_through(place, site, exits)
        return routed.estimate if routed is not None else estimate_rtt(place, site)

    def _rtt(self, place: str, to: str, via: str | None) -> Estimate:
        target = self.target_place(to)
        if via is None or via not in self._paths:
            return self._leg(place, target, self.exits_to(to))
        path = self._paths[via]
        over = path_estimate(self.estate, path)
        a, b = over.a, over.b
        # The exits declared for either end: an estate site's links, and the links of venues located there.
        ends = {path.a, path.b}
        ends |= {v.name for v in self._venues.values() if v.location in (a, b)}
        exits = tuple(sorted({x for name in sorted(ends) for x in self.exits_to(name)}))
        # Enter at the end nearer the place (through the estate's exits), leave at the other.
        options = []
        for near, far in ((a, b), (b, a)):
            leg1 = self._leg(place, near, exits)
            leg2 = estimate_rtt(far, target)
            options.append((leg1.rtt_us + over.rtt_us + leg2.rtt_us, near, far, leg1, leg2))
        _, near, far, leg1, leg2 = min(options, key=lambda t: (t[0], t[1]))
        basis = (f"{place} -> {near} {_us(leg1.rtt_us)} [{leg1.basis}] + {over.basis} + {far} -> {target} "
                 f"{_us(leg2.rtt_us)} [{leg2.basis}]")
        return _combine(place, target, [leg1, over, leg2], "path", basis, _sources(leg1, over, leg2),
                        leg1.fibre_bound_us + over.fibre_bound_us + leg2.fibre_bound_us)
