"""Who owns an alert, from the estate: workload, venue, link or network -> desk -> team.

The first label that names something of the estate decides, in this order:

1. ``workload``: the workload's desk and team;
2. ``desk`` (and ``team`` when it is a team of that desk);
3. ``venue``: the desk of the workloads that trade on or read the venue (several desks: the
   one named by ``desk``, else the first by name; all of them are listed as affected);
4. ``link``: a private endpoint's network's desk; any other link (interconnect, Direct Connect,
   VPN, cross-cloud, transit gateway) belongs to ``oncall.infrastructure_desk``;
5. ``network``: the network's desk, else the infrastructure desk.

The team is the first level's ``oncall:``/``team:`` target of that desk's escalation policy
that belongs to the desk, else the desk's first team. Labels that name nothing of the estate
leave the owner unknown, and the incident goes to the infrastructure desk (the firm-wide
escalation point) with a note saying why. A ``link`` label may name an element of a link
(``cme-interconnect/att-chi-1``): the link is the part before the slash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeplane.estate.model import Estate, PrivateEndpoint

__all__ = ["Owner", "OwnerIndex", "owner_index", "owner_of"]


@dataclass(frozen=True)
class Owner:
    desk: str | None
    team: str | None
    venue: str | None = None
    link: str | None = None
    workload: str | None = None
    network: str | None = None
    affected_desks: tuple[str, ...] = ()
    basis: str = ""  # which label decided, for the timeline
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        return {"desk": self.desk, "team": self.team, "venue": self.venue, "link": self.link,
                "workload": self.workload, "network": self.network,
                "affected_desks": list(self.affected_desks), "basis": self.basis, "notes": list(self.notes)}


class OwnerIndex:
    """Everything :func:`owner_of` looks up, indexed once per estate (O(1) per alert).

    Built in one pass over the estate's desks, workloads, venues, networks, links and on-call
    policies; ``owner`` answers from dictionaries and memoises the answer per combination of
    the six labels that decide it (``workload``, ``desk``, ``team``, ``venue``, ``link``,
    ``network``), so a burst about a few venues costs one estate walk, not one per alert.
    """

    LABELS = ("workload", "desk", "team", "venue", "link", "network")

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.infra = estate.oncall.infrastructure_desk
        self.desk_teams = {d.name: tuple(d.teams) for d in estate.desks}
        self.workloads = {w.name: w for w in estate.workloads}
        self.venues = {v.name for v in estate.venues}
        self.networks = {n.name: n for n in estate.networks}
        self.links = {link.name: link for link in estate.links}
        venue_desks: dict[str, set[str]] = {}
        for w in estate.workloads:
            for v in (*w.venues, *(b.to for b in w.latency_budgets)):
                venue_desks.setdefault(v, set()).add(w.desk)
        self.venue_desks = {v: sorted(d) for v, d in venue_desks.items()}
        first_levels: dict[str, list[str]] = {}
        for policy in estate.oncall.policies:
            if policy.levels:
                first_levels.setdefault(policy.desk, []).extend(policy.levels[0].notify)
        self.teams: dict[str, str | None] = {}
        for desk, teams in self.desk_teams.items():
            team = None
            for target in first_levels.get(desk, ()):
                kind, _, name = target.partition(":")
                if kind in ("oncall", "team") and name in teams:
                    team = name
                    break
            self.teams[desk] = team or (teams[0] if teams else None)
        desks_by_network: dict[str, set[str]] = {}
        for w in estate.workloads:
            desks_by_network.setdefault(w.network, set()).add(w.desk)
        self.link_desks: dict[str, tuple[str, ...]] = {}
        for link in estate.links:
            touched = {getattr(link, f) for f in ("network", "gcp_network", "a", "b") if getattr(link, f, None)}
            self.link_desks[link.name] = tuple(sorted(set().union(*(desks_by_network.get(n, set())
                                                                      for n in touched))))
        self._memo: dict[tuple[str | None, ...], Owner] = {}

    def team_of(self, desk: str | None) -> str | None:
        return self.teams.get(desk) if desk else None

    def owner(self, labels: dict[str, str]) -> Owner:
        """The owner of an alert with ``labels`` (see the module docstring for the rules)."""
        key = tuple(labels.get(k) for k in self.LABELS)
        found = self._memo.get(key)
        if found is None:
            found = self._owner(labels)
            if len(self._memo) < 100_000:
                self._memo[key] = found
        return found

    def _owner(self, labels: dict[str, str]) -> Owner:
        infra = self.infra
        venue = labels.get("venue") if labels.get("venue") in self.venues else None
        link_label = labels.get("link", "")
        link = link_label.split("/", 1)[0] if link_label.split("/", 1)[0] in self.links else None
        network = labels.get("network") if labels.get("network") in self.networks else None
        notes: list[str] = []

        w = self.workloads.get(labels.get("workload", ""))
        if w is not None:
            affected = tuple(sorted({w.desk, *(self.venue_desks.get(venue, []) if venue else [])}))
            return Owner(w.desk, w.team, venue, link, w.name, w.network, affected, f"workload {w.name}")
        desk_label = labels.get("desk")
        if desk_label is not None and desk_label in self.desk_teams:
            team = labels.get("team")
            if team not in self.desk_teams[desk_label]:
                team = self.team_of(desk_label)
            return Owner(desk_label, team, venue, link, None, network, (desk_label,), f"desk {desk_label}")
        if venue is not None:
            vdesks = self.venue_desks.get(venue, [])
            if vdesks:
                return Owner(vdesks[0], self.team_of(vdesks[0]), venue, link, None, network, tuple(vdesks),
                             f"venue {venue}: traded by {', '.join(vdesks)}")
            notes.append(f"no workload of the estate uses venue {venue}")
        if link is not None:
            obj = self.links[link]
            if isinstance(obj, PrivateEndpoint) and self.networks[obj.network].desk:
                d = self.networks[obj.network].desk
                return Owner(d, self.team_of(d), venue, link, None, obj.network,
                             (d,) if d else (), f"link {link}: private endpoint in {obj.network}")
            return Owner(infra, self.team_of(infra), venue, link, None, network, self.link_desks[link],
                         f"link {link}: infrastructure", tuple(notes))
        if network is not None:
            d = self.networks[network].desk or infra
            return Owner(d, self.team_of(d), venue, None, None, network, (d,) if d else (),
                         f"network {network}", tuple(notes))
        named = {k: v for k, v in labels.items() if k in ("workload", "desk", "venue", "link", "network")}
        notes.append("no label names a workload, desk, venue, link or network of the estate"
                     + (f" ({', '.join(f'{k}={v}' for k, v in sorted(named.items()))})" if named else ""))
        return Owner(infra, self.team_of(infra), None, None, None, None,
                     (infra,) if infra else (), "fallback: infrastructure desk", tuple(notes))


_INDEXES: dict[int, OwnerIndex] = {}


def owner_index(estate: Estate) -> OwnerIndex:
    """The :class:`OwnerIndex` of ``estate``, built on first use (estates are immutable)."""
    found = _INDEXES.get(id(estate))
    if found is None or found.estate is not estate:
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        found = _INDEXES[id(estate)] = OwnerIndex(estate)
    return found


def owner_of(estate: Estate, labels: dict[str, str]) -> Owner:
    """The owner of an alert with ``labels`` (see the module docstring for the rules); answered
    from the estate's :class:`OwnerIndex`."""
    return owner_index(estate).owner(labels)
