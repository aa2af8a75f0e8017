"""The round trip between the colocation and GCP: the path really goes through an Interconnect metro.

A workload left in the colocation talks to one already in GCP over the site's Interconnect: the
packets go from the site to the metro where the attachment meets Google's edge, then over Google's
backbone to the zone. The round trip is the sum of the two legs, each estimated by placement's
latency model (``tradeplane.placement.estimate_rtt``, with its sources), and so is the physical
bound (great-circle fibre of each leg). The best attachment metro is the one the path takes; a
single attachment failure leaves the other attachment of the same metro (99.99% topology), so the
figure holds under one failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradeplane.estate import Estate, Interconnect, catalog
from tradeplane.placement import estimate_rtt

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

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site_place, "place": self.place, "metro": self.metro, "via": self.via,
                "rtt_us": round(self.rtt_us, 1), "bound_us": round(self.bound_us, 1), "basis": self.basis}


def metro_place(code: str, avoid: str = "") -> str | None:
    """A catalog place standing for an Interconnect metro code: an Equinix site there, else another
    site, else a region of that metro; ``None`` when the catalog knows no place in it."""
    metro = catalog.INTERCONNECT_METROS.get(code)
    if metro is None:
        return None
    sites = sorted(p.name for p in catalog.SITES.values() if p.metro == metro and p.name != avoid)
    preferred = [s for s in sites if s.startswith("equinix-")] or sites
    if preferred:
        return preferred[0]
    regions = sorted(p.name for p in catalog.REGIONS.values() if p.metro == metro)
    return regions[0] if regions else None


def crossing_rtt(estate: Estate, site: str, place: str) -> Crossing | None:
    """The best round trip from estate site ``site`` to GCP ``place`` (a zone or region) through one of
    the site's Interconnect metros; ``None`` when the site has no Interconnect."""
    site_place = estate.site(site).location
    best: Crossing | None = None
    for link in estate.links_of(Interconnect):
        if link.site != site:
            continue
        for code in sorted({a.metro for a in link.attachments}):
            via = metro_place(code, avoid=site_place)
            if via is None:
                continue
            leg1, leg2 = estimate_rtt(site_place, via), estimate_rtt(via, place)
            rtt = leg1.rtt_us + leg2.rtt_us
            bound = leg1.bound_us + leg2.bound_us
            basis = (f"{site_place} -> {code} metro ({via}) {leg1.rtt_us:,.0f} µs + {via} -> {place} "
                     f"{leg2.rtt_us:,.0f} µs over {link.name}; bound {bound:,.0f} µs of fibre")
            c = Crossing(site_place, place, code, via, rtt, bound, basis)
            if best is None or (c.rtt_us, c.metro) < (best.rtt_us, best.metro):
                best = c
    return best
