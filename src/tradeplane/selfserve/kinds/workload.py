"""A new workload: name, desk, where (cloud/region or a venue to be near), venues, latency budget, ports."""

from __future__ import annotations

import contextlib
import math
from typing import Any, Literal

from pydantic import Field

from tradeplane.errors import InputError
from tradeplane.estate import AwsVpc, Cloud, Estate, Name, PortRange
from tradeplane.selfserve.document import EstateDocument, insert_after, node
from tradeplane.selfserve.kinds.base import RequestKind, by_name, register, unknown

DEFAULT_MACHINE = {"aws": "c6in.2xlarge", "gcp": "c2-standard-8"}
"""A latency-sensitive general machine per cloud when the request names none (network-optimised c6in
on AWS, compute-optimised c2 on GCP: the machines the reference estate's trading workloads use)."""

_TIER_RANK = {"trading": 0, "private": 1, "data": 2}


@register
class WorkloadRequest(RequestKind):
    """Run a new workload for a desk; the solver places it (``near``: a venue or site to be close to)."""

    kind: Literal["workload"] = "workload"
    name: Name
    desk: Name
    team: Name | None = Field(default=None, description="one of the desk's teams (default: its first)")
    cloud: Cloud | None = None
    region: str | None = Field(default=None, description="a region of the desk's networks")
    near: Name | None = Field(default=None, description="placement hint: a venue or site to be close to")
    network: Name | None = None
    subnet: Name | None = None
    venues: tuple[Name, ...] = ()
    latency_us: float | None = Field(default=None, gt=0, le=10_000_000,
                                     description="round-trip budget to each venue (µs)")
    ports: tuple[PortRange, ...] = Field(default=(), description="ports it listens on")
    machine_type: str | None = None
    count: int = Field(default=1, ge=1, le=10_000)
    env: Literal["prod", "staging", "dev"] = "prod"
    reason: str = ""

    def summary(self) -> str:
        where = self.near or self.region or (self.cloud.value if self.cloud else "") or "anywhere"
        return f"new workload {self.name} for desk {self.desk} near {where}"

    def desks(self, estate: Estate) -> set[str]:
        return {self.desk}

    def placed(self) -> tuple[str, ...]:
        return (self.name,)

    def _targets(self, estate: Estate) -> list[str]:
        return [*self.venues, *([self.near] if self.near and self.near not in self.venues else [])]

    def _place_of(self, estate: Estate, name: str) -> str:
        venues = by_name(estate.venues)
        sites = by_name(estate.sites)
        return venues[name].location if name in venues else (sites[name].location or name) if name in sites else name

    def choose_subnet(self, estate: Estate) -> tuple[Any, str, str, str]:
        """(network, subnet name, cidr text, region) of the desk's subnet that best fits the request."""
        from tradeplane.placement import estimate_rtt

        nets = [n for n in estate.networks if n.desk == self.desk and (self.network is None or n.name == self.network)]
        if self.cloud is not None:
            nets = [n for n in nets if n.cloud == self.cloud.value]
        candidates: list[tuple[tuple[int, float, str, str], Any, str, str, str]] = []
        near = self._place_of(estate, self.near) if self.near else None
        for n in nets:
            for s in n.subnets:
                region = n.region if isinstance(n, AwsVpc) else getattr(s, "region", "")
                if (self.region and region != self.region) or (self.subnet and s.name != self.subnet):
                    continue
                if s.tier == "public" or s.name.startswith("tgw-") or getattr(s, "secondary_ranges", None):
                    continue  # not where a VM goes: internet-facing, TGW attachment, or a GKE range
                rtt = math.inf
                if near is not None:
                    with contextlib.suppress(InputError):
                        rtt = estimate_rtt(region, near).rtt_us
                tier = _TIER_RANK.get(s.tier, 3) if (self.venues or self.near) else 0
                candidates.append(((tier, rtt, n.name, s.name), n, s.name, str(s.cidr), region))
        if not candidates:
            where = " ".join(x for x in (self.cloud.value if self.cloud else "", self.region or "",
                                         self.network or "", self.subnet or "") if x)
            raise InputError.single(f"desk {self.desk} has no subnet for a workload" + (f" in {where}" if where else ""),
                                    field="region" if self.region else "cloud" if self.cloud else "desk",
                                    hint="ask the platform team for a network first, or name another region/cloud")
        _, n, subnet, cidr, region = min(candidates, key=lambda c: c[0])
        return n, subnet, cidr, region

    def workload(self, estate: Estate) -> dict[str, Any]:
        """The new ``workloads:`` item, as plain data (checked against the estate)."""
        desks = by_name(estate.desks)
        if self.desk not in desks:
            raise unknown("desk", self.desk, "desk", list(desks))
        if any(w.name == self.name for w in estate.workloads):
            raise InputError.single(f"a workload named '{self.name}' already exists", field="name",
                                    hint="choose another name")
        desk = desks[self.desk]
        if self.team is not None and self.team not in desk.teams:
            raise unknown("team", self.team, f"team of desk {self.desk}", list(desk.teams))
        venues = by_name(estate.venues)
        for v in self.venues:
            if v not in venues:
                raise unknown("venues", v, "venue", list(venues))
        if self.near is not None and self.near not in venues and self.near not in by_name(estate.sites):
            raise unknown("near", self.near, "venue or site", [*venues, *by_name(estate.sites)])
        if self.latency_us is not None and not self._targets(estate):
            raise InputError.single("a latency budget needs a venue or a 'near' target", field="latency_us",
                                    hint="add --venue or --near")
        net, subnet, _cidr, _region = self.choose_subnet(estate)
        item: dict[str, Any] = {"name": self.name, "desk": self.desk, "team": self.team or desk.teams[0]}
        if self.env != "prod":
            item["env"] = self.env
        item |= {"network": net.name, "subnet": subnet,
                 "machine_type": self.machine_type or DEFAULT_MACHINE[net.cloud]}
        if self.count != 1:
            item["count"] = self.count
        if self.latency_us is not None:
            item["latency_budgets"] = [{"to": t, "rtt_us": _number(self.latency_us)} for t in self._targets(estate)]
        if self.ports:
            item["listens_on"] = [_port(p) for p in self.ports]
        if self.venues:
            item["venues"] = list(self.venues)
        return item

    def apply(self, doc: EstateDocument, estate: Estate) -> list[str]:
        item = self.workload(estate)
        seq = doc.section("workloads", prefer=lambda w: isinstance(w, dict) and w.get("desk") == self.desk)
        last = max((i for i, w in enumerate(seq) if isinstance(w, dict) and w.get("desk") == self.desk), default=None)
        insert_after(seq, last, node(item))
        return [f"workloads: add {self.name} ({item['machine_type']} x{self.count}) in "
                f"{item['network']}/{item['subnet']} for desk {self.desk}"]


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _port(p: PortRange) -> int | str:
    return p.start if p.start == p.end else str(p)


__all__ = ["DEFAULT_MACHINE", "WorkloadRequest"]
