"""AWS service control policies: every guardrail as a statement, packed per target within SCP quotas.

SCPs apply to every principal of a member account, the roles the stages assume there included
(AWS Organizations User Guide, "Service control policies": "SCPs affect all users and roles in
attached accounts, including the root user"; only the management account is outside them). A
statement that denies outright an action a stage needs for what it renders in an account under it
(``aws_actions.TYPE_ACTIONS``) exempts that stage's role, and only it (``ArnNotLike
aws:PrincipalArn``): so the family runs late, after every stage has rendered. Conditional statements
never exempt anyone; the guardrail checks keep the rendered resources outside their conditions.

An exemption by role name holds only while no one else in a member account can create, re-trust or
re-permission a role of that name, so the root's SCPs also carry ``ProtectAutomationRoles``
(``protect_statement``): IAM writes on ``tradeplane-terraform-*`` and on the bootstrap's own role are
denied to every principal but that role, the one that creates the stage roles in member accounts
(after AWS's example SCP "Deny modifications to specific IAM roles", aws-samples/
service-control-policy-examples, Privileged-access-controls/Deny-modifications-to-specific-IAM-roles.json).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from fnmatch import fnmatchcase

from tradeplane.errors import UnsupportedError
from tradeplane.estate.model import Guardrail
from tradeplane.terraform.aws._common import policy_document
from tradeplane.terraform.aws.organization import ou_id
from tradeplane.terraform.aws_actions import TYPE_ACTIONS
from tradeplane.terraform.context import Context
from tradeplane.terraform.guardrails import (
    GOLDEN_IMAGE_OWNERS,
    ScpStatement,
    applied_guardrails,
    scoping_problems,
    scp_statement,
    unconditional,
)
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.identities import ROLE_PREFIX
from tradeplane.terraform.module import RootModule, text_value
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "scps"
SCP_MAX_CHARS = 5120
SCPS_PER_TARGET = 4  # a target holds 5 SCPs and FullAWSAccess takes one
PROTECT_SID = "ProtectAutomationRoles"
# Every IAM write on a role that could make it someone else's or widen it (AWS's sample SCP "Deny
# modifications to specific IAM roles", less sts:AssumeRole: the roles' trust policies already name
# their one CI principal, and the CI roles may live in a member account).
PROTECTED_ROLE_ACTIONS: tuple[str, ...] = (
    "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
    "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
)


def stage_role_arn(stage: Stage) -> str:
    """``arn:aws:iam::*:role/tradeplane-terraform-<stage>``: the stage's role in any account."""
    return f"arn:aws:iam::*:role/{ROLE_PREFIX}{stage.slug}"


def protect_statement(bootstrap_role: str) -> ScpStatement:
    """``ProtectAutomationRoles``: deny ``PROTECTED_ROLE_ACTIONS`` on every stage role
    (``arn:aws:iam::*:role/tradeplane-terraform-*``, the pattern each ``stage_role_arn`` exemption
    matches) and on ``bootstrap_role`` itself (a role name, or a ``${var...}`` template of one) to every
    principal except ``arn:aws:iam::*:role/<bootstrap_role>``: the role the bootstrap stage assumes in
    member accounts to create the stage roles (``var.bootstrap_role_name``); in the management
    account, outside SCPs, the administrator's own credentials create them."""
    boot = f"arn:aws:iam::*:role/{bootstrap_role}"
    return ScpStatement(PROTECT_SID, actions=PROTECTED_ROLE_ACTIONS,
                        resources=(f"arn:aws:iam::*:role/{ROLE_PREFIX}*", boot),
                        conditions=(("ArnNotLike", "aws:PrincipalArn", (boot,)),))


def accounts_under(estate_ous: Mapping[str, tuple[str | None, Collection[str]]], target: str) -> set[str]:
    """The accounts an SCP attached to ``target`` (an OU, or ``root``) governs: those of the OU and
    of every OU below it. ``estate_ous``: OU -> (parent OU or None, its accounts)."""
    out: set[str] = set()
    for ou, (_, accounts) in estate_ous.items():
        node: str | None = ou
        while node is not None:
            if node == target or target == "root":
                out.update(accounts)
                break
            node = estate_ous.get(node, (None, ()))[0]
    return out


def needed_actions(modules: Mapping[Stage, RootModule]) -> dict[Stage, dict[str, frozenset[str]]]:
    """Per stage, per account id: the actions its rendered resources there need (``TYPE_ACTIONS`` of
    their types), read once from the rendered blocks."""
    out: dict[Stage, dict[str, frozenset[str]]] = {}
    for stage, mod in modules.items():
        types: dict[str, set[str]] = {}
        for blocks in mod.files.values():
            for b in blocks:
                if b.type == "resource":
                    alias = str(b.attrs.get("provider", "")).removeprefix("aws.")
                    types.setdefault(mod.aws_providers.get(alias, ("", ""))[0], set()).add(b.labels[0])
        out[stage] = {account: frozenset(a.lower() for t in ts for a in TYPE_ACTIONS.get(t, ()))
                      for account, ts in types.items()}
    return out


def needing_stages(needed: Mapping[Stage, Mapping[str, frozenset[str]]], accounts: Collection[str],
                   denied: Collection[str]) -> set[Stage]:
    """The stages that render, in one of ``accounts``, a resource needing an action one of the ``denied``
    patterns matches; ``needed`` is ``needed_actions`` of the modules."""
    patterns = [d.lower() for d in denied]
    return {stage for stage, by_account in needed.items()
            if any(fnmatchcase(a, d) for account in accounts for a in by_account.get(account, ()) for d in patterns)}


@family("scps", cloud="aws", stage=Stage.ORG, late=True)
def emit(ctx: Context) -> None:
    """One statement per guardrail (Sid = guardrail), packed into SCPs per OU or the root, and attached; an outright deny exempts the stage roles that need its actions there.

    The exempt roles are ``stage_role_arn`` of the stages ``needing_stages`` finds; the root also
    gets ``protect_statement`` of the bootstrap stage's ``bootstrap_role_name`` output."""
    org = ctx.estate.organisation.aws
    if org is None:
        return
    mod = ctx.module("aws", Stage.ORG)
    p = mod.aws_provider("management", "us-east-1")
    ids = ctx.account_ids()
    images = mod.var("golden_image_account_ids", "list(string)",
                     "accounts that own the firm's golden AMIs (UEFI Secure Boot, NitroTPM)")
    ous = {o.name: (o.parent, tuple(a.name for a in o.accounts)) for o in org.ous}
    needed = needed_actions({s: m for (c, s), m in ctx.modules.items() if c == "aws" and s is not Stage.BOOTSTRAP})
    # target -> (label in the SCP's description, guardrail whose file:line an error names, statement)
    by_target: dict[str, list[tuple[str, Guardrail, ScpStatement]]] = {}
    for g, targets in applied_guardrails(ctx.estate, set(ous)):
        exempt = tuple(sorted(ids[x] for x in g.exempt if x in ids))
        base = scp_statement(ctx.estate, g, exempt, tuple(sorted(ids.values())))
        for t in targets:
            st = base
            if unconditional(base):
                governed = accounts_under(ous, t) - set(g.exempt)
                needs = needing_stages(needed, governed, base.actions)
                if needs:
                    st = scp_statement(ctx.estate, g, exempt, tuple(sorted(ids.values())),
                                       tuple(stage_role_arn(s) for s in sorted(needs)))
            for problem in scoping_problems(st):
                raise UnsupportedError.single(f"aws: {problem}", location=ctx.estate.where(g, "control"),
                                              hint="scope the statement to the resources that carry the key")
            by_target.setdefault(t, []).append((g.name, g, st))
    if by_target:  # exemptions name the stage roles: only the role that creates them may touch them
        role = mod.upstream(Stage.BOOTSTRAP, "bootstrap_role_name")
        first = by_target["root"][0][1] if "root" in by_target else next(iter(by_target.values()))[0][1]
        by_target.setdefault("root", []).append(("protect-automation-roles", first,
                                                 protect_statement(f"${{{role}}}")))
    for target, items in sorted(by_target.items()):
        chunks: list[list[tuple[str, Guardrail, ScpStatement]]] = [[]]
        for item in items:
            if chunks[-1] and sum(s.size() for _, _, s in chunks[-1]) + item[2].size() > SCP_MAX_CHARS - 200:
                chunks.append([])
            chunks[-1].append(item)
        if len(chunks) > SCPS_PER_TARGET:
            g = chunks[-1][0][1]
            raise UnsupportedError.single(
                f"aws: the guardrails on '{target}' need {len(chunks)} SCPs, over the quota of {SCPS_PER_TARGET} "
                "per target (5 with FullAWSAccess)", location=ctx.estate.where(g, "applies_to"),
                hint="apply some guardrails to child OUs instead of the same target")
        for i, chunk in enumerate(chunks, start=1):
            name = ident(target, f"scp{i}")
            statements: list[dict[str, object]] = []
            for _, _, st in chunk:
                conds = [(t, v, images if vals == (GOLDEN_IMAGE_OWNERS,) else [text_value(x) for x in vals])
                         for t, v, vals in st.conditions]
                statements.append({"sid": st.sid, "effect": "Deny", "actions": list(st.actions),
                                   "not_actions": list(st.not_actions),
                                   "resources": [text_value(r) for r in st.resources], "conditions": conds})
            doc = policy_document(mod, F, name, p, statements)
            names = ", ".join(label for label, _, _ in chunk)
            mod.resource(F, "aws_organizations_policy", name, provider=p, name=f"tradeplane-{target}-{i}",
                         description=f"guardrails: {names}"[:512], type="SERVICE_CONTROL_POLICY",
                         content=Expr(str(doc).replace(".json", ".minified_json")),
                         tags=ctx.aws_tags(f"tradeplane-{target}-{i}", None, env="shared"))
            mod.resource(F, "aws_organizations_policy_attachment", name, provider=p,
                         policy_id=Expr(f"aws_organizations_policy.{name}.id"), target_id=ou_id(target))
