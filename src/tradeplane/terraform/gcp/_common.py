"""Helpers shared by the GCP families (private to this package)."""

from __future__ import annotations

from tradeplane.estate.model import GcpVpc, Protocol
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import ident

PROTOCOLS = {Protocol.TCP: "tcp", Protocol.UDP: "udp", Protocol.ICMP: "icmp", Protocol.ALL: "all"}


def vpcs(ctx: Context) -> list[GcpVpc]:
    return sorted(ctx.estate.gcp_vpcs, key=lambda v: v.name)


def net_project(ctx: Context, mod: RootModule, vpc: GcpVpc) -> Expr:
    return ctx.project_id(mod, vpc.project)


def ref(type_: str, *names: str, attr: str = "id") -> Expr:
    return Expr(f"{type_}.{ident(*names)}.{attr}")


def ports(ranges: object) -> list[str]:
    return sorted({str(r) for r in ranges})  # type: ignore[attr-defined]


def service_project(ctx: Context, desk: str, net: GcpVpc) -> str:
    """The desk's service project of the Shared VPC, else the network's own project."""
    for sp in sorted(net.shared_vpc_service_projects):
        p = ctx.projects.get(sp)
        if p is not None and p.desk == desk:
            return sp
    return net.project


def primary_region(ctx: Context) -> str:
    """The estate's primary GCP region: of the regions every ``restrict_regions`` guardrail allows on GCP
    (all, when none lists a GCP region), the one holding most GCP subnets (then by name); the first
    allowed region when no subnet is in one, ``us-central1`` when nothing narrows it. Where a regional
    resource with no workload of its own (the org audit log bucket) is placed, inside
    ``gcp.resourceLocations``."""
    from tradeplane.estate import catalog
    from tradeplane.estate.model import Control

    allowed: set[str] | None = None
    for g in ctx.estate.guardrails:
        if g.control is Control.RESTRICT_REGIONS:
            mine = {r for r in g.regions if r in catalog.REGIONS and catalog.REGIONS[r].cloud == "gcp"}
            if mine:
                allowed = mine if allowed is None else allowed & mine
    counts: dict[str, int] = {}
    for v in ctx.estate.gcp_vpcs:
        for s in v.subnets:
            if allowed is None or s.region in allowed:
                counts[s.region] = counts.get(s.region, 0) + 1
    if counts:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return sorted(allowed)[0] if allowed else "us-central1"
