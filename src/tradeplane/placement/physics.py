"""Distance and the speed of light: the floor no network can beat, and the floor no fibre can beat.

The physical floor between two places is the great circle at the speed of light in vacuum
(3.336 µs per km one way; air, which microwave and millimetre-wave links cross, is within
0.03 %). Published microwave round trips beat any fibre: Aurora <-> Carteret measured 8.23 ms
over microwave against 12.98 ms over fibre (The Register, 2013-02-27), with a fibre floor of
about 11.5 ms. The fibre floor is a second, labelled figure.

Light in standard single-mode fibre (group index about 1.468 at 1550 nm) travels
4.897 µs per km one way, 9.795 µs per km round trip. Real cables do not follow
the great circle: the route factor stretches the distance to the length of a
plausible fibre path. Bozkurt et al., "Dissecting Latency in the Internet's Fiber
Infrastructure" (arXiv:1811.10737, 2018) find that shortest paths through the
conduits of the US long-haul map are 1.3x line of sight in the median (the
Internet as routed today is about 2.1x). A private backbone or a leased
low-latency route is closer to the first figure, so we use 1.3.
"""

from __future__ import annotations

import math

__all__ = [
    "C_VACUUM_KM_PER_S",
    "EARTH_RADIUS_KM",
    "FIBRE_US_PER_KM_ONE_WAY",
    "FIBRE_US_PER_KM_RTT",
    "ROUTE_FACTOR",
    "ROUTE_FACTOR_SOURCE",
    "VACUUM_US_PER_KM_ONE_WAY",
    "VACUUM_US_PER_KM_RTT",
    "fibre_bound_rtt_us",
    "great_circle_km",
    "route_rtt_us",
    "vacuum_bound_rtt_us",
]

C_VACUUM_KM_PER_S = 299_792.458  # exact, by the definition of the metre
VACUUM_US_PER_KM_ONE_WAY = 1e6 / C_VACUUM_KM_PER_S  # 3.33564 µs/km
VACUUM_US_PER_KM_RTT = 2 * VACUUM_US_PER_KM_ONE_WAY

FIBRE_US_PER_KM_ONE_WAY = 4.897
FIBRE_US_PER_KM_RTT = 2 * FIBRE_US_PER_KM_ONE_WAY
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
ROUTE_FACTOR = 1.3
ROUTE_FACTOR_SOURCE = (
    "Bozkurt et al., Dissecting Latency in the Internet's Fiber Infrastructure, arXiv:1811.10737 (2018): "
    "median conduit path 1.3x great circle"
)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean-radius sphere (within about 0.5% of the ellipsoid)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def vacuum_bound_rtt_us(km: float) -> float:
    """The round trip no network can beat: the great circle at the speed of light in vacuum."""
    return km * VACUUM_US_PER_KM_RTT


def fibre_bound_rtt_us(km: float) -> float:
    """The round trip no fibre can beat: straight along the great circle at the speed of light in glass."""
    return km * FIBRE_US_PER_KM_RTT


def route_rtt_us(km: float, route_factor: float = ROUTE_FACTOR) -> float:
    """Round trip over a plausible fibre route: the great circle stretched by the route factor."""
    return km * route_factor * FIBRE_US_PER_KM_RTT
