"""The crypto-facing perimeter on AWS: Shield Advanced on the egress IPs venues allow-list, and WAFv2."""

from __future__ import annotations

from tradeplane.estate.model import AwsVpc
from tradeplane.terraform.aws._common import provider, vpcs
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Block, Expr
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "perimeter"
MANAGED_RULES = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet",
                 "AWSManagedRulesKnownBadInputsRuleSet")


def crypto_vpcs(ctx: Context) -> list[AwsVpc]:
    """VPCs whose workloads trade on crypto venues."""
    crypto = {v.name for v in ctx.estate.venues if v.kind == "crypto"}
    nets = {w.network for w in ctx.estate.workloads if crypto & set(w.venues)}
    return [v for v in vpcs(ctx) if v.name in nets]


def _visibility(block: Block, metric: str) -> None:
    block.block("visibility_config", cloudwatch_metrics_enabled=True, metric_name=metric,
                sampled_requests_enabled=True)


@family("perimeter", cloud="aws", stage=Stage.SECURITY)
def emit(ctx: Context) -> None:
    """Shield Advanced protections for crypto NAT EIPs; a regional WAFv2 web ACL per crypto VPC, logged."""
    mod = ctx.module("aws", Stage.SECURITY)
    for v in crypto_vpcs(ctx):
        p = provider(mod, v)
        tags = ctx.aws_tags(f"{v.name}-perimeter", v.desk, env=ctx.account_env(v.account))
        for nat in sorted(v.nat_gateways, key=lambda n: n.name):
            arn = mod.upstream(Stage.NETWORKING, f'nat_eip_arns["{v.name}/{nat.name}"]')
            mod.resource(F, "aws_shield_protection", ident(v.name, nat.name), provider=p,
                         name=f"{v.name}-{nat.name}", resource_arn=arn, tags=tags)
        name = ident(v.name)
        acl = mod.resource(F, "aws_wafv2_web_acl", name, provider=p, name=f"{v.name}-perimeter",
                           description=f"crypto perimeter of {v.name}", scope="REGIONAL", tags=tags)
        acl.block("default_action").block("allow")
        rate = acl.block("rule", name="rate-limit", priority=0)
        rate.block("action").block("block")
        rate.block("statement").block("rate_based_statement", limit=2000, aggregate_key_type="IP")
        _visibility(rate, f"{v.name}-rate-limit")
        for i, group in enumerate(MANAGED_RULES, start=1):
            rule = acl.block("rule", name=group, priority=i)
            rule.block("override_action").block("none")
            rule.block("statement").block("managed_rule_group_statement", name=group, vendor_name="AWS")
            _visibility(rule, f"{v.name}-{group}")
        _visibility(acl, f"{v.name}-perimeter")
        mod.resource(F, "aws_cloudwatch_log_group", name, provider=p, name=f"aws-waf-logs-{v.name}",
                     retention_in_days=365, kms_key_id=Expr(f"aws_kms_key.{name}__waf_logs.arn"), tags=tags)
        mod.resource(F, "aws_kms_key", f"{name}__waf_logs", provider=p, description=f"WAF logs of {v.name}",
                     enable_key_rotation=True, deletion_window_in_days=30,
                     policy=_key_policy(ctx, mod, v, p), tags=tags)
        mod.resource(F, "aws_wafv2_web_acl_logging_configuration", name, provider=p,
                     resource_arn=Expr(f"aws_wafv2_web_acl.{name}.arn"),
                     log_destination_configs=[Expr(f"aws_cloudwatch_log_group.{name}.arn")])
        targets = mod.var("crypto_perimeter_resource_arns", "map(list(string))",
                          "load balancers / API gateways fronted by each crypto VPC's web ACL, by network", {})
        mod.resource(F, "aws_wafv2_web_acl_association", name, provider=p,
                     for_each=Expr(f'toset(lookup({targets}, "{v.name}", []))'),
                     resource_arn=Expr("each.value"), web_acl_arn=Expr(f"aws_wafv2_web_acl.{name}.arn"))


def _key_policy(ctx: Context, mod: object, v: AwsVpc, p: Expr) -> Expr:
    from tradeplane.terraform.aws._common import KEY_ADMIN_ACTIONS, KEY_POLICY_SKIPS, policy_document
    from tradeplane.terraform.module import RootModule, interp

    assert isinstance(mod, RootModule)
    account = ctx.account_id(mod, v.account)
    return policy_document(mod, F, f"{ident(v.name)}__waf_logs_key", p, [
        {"sid": "AccountAdministers", "actions": list(KEY_ADMIN_ACTIONS), "resources": ["*"],
         "principals": [("AWS", [interp(f"arn:aws:iam::${{{account}}}:root")])]},
        {"sid": "CloudWatchLogsUse", "actions": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*",
                                                  "kms:GenerateDataKey*", "kms:ReEncrypt*"],
         "resources": ["*"], "principals": [("Service", [f"logs.{v.region}.amazonaws.com"])]},
    ], skips=KEY_POLICY_SKIPS)
