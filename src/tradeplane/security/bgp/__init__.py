"""BGP hijack watch: watched prefixes from the estate, detectors per hijack type, pluggable sources.

Public face: :func:`watchlist` (estate -> watched prefixes), :class:`BgpMonitor` (updates in,
alerts out), :func:`load_vrps` (RPKI VRPs), the sources (:func:`read_ris`, :func:`ris_live`,
:func:`read_mrt`, :func:`read_exabgp`) and :data:`DETECTORS`.
"""

from tradeplane.security.bgp.detectors import DETECTORS, Finding
from tradeplane.security.bgp.monitor import BgpMonitor, MonitorStats
from tradeplane.security.bgp.prefixes import PrefixIndex, parse_prefix
from tradeplane.security.bgp.route import PeerDown, Update
from tradeplane.security.bgp.sources import SourceStats, read_exabgp, read_mrt, read_ris, ris_live
from tradeplane.security.bgp.vrp import VrpSet, load_vrps
from tradeplane.security.bgp.watchlist import Watched, Watchlist, watchlist

__all__ = [
    "DETECTORS",
    "BgpMonitor",
    "Finding",
    "MonitorStats",
    "PeerDown",
    "PrefixIndex",
    "SourceStats",
    "Update",
    "VrpSet",
    "Watched",
    "Watchlist",
    "load_vrps",
    "parse_prefix",
    "read_exabgp",
    "read_mrt",
    "read_ris",
    "ris_live",
    "watchlist",
]
