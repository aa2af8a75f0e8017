"""GCP Organization Policy: every guardrail's constraints at the organisation or its folders."""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.guardrails import applied_guardrails, org_policies
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import interp, text_value
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "org_policies"


@family("org_policies", cloud="gcp", stage=Stage.ORG)
def emit(ctx: Context) -> None:
    """One google_org_policy_policy per (guardrail constraint, scope); exempt projects get a project override."""
    org = ctx.estate.organisation.gcp
    if org is None:
        return
    mod = ctx.module("gcp", Stage.ORG)
    org_id = ctx.org_id(mod)
    projects = {p.name for p in org.projects}
    for g, scopes in applied_guardrails(ctx.estate, {f.name for f in org.folders}):
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
                    rules.block("values", allowed_values=[text_value(x) for x in pol.allowed_values] or None,
                                denied_values=[text_value(x) for x in pol.denied_values] or None)
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
