"""Which zone each replica of a workload lands in.

In order of precedence: the placement solver's choice (``zones``: workload ->
one zone per replica), the zones the estate pins (round-robin over replicas),
then the subnet's own zone (AWS) or the first zone of the subnet's region (GCP).
"""

from __future__ import annotations

from collections.abc import Mapping

from tradeplane.errors import InputError
from tradeplane.estate import catalog
from tradeplane.estate.model import AwsSubnet, AwsVpc, Estate, GcpSubnet, GcpVpc, Workload

__all__ = ["default_zones", "replica_zones", "subnet_of"]


def subnet_of(estate: Estate, w: Workload) -> AwsSubnet | GcpSubnet:
    net = estate.network(w.network)
    for s in net.subnets:
        if s.name == w.subnet:
            return s
    raise KeyError(w.subnet)  # the loader's reference check makes this unreachable


def replica_zones(estate: Estate, w: Workload, zones: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """One zone per replica, validated against the workload's network."""
    net = estate.network(w.network)
    subnet = subnet_of(estate, w)
    chosen = tuple(zones.get(w.name, ()))
    if chosen:
        if len(chosen) not in (1, w.count):
            raise InputError.single(
                f"placement for workload '{w.name}' gives {len(chosen)} zones for {w.count} replicas",
                field=f"zones[{w.name}]", hint="give one zone per replica, or one zone for all")
        picked = chosen if len(chosen) == w.count else chosen * w.count
    elif w.placement.zones:
        pinned = w.placement.zones
        picked = tuple(pinned[i % len(pinned)] for i in range(w.count))
    elif isinstance(net, AwsVpc):
        assert isinstance(subnet, AwsSubnet)
        picked = (subnet.zone,) * w.count
    else:
        assert isinstance(subnet, GcpSubnet)
        picked = (sorted(z.name for z in catalog.zones_of(subnet.region))[0],) * w.count
    region = net.region if isinstance(net, AwsVpc) else subnet.region  # type: ignore[union-attr]
    for z in picked:
        place = catalog.ZONES.get(z)
        if place is None or place.region != region:
            where = f"{net.region}" if isinstance(net, AwsVpc) else f"{region} (subnet {subnet.name})"
            raise InputError.single(
                f"workload '{w.name}' is placed in zone '{z}', which is not a zone of {where}",
                field=f"zones[{w.name}]",
                hint="choose zones of the workload's region: "
                + ", ".join(sorted(p.name for p in catalog.zones_of(region))))
    return picked


def default_zones(estate: Estate, chosen: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Zones for GCP workloads neither the solver nor the estate placed: the region's first zone that
    no anti-affine workload (already placed, in name order) occupies."""
    taken: dict[str, set[str]] = {}
    for w in estate.workloads:
        if w.name in chosen:
            taken[w.name] = set(chosen[w.name])
        elif w.placement.zones:
            taken[w.name] = set(w.placement.zones)
    avoided_by: dict[str, set[str]] = {}  # workload -> the workloads that name it anti-affine
    for x in estate.workloads:
        for other in x.placement.anti_affinity:
            avoided_by.setdefault(other, set()).add(x.name)
    out: dict[str, tuple[str, ...]] = {}
    for w in sorted(estate.workloads, key=lambda w: w.name):
        net = estate.network(w.network)
        if w.name in taken or not isinstance(net, GcpVpc):
            continue
        subnet = subnet_of(estate, w)
        assert isinstance(subnet, GcpSubnet)
        candidates = sorted(z.name for z in catalog.zones_of(subnet.region))
        peers = avoided_by.get(w.name, set()) | set(w.placement.anti_affinity)
        avoid = set().union(*(taken.get(p, set()) for p in peers)) if peers else set()
        zone = next((z for z in candidates if z not in avoid), candidates[0])
        out[w.name] = (zone,) * w.count
        taken[w.name] = {zone}
    return out


def region_of_network(net: AwsVpc | GcpVpc) -> str:
    return net.region if isinstance(net, AwsVpc) else (net.subnets[0].region if net.subnets else "")
