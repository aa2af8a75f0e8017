"""From an estate to a placement problem: each workload's candidate zones, prices, budgets and groups.

Candidate zones narrow in a fixed order, and the first filter that leaves a
workload nowhere to go becomes the explanation: the subnet (an AWS subnet fixes
the zone, a GCP subnet the region), pinned zones, region guardrails, machine
family, price, then latency budgets to venues and sites. Budgets between
workloads, groups, anti-affinity and capacity are left to the solver.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from tradeplane.errors import EstateError, TradeplaneError
from tradeplane.estate import catalog
from tradeplane.estate.model import (
    AwsVpc,
    Control,
    Estate,
    GcpVpc,
    LatencyBudget,
    PlacementStrategy,
    Workload,
)
from tradeplane.estate.prices import instance_price, price_table
from tradeplane.placement import figures, group_rules
from tradeplane.placement.capacity import Capacity, machine_family
from tradeplane.placement.explanation import Explanation
from tradeplane.placement.latency import estimate_rtt, resolve_place
from tradeplane.placement.paths import Routes

__all__ = ["Budget", "Group", "Item", "Problem", "allowed_regions", "build_problem", "pair_rtt"]

TargetKind = Literal["venue", "site", "workload"]


@dataclass(frozen=True)
class Budget:
    """One latency budget of a workload, resolved: to a catalog place, or to another workload."""

    workload: str
    to: str
    kind: TargetKind
    place: str  # the catalog place of a venue or site; "" for a workload
    rtt_us: float
    where: str
    via: str | None = None  # a physical path (link of kind path) the traffic takes
    # venue/site budgets: the round trip from each candidate zone along the declared path (``paths.Routes``)
    rtt_by_zone: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    def rtt_at(self, zone: str) -> float:
        """The round trip from ``zone`` (one of the workload's candidate zones) to a venue or site target."""
        return self.rtt_by_zone[zone]


@dataclass(frozen=True)
class Item:
    """One workload to place: ``count`` replicas, each in one of ``domain``."""

    name: str
    cloud: str
    count: int
    machine_type: str
    family: str
    vcpus: int
    memory_gb: float
    strategy: str
    group: str | None  # the zonal/spread group key it belongs to
    domain: tuple[str, ...]
    hourly_by_zone: dict[str, float]  # per replica
    subnet_by_zone: dict[str, str]
    anti_affinity: tuple[str, ...]
    budgets: tuple[Budget, ...]  # venue/site budgets (already honoured by the domain) and workload budgets
    where: str
    pre_budget_domain: tuple[str, ...] = ()  # before venue/site budgets (for explanations)


@dataclass(frozen=True)
class Group:
    """A placement group, compact policy or sole-tenant node group and its members."""

    name: str
    strategy: str
    cloud: str
    members: tuple[str, ...]
    domain: tuple[str, ...]
    instances: int
    node_type: str = ""
    nodes: int = 0
    node_vcpus: int = 0
    node_hourly_by_zone: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    items: tuple[Item, ...]
    groups: tuple[Group, ...]
    capacity: Capacity
    blockers: tuple[Explanation, ...]  # found before solving: the problem is infeasible as given

    def item(self, name: str) -> Item:
        for i in self.items:
            if i.name == name:
                return i
        raise KeyError(name)

    def group(self, name: str) -> Group:
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(sorted({z for i in self.items for z in i.domain}))


def pair_rtt(z1: str, z2: str, same_group: bool) -> float:
    """Round trip between replicas in two zones; ``same_group`` only counts when the zones match."""
    return estimate_rtt(z1, z2, same_group and z1 == z2).rtt_us


def _where(estate: Estate, obj: object, fld: str = "") -> str:
    loc = estate.where(obj, fld)
    return str(loc) if loc is not None else estate.path_of(obj)


def _us(x: float) -> str:
    return f"{x:,.0f} µs"


# --------------------------------------------------------------------------- guardrails


def _ou_chain(estate: Estate, account: str) -> tuple[str, list[str]]:
    org = estate.organisation.aws
    if org is None:
        return account, []
    parents = {ou.name: ou.parent for ou in org.ous}
    chain: list[str] = []
    for ou in org.ous:
        if any(a.name == account for a in ou.accounts):
            node: str | None = ou.name
            while node is not None and node not in chain:
                chain.append(node)
                node = parents.get(node)
    return account, chain


def _folder_chain(estate: Estate, project: str) -> tuple[str, list[str]]:
    org = estate.organisation.gcp
    if org is None:
        return project, []
    parents = {f.name: f.parent for f in org.folders}
    chain: list[str] = []
    for p in org.projects:
        if p.name == project:
            node: str | None = p.folder
            while node is not None and node not in chain:
                chain.append(node)
                node = parents.get(node)
    return project, chain


def allowed_regions(estate: Estate, network: AwsVpc | GcpVpc) -> tuple[frozenset[str] | None, tuple[str, ...]]:
    """Regions the estate's ``restrict_regions`` guardrails allow a network's workloads (None: any),
    and the names of the guardrails that applied."""
    owner, chain = (_ou_chain(estate, network.account) if isinstance(network, AwsVpc)
                    else _folder_chain(estate, network.project))
    allowed: frozenset[str] | None = None
    applied: list[str] = []
    for g in estate.guardrails:
        if g.control is not Control.RESTRICT_REGIONS or owner in g.exempt:
            continue
        if "root" in g.applies_to or any(c in g.applies_to for c in chain):
            regions = frozenset(g.regions)
            allowed = regions if allowed is None else allowed & regions
            applied.append(g.name)
    return allowed, tuple(applied)


# --------------------------------------------------------------------------- building


def _subnet_zones(net: AwsVpc | GcpVpc, w: Workload, free_subnets: bool) -> dict[str, str]:
    """zone -> subnet the workload may use there."""
    out: dict[str, str] = {}
    if isinstance(net, AwsVpc):
        own = next(s for s in net.subnets if s.name == w.subnet)
        pool = [s for s in net.subnets if s.tier == own.tier] if free_subnets else [own]
        pool.sort(key=lambda s: (s.name != w.subnet, s.name))
        for s in pool:
            out.setdefault(s.zone, s.name)
        return out
    gown = next(s for s in net.subnets if s.name == w.subnet)
    gpool = [s for s in net.subnets if s.tier == gown.tier] if free_subnets else [gown]
    gpool.sort(key=lambda s: (s.name != w.subnet, s.name))
    for gs in gpool:
        for z in catalog.zones_of(gs.region):
            out.setdefault(z.name, gs.name)
    return out


def _target(estate: Estate, b: LatencyBudget) -> tuple[TargetKind, str]:
    venues = {v.name: v for v in estate.venues}
    sites = {s.name: s for s in estate.sites if s.location}  # estate/refs.py refuses a budget to one without
    if b.to in venues:
        return "venue", venues[b.to].location
    if b.to in sites:
        return "site", sites[b.to].location or ""
    return "workload", ""


def _group_key(w: Workload) -> str | None:
    s = w.placement.strategy
    if w.placement.group is not None:
        return w.placement.group
    if s.value in group_rules.ZONAL_STRATEGIES:
        return w.name  # a group of its own
    return None


def build_problem(estate: Estate, capacity: Capacity, free_subnets: bool = False) -> Problem:
    """The placement problem of an estate. Raises ``EstateError`` for input the solver cannot take."""
    errors: list[TradeplaneError] = []
    blockers: list[Explanation] = []
    items: list[Item] = []
    routes = Routes(estate)
    for w in sorted(estate.workloads, key=lambda x: x.name):
        try:
            item, why = _item(estate, w, capacity, free_subnets, routes)
        except TradeplaneError as exc:
            errors.append(exc)
            continue
        items.append(item)
        blockers.extend(why)
    if errors:
        problems = [p for e in errors for p in e.problems]
        raise EstateError(f"cannot place the estate: {len(problems)} problem(s)", problems)
    groups, items, why = _groups(estate, items)
    blockers.extend(why)
    blockers.extend(_pair_prechecks(items, groups))
    return Problem(tuple(items), tuple(groups), capacity, tuple(sorted(set(blockers))))


def _item(estate: Estate, w: Workload, capacity: Capacity, free_subnets: bool, routes: Routes
          ) -> tuple[Item, list[Explanation]]:
    net = estate.network(w.network)
    cloud = net.cloud
    where = _where(estate, w)
    strategy = w.placement.strategy.value
    aws_only = {PlacementStrategy.CLUSTER, PlacementStrategy.SPREAD, PlacementStrategy.PARTITION}
    gcp_only = {PlacementStrategy.COMPACT, PlacementStrategy.SOLE_TENANT}
    if (cloud == "gcp" and w.placement.strategy in aws_only - {PlacementStrategy.SPREAD}) or (
            cloud == "aws" and w.placement.strategy in gcp_only):
        other = "compact or sole_tenant" if cloud == "gcp" else "cluster, spread or partition"
        raise EstateError.single(
            f"workload '{w.name}' is on {cloud} but asks for placement strategy '{strategy}'",
            location=estate.where(w.placement, "strategy"), field="placement.strategy",
            hint=f"on {cloud} use {other}")
    if w.kind == "sole_tenant" and cloud != "gcp":
        raise EstateError.single(f"workload '{w.name}' is sole_tenant but on {cloud}",
                                 location=estate.where(w, "kind"), field="kind",
                                 hint="sole-tenant nodes are GCP; use dedicated hosts outside tradeplane")
    family = machine_family(w.machine_type)
    vcpus, memory = 0, 0.0
    try:
        p = instance_price(cloud, next(iter(_regions_of(net))), w.machine_type)
        vcpus, memory = p.vcpus, p.memory_gb
    except TradeplaneError as exc:
        if w.hourly_usd is None:
            raise EstateError.single(
                f"workload '{w.name}': {exc.message}", location=estate.where(w, "machine_type"),
                field="machine_type", hint=exc.problems[0].hint if exc.problems else "") from exc

    why: list[Explanation] = []
    zones = _subnet_zones(net, w, free_subnets)
    trail = list(zones)

    def narrow(keep: Iterable[str], kind: str, message: str, hint: str, at: str = where) -> None:
        nonlocal trail
        kept = [z for z in trail if z in set(keep)]
        if trail and not kept:
            why.append(Explanation(w.name, kind, message, hint, at))  # type: ignore[arg-type]
        trail = kept

    if w.placement.zones:
        narrow(w.placement.zones, "zones",
               f"{w.name}: pinned zones {', '.join(w.placement.zones)} are not in the zones of its subnet "
               f"{w.subnet} ({', '.join(sorted(zones))})",
               "pin a zone of the subnet, or move the workload to a subnet in the pinned zone",
               _where(estate, w.placement, "zones") or where)
    allowed, applied = allowed_regions(estate, net)
    if allowed is not None:
        regions = sorted({catalog.region_of(z) for z in trail})
        narrow([z for z in trail if catalog.region_of(z) in allowed], "guardrail",
               f"{w.name}: its subnet {w.subnet} is in {', '.join(regions)}, which guardrail "
               f"{', '.join(applied)} (restrict_regions) does not allow; allowed: {', '.join(sorted(allowed))}",
               "move the workload to a subnet in an allowed region, or add the region to the guardrail")
    if vcpus:
        narrow([z for z in trail if capacity.offers(z, family) and capacity.vcpus(z, family) >= vcpus],
               "family",
               f"{w.name}: machine family {family} ({w.machine_type}) is not offered in "
               f"{', '.join(sorted(trail)) or 'any candidate zone'} by the capacity table",
               "choose a machine type of a family offered there (placement/capacity.yaml lists them)",
               _where(estate, w, "machine_type") or where)
    hourly: dict[str, float] = {}
    for z in trail:
        if w.hourly_usd is not None:
            hourly[z] = w.hourly_usd
            continue
        try:
            hourly[z] = instance_price(cloud, catalog.region_of(z), w.machine_type).hourly_usd
        except TradeplaneError:
            continue
    narrow(list(hourly), "price", f"{w.name}: no price for {w.machine_type} in the candidate regions",
           "set hourly_usd on the workload")
    pre_budget = tuple(trail)
    budgets: list[Budget] = []
    for b in w.latency_budgets:
        kind, place = _target(estate, b)
        at = _where(estate, b, "rtt_us") or where
        rtt = {z: routes.rtt(z, b.to, b.via).rtt_us for z in pre_budget} if kind != "workload" else {}
        budgets.append(Budget(w.name, b.to, kind, place, b.rtt_us, at, b.via, rtt))
    for budget in budgets:
        if budget.kind == "workload":
            continue
        before = list(trail)
        narrow([z for z in trail if budget.rtt_at(z) <= budget.rtt_us], "budget", "", "", budget.where)
        if before and not trail:
            why[-1] = _explain_place_budget(w, budget, before, cloud, budgets, routes)
    item = Item(
        name=w.name, cloud=cloud, count=w.count, machine_type=w.machine_type, family=family, vcpus=vcpus,
        memory_gb=memory, strategy=strategy, group=_group_key(w), domain=tuple(sorted(trail)),
        hourly_by_zone={z: hourly[z] for z in sorted(pre_budget)},
        subnet_by_zone={z: zones[z] for z in sorted(pre_budget)},
        anti_affinity=tuple(sorted(set(w.placement.anti_affinity) - {w.name})),
        budgets=tuple(budgets), where=where, pre_budget_domain=pre_budget,
    )
    if not pre_budget and not why:
        why.append(Explanation(w.name, "subnet", f"{w.name}: no candidate zone", "check the subnet", where))
    return item, why


def _regions_of(net: AwsVpc | GcpVpc) -> list[str]:
    if isinstance(net, AwsVpc):
        return [net.region]
    return sorted({s.region for s in net.subnets}) or ["us-central1"]


def _meets(b: Budget, routes: Routes) -> set[str]:
    return {z for z in catalog.ZONES if routes.rtt(z, b.to, b.via).rtt_us <= b.rtt_us}


def _explain_place_budget(w: Workload, b: Budget, before: list[str], cloud: str,
                          budgets: list[Budget], routes: Routes) -> Explanation:
    """Why no zone meets ``b``, considering every other venue/site budget of the workload together: a hint
    never proposes a zone that breaks another of its budgets."""
    best, best_zone = min((b.rtt_at(z), z) for z in before)
    best_est = routes.rtt(best_zone, b.to, b.via)
    shown = math.ceil(best)
    target = f"{b.to} ({b.place})" if b.place != b.to else b.to
    msg = (f"{w.name}: latency budget to {target} is {_us(b.rtt_us)} round trip, but the best zone it may "
           f"use, {best_zone}, is at least {_us(shown)} ({best_est.basis})")
    others = [o for o in budgets if o.kind != "workload" and o is not b]
    # Two budgets no single zone can meet together: say so, with both bounds.
    for o in others:
        if _meets(b, routes) & _meets(o, routes):
            continue
        pair = estimate_rtt(b.place, o.place)
        o_target = f"{o.to} ({o.place})" if o.place != o.to else o.to
        msg = (f"{w.name}: no zone meets both its latency budgets, {_us(b.rtt_us)} to {target} and "
               f"{_us(o.rtt_us)} to {o_target}")
        if pair.distance_km > 0 and pair.fibre_bound_us > b.rtt_us + o.rtt_us:  # apart: physics says so
            msg += (f": {b.place} and {o.place} are {pair.distance_km:,.0f} km apart (fibre bound "
                    f"{_us(pair.fibre_bound_us)}, physical floor {_us(pair.bound_us)}), so no single zone can be "
                    f"within {_us(b.rtt_us)} of one and {_us(o.rtt_us)} of the other")
        else:
            msg += f": no catalog zone is estimated within both (best for {b.to}: {best_zone}, {_us(shown)})"
        group = f" (it is in group {w.placement.group})" if w.placement.group else ""
        return Explanation(w.name, "budget", msg,
                           f"split the workload per venue (one deployment near each){group}, or relax one budget",
                           b.where)
    if best_est.fibre_bound_us > b.rtt_us:
        if best_est.distance_km > 0:  # apart: the fibre (or the route's) bound and the vacuum floor
            what = "the fibre bound" if best_est.kind != "path" else "the bound along the path"
            msg += (f"; from {catalog.region_of(best_zone)} it cannot be under {_us(b.rtt_us)}: {what} is "
                    f"{_us(best_est.fibre_bound_us)} ({best_est.floor_basis}; the physical floor in vacuum is "
                    f"{_us(best_est.bound_us)})")
        else:  # inside one region: the fabric's floor, no distance
            msg += (f"; inside {catalog.region_of(best_zone)} it cannot be under {_us(b.rtt_us)}: the floor is "
                    f"{best_est.floor_text()}")
    everywhere = sorted((routes.rtt(z, b.to, b.via).rtt_us, z) for z in catalog.ZONES)
    # Zones that meet this budget and every other venue/site budget of the workload.
    allowed = (set.intersection(_meets(b, routes), *(_meets(o, routes) for o in others)) if others
               else _meets(b, routes))
    meets = [z for r, z in sorted(everywhere, key=lambda t: (catalog.ZONES[t[1]].cloud != cloud, t))
             if z in allowed]
    also = f" and its other budgets ({', '.join(o.to for o in others)})" if others else ""
    group = f"; its group {w.placement.group} moves with it" if w.placement.group else ""
    move = (f"zones that meet it{also}: {', '.join(meets[:4])}; move the workload to a subnet there "
            f"(and allow the region in the guardrails if needed){group}, or raise the budget to at least "
            f"{_us(shown)}")
    host = resolve_place(b.place)
    if host.kind != "site":
        # A venue hosted in a cloud zone or region: reached inside the cloud, so the best any zone can do is
        # the cloud's fabric figure there; colocation does not apply (the venue is not in a colocation).
        if meets:
            return Explanation(w.name, "budget", msg, move, b.where)
        best_any, any_zone = everywhere[0]
        msg += f"; {b.to} is hosted in {host.cloud} {host.kind} {host.name}: no zone is estimated under {_us(b.rtt_us)}"
        if math.ceil(best_any) < shown:  # a zone it may not use does better
            msg += f" (best: {any_zone}, {_us(math.ceil(best_any))}: {routes.rtt(any_zone, b.to, b.via).basis})"
        hint = f"raise the budget to at least {_us(math.ceil(best_any))}"
        if host.kind == "region":
            same_zone = figures.FABRIC[host.cloud].zone.rtt_us
            hint += (f"; {b.to}'s zone is not known (its location is the region {host.name}): if the venue "
                     f"publishes its zone, make that zone its location, where the same-zone figure "
                     f"({_us(same_zone)}) applies")
        return Explanation(w.name, "budget", msg, hint, b.where)
    bound, nearest = min((estimate_rtt(r, b.place).fibre_bound_us, r) for r in catalog.REGIONS)
    near_est = estimate_rtt(nearest, b.place)
    if bound > b.rtt_us:
        msg += (f"; no cloud zone can be under {_us(b.rtt_us)}: the fibre bound from the nearest region, "
                f"{nearest}, is {_us(bound)} ({near_est.floor_basis})")
        hint = (f"raise the budget to at least {_us(shown)}, or run this workload in colocation at "
                f"{b.place}")
    elif meets:
        hint = move
    else:
        msg += (f"; physics allows {_us(bound)} from {nearest}, but no catalog zone is estimated under "
                f"{_us(b.rtt_us)} (best anywhere: {everywhere[0][1]}, {_us(math.ceil(everywhere[0][0]))})")
        hint = (f"raise the budget to at least {_us(math.ceil(everywhere[0][0]))}, or use colocation at "
                f"{b.place}")
    return Explanation(w.name, "budget", msg, hint, b.where)


def _groups(estate: Estate, items: list[Item]) -> tuple[list[Group], list[Item], list[Explanation]]:
    why: list[Explanation] = []
    by_key: dict[str, list[Item]] = {}
    for it in items:
        if it.group is not None:
            by_key.setdefault(it.group, []).append(it)
    groups: list[Group] = []
    replaced: dict[str, Item] = {}
    for key in sorted(by_key):
        members = by_key[key]
        strategies = sorted({m.strategy for m in members})
        if len(strategies) > 1:
            w = estate.workload(members[0].name)
            raise EstateError.single(
                f"placement group '{key}' is named with different strategies: {', '.join(strategies)} "
                f"(workloads {', '.join(m.name for m in members)})",
                location=estate.where(w.placement, "group"), field="placement.group",
                hint="a group has one strategy; use one strategy or different group names")
        strategy = strategies[0]
        clouds = sorted({m.cloud for m in members})
        if len(clouds) > 1:
            why.append(Explanation(members[0].name, "group",
                                   f"group {key} has members on {' and '.join(clouds)}; a group is in one cloud",
                                   "split the group per cloud", members[0].where))
            continue
        instances = sum(m.count for m in members)
        names = tuple(m.name for m in members)
        if strategy not in group_rules.ZONAL_STRATEGIES:
            groups.append(Group(key, strategy, clouds[0], names, tuple(sorted({z for m in members
                                                                               for z in m.domain})), instances))
            continue
        common = set.intersection(*(set(m.domain) for m in members))
        domain = tuple(sorted(common))
        if not domain and all(m.domain for m in members):
            spans = "; ".join(f"{m.name}: {', '.join(m.domain)}" for m in members)
            why.append(Explanation(members[0].name, "group",
                                   f"group {key} ({strategy}) must sit in one zone, but its members share no "
                                   f"candidate zone ({spans})",
                                   "move the members' subnets into one zone, or take one out of the group",
                                   members[0].where))
        node_type, nodes, node_vcpus = "", 0, 0
        node_hourly: dict[str, float] = {}
        if strategy == "compact":
            bad = sorted({m.family for m in members} - group_rules.GCP_COMPACT_FAMILIES)
            if bad:
                why.append(Explanation(members[0].name, "group",
                                       f"compact policy {key}: machine series {', '.join(bad)} cannot use compact "
                                       f"placement ({group_rules.RULE_SOURCES['compact']})",
                                       "use a C2, C2D, N2 or N2D machine type", members[0].where))
            if instances > group_rules.GCP_COMPACT_MAX_VMS:
                why.append(Explanation(members[0].name, "group",
                                       f"compact policy {key} holds {instances} VMs; the limit is "
                                       f"{group_rules.GCP_COMPACT_MAX_VMS}",
                                       "split the workloads over several compact policies", members[0].where))
        if strategy == "sole_tenant":
            node_type, nodes, node_vcpus, node_hourly = _nodes(key, members, domain, why)
        groups.append(Group(key, strategy, clouds[0], names, domain, instances, node_type, nodes, node_vcpus,
                            node_hourly))
        for m in members:
            replaced[m.name] = Item(**{**m.__dict__, "domain": tuple(z for z in m.domain if z in common)})
    per_region = Counter(catalog.region_of(g.domain[0]) for g in groups
                         if g.cloud == "aws" and g.domain and len({catalog.region_of(z) for z in g.domain}) == 1)
    for region, n in sorted(per_region.items()):
        if n > group_rules.AWS_GROUPS_PER_REGION:
            why.append(Explanation("", "group", f"{n} AWS placement groups in {region}; the limit is "
                                   f"{group_rules.AWS_GROUPS_PER_REGION} per account and region",
                                   "merge groups or spread them over accounts"))
    return groups, [replaced.get(i.name, i) for i in items], why


def _nodes(key: str, members: list[Item], domain: tuple[str, ...], why: list[Explanation]
           ) -> tuple[str, int, int, dict[str, float]]:
    node_types: dict[str, list[float]] = price_table().data["gcp"]["node_types"]
    families = sorted({m.family for m in members})
    fitting = sorted(n for n in node_types if machine_family(n) in families)
    if len(families) != 1 or not fitting:
        why.append(Explanation(members[0].name, "group",
                               f"sole-tenant group {key}: no node type for machine series {', '.join(families)} "
                               f"(node types: {', '.join(sorted(node_types))})",
                               "use one machine series that has a sole-tenant node type", members[0].where))
        return "", 0, 0, {}
    node_type = fitting[0]
    nv, nm = int(node_types[node_type][0]), float(node_types[node_type][1])
    need_v = sum(m.vcpus * m.count for m in members)
    need_m = sum(m.memory_gb * m.count for m in members)
    nodes = max(1, math.ceil(need_v / nv), math.ceil(need_m / nm))
    zones = sorted(set.intersection(*(set(m.pre_budget_domain) for m in members)) | set(domain))
    hourly = {z: nodes * instance_price("gcp", catalog.region_of(z), node_type).hourly_usd for z in zones}
    return node_type, nodes, nv, hourly


def _pair_prechecks(items: list[Item], groups: list[Group]) -> list[Explanation]:
    by_name = {i.name: i for i in items}
    why: list[Explanation] = []
    for it in items:
        for b in it.budgets:
            if b.kind != "workload" or not it.domain:
                continue
            other = by_name.get(b.to)
            if other is None or not other.domain:
                continue
            same = _same_zonal_group(it, other)
            best = min((pair_rtt(z1, z2, same), z1, z2) for z1 in it.domain for z2 in other.domain)
            if best[0] > b.rtt_us:
                est = estimate_rtt(best[1], best[2], same and best[1] == best[2])
                hint = (f"raise the budget to at least {_us(math.ceil(best[0]))}"
                        + ("" if same or best[1] != best[2] else
                           ", or put both in one cluster placement group / compact policy"))
                why.append(Explanation(
                    it.name, "budget",
                    f"{it.name}: latency budget to workload {b.to} is {_us(b.rtt_us)} round trip, but the closest "
                    f"their candidate zones allow is {_us(best[0])} ({best[1]} to {best[2]}: {est.basis})",
                    hint, b.where))
        for o in it.anti_affinity:
            other = by_name.get(o)
            if other is None:
                continue
            if len(it.domain) == 1 and other.domain == it.domain and it.name < o:
                why.append(Explanation(
                    it.name, "anti_affinity",
                    f"{it.name} and {o} must be in different zones (anti-affinity) but both can only be in "
                    f"{it.domain[0]}", "move one of them to a subnet in another zone", it.where))
    return why


def _same_zonal_group(a: Item, b: Item) -> bool:
    return a.group is not None and a.group == b.group and a.strategy in ("cluster", "compact")
