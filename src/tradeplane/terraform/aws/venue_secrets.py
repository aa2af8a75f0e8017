"""The venues' API key secrets: Secrets Manager secrets encrypted with a customer-managed key, rotated.

One secret per ``aws-sm://`` key that a workload on AWS uses (``Estate.key_users``), in the
account and region of its first user (sorted by name). The value is never rendered: the secret
is created empty and filled by the rotation Lambda (or an operator once), so no key material
lands in Terraform state. Who may read it is decided by the users' instance roles
(``aws/instances.py``), and ``security check`` proves it on the output.

Sources: AWS Secrets Manager encrypts with ``aws/secretsmanager`` unless ``kms_key_id`` names a
customer-managed key; rotation is an ``aws_secretsmanager_secret_rotation`` with
``rotation_rules.automatically_after_days``.
"""

from __future__ import annotations

from tradeplane.estate.model import AwsVpc
from tradeplane.terraform.aws._common import KEY_ADMIN_ACTIONS, KEY_POLICY_SKIPS, policy_document
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "venue_secrets"


@family("venue_secrets", cloud="aws", stage=Stage.SECURITY)
def emit(ctx: Context) -> None:
    """A CMK per (account, region) holding venue keys, and one rotated secret per key."""
    mod = ctx.module("aws", Stage.SECURITY)
    keys_made: set[tuple[str, str]] = set()
    for venue in sorted(ctx.estate.venues, key=lambda v: v.name):
        for key in sorted(venue.api_keys, key=lambda k: k.name):
            if not key.secret_ref.startswith("aws-sm://"):
                continue
            users = [w for w in ctx.estate.key_users(venue, key) if isinstance(ctx.networks.get(w.network), AwsVpc)]
            if not users:
                continue
            vpc = ctx.networks[users[0].network]
            assert isinstance(vpc, AwsVpc)
            p = mod.aws_provider(vpc.account, vpc.region)
            cmk = ident(vpc.account, vpc.region, "venue_keys")
            desk = users[0].desk
            if (vpc.account, vpc.region) not in keys_made:
                keys_made.add((vpc.account, vpc.region))
                account = ctx.account_id(mod, vpc.account)
                policy = policy_document(mod, F, f"{cmk}__policy", p, [
                    {"sid": "AccountAdministers", "actions": list(KEY_ADMIN_ACTIONS), "resources": ["*"],
                     "principals": [("AWS", [interp(f"arn:aws:iam::${{{account}}}:root")])]},
                    {"sid": "UseThroughSecretsManagerOnly", "actions": ["kms:Decrypt", "kms:DescribeKey",
                                                                         "kms:GenerateDataKey*"],
                     "resources": ["*"], "principals": [("AWS", [interp(f"arn:aws:iam::${{{account}}}:root")])],
                     "conditions": [("StringEquals", "kms:ViaService", [f"secretsmanager.{vpc.region}.amazonaws.com"])]},
                ], skips=KEY_POLICY_SKIPS)
                mod.resource(F, "aws_kms_key", cmk, provider=p, description=f"venue API keys in {vpc.account}",
                             enable_key_rotation=True, deletion_window_in_days=30, policy=policy,
                             tags=ctx.aws_tags(f"{vpc.account}-venue-keys", desk, env=ctx.account_env(vpc.account)))
            name = ident(venue.name, key.name)
            path = key.secret_ref.removeprefix("aws-sm://")
            mod.resource(F, "aws_secretsmanager_secret", name, provider=p, name=path,
                         description=f"{venue.name} API key {key.name} ({', '.join(sorted(key.permissions))}); "
                                     f"used by {', '.join(w.name for w in users)}",
                         kms_key_id=Expr(f"aws_kms_key.{cmk}.arn"), recovery_window_in_days=30,
                         tags=ctx.aws_tags(key.name, desk, env=ctx.account_env(vpc.account)))
            lambdas = mod.var("venue_key_rotation_lambda_arns", "map(string)",
                              "ARN of the Lambda that rotates venue API keys (asks the venue for a new key and "
                              "updates its allowlist), by AWS account name")
            rotation = mod.resource(F, "aws_secretsmanager_secret_rotation", name, provider=p,
                                    secret_id=Expr(f"aws_secretsmanager_secret.{name}.id"),
                                    rotation_lambda_arn=Expr(f'{lambdas}["{vpc.account}"]'))
            rotation.block("rotation_rules", automatically_after_days=ctx.estate.security.key_rotation_days)
