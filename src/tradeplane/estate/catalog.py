"""The built-in catalog of places: cloud regions and zones, colocation sites, offices, venues.

Coordinates are for the metro of a region (clouds do not publish building
locations) and for the building of a site. Every venue entry says where its
matching engine runs, how sure we are, and the source, so placement can show
the basis of every latency estimate. Sources: ../shared/FACTS.md (2026-11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

PlaceKind = Literal["region", "zone", "site"]


@dataclass(frozen=True)
class Place:
    name: str
    kind: PlaceKind
    lat: float
    lon: float
    metro: str
    cloud: str = ""  # "aws", "gcp" or "" for sites
    region: str = ""  # zones: their region
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class VenueLocation:
    venue: str
    place: str  # a Place name: site, region or zone
    certainty: Literal["high", "medium-high", "medium", "low"]
    source: str
    as_of: str


def _region(cloud: str, name: str, lat: float, lon: float, metro: str, description: str) -> Place:
    return Place(name, "region", lat, lon, metro, cloud=cloud, description=description,
                 source="provider region list; metro coordinates")


_REGIONS: tuple[Place, ...] = (
    _region("aws", "us-east-1", 39.0438, -77.4874, "ashburn", "N. Virginia"),
    _region("aws", "us-east-2", 39.9612, -82.9988, "columbus", "Ohio"),
    _region("aws", "us-west-2", 45.8399, -119.7006, "boardman", "Oregon"),
    _region("aws", "eu-west-2", 51.5074, -0.1278, "london", "London"),
    _region("aws", "eu-central-1", 50.1109, 8.6821, "frankfurt", "Frankfurt"),
    _region("aws", "ap-northeast-1", 35.6762, 139.6503, "tokyo", "Tokyo"),
    _region("aws", "ap-southeast-1", 1.3521, 103.8198, "singapore", "Singapore"),
    _region("aws", "ap-east-1", 22.3193, 114.1694, "hong-kong", "Hong Kong"),
    _region("gcp", "us-central1", 41.2619, -95.8608, "council-bluffs", "Council Bluffs, Iowa"),
    _region("gcp", "us-east4", 39.0438, -77.4874, "ashburn", "Ashburn, Virginia"),
    _region("gcp", "us-east1", 33.1960, -80.0131, "moncks-corner", "Moncks Corner, South Carolina"),
    _region("gcp", "us-south1", 32.7767, -96.7970, "dallas", "Dallas, Texas"),
    _region("gcp", "europe-west2", 51.5074, -0.1278, "london", "London"),
    _region("gcp", "asia-northeast1", 35.6762, 139.6503, "tokyo", "Tokyo"),
    _region("gcp", "asia-southeast1", 1.3404, 103.7090, "singapore", "Jurong West, Singapore"),
    _region("gcp", "asia-east2", 22.3193, 114.1694, "hong-kong", "Hong Kong"),
)

# AWS zone ids (not names: ids are the same physical zone in every account).
_AWS_ZONE_IDS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"),
    "us-east-2": ("use2-az1", "use2-az2", "use2-az3"),
    "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"),
    "eu-west-2": ("euw2-az1", "euw2-az2", "euw2-az3"),
    "eu-central-1": ("euc1-az1", "euc1-az2", "euc1-az3"),
    "ap-northeast-1": ("apne1-az1", "apne1-az2", "apne1-az4"),
    "ap-southeast-1": ("apse1-az1", "apse1-az2", "apse1-az3"),
    "ap-east-1": ("ape1-az1", "ape1-az2", "ape1-az3"),
}
_GCP_ZONE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "us-central1": ("a", "b", "c", "f"),
    "us-east4": ("a", "b", "c"),
    "us-east1": ("b", "c", "d"),
    "us-south1": ("a", "b", "c"),
    "europe-west2": ("a", "b", "c"),
    "asia-northeast1": ("a", "b", "c"),
    "asia-southeast1": ("a", "b", "c"),
    "asia-east2": ("a", "b", "c"),
}


def _zones() -> tuple[Place, ...]:
    regions = {r.name: r for r in _REGIONS}
    zones: list[Place] = []
    for region, ids in _AWS_ZONE_IDS.items():
        r = regions[region]
        zones += [Place(z, "zone", r.lat, r.lon, r.metro, cloud="aws", region=region,
                        description=f"{r.description} zone", source="AWS zone ids") for z in ids]
    for region, suffixes in _GCP_ZONE_SUFFIXES.items():
        r = regions[region]
        zones += [Place(f"{region}-{s}", "zone", r.lat, r.lon, r.metro, cloud="gcp", region=region,
                        description=f"{r.description} zone", source="GCP zone list") for s in suffixes]
    return tuple(zones)


_SITES: tuple[Place, ...] = (
    Place("cme-aurora", "site", 41.7960, -88.2448, "chicago",
          description="CME Group data centre, 2905 Diehl Rd, Aurora IL (CME Globex matching engine)",
          source="CME client wiki 'CME Globex on Google Cloud'"),
    Place("equinix-ch1", "site", 41.8534, -87.6181, "chicago",
          description="Equinix CH1, 350 E Cermak Rd, Chicago IL", source="Equinix site list"),
    Place("equinix-ny4", "site", 40.7777, -74.0719, "new-york",
          description="Equinix NY4, Secaucus NJ", source="Equinix site list"),
    Place("nasdaq-carteret", "site", 40.5834, -74.2329, "new-york",
          description="Nasdaq data centre, Carteret NJ", source="Nasdaq co-location"),
    Place("nyse-mahwah", "site", 41.0862, -74.1437, "new-york",
          description="NYSE data centre, Mahwah NJ", source="ICE/NYSE co-location"),
    Place("equinix-ld4", "site", 51.5220, -0.6290, "london",
          description="Equinix LD4, Slough", source="Equinix site list"),
    Place("equinix-ty3", "site", 35.6190, 139.7480, "tokyo",
          description="Equinix TY3, Tokyo", source="Equinix site list"),
    Place("equinix-sg1", "site", 1.3290, 103.8930, "singapore",
          description="Equinix SG1, Singapore", source="Equinix site list"),
    Place("cyxtera-dal", "site", 32.8998, -96.9640, "dallas",
          description="Dallas colocation (CME disaster-recovery metro)", source="CME press 2024"),
    Place("office-chicago", "site", 41.8789, -87.6359, "chicago",
          description="Chicago office, Loop", source="firm"),
    Place("office-new-york", "site", 40.7075, -74.0113, "new-york",
          description="New York office, Financial District", source="firm"),
    Place("office-london", "site", 51.5155, -0.0922, "london",
          description="London office, City", source="firm"),
)

VENUE_LOCATIONS: tuple[VenueLocation, ...] = (
    VenueLocation("cme-globex", "cme-aurora", "high",
                  "CME client wiki 'CME Globex on Google Cloud'; press 2024", "2024"),
    VenueLocation("binance", "apne1-az4", "medium-high",
                  "incident reports (apne1-az4 power failure halted withdrawals, 2025-04-15)", "2025-04-15"),
    VenueLocation("bybit", "apse1-az2", "high", "Bybit API FAQ (apse1-az2/az3)", "2025"),
    VenueLocation("coinbase", "us-east-1", "medium-high", "Coinbase Prime docs; outage reports", "2025"),
    VenueLocation("coinbase-advanced", "us-east-1", "medium-high",
                  "Coinbase Advanced Trade docs (advanced-trade-ws.coinbase.com); outage reports", "2026"),
    VenueLocation("coinbase-intx", "apne1-az1", "high", "Coinbase INTX docs", "2025"),
    VenueLocation("deribit", "equinix-ld4", "high", "Deribit support", "2025"),
    VenueLocation("kraken", "equinix-ld4", "high",
                  "Kraken colocation guide (Equinix London; AWS eu-west-2 about 2 ms)", "2025"),
    VenueLocation("okx", "ap-east-1", "low", "conflicting sources (Hong Kong, Alibaba Cloud historically)", "2025"),
)

# Interconnect / Direct Connect metros the estate may name.
INTERCONNECT_METROS: dict[str, str] = {
    "chi": "chicago",
    "dfw": "dallas",
    "iad": "ashburn",
    "nyc": "new-york",
    "lon": "london",
    "tyo": "tokyo",
    "sin": "singapore",
}

PLACES: dict[str, Place] = {p.name: p for p in (*_REGIONS, *_zones(), *_SITES)}
REGIONS: dict[str, Place] = {p.name: p for p in _REGIONS}
ZONES: dict[str, Place] = {p.name: p for p in PLACES.values() if p.kind == "zone"}
SITES: dict[str, Place] = {p.name: p for p in _SITES}


def place(name: str) -> Place:
    """A place by name; ``KeyError`` lists nothing, callers add the hint."""
    return PLACES[name]


def zones_of(region: str) -> tuple[Place, ...]:
    return tuple(z for z in ZONES.values() if z.region == region)


def region_of(name: str) -> str:
    """The region of a region or zone name; sites have none and give ''."""
    p = PLACES[name]
    return p.name if p.kind == "region" else p.region


def venue_location(venue: str) -> VenueLocation | None:
    for v in VENUE_LOCATIONS:
        if v.venue == venue:
            return v
    return None


C_VACUUM_KM_PER_S = 299_792.458  # exact, by the definition of the metre
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean-radius sphere (within about 0.5% of the ellipsoid)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_km(a: str, b: str) -> float:
    """The great circle between two catalog places (``KeyError`` for an unknown name)."""
    pa, pb = PLACES[a], PLACES[b]
    return great_circle_km(pa.lat, pa.lon, pb.lat, pb.lon)
