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

__all__ = ["Owner", "owner_of"]


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


def _team_of(estate: Estate, desk: str) -> str | None:
    try:
        d = estate.desk(desk)
    except KeyError:
        return None
    for policy in estate.oncall.policies:
        if policy.desk == desk:
            for target in policy.levels[0].notify:
                kind, _, name = target.partition(":")
                if kind in ("oncall", "team") and name in d.teams:
                    return name
    return d.teams[0]


def _venue_desks(estate: Estate, venue: str) -> list[str]:
    desks = {w.desk for w in estate.workloads
             if venue in w.venues or any(b.to == venue for b in w.latency_budgets)}
    return sorted(desks)


def owner_of(estate: Estate, labels: dict[str, str]) -> Owner:
    """The owner of an alert with ``labels`` (see the module docstring for the rules)."""
    infra = estate.oncall.infrastructure_desk
    desks = {d.name for d in estate.desks}
    workloads = {w.name: w for w in estate.workloads}
    venues = {v.name for v in estate.venues}
    networks = {n.name: n for n in estate.networks}
    links = {link.name: link for link in estate.links}
    venue = labels.get("venue") if labels.get("venue") in venues else None
    link_label = labels.get("link", "")
    link = link_label.split("/", 1)[0] if link_label.split("/", 1)[0] in links else None
    network = labels.get("network") if labels.get("network") in networks else None
    notes: list[str] = []

    w = workloads.get(labels.get("workload", ""))
    if w is not None:
        affected = tuple(sorted({w.desk, *(_venue_desks(estate, venue) if venue else [])}))
        return Owner(w.desk, w.team, venue, link, w.name, w.network, affected, f"workload {w.name}")
    desk_label = labels.get("desk")
    if desk_label in desks:
        assert desk_label is not None
        team = labels.get("team")
        if team not in estate.desk(desk_label).teams:
            team = _team_of(estate, desk_label)
        return Owner(desk_label, team, venue, link, None, network, (desk_label,), f"desk {desk_label}")
    if venue is not None:
        vdesks = _venue_desks(estate, venue)
        if vdesks:
            return Owner(vdesks[0], _team_of(estate, vdesks[0]), venue, link, None, network, tuple(vdesks),
                         f"venue {venue}: traded by {', '.join(vdesks)}")
        notes.append(f"no workload of the estate uses venue {venue}")
    if link is not None:
        obj = links[link]
        if isinstance(obj, PrivateEndpoint) and networks[obj.network].desk:
            d = networks[obj.network].desk
            return Owner(d, _team_of(estate, d) if d else None, venue, link, None, obj.network,
                         (d,) if d else (), f"link {link}: private endpoint in {obj.network}")
        affected = _desks_over_link(estate, link)
        return Owner(infra, _team_of(estate, infra) if infra else None, venue, link, None, network, affected,
                     f"link {link}: infrastructure", tuple(notes))
    if network is not None:
        d = networks[network].desk or infra
        return Owner(d, _team_of(estate, d) if d else None, venue, None, None, network, (d,) if d else (),
                     f"network {network}", tuple(notes))
    named = {k: v for k, v in labels.items() if k in ("workload", "desk", "venue", "link", "network")}
    notes.append("no label names a workload, desk, venue, link or network of the estate"
                 + (f" ({', '.join(f'{k}={v}' for k, v in sorted(named.items()))})" if named else ""))
    return Owner(infra, _team_of(estate, infra) if infra else None, None, None, None, None,
                 (infra,) if infra else (), "fallback: infrastructure desk", tuple(notes))


def _desks_over_link(estate: Estate, link: str) -> tuple[str, ...]:
    """Desks with a workload in a network the link touches directly (a cheap first answer; the
    enrichment asks net verify for the real one)."""
    obj = next(x for x in estate.links if x.name == link)
    touched = {getattr(obj, f) for f in ("network", "gcp_network", "a", "b") if getattr(obj, f, None)}
    desks = {w.desk for w in estate.workloads if w.network in touched}
    return tuple(sorted(desks))
