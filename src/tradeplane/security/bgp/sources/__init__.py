"""Where BGP updates come from: RIPE RIS Live JSON, MRT files, a live ExaBGP session.

Every source yields :class:`~tradeplane.security.bgp.route.Update` / ``PeerDown`` items and
counts what it could not read in a :class:`SourceStats` (with the position of the first few),
instead of stopping: a malformed message is skipped, never fatal.
"""

from tradeplane.security.bgp.sources.base import SourceStats
from tradeplane.security.bgp.sources.exabgp import parse_exabgp, read_exabgp
from tradeplane.security.bgp.sources.mrt import read_mrt
from tradeplane.security.bgp.sources.ris import parse_ris, read_ris, ris_live

__all__ = ["SourceStats", "parse_exabgp", "parse_ris", "read_exabgp", "read_mrt", "read_ris", "ris_live"]
