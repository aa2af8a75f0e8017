"""``google_project_service`` for every API each project uses, derived from what was rendered.

A late family: after every other family has rendered, it reads the resources of every GCP
stage, takes the project each one is created in (``project = module.globals.project_ids["..."]``) and
enables the APIs those resource types need, in the organisation stage so they exist before
any later stage applies. Services are never disabled on destroy (other tools may use them).
"""

from __future__ import annotations

import re

from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "project_services"
_PROJECT = re.compile(r'(?:var|module\.globals)\.project_ids\["([^"]+)"\]')
# Resource type prefix -> the APIs it needs in its project (longest prefix wins).
APIS: dict[str, tuple[str, ...]] = {
    "google_compute_": ("compute.googleapis.com",),
    "google_container_": ("compute.googleapis.com", "container.googleapis.com"),
    "google_monitoring_": ("monitoring.googleapis.com",),
    "google_logging_": ("logging.googleapis.com",),
    "google_project_iam_": ("cloudresourcemanager.googleapis.com", "iam.googleapis.com"),
    "google_essential_contacts_": ("essentialcontacts.googleapis.com",),
    "google_network_security_": ("networksecurity.googleapis.com",),
}
BASELINE = ("cloudresourcemanager.googleapis.com", "logging.googleapis.com", "monitoring.googleapis.com")


def apis_for(resource_type: str) -> tuple[str, ...]:
    best = max((p for p in APIS if resource_type.startswith(p)), key=len, default=None)
    return APIS[best] if best else ()


@family("project_services", cloud="gcp", stage=Stage.ORG, late=True)
def emit(ctx: Context) -> None:
    """The APIs each project's rendered resources need (and logging/monitoring everywhere), enabled."""
    if ctx.estate.organisation.gcp is None:
        return
    used: dict[str, set[str]] = {name: set(BASELINE) for name in ctx.projects}
    for (cloud, _), mod in sorted(ctx.modules.items()):
        if cloud != "gcp":
            continue
        for blocks in mod.files.values():
            for b in blocks:
                if b.type != "resource":
                    continue
                m = _PROJECT.search(str(b.attrs.get("project", "")))
                if m and m.group(1) in used:
                    used[m.group(1)].update(apis_for(b.labels[0]))
    if any(p.shared_vpc_host for p in ctx.projects.values()):
        for p in ctx.projects.values():
            if p.shared_vpc_host or p.shared_vpc_host_project:
                used[p.name].add("compute.googleapis.com")
    mod = ctx.module("gcp", Stage.ORG)
    for project, apis in sorted(used.items()):
        for api in sorted(apis):
            mod.resource(F, "google_project_service", ident(project, api.split(".")[0]),
                         project=ctx.project_id(mod, project), service=api, disable_on_destroy=False,
                         depends_on=[Expr(f"google_project.{ident(project)}")])
