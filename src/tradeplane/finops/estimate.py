"""What the estate costs a month, line by line, from the shipped price table; and what a change costs.

``estimate(estate)`` prices every billable resource of the estate (``finops.billable``, the
one enumeration the FOCUS generator reads too): instances, sole-tenant nodes, GKE clusters,
NAT gateways, transit gateway attachments, Direct Connect ports, Interconnect circuits and
VLAN attachments, cross-cloud links (Cross-Cloud Interconnect on GCP, a Direct Connect port per
leg on AWS), VPN tunnels, private endpoints, and the data transfer
the assumptions file sets for each. Each line's desk is the resource's owning desk.
``diff(old, new)`` compares two estimates resource by resource, like infracost
does for a Terraform plan. Pure: an Estate in, numbers out; no clock, no network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tradeplane.errors import Problem, TradeplaneError, UnsupportedError
from tradeplane.estate import (
    CrossCloud,
    Estate,
    Workload,
)
from tradeplane.estate.load import load_yaml_model
from tradeplane.estate.prices import HOURS_PER_MONTH, instance_price, network_price, price_table
from tradeplane.finops.billable import Billable, billable_resources

__all__ = ["Assumptions", "Estimate", "EstimateChange", "EstimateDiff", "EstimateLine", "diff", "estimate",
           "load_assumptions"]


@dataclass(frozen=True)
class Assumptions:
    nat_gateway_gb: float = 3000
    cloud_nat_gb: float = 2000
    tgw_attachment_gb: float = 5000
    dx_out_gb: float = 20000
    interconnect_egress_gb: float = 30000
    cross_cloud_gb: float = 10000
    cross_cloud_aws_out_gb: float = 10000
    source: str = "tradeplane/finops/config/assumptions.yaml"

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class _AssumptionsFile(BaseModel):
    """The layout of ``assumptions.yaml``: each item optional, in GB per month (finite, >= 0)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    nat_gateway_gb: float | None = Field(default=None, ge=0, le=1e9, description="GB per month per NAT gateway")
    cloud_nat_gb: float | None = Field(default=None, ge=0, le=1e9, description="GB per month per Cloud NAT region")
    tgw_attachment_gb: float | None = Field(default=None, ge=0, le=1e9,
                                            description="GB per month per transit gateway attachment")
    dx_out_gb: float | None = Field(default=None, ge=0, le=1e9, description="GB per month per Direct Connect")
    interconnect_egress_gb: float | None = Field(default=None, ge=0, le=1e9,
                                                 description="GB per month per Interconnect")
    cross_cloud_gb: float | None = Field(default=None, ge=0, le=1e9,
                                         description="GB per month per cross-cloud link, egress from GCP")
    cross_cloud_aws_out_gb: float | None = Field(
        default=None, ge=0, le=1e9,
        description="GB per month per cross-cloud link, out of AWS over its Direct Connect ports")


def load_assumptions(path: str | Path | None = None) -> Assumptions:
    """The traffic assumptions in ``path`` (or the shipped ones), read through the estate's YAML loader:
    ``ConfigError`` with file:line:column per problem."""
    if path is None:
        text: str | None = resources.files("tradeplane.finops.config").joinpath("assumptions.yaml") \
            .read_text(encoding="utf-8")
        source = Assumptions.source
    else:
        text, source = None, str(path)
    given = load_yaml_model(source, _AssumptionsFile, text=text, what="assumptions")
    return Assumptions(**given.model_dump(exclude_none=True), source=source)


@dataclass(frozen=True)
class EstimateLine:
    id: str  # stable resource address, e.g. workload.eq-order-gateway
    kind: str
    cloud: str
    region: str
    desk: str
    description: str
    quantity: float
    unit: str  # instance-hours, node-hours, port-hours, GB ...
    unit_price: float
    monthly: float
    basis: str
    where: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "cloud": self.cloud, "region": self.region, "desk": self.desk,
                "description": self.description, "quantity": round(self.quantity, 4), "unit": self.unit,
                "unit_price": round(self.unit_price, 6), "monthly": round(self.monthly, 2), "basis": self.basis,
                "where": self.where}


@dataclass(frozen=True)
class Estimate:
    estate: str
    lines: tuple[EstimateLine, ...]
    price_source: str
    price_as_of: str
    assumptions: Assumptions

    @property
    def total_monthly(self) -> float:
        return sum(line.monthly for line in self.lines)

    def by(self, attr: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.lines:
            key = str(getattr(line, attr))
            out[key] = out.get(key, 0.0) + line.monthly
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {"estate": self.estate, "total_monthly": round(self.total_monthly, 2),
                "hours_per_month": HOURS_PER_MONTH,
                "prices": {"source": self.price_source, "as_of": self.price_as_of},
                "assumptions": self.assumptions.to_json(),
                "by_desk": {k: round(v, 2) for k, v in self.by("desk").items()},
                "by_kind": {k: round(v, 2) for k, v in self.by("kind").items()},
                "by_cloud": {k: round(v, 2) for k, v in self.by("cloud").items()},
                "lines": [line.to_json() for line in self.lines]}


class _Lines:
    def __init__(self, e: Estate) -> None:
        self.e = e
        self.lines: list[EstimateLine] = []
        self.problems: list[Problem] = []

    def where(self, obj: object, fld: str = "") -> str:
        loc = self.e.where(obj, fld)
        return str(loc) if loc else self.e.path_of(obj)

    def add(self, id: str, kind: str, cloud: str, region: str, desk: str, description: str, quantity: float,
            unit: str, unit_price: float, basis: str, where: str) -> None:
        self.lines.append(EstimateLine(id, kind, cloud, region, desk, description, quantity, unit, unit_price,
                                       quantity * unit_price, basis, where))

    def hourly(self, id: str, kind: str, cloud: str, region: str, desk: str, description: str, count: float,
               item: str, where: str) -> None:
        p = network_price(cloud, item)
        if p.unit == "hour":
            self.add(id, kind, cloud, region, desk, description, count * HOURS_PER_MONTH, "hours", p.usd,
                     f"{item} {p.usd}/h x {count:g} x {HOURS_PER_MONTH:g} h", where)
        else:
            self.add(id, kind, cloud, region, desk, description, count, p.unit, p.usd, f"{item} {p.usd}/{p.unit}",
                     where)

    def data(self, id: str, kind: str, cloud: str, region: str, desk: str, description: str, gb: float,
             item: str, where: str, assumption: str) -> None:
        if gb <= 0:
            return
        p = network_price(cloud, item)
        self.add(id, kind, cloud, region, desk, description, gb, "GB", p.usd,
                 f"{item} {p.usd}/GB x {gb:g} GB (assumption {assumption})", where)


def _node_type(family: str) -> tuple[str, int] | None:
    nodes = price_table().data["gcp"]["node_types"]
    for name in sorted(nodes):
        if name.split("-")[0] == family:
            return name, int(nodes[name][0])
    return None


# Estimate line kinds of the billable kinds that are priced as one line each (instances are priced below).
_LINE_KIND = {"gke_cluster": "gke_cluster", "nat_gateway": "nat_gateway", "cloud_nat": "nat_gateway",
              "tgw_attachment": "tgw_attachment", "dx_port": "dx_port", "interconnect_circuit": "interconnect",
              "vlan_attachment": "interconnect", "cross_cloud": "cross_cloud", "vpn": "vpn",
              "private_endpoint": "private_endpoint"}


def _where(b: _Lines, r: Billable) -> str:
    return b.where(r.source, r.field) if r.source is not None else ""


def _instances(b: _Lines, resources: tuple[Billable, ...]) -> None:
    """Instances at their hourly price; GCP sole-tenant instances packed into nodes of their family, per group."""
    e = b.e
    sole: dict[tuple[str, str, str], list[Billable]] = {}
    for r in resources:
        if r.kind not in ("instance", "sole_tenant"):
            continue
        w = r.source
        where = _where(b, r)
        if r.kind == "sole_tenant" and r.hourly_usd is None:
            group = (w.placement.group if isinstance(w, Workload) else None) or r.name
            sole.setdefault((group, r.region, r.price_key.split("-")[0]), []).append(r)
            continue
        try:
            if r.hourly_usd is not None:
                hourly, basis = r.hourly_usd, "hourly_usd set on the workload"
            else:
                p = instance_price(r.cloud, r.region, r.price_key)
                hourly, basis = p.hourly_usd, p.basis
        except TradeplaneError as exc:
            b.problems.append(Problem(exc.message, e.where(w, "machine_type"), e.path_of(w) + ".machine_type",
                                      exc.problems[0].hint if exc.problems else ""))
            continue
        b.add(r.id, "instance", r.cloud, r.region, r.desk, r.description, r.count * HOURS_PER_MONTH,
              "instance-hours", hourly, basis, where)
    for (group, region, family), rs in sorted(sole.items()):
        node = _node_type(family)
        if node is None:
            w = rs[0].source
            b.problems.append(Problem(f"no sole-tenant node type for family '{family}'", e.where(w, "machine_type"),
                                      e.path_of(w) + ".machine_type", "node types: " + ", ".join(
                                          sorted(price_table().data["gcp"]["node_types"]))))
            continue
        name, node_vcpus = node
        vcpus = 0
        for r in rs:
            try:
                vcpus += instance_price("gcp", region, r.price_key).vcpus * r.count
            except TradeplaneError as exc:
                b.problems.append(Problem(exc.message, e.where(r.source, "machine_type"),
                                          e.path_of(r.source) + ".machine_type"))
        nodes = max(1, math.ceil(vcpus / node_vcpus))
        p = instance_price("gcp", region, name)
        b.add(f"sole-tenant.{group}", "sole_tenant_node", "gcp", region, rs[0].desk,
              f"{nodes} x {name} for {', '.join(r.name for r in rs)} ({vcpus} vCPU)", nodes * HOURS_PER_MONTH,
              "node-hours", p.hourly_usd, p.basis, _where(b, rs[0]))


def _services(b: _Lines, resources: tuple[Billable, ...], a: Assumptions) -> None:
    """Everything else billed by the hour (or per unit), with its data transfer from the assumptions."""
    for r in resources:
        kind = _LINE_KIND.get(r.kind)
        if kind is None:
            continue
        where = _where(b, r)
        b.hourly(r.id, kind, r.cloud, r.region, r.desk, r.description, r.count, r.price_key, where)
        if r.data_item and r.data_id:
            gb = float(getattr(a, r.data_assumption))
            what = {"nat_data": "NAT data processed", "cloud_nat_data": "Cloud NAT data processed",
                    "tgw_data": "transit gateway data processed", "dx_data_out": "Direct Connect data out"}
            label = what.get(r.data_item, "cross-cloud egress" if r.kind == "cross_cloud" else "Interconnect egress")
            if isinstance(r.source, CrossCloud) and r.kind == "dx_port":
                label = f"cross-cloud {label}"
            b.data(r.data_id, "data_transfer", r.cloud, r.region, r.desk, label, gb, r.data_item, where,
                   r.data_assumption)


def estimate(estate: Estate, assumptions: Assumptions | None = None) -> Estimate:
    """The monthly cost of everything ``estate`` declares; ``UnsupportedError`` lists what cannot be priced."""
    a = assumptions or load_assumptions()
    b = _Lines(estate)
    resources = billable_resources(estate)
    _instances(b, resources)
    _services(b, resources, a)
    if b.problems:
        raise UnsupportedError(f"estate '{estate.name}': {len(b.problems)} item(s) cannot be priced", b.problems)
    t = price_table()
    return Estimate(estate.name, tuple(sorted(b.lines, key=lambda x: x.id)), t.source, t.as_of, a)


@dataclass(frozen=True)
class EstimateChange:
    id: str
    change: str  # added, removed, changed
    kind: str
    desk: str
    old_monthly: float
    new_monthly: float
    old_description: str
    new_description: str

    @property
    def delta(self) -> float:
        return self.new_monthly - self.old_monthly

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "change": self.change, "kind": self.kind, "desk": self.desk,
                "old_monthly": round(self.old_monthly, 2), "new_monthly": round(self.new_monthly, 2),
                "delta": round(self.delta, 2), "old": self.old_description, "new": self.new_description}


@dataclass(frozen=True)
class EstimateDiff:
    old_total: float
    new_total: float
    changes: tuple[EstimateChange, ...] = field(default_factory=tuple)
    price_source: str = ""
    price_as_of: str = ""

    @property
    def delta(self) -> float:
        return self.new_total - self.old_total

    def by_desk(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for c in self.changes:
            out[c.desk] = out.get(c.desk, 0.0) + c.delta
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {"old_total": round(self.old_total, 2), "new_total": round(self.new_total, 2),
                "delta": round(self.delta, 2),
                "delta_pct": round(self.delta / self.old_total, 4) if self.old_total else None,
                "by_desk": {k: round(v, 2) for k, v in self.by_desk().items()},
                "prices": {"source": self.price_source, "as_of": self.price_as_of},
                "changes": [c.to_json() for c in self.changes]}


def diff(old: Estimate, new: Estimate) -> EstimateDiff:
    """Resource-by-resource difference between two estimates (added, removed, changed)."""
    o = {line.id: line for line in old.lines}
    n = {line.id: line for line in new.lines}
    changes = []
    for id in sorted(set(o) | set(n)):
        a, b = o.get(id), n.get(id)
        if a is None and b is not None:
            changes.append(EstimateChange(id, "added", b.kind, b.desk, 0.0, b.monthly, "", b.description))
        elif b is None and a is not None:
            changes.append(EstimateChange(id, "removed", a.kind, a.desk, a.monthly, 0.0, a.description, ""))
        elif a is not None and b is not None and (abs(a.monthly - b.monthly) > 0.005 or a.description != b.description):
            changes.append(EstimateChange(id, "changed", b.kind, b.desk, a.monthly, b.monthly, a.description,
                                          b.description))
    return EstimateDiff(old.total_monthly, new.total_monthly, tuple(changes), new.price_source, new.price_as_of)
