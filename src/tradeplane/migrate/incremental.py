"""What a wave changes, and the small estates that prove only that.

Stage *i* differs from stage *i-1* only by the workloads of wave *i* becoming cloud workloads:

- **network**: new endpoints (the moved workloads), their ``depends_on`` and venue sessions, the
  crossing intents that appear (flows between a moved workload and one still in the colocation),
  the crossing intents that disappear (flows whose colocation end has just moved: they become a
  cloud workload's ``depends_on``), and the earlier-moved workloads that now depend on a moved one.
  Routes, firewalls, links and sites do not change. ``net`` admits traffic by where an endpoint sits
  and what it carries (network, subnet, tags, service account, security groups, public IP:
  ``endpoint_class``), never by its name, so a workload of a class already in the cloud changes no
  other flow's verdict. When a wave brings a class the cloud has not had, rules that select by tag,
  service account or group admit one more subnet: the whole stage is verified instead.
- **placement**: the moved workloads, plus the cloud workloads (the estate's own or moved earlier)
  they share a budget, anti-affinity or group with, pinned to their zones; the zones' capacity less
  what every other cloud workload already uses (``RemainingCapacity``).
- **terraform**: the moved workloads' resources (instances, groups, alert policies) from a render
  of the stage without the earlier-moved workloads (the estate's own stay: security groups and
  rules are rendered from them); every other resource is the previous stage's.

The estate's own flows and intents do not change either, except an intent naming a desk (it
selects the desk's workloads, moved ones included): those are proven again with every wave.

``wave_scope`` builds those estates; ``proof.prove_next`` runs the checks on them and carries the
rest from the previous stage. ``tests/migrate/test_incremental.py`` holds the equivalence proof:
on the reference estate and a synthetic one, every wave's verdicts equal the whole-stage ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tradeplane.estate import Estate, Intent, Placement, Workload
from tradeplane.placement import Capacity

__all__ = ["EndpointClass", "RemainingCapacity", "WaveScope", "crossing_intents", "endpoint_class", "wave_scope"]

EndpointClass = tuple[Any, ...]


def endpoint_class(w: Workload) -> EndpointClass:
    """What ``net`` decides a workload's traffic by, apart from its name (see the module docstring)."""
    return (w.desk, w.env, w.kind, w.network, w.subnet, tuple(w.security_groups),
            tuple(w.tags), w.service_account, w.public_ip, w.gke_cluster)


@dataclass(frozen=True)
class RemainingCapacity(Capacity):
    """The capacity table less the vCPUs already used, per (zone, machine family)."""

    used: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def vcpus(self, zone: str, family: str) -> int:
        return max(0, super().vcpus(zone, family) - self.used.get((zone, family), 0))

    @classmethod
    def less(cls, base: Capacity, used: Mapping[tuple[str, str], int]) -> RemainingCapacity:
        """``base`` with ``used`` vCPUs taken out of each (zone, family)."""
        return cls(base.zones, base.source, base.as_of, dict(used))


@dataclass(frozen=True)
class WaveScope:
    """The estates that prove wave *i* given stage *i-1*, and what they leave to the previous stage."""

    net_estate: Estate  # stage i with only the workloads and intents the wave touches
    placement_estate: Estate  # the workloads to place: moved, and pinned neighbours
    render_estate: Estate  # stage i without the earlier-moved workloads (their resources are unchanged)
    new_classes: tuple[EndpointClass, ...]  # endpoint classes the cloud has not had: verify the whole stage
    context: tuple[str, ...]  # earlier-moved workloads in the net proof (neighbours, one per class)
    pinned: tuple[str, ...]  # earlier-moved workloads in the placement, pinned to their zones
    removed_intents: dict[str, tuple[str, str]]  # crossing intents of stage i-1 gone in stage i: name -> (src, dst)

    @property
    def summary(self) -> str:
        return (f"{len(self.net_estate.workloads)} workloads and {len(self.net_estate.intents)} intents verified, "
                f"{len(self.placement_estate.workloads)} placed ({len(self.pinned)} pinned)")


def _strip(w: Workload, keep_deps: set[str] | None = None) -> Workload:
    """The workload as an endpoint: dependencies only on ``keep_deps``, no venues or budgets."""
    deps = tuple(d for d in w.depends_on if keep_deps is not None and d.workload in keep_deps)
    return w.model_copy(update={"depends_on": deps, "venues": (), "latency_budgets": (), "api_keys": ()})


def _crossing(intents: Iterable[Intent]) -> dict[str, tuple[str, str]]:
    return {i.name: (i.src, i.dst) for i in intents if i.name.startswith("migrate-")}


def crossing_intents(stage_estate: Estate) -> dict[str, tuple[str, str]]:
    """The crossing intents ``stage.stage`` added: name -> (src, dst)."""
    return _crossing(stage_estate.intents)


def wave_scope(estate: Estate, stage_estate: Estate, previous: Iterable[str], wave: Iterable[str],
               previous_intents: Mapping[str, tuple[str, str]], previous_classes: Iterable[EndpointClass],
               zones: Mapping[str, tuple[str, ...]]) -> WaveScope:
    """The scope of wave ``wave`` on top of the earlier-moved ``previous``; ``stage_estate`` is
    ``stage(estate, previous + wave)``, ``zones`` the earlier-moved workloads' zones."""
    own = {w.name for w in estate.workloads}
    earlier = set(previous)
    new = set(wave)
    by_name = {w.name: w for w in stage_estate.workloads}
    moved_now = [by_name[n] for n in sorted(new)]

    # Network: the new workloads, earlier-moved ones that depend on them or that they depend on, and
    # one earlier-moved workload of each endpoint class (so tag and group sources stay the same).
    known = set(previous_classes)
    new_classes = tuple(sorted({endpoint_class(w) for w in moved_now} - known, key=repr))
    context: dict[str, Workload] = {}
    for w in moved_now:
        for d in w.depends_on:
            if d.workload in earlier:
                context.setdefault(d.workload, _strip(by_name[d.workload]))
    for name in sorted(earlier):
        w = by_name[name]
        if any(d.workload in new for d in w.depends_on):
            context[name] = _strip(w, new)
    reps: dict[EndpointClass, str] = {}
    for name in sorted(earlier):
        reps.setdefault(endpoint_class(by_name[name]), name)
    for name in reps.values():
        context.setdefault(name, _strip(by_name[name]))
    prev_names = set(previous_intents)
    now = crossing_intents(stage_estate)
    # The estate's own workloads are endpoints only (their flows do not change), and its own intents
    # are re-proven only when they name a desk (a desk selects its workloads, the moved ones too).
    desks = {d.name for d in stage_estate.desks}
    intents = [i for i in stage_estate.intents
               if (i.name.startswith("migrate-") and i.name not in prev_names)
               or (not i.name.startswith("migrate-") and (i.src in desks or i.dst in desks))]
    net_estate = stage_estate.model_copy(update={
        "workloads": (*(_strip(w) for w in estate.workloads), *moved_now, *(context[n] for n in sorted(context))),
        "intents": tuple(intents)})
    removed = {n: previous_intents[n] for n in sorted(prev_names - set(now))}

    # Placement: the moved workloads, and the cloud workloads (the estate's own or moved earlier)
    # sharing a budget, anti-affinity or group with one of them, pinned to their zones.
    groups = {w.placement.group for w in moved_now if w.placement.group}
    related: set[str] = set()
    for w in moved_now:
        related |= {b.to for b in w.latency_budgets} | set(w.placement.anti_affinity)
    for name in earlier | own:
        w = by_name[name]
        if (w.placement.group and w.placement.group in groups) or new & (
                {b.to for b in w.latency_budgets} | set(w.placement.anti_affinity)):
            related.add(name)
    pinned = sorted(related & (earlier | own))
    inside = new | set(pinned)

    def pin(w: Workload) -> Workload:
        z = tuple(sorted(set(zones.get(w.name, ())))) or w.placement.zones
        p = Placement(strategy=w.placement.strategy, group=w.placement.group, zones=z,
                      anti_affinity=tuple(a for a in w.placement.anti_affinity if a in inside))
        return w.model_copy(update={"placement": p, "depends_on": (),
                                    "latency_budgets": tuple(b for b in w.latency_budgets
                                                             if b.to in inside or b.to not in by_name)})

    def trim(w: Workload) -> Workload:  # a moved workload: budgets and anti-affinity inside the problem
        p = w.placement.model_copy(update={"anti_affinity": tuple(a for a in w.placement.anti_affinity
                                                                   if a in inside)})
        return w.model_copy(update={"placement": p, "latency_budgets": tuple(
            b for b in w.latency_budgets if b.to in inside or b.to not in by_name)})

    placement_estate = stage_estate.model_copy(update={
        "workloads": (*(trim(w) for w in moved_now), *(pin(by_name[n]) for n in pinned))})
    render_estate = stage_estate.model_copy(update={"workloads": (*estate.workloads, *moved_now)})
    return WaveScope(net_estate, placement_estate, render_estate, new_classes, tuple(sorted(context)),
                     tuple(pinned), removed)
