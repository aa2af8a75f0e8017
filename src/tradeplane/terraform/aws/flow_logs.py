"""AWS VPC flow logs to KMS-encrypted CloudWatch log groups kept for a year."""

from __future__ import annotations

from tradeplane.terraform.aws._common import (
    KEY_ADMIN_ACTIONS,
    KEY_POLICY_SKIPS,
    policy_document,
    provider,
    ref,
    vpcs,
)
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.identities import delegated_role
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("flow_logs", cloud="aws", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Flow logs (all traffic) per VPC, with their log group, KMS key and delivery role."""
    mod = ctx.module("aws", Stage.NETWORKING)
    retention = mod.var("flow_log_retention_days", "number", "days VPC flow logs are kept", 365)
    for v in vpcs(ctx):
        if not v.flow_logs:
            continue
        p = provider(mod, v)
        name = ident(v.name)
        account = ctx.account_id(mod, v.account)
        tags = ctx.aws_tags(f"{v.name}-flow-logs", v.desk, env=ctx.account_env(v.account))
        root = interp(f"arn:aws:iam::${{{account}}}:root")
        key_doc = policy_document(mod, "flow_logs", f"{name}__flow_logs_key", p, [
            {"sid": "AccountAdministers", "actions": list(KEY_ADMIN_ACTIONS), "resources": ["*"],
             "principals": [("AWS", [root])]},
            {"sid": "CloudWatchLogsUse", "actions": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*",
                                                      "kms:GenerateDataKey*", "kms:ReEncrypt*"],
             "resources": ["*"], "principals": [("Service", [f"logs.{v.region}.amazonaws.com"])],
             "conditions": [("ArnLike", "kms:EncryptionContext:aws:logs:arn",
                             [interp(f"arn:aws:logs:{v.region}:${{{account}}}:log-group:/tradeplane/flow-logs/{v.name}")])]},
        ], skips=KEY_POLICY_SKIPS)
        mod.resource("flow_logs", "aws_kms_key", f"{name}__flow_logs", provider=p,
                     description=f"flow logs of {v.name}", enable_key_rotation=True, deletion_window_in_days=30,
                     policy=key_doc, tags=tags)
        mod.resource("flow_logs", "aws_cloudwatch_log_group", f"{name}__flow_logs", provider=p,
                     name=f"/tradeplane/flow-logs/{v.name}", retention_in_days=retention,
                     kms_key_id=ref("aws_kms_key", v.name, "flow_logs", attr="arn"), tags=tags)
        trust = policy_document(mod, "flow_logs", f"{name}__flow_logs_trust", p, [
            {"actions": ["sts:AssumeRole"], "principals": [("Service", ["vpc-flow-logs.amazonaws.com"])],
             "conditions": [("StringEquals", "aws:SourceAccount", [account])]}])
        deliver = policy_document(mod, "flow_logs", f"{name}__flow_logs_deliver", p, [
            {"actions": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
             "resources": [Expr(f"aws_cloudwatch_log_group.{name}__flow_logs.arn"),
                           interp(f"${{aws_cloudwatch_log_group.{name}__flow_logs.arn}}:*")]}])
        mod.resource("flow_logs", "aws_iam_role", f"{name}__flow_logs", provider=p,
                     name=f"{v.name}-flow-logs", assume_role_policy=trust, **delegated_role(mod, v.account),
                     tags=tags)
        mod.resource("flow_logs", "aws_iam_role_policy", f"{name}__flow_logs", provider=p,
                     name="deliver-flow-logs", role=ref("aws_iam_role", v.name, "flow_logs"), policy=deliver)
        mod.resource("flow_logs", "aws_flow_log", name, provider=p, vpc_id=ref("aws_vpc", v.name),
                     traffic_type="ALL", log_destination_type="cloud-watch-logs",
                     log_destination=ref("aws_cloudwatch_log_group", v.name, "flow_logs", attr="arn"),
                     iam_role_arn=ref("aws_iam_role", v.name, "flow_logs", attr="arn"),
                     max_aggregation_interval=60, tags=tags)
