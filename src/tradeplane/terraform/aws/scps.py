"""AWS service control policies: every guardrail as a statement, packed per target within SCP quotas."""

from __future__ import annotations

from tradeplane.errors import UnsupportedError
from tradeplane.estate.model import Guardrail
from tradeplane.terraform.aws._common import policy_document
from tradeplane.terraform.aws.organization import ou_id
from tradeplane.terraform.context import Context
from tradeplane.terraform.guardrails import (
    GOLDEN_IMAGE_OWNERS,
    ScpStatement,
    applied_guardrails,
    scoping_problems,
    scp_statement,
)
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import text_value
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "scps"
SCP_MAX_CHARS = 5120
SCPS_PER_TARGET = 4  # a target holds 5 SCPs and FullAWSAccess takes one


@family("scps", cloud="aws", stage=Stage.ORG)
def emit(ctx: Context) -> None:
    """One statement per guardrail (Sid = guardrail), packed into SCPs per OU or the root, and attached."""
    org = ctx.estate.organisation.aws
    if org is None:
        return
    mod = ctx.module("aws", Stage.ORG)
    p = mod.aws_provider("management", "us-east-1")
    ids = ctx.account_ids()
    images = mod.var("golden_image_account_ids", "list(string)",
                     "accounts that own the firm's golden AMIs (UEFI Secure Boot, NitroTPM)")
    by_target: dict[str, list[tuple[Guardrail, ScpStatement]]] = {}
    for g, targets in applied_guardrails(ctx.estate, {o.name for o in org.ous}):
        exempt = tuple(sorted(ids[x] for x in g.exempt if x in ids))
        st = scp_statement(ctx.estate, g, exempt, tuple(sorted(ids.values())))
        for problem in scoping_problems(st):
            raise UnsupportedError.single(f"aws: {problem}", location=ctx.estate.where(g, "control"),
                                          hint="scope the statement to the resources that carry the key")
        for t in targets:
            by_target.setdefault(t, []).append((g, st))
    for target, items in sorted(by_target.items()):
        chunks: list[list[tuple[Guardrail, ScpStatement]]] = [[]]
        for g, st in items:
            if chunks[-1] and sum(s.size() for _, s in chunks[-1]) + st.size() > SCP_MAX_CHARS - 200:
                chunks.append([])
            chunks[-1].append((g, st))
        if len(chunks) > SCPS_PER_TARGET:
            g = chunks[-1][0][0]
            raise UnsupportedError.single(
                f"aws: the guardrails on '{target}' need {len(chunks)} SCPs, over the quota of {SCPS_PER_TARGET} "
                "per target (5 with FullAWSAccess)", location=ctx.estate.where(g, "applies_to"),
                hint="apply some guardrails to child OUs instead of the same target")
        for i, chunk in enumerate(chunks, start=1):
            name = ident(target, f"scp{i}")
            statements: list[dict[str, object]] = []
            for _, st in chunk:
                conds = [(t, v, images if vals == (GOLDEN_IMAGE_OWNERS,) else [text_value(x) for x in vals])
                         for t, v, vals in st.conditions]
                statements.append({"sid": st.sid, "effect": "Deny", "actions": list(st.actions),
                                   "not_actions": list(st.not_actions), "resources": list(st.resources),
                                   "conditions": conds})
            doc = policy_document(mod, F, name, p, statements)
            names = ", ".join(g.name for g, _ in chunk)
            mod.resource(F, "aws_organizations_policy", name, provider=p, name=f"tradeplane-{target}-{i}",
                         description=f"guardrails: {names}"[:512], type="SERVICE_CONTROL_POLICY",
                         content=Expr(str(doc).replace(".json", ".minified_json")),
                         tags=ctx.aws_tags(f"tradeplane-{target}-{i}", None, env="shared"))
            mod.resource(F, "aws_organizations_policy_attachment", name, provider=p,
                         policy_id=Expr(f"aws_organizations_policy.{name}.id"), target_id=ou_id(target))
