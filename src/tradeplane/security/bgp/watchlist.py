"""The prefixes the BGP watcher watches, taken from the estate.

Sources, in order: the estate's ``security.bgp.prefixes`` (the firm's own space and the cloud
endpoints it depends on), then every venue's ``cidrs`` originated by the venue's ``asns`` when
``security.bgp.venues`` is on. A venue with cidrs but no asns cannot be watched and is listed
in :attr:`Watchlist.notes` instead of being dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeplane.estate import Estate
from tradeplane.security.bgp.prefixes import Prefix, PrefixIndex, parse_prefix

__all__ = ["Watched", "Watchlist", "watchlist"]


@dataclass(frozen=True)
class Watched:
    """One watched prefix and what is legitimate for it."""

    text: str
    prefix: Prefix
    origins: frozenset[int]
    max_length: int
    upstreams: frozenset[int]
    owner: str
    desk: str | None


@dataclass
class Watchlist:
    """Watched prefixes, indexed for covering lookups, with notes on what could not be watched."""

    entries: list[Watched]
    min_peers: int = 2
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.index: PrefixIndex[Watched] = PrefixIndex((w.prefix, w) for w in self.entries)

    def authority(self, prefix: Prefix) -> Watched | None:
        """The most specific watched prefix that contains ``prefix``, or ``None`` if unwatched."""
        covering = self.index.covering(prefix)
        return covering[-1] if covering else None


def _watched(text: str, origins: tuple[int, ...], max_length: int | None, upstreams: tuple[int, ...],
             owner: str, desk: str | None) -> Watched:
    prefix = parse_prefix(text)
    return Watched(text, prefix, frozenset(origins), prefix[2] if max_length is None else max_length,
                   frozenset(upstreams), owner, desk)


def watchlist(estate: Estate) -> Watchlist:
    """The estate's watched prefixes (sorted by prefix text, deterministic)."""
    policy = estate.security.bgp
    entries = [
        _watched(w.prefix, w.origins, w.max_length, w.upstreams, w.owner, w.desk) for w in policy.prefixes
    ]
    notes: list[str] = []
    if policy.venues:
        crypto_desks = sorted(d.name for d in estate.desks if "crypto" in d.name)
        for venue in sorted(estate.venues, key=lambda v: v.name):
            if not venue.cidrs:
                continue
            if not venue.asns:
                notes.append(f"venue {venue.name}: cidrs but no asns declared; its prefixes are not watched")
                continue
            desk = crypto_desks[0] if venue.kind == "crypto" and crypto_desks else None
            entries.extend(
                _watched(str(c), venue.asns, None, (), venue.name, desk) for c in venue.cidrs
            )
    entries.sort(key=lambda w: (w.prefix, w.owner))
    return Watchlist(entries, policy.min_peers, notes)
