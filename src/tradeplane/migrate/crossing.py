"""The round trip between the colocation and GCP: the path really goes through an Interconnect metro.

A workload left in the colocation talks to one already in GCP over the site's Interconnect: the
packets go from the site to the metro where the attachment meets Google's edge, then over Google's
backbone to the zone. The figure is placement's ``paths.route_through`` (the same function placement
uses for every zone <-> site budget): the sum of the two legs, each from placement's latency model
with its sources. The bound is placement's floor for the same route (``Estimate.floor_text``: the
legs' fibre floors summed), the one figure every migrate message gives, as placement does. The best
attachment metro is the one the path takes; a single attachment failure leaves the other attachment
of the same metro (99.99% topology), so the figure holds under one failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradeplane.estate import Estate, Interconnect
from tradeplane.placement import exits_of, metro_place, route_through

__all__ = ["Crossing", "crossing_rtt", "metro_place"]


@dataclass(frozen=True)
class Crossing:
    """A colocation <-> GCP round trip: ``rtt_us`` estimated, ``bound_us`` never beatable, and how."""

    site_place: str
    place: str  # the GCP zone or region at the far end
    metro: str  # the Interconnect metro code the path uses (e.g. chi)
    via: str  # the catalog place standing for that metro (e.g. equinix-ch1)
    rtt_us: float
    bound_us: float
    basis: str
    floor: str = ""  # ``bound_us`` and what it is, e.g. "7,258 µs (along the route: 6,745 µs + 512 µs, ...)"

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site_place, "place": self.place, "metro": self.metro, "via": self.via,
                "rtt_us": round(self.rtt_us, 1), "bound_us": round(self.bound_us, 1), "floor": self.floor,
                "basis": self.basis}


def crossing_rtt(estate: Estate, site: str, place: str) -> Crossing | None:
    """The best round trip from estate site ``site`` to GCP ``place`` (a zone or region) through one of
    the site's Interconnect metros; ``None`` when the site has no Interconnect or no catalog location."""
    site_place = estate.site(site).location
    if site_place is None:
        return None
    exits = [x for link in estate.links_of(Interconnect) if link.site == site for x in exits_of(estate, link)]
    r = route_through(place, site_place, exits)
    if r is None:
        return None
    leg1, leg2 = r.legs
    basis = (f"{site_place} -> {r.exit.code} metro ({r.exit.place}) {leg2.rtt_us:,.0f} µs + {r.exit.place} -> "
             f"{place} {leg1.rtt_us:,.0f} µs over {r.exit.link}; floor {r.estimate.floor_text()}")
    return Crossing(site_place, place, r.exit.code, r.exit.place, r.estimate.rtt_us, r.estimate.fibre_bound_us,
                    basis, r.estimate.floor_text())
