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

from dataclasses import dataclass

from tradeplane.estate.catalog import C_VACUUM_KM_PER_S, EARTH_RADIUS_KM, distance_km, great_circle_km

__all__ = [
    "AIR_REFRACTIVE_INDEX",
    "C_VACUUM_KM_PER_S",
    "EARTH_RADIUS_KM",
    "FIBRE_US_PER_KM_ONE_WAY",
    "FIBRE_US_PER_KM_RTT",
    "MEDIA",
    "RADIO_ROUTE_FACTOR",
    "RADIO_US_PER_KM_RTT",
    "ROUTE_FACTOR",
    "ROUTE_FACTOR_SOURCE",
    "VACUUM_US_PER_KM_ONE_WAY",
    "VACUUM_US_PER_KM_RTT",
    "Medium",
    "fibre_bound_rtt_us",
    "great_circle_km",
    "route_rtt_us",
    "vacuum_bound_rtt_us",
]

VACUUM_US_PER_KM_ONE_WAY = 1e6 / C_VACUUM_KM_PER_S  # 3.33564 µs/km
VACUUM_US_PER_KM_RTT = 2 * VACUUM_US_PER_KM_ONE_WAY

FIBRE_US_PER_KM_ONE_WAY = 4.897
FIBRE_US_PER_KM_RTT = 2 * FIBRE_US_PER_KM_ONE_WAY
ROUTE_FACTOR = 1.3
ROUTE_FACTOR_SOURCE = (
    "Bozkurt et al., Dissecting Latency in the Internet's Fiber Infrastructure, arXiv:1811.10737 (2018): "
    "median conduit path 1.3x great circle"
)


def vacuum_bound_rtt_us(km: float) -> float:
    """The round trip no network can beat: the great circle at the speed of light in vacuum."""
    return km * VACUUM_US_PER_KM_RTT


def fibre_bound_rtt_us(km: float) -> float:
    """The round trip no fibre can beat: straight along the great circle at the speed of light in glass."""
    return km * FIBRE_US_PER_KM_RTT


def route_rtt_us(km: float, route_factor: float = ROUTE_FACTOR) -> float:
    """Round trip over a plausible fibre route: the great circle stretched by the route factor."""
    return km * route_factor * FIBRE_US_PER_KM_RTT


# Radio through air: n = 1 + N x 1e-6, with surface radio refractivity N about 300-400 N-units
# (Recommendation ITU-R P.453, "The radio refractive index: its formula and refractivity data"), so
# microwave and millimetre-wave links run 0.03-0.04 % slower than light in vacuum.
AIR_REFRACTIVE_INDEX = 1.0003
RADIO_US_PER_KM_RTT = AIR_REFRACTIVE_INDEX * VACUUM_US_PER_KM_RTT
# Microwave routes hop tower to tower near the great circle: The Register (2013-02-27) reports 8.23 ms
# round trip Aurora <-> Carteret over microwave; over the catalog's great circle at the speed of radio in air
# that is a factor of about 1.046 (route and radio equipment together).
_MICROWAVE_MEASURED_RTT_US = 8_230.0
RADIO_ROUTE_FACTOR = round(_MICROWAVE_MEASURED_RTT_US
                           / (distance_km("cme-aurora", "nasdaq-carteret") * RADIO_US_PER_KM_RTT), 3)


@dataclass(frozen=True)
class Medium:
    """How fast a medium carries a signal, how much longer than the great circle its routes run, and
    what can take it down."""

    name: str
    us_per_km_rtt: float
    route_factor: float
    source: str
    caveat: str


MEDIA: dict[str, Medium] = {
    "fibre": Medium("fibre", FIBRE_US_PER_KM_RTT, ROUTE_FACTOR,
                    "light in single-mode fibre, group index 1.468 at 1550 nm; " + ROUTE_FACTOR_SOURCE,
                    "cable cuts: a fibre path is down only when cut"),
    "microwave": Medium("microwave", RADIO_US_PER_KM_RTT, RADIO_ROUTE_FACTOR,
                        f"radio in air, refractive index {AIR_REFRACTIVE_INDEX} (ITU-R P.453); route factor "
                        f"{RADIO_ROUTE_FACTOR} from the Aurora <-> Carteret microwave round trip of 8.23 ms "
                        "(The Register, 2013-02-27)",
                        "rain fade: heavy rain takes hops down, so the path is up only its declared availability"),
    "mmwave": Medium("mmwave", RADIO_US_PER_KM_RTT, RADIO_ROUTE_FACTOR,
                     f"radio in air, refractive index {AIR_REFRACTIVE_INDEX} (ITU-R P.453); route factor "
                     f"assumed equal to microwave's ({RADIO_ROUTE_FACTOR})",
                     "rain fade is worse than microwave's: above 45 GHz rain attenuates more than 1 dB/km (MIT "
                     "Lincoln Laboratory, 'Rain attenuation at millimeter wavelengths'), so E-band hops are a few "
                     "km (Aviat, 'E-band wireless technology', 2011) and the path is up only its declared "
                     "availability"),
}
