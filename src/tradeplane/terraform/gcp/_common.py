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
