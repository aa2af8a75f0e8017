"""GCP Organization Policy: every guardrail's constraints at the organisation or its folders."""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.guardrails import org_policies
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "org_policies"


def _v(value: str) -> str | Expr:
    return Expr(f'"{value}"') if "${" in value else value


@family("org_policies", cloud="gcp", stage=Stage.ORG)
def emit(ctx: Context) -> None:
    """One google_org_policy_policy per (guardrail constraint, scope); exempt projects get a project override."""
    org = ctx.estate.organisation.gcp
    if org is None:
        return
    mod = ctx.module("gcp", Stage.ORG)
    org_id = ctx.org_id(mod)
    folders = {f.name for f in org.folders}
    projects = {p.name for p in org.projects}
    for g in sorted(ctx.estate.guardrails, key=lambda g: g.name):
        scopes = sorted(s for s in set(g.applies_to) if s == "root" or s in folders)
        if not scopes:
            continue  # scoped to AWS OUs only
        for pol in org_policies(ctx.estate, g, f"${{{org_id}}}"):
            short = pol.constraint.replace(".", "_")
            for scope in scopes:
                parent = (interp(f"organizations/${{{org_id}}}") if scope == "root"
                          else Expr(f"google_folder.{ident(scope)}.name"))
                p = mod.resource(F, "google_org_policy_policy", ident(g.name, scope, short),
                                 name=_name(parent, scope, pol.constraint), parent=parent)
                rules = p.block("spec").block("rules")
                if pol.kind == "boolean":
                    rules.set(enforce="TRUE")
                elif pol.deny_all:
                    rules.set(deny_all="TRUE")
                else:
                    rules.block("values", allowed_values=[_v(x) for x in pol.allowed_values] or None,
                                denied_values=[_v(x) for x in pol.denied_values] or None)
            for x in sorted(set(g.exempt) & projects):
                p = mod.resource(F, "google_org_policy_policy", ident(g.name, x, short),
                                 name=interp(f"projects/${{{ctx.project_id(mod, x)}}}/policies/{pol.constraint}"),
                                 parent=interp(f"projects/${{{ctx.project_id(mod, x)}}}"))
                p.comments.append(f"exempt: {g.reason}")
                rules = p.block("spec").block("rules")
                if pol.kind == "boolean":
                    rules.set(enforce="FALSE")
                else:
                    rules.set(allow_all="TRUE")


def _name(parent: Expr, scope: str, constraint: str) -> Expr:
    if scope == "root":
        return Expr(f'{parent[:-1]}/policies/{constraint}"')
    return interp(f"${{{parent}}}/policies/{constraint}")
