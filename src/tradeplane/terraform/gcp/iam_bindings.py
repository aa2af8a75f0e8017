"""GCP IAM per desk: each desk team's group gets narrowly scoped roles on the desk's projects."""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

# No basic roles (owner/editor/viewer): viewing, OS Login and IAP tunnelling only.
DESK_ROLES = ("roles/compute.osLogin", "roles/compute.viewer", "roles/iap.tunnelResourceAccessor",
              "roles/monitoring.viewer")


@family("iam_bindings", cloud="gcp", stage=Stage.SECURITY)
def emit(ctx: Context) -> None:
    """Additive members (never authoritative bindings) for every team of the desk owning a project."""
    gcp = ctx.estate.organisation.gcp
    if gcp is None:
        return
    mod = ctx.module("gcp", Stage.SECURITY)
    if gcp.domain is None and any(ctx.desks.get(p.desk or "") for p in ctx.projects.values()):
        ctx.unsupported(gcp, "domain", "the desks' groups are named in the organisation's domain, which the estate "
                        "does not declare", "add organisation.gcp.domain (e.g. example.com)")
    for p in sorted(ctx.projects.values(), key=lambda p: p.name):
        desk = ctx.desks.get(p.desk or "")
        if desk is None:
            continue
        for team in sorted(desk.teams):
            for role in DESK_ROLES:
                mod.resource("iam_bindings", "google_project_iam_member",
                             ident(p.name, team, role.removeprefix("roles/").replace(".", "_")),
                             project=ctx.project_id(mod, p.name), role=role,
                             member=f"group:{desk.name}-{team}@{gcp.domain}")
