"""EBS encryption by default with a customer-managed key, in every account and region that runs VMs.

This is the AWS half of the ``customer_managed_keys`` guardrail that an SCP
cannot express (SCPs can demand encryption, not which key).
"""

from __future__ import annotations

from tradeplane.estate.model import Control
from tradeplane.terraform.aws._common import KEY_ADMIN_ACTIONS, KEY_POLICY_SKIPS, policy_document
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "ebs_encryption"


@family("ebs_encryption", cloud="aws", stage=Stage.SECURITY)
def emit(ctx: Context) -> None:
    """A rotated KMS key per (account, region) made the default for EBS, and encryption by default on."""
    if not any(g.control is Control.CUSTOMER_MANAGED_KEYS for g in ctx.estate.guardrails):
        return
    mod = ctx.module("aws", Stage.SECURITY)
    places = sorted({(v.account, v.region) for v in ctx.estate.aws_vpcs})
    for account, region in places:
        p = mod.aws_provider(account, region)
        name = ident(account, region, "ebs")
        acct = ctx.account_id(mod, account)
        policy = policy_document(mod, F, name, p, [
            {"sid": "AccountAdministers", "actions": list(KEY_ADMIN_ACTIONS), "resources": ["*"],
             "principals": [("AWS", [interp(f"arn:aws:iam::${{{acct}}}:root")])]},
            {"sid": "EbsThroughEc2", "actions": ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey",
                                                  "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
             "resources": ["*"], "principals": [("AWS", [interp(f"arn:aws:iam::${{{acct}}}:root")])],
             "conditions": [("StringEquals", "kms:ViaService", [f"ec2.{region}.amazonaws.com"]),
                            ("StringEquals", "kms:CallerAccount", [acct])]},
        ], skips=KEY_POLICY_SKIPS)
        tags = ctx.aws_tags(f"{account}-ebs-default", ctx.accounts[account].desk, env=ctx.account_env(account))
        mod.resource(F, "aws_kms_key", name, provider=p, description=f"default EBS key of {account} in {region}",
                     enable_key_rotation=True, deletion_window_in_days=30, policy=policy, tags=tags)
        mod.resource(F, "aws_ebs_default_kms_key", name, provider=p, key_arn=Expr(f"aws_kms_key.{name}.arn"))
        mod.resource(F, "aws_ebs_encryption_by_default", name, provider=p, enabled=True)
