"""Least-privilege IAM roles per desk in each account the desk owns.

People never read the venues' API keys: only the instance roles of the workloads that trade a venue
do (``aws/instances.py``), and ``conformance.check_secret_access`` proves it on the output.
"""

from __future__ import annotations

from tradeplane.terraform.aws._common import policy_document, ref
from tradeplane.terraform.context import Context
from tradeplane.terraform.identities import delegated_role
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "desk_roles"


@family("desk_roles", cloud="aws", stage=Stage.SECURITY)
def emit(ctx: Context) -> None:
    """An operator role per (desk, account): read-only inventory and its own tagged instances; never venue keys."""
    mod = ctx.module("aws", Stage.SECURITY)
    identity = mod.var("identity_account_id", "string",
                       "account whose federated principals (tagged with their desk) assume desk roles")
    for a in sorted(ctx.accounts.values(), key=lambda a: a.name):
        if a.desk is None:
            continue
        # IAM is global: manage it through the account's home region (its first VPC's, else us-east-1).
        home = sorted(n.region for n in ctx.estate.aws_vpcs if n.account == a.name) or ["us-east-1"]
        p = mod.aws_provider(a.name, home[0])
        account = ctx.account_id(mod, a.name)
        name = ident(a.desk, a.name)
        trust = policy_document(mod, F, f"{name}__trust", p, [
            {"actions": ["sts:AssumeRole", "sts:TagSession"],
             "principals": [("AWS", [interp(f"arn:aws:iam::${{{identity}}}:root")])],
             "conditions": [("StringEquals", "aws:PrincipalTag/desk", [a.desk])]}])
        statements: list[dict[str, object]] = [
            {"sid": "ReadInventory", "actions": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics",
                                                  "ec2:DescribeInstances", "ec2:DescribeSecurityGroups",
                                                  "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
             "resources": ["*"]},
            {"sid": "OperateOwnInstances", "actions": ["ec2:RebootInstances", "ec2:StartInstances",
                                                        "ec2:StopInstances"],
             "resources": [interp(f"arn:aws:ec2:*:${{{account}}}:instance/*")],
             "conditions": [("StringEquals", "aws:ResourceTag/desk", [a.desk])]},
            {"sid": "SessionsToOwnInstances", "actions": ["ssm:StartSession"],
             "resources": [interp(f"arn:aws:ec2:*:${{{account}}}:instance/*")],
             "conditions": [("StringEquals", "ssm:resourceTag/desk", [a.desk])]},
        ]
        policy = policy_document(mod, F, f"{name}__policy", p, statements)
        tags = ctx.aws_tags(f"{a.desk}-operator", a.desk, env=a.env)
        mod.resource(F, "aws_iam_role", name, provider=p, name=f"{a.desk}-operator", assume_role_policy=trust,
                     max_session_duration=3600, description=f"operators of the {a.desk} desk in {a.name}",
                     **delegated_role(mod, a.name), tags=tags)
        mod.resource(F, "aws_iam_role_policy", name, provider=p, name=f"{a.desk}-least-privilege",
                     role=ref("aws_iam_role", a.desk, a.name), policy=policy)
