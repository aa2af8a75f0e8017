"""GCP resource hierarchy: folders and projects (no default network, billing as a variable)."""

from __future__ import annotations

from tradeplane.estate.model import GcpFolder
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Block, Expr, Table, Value
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "organization"


@family("organization", cloud="gcp", stage=Stage.ORG)
def emit(ctx: Context) -> None:
    """Folders under the organisation or their parent folder, the estate's projects in them, audit logging."""
    org = ctx.estate.organisation.gcp
    if org is None:
        return
    mod = ctx.module("gcp", Stage.ORG)
    org_id = ctx.org_id(mod)
    billing = mod.var("billing_account", "string", "billing account the projects are charged to",
                      org.billing_account)
    folders: dict[str, Value] = {}
    numbers: dict[str, Value] = {}
    for f in sorted(org.folders, key=lambda f: f.name):
        mod.resource(F, "google_folder", ident(f.name), display_name=f.name, parent=_parent(f, org_id),
                     deletion_protection=True)
        folders[f.name] = Expr(f"google_folder.{ident(f.name)}.name")
    for p in sorted(org.projects, key=lambda p: p.name):
        proj = mod.resource(F, "google_project", ident(p.name), name=p.name, project_id=ctx.project_id(mod, p.name),
                            **({"folder_id": Expr(f"google_folder.{ident(p.folder)}.name")} if p.folder
                               else {"org_id": org_id}), billing_account=billing,
                            auto_create_network=False, deletion_policy="PREVENT",
                            labels=ctx.gcp_labels(p.desk, env=p.env))
        proj.blocks.append(Block("lifecycle").set(prevent_destroy=True))
        numbers[p.name] = Expr(f"google_project.{ident(p.name)}.number")
        # Admin Activity logs are always on; data-access audit logs are switched on for every service.
        audit = mod.resource(F, "google_project_iam_audit_config", ident(p.name), service="allServices",
                             project=Expr(f"google_project.{ident(p.name)}.project_id"))
        for log_type in ("ADMIN_READ", "DATA_READ", "DATA_WRITE"):
            audit.block("audit_log_config", log_type=log_type)
    if folders:
        mod.output("folder_ids", Table(folders), "folder resource names ('folders/123') by estate name",
                   pattern="^folders/[0-9]+$")
    if numbers:
        mod.output("project_numbers", Table(numbers), "project numbers by estate project name", pattern="^[0-9]+$")


def _parent(f: GcpFolder, org_id: Expr) -> Expr:
    return Expr(f"google_folder.{ident(f.parent)}.name") if f.parent else interp(f"organizations/${{{org_id}}}")
