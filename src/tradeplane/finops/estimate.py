"""What the estate costs a month, line by line, from the shipped price table; and what a change costs.

``estimate(estate)`` prices everything the estate declares: instances, sole-tenant
nodes, GKE clusters, NAT gateways, transit gateway attachments, Direct Connect
ports, Interconnect circuits and VLAN attachments, cross-cloud links, VPN tunnels,
private endpoints, and the data transfer the assumptions file sets for each.
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
    AwsVpc,
    CrossCloud,
    DirectConnect,
    Estate,
    GcpVpc,
    Interconnect,
    PrivateEndpoint,
    TransitGateway,
    Vpn,
    Workload,
    catalog,
)
from tradeplane.estate.load import load_yaml_model
from tradeplane.estate.prices import HOURS_PER_MONTH, instance_price, network_price, price_table

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
    cross_cloud_gb: float | None = Field(default=None, ge=0, le=1e9, description="GB per month per cross-cloud link")


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


def _workload_region(e: Estate, w: Workload) -> tuple[str, str]:
    vpc = e.network(w.network)
    if isinstance(vpc, AwsVpc):
        return "aws", vpc.region
    subnet = next((s for s in vpc.subnets if s.name == w.subnet), None)
    region = subnet.region if subnet else ""
    if not region and w.placement.zones:
        region = catalog.region_of(w.placement.zones[0])
    return "gcp", region


def _node_type(family: str) -> tuple[str, int] | None:
    nodes = price_table().data["gcp"]["node_types"]
    for name in sorted(nodes):
        if name.split("-")[0] == family:
            return name, int(nodes[name][0])
    return None


def _workloads(b: _Lines) -> None:
    e = b.e
    sole: dict[tuple[str, str, str], list[Workload]] = {}
    for w in e.workloads:
        cloud, region = _workload_region(e, w)
        where = b.where(w, "machine_type")
        if w.kind == "sole_tenant" and cloud == "gcp" and w.hourly_usd is None:
            group = w.placement.group or w.name
            sole.setdefault((group, region, w.machine_type.split("-")[0]), []).append(w)
            continue
        try:
            if w.hourly_usd is not None:
                hourly, basis = w.hourly_usd, "hourly_usd set on the workload"
            else:
                p = instance_price(cloud, region, w.machine_type)
                hourly, basis = p.hourly_usd, p.basis
        except TradeplaneError as exc:
            b.problems.append(Problem(exc.message, e.where(w, "machine_type"), e.path_of(w) + ".machine_type",
                                      exc.problems[0].hint if exc.problems else ""))
            continue
        b.add(f"workload.{w.name}", "instance", cloud, region, w.desk,
              f"{w.count} x {w.machine_type}" + (" (GKE node pool)" if w.kind == "gke_node_pool" else ""),
              w.count * HOURS_PER_MONTH, "instance-hours", hourly, basis, where)
    for (group, region, family), ws in sorted(sole.items()):
        node = _node_type(family)
        if node is None:
            w = ws[0]
            b.problems.append(Problem(f"no sole-tenant node type for family '{family}'", e.where(w, "machine_type"),
                                      e.path_of(w) + ".machine_type", "node types: " + ", ".join(
                                          sorted(price_table().data["gcp"]["node_types"]))))
            continue
        name, node_vcpus = node
        vcpus = 0
        for w in ws:
            try:
                vcpus += instance_price("gcp", region, w.machine_type).vcpus * w.count
            except TradeplaneError as exc:
                b.problems.append(Problem(exc.message, e.where(w, "machine_type"), e.path_of(w) + ".machine_type"))
        nodes = max(1, math.ceil(vcpus / node_vcpus))
        p = instance_price("gcp", region, name)
        b.add(f"sole-tenant.{group}", "sole_tenant_node", "gcp", region, ws[0].desk,
              f"{nodes} x {name} for {', '.join(w.name for w in ws)} ({vcpus} vCPU)", nodes * HOURS_PER_MONTH,
              "node-hours", p.hourly_usd, p.basis, b.where(ws[0], "machine_type"))
    clusters = sorted({w.gke_cluster for w in e.workloads if w.gke_cluster})
    for c in clusters:
        w = next(x for x in e.workloads if x.gke_cluster == c)
        _, region = _workload_region(e, w)
        b.hourly(f"gke.{c}", "gke_cluster", "gcp", region, w.desk, f"GKE cluster {c} management fee", 1,
                 "gke_cluster", b.where(w, "gke_cluster"))


def _networks(b: _Lines, a: Assumptions) -> None:
    for vpc in b.e.networks:
        desk = vpc.desk or "platform"
        if isinstance(vpc, AwsVpc):
            for nat in vpc.nat_gateways:
                base = f"nat.{vpc.name}.{nat.name}"
                b.hourly(base, "nat_gateway", "aws", vpc.region, desk, f"NAT gateway {nat.name} in {vpc.name}", 1,
                         "nat_gateway", b.where(nat))
                b.data(base + ".data", "data_transfer", "aws", vpc.region, desk, "NAT data processed",
                       a.nat_gateway_gb, "nat_data", b.where(nat), "nat_gateway_gb")
        elif isinstance(vpc, GcpVpc):
            for region in vpc.cloud_nat_regions:
                base = f"cloud-nat.{vpc.name}.{region}"
                b.hourly(base, "nat_gateway", "gcp", region, desk, f"Cloud NAT in {region} for {vpc.name}", 1,
                         "cloud_nat_gateway", b.where(vpc, "cloud_nat_regions"))
                b.data(base + ".data", "data_transfer", "gcp", region, desk, "Cloud NAT data processed",
                       a.cloud_nat_gb, "cloud_nat_data", b.where(vpc, "cloud_nat_regions"), "cloud_nat_gb")


def _links(b: _Lines, a: Assumptions) -> None:
    e = b.e
    for tgw in e.links_of(TransitGateway):
        for att in tgw.attachments:
            desk = _desk_of_target(e, att.target) or "platform"
            base = f"tgw.{tgw.name}.{att.name}"
            b.hourly(base, "tgw_attachment", "aws", tgw.region, desk, f"{att.kind} attachment to {att.target}", 1,
                     "tgw_attachment", b.where(att))
            b.data(base + ".data", "data_transfer", "aws", tgw.region, desk, "transit gateway data processed",
                   a.tgw_attachment_gb, "tgw_data", b.where(att), "tgw_attachment_gb")
    for dx in e.links_of(DirectConnect):
        for c in dx.connections:
            b.hourly(f"dx.{dx.name}.{c.name}", "dx_port", "aws", "us-east-1", "platform",
                     f"Direct Connect {c.bandwidth_gbps}G port at {c.location}", 1, f"dx_port_{c.bandwidth_gbps}g",
                     b.where(c))
        b.data(f"dx.{dx.name}.data", "data_transfer", "aws", "us-east-1", "platform", "Direct Connect data out",
               a.dx_out_gb, "dx_data_out", b.where(dx), "dx_out_gb")
    for ic in e.links_of(Interconnect):
        desk = _site_desk(e, ic.site) or "platform"
        if ic.type == "dedicated":
            circuits = sorted({(x.metro, x.edge_availability_domain) for x in ic.attachments})
            for metro, ead in circuits:
                first = next(x for x in ic.attachments if x.metro == metro and x.edge_availability_domain == ead)
                b.hourly(f"interconnect.{ic.name}.circuit.{metro}-ead{ead}", "interconnect", "gcp", first.region,
                         desk, f"Dedicated Interconnect {ic.circuit_gbps}G circuit, {metro} EAD {ead}", 1,
                         f"interconnect_{ic.circuit_gbps}g", b.where(first))
        for vlan in ic.attachments:
            b.hourly(f"interconnect.{ic.name}.vlan.{vlan.name}", "interconnect", "gcp", vlan.region, desk,
                     f"VLAN attachment {vlan.name} ({vlan.bandwidth_gbps}G)", 1, "vlan_attachment_10g",
                     b.where(vlan))
        region = ic.attachments[0].region
        b.data(f"interconnect.{ic.name}.egress", "data_transfer", "gcp", region, desk, "Interconnect egress",
               a.interconnect_egress_gb, "interconnect_egress", b.where(ic), "interconnect_egress_gb")
    for xc in e.links_of(CrossCloud):
        n = 2 if xc.redundant else 1
        b.hourly(f"cross-cloud.{xc.name}", "cross_cloud", "gcp", xc.metro, "platform",
                 f"{n} x Cross-Cloud Interconnect {xc.bandwidth_gbps}G ({xc.metro})", n,
                 f"cross_cloud_interconnect_{xc.bandwidth_gbps}g", b.where(xc))
        b.data(f"cross-cloud.{xc.name}.egress", "data_transfer", "gcp", xc.metro, "platform",
               "cross-cloud egress", a.cross_cloud_gb, "interconnect_egress", b.where(xc), "cross_cloud_gb")
    for vpn in e.links_of(Vpn):
        try:
            vpc = e.network(vpn.network)
        except KeyError:
            continue
        desk = vpc.desk or "platform"
        if isinstance(vpc, GcpVpc):
            b.hourly(f"vpn.{vpn.name}", "vpn", "gcp", "", desk, f"HA VPN, {len(vpn.tunnels)} tunnels to {vpn.remote}",
                     len(vpn.tunnels), "ha_vpn_tunnel", b.where(vpn))
        else:
            b.hourly(f"vpn.{vpn.name}", "vpn", "aws", vpc.region, desk, f"site-to-site VPN to {vpn.remote}", 1,
                     "vpn_connection", b.where(vpn))
    for pe in e.links_of(PrivateEndpoint):
        try:
            vpc = e.network(pe.network)
        except KeyError:
            continue
        desk = vpc.desk or "platform"
        if isinstance(vpc, AwsVpc):
            b.hourly(f"endpoint.{pe.name}", "private_endpoint", "aws", vpc.region, desk,
                     f"PrivateLink endpoint to {pe.venue} in {len(pe.subnets)} AZ", len(pe.subnets),
                     "interface_endpoint_az", b.where(pe))
        else:
            b.hourly(f"endpoint.{pe.name}", "private_endpoint", "gcp", "", desk, f"PSC endpoint to {pe.venue}", 1,
                     "psc_endpoint", b.where(pe))


def _desk_of_target(e: Estate, target: str) -> str:
    try:
        return e.network(target).desk or ""
    except KeyError:
        return ""


def _site_desk(e: Estate, site: str) -> str:
    try:
        return e.site(site).desk or ""
    except KeyError:
        return ""


def estimate(estate: Estate, assumptions: Assumptions | None = None) -> Estimate:
    """The monthly cost of everything ``estate`` declares; ``UnsupportedError`` lists what cannot be priced."""
    a = assumptions or load_assumptions()
    b = _Lines(estate)
    _workloads(b)
    _networks(b, a)
    _links(b, a)
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
