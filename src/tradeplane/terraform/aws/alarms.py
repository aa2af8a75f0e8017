"""CloudWatch alarms named by the estate's observability standards, to a subscribed topic per desk under a CMK
that CloudWatch may use (``conformance.check_alert_delivery`` proves every alarm can deliver)."""

from __future__ import annotations

from collections import Counter

from tradeplane.estate.model import AwsVpc, CrossCloud, DirectConnect
from tradeplane.terraform.aws._common import KEY_ADMIN_ACTIONS, KEY_POLICY_SKIPS, policy_document, tgw
from tradeplane.terraform.aws.direct_connect import transit_gateway_of
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.links import cross_cloud_legs
from tradeplane.terraform.module import RootModule, interp
from tradeplane.terraform.names import alarm_name, ident
from tradeplane.terraform.placement import replica_zones
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "alarms"


def desk_topic(ctx: Context, mod: RootModule, account: str, region: str, desk: str) -> Expr:
    """The desk's alert topic in (account, region): encrypted with a key CloudWatch may use, and
    subscribed by the desk owner (an alarm cannot publish to a topic under ``alias/aws/sns``)."""
    name = ident(desk, account, region)
    if not mod.has(f"aws_sns_topic.{name}"):
        prefix = ctx.estate.observability.metric_prefix
        p = mod.aws_provider(account, region)
        key = _alerts_key(ctx, mod, account, region)
        mod.resource(F, "aws_sns_topic", name, provider=p, name=f"{prefix}-{desk}-alerts", kms_master_key_id=key,
                     tags=ctx.aws_tags(f"{prefix}-{desk}-alerts", desk))
        owner = ctx.desks[desk].owner if desk in ctx.desks else None
        endpoint: str | Expr = owner or mod.var(
            "platform_alert_email", "string", "who receives the platform's alerts (desks' alerts go to their owners)")
        mod.resource(F, "aws_sns_topic_subscription", name, provider=p, topic_arn=Expr(f"aws_sns_topic.{name}.arn"),
                     protocol="email", endpoint=endpoint)
    return Expr(f"aws_sns_topic.{name}.arn")


def _alerts_key(ctx: Context, mod: RootModule, account: str, region: str) -> Expr:
    """A rotated KMS key per (account, region) that CloudWatch alarms may publish through."""
    name = ident(account, region, "alerts")
    if not mod.has(f"aws_kms_key.{name}"):
        p = mod.aws_provider(account, region)
        acct = ctx.account_id(mod, account)
        root = interp(f"arn:aws:iam::${{{acct}}}:root")
        policy = policy_document(mod, F, name, p, [
            {"sid": "AccountAdministers", "actions": list(KEY_ADMIN_ACTIONS), "resources": ["*"],
             "principals": [("AWS", [root])]},
            {"sid": "AccountUsesThroughSns", "actions": ["kms:Decrypt", "kms:GenerateDataKey*"], "resources": ["*"],
             "principals": [("AWS", [root])],
             "conditions": [("StringEquals", "kms:ViaService", [f"sns.{region}.amazonaws.com"])]},
            {"sid": "CloudWatchPublishes", "actions": ["kms:Decrypt", "kms:GenerateDataKey*"], "resources": ["*"],
             "principals": [("Service", ["cloudwatch.amazonaws.com"])],
             "conditions": [("StringEquals", "aws:SourceAccount", [acct])]},
        ], skips=KEY_POLICY_SKIPS)
        mod.resource(F, "aws_kms_key", name, provider=p, description=f"alert topics of {account} in {region}",
                     enable_key_rotation=True, deletion_window_in_days=30, policy=policy,
                     tags=ctx.aws_tags(f"{account}-alerts", None, env="shared"))
    return Expr(f"aws_kms_key.{name}.arn")


@family("alarms", cloud="aws", stage=Stage.OBSERVABILITY)
def emit(ctx: Context) -> None:
    """Status-check and CPU alarms per instance, NAT port-allocation alarms, and Direct Connect link state
    for every connection: a site's, and the one each cross-cloud leg holds in its LAG."""
    mod = ctx.module("aws", Stage.OBSERVABILITY)
    prefix = ctx.estate.observability.metric_prefix
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        vpc = ctx.networks[w.network]
        if not isinstance(vpc, AwsVpc):
            continue
        p = mod.aws_provider(vpc.account, vpc.region)
        topic = desk_topic(ctx, mod, vpc.account, vpc.region, w.desk)
        tags = ctx.aws_tags(w.name, w.desk, w.team, w.env)
        for zone, n in sorted(Counter(replica_zones(ctx.estate, w, ctx.zones)).items()):
            ids = mod.upstream(Stage.COMPUTE, f'instance_ids["{w.name}/{zone}"]')
            for signal, metric, stat, threshold, op in (
                    ("status-check-failed", "StatusCheckFailed", "Maximum", 1, "GreaterThanOrEqualToThreshold"),
                    ("cpu-high", "CPUUtilization", "Average", 90, "GreaterThanThreshold")):
                mod.resource(F, "aws_cloudwatch_metric_alarm", ident(w.name, zone, signal.replace("-", "_")),
                             provider=p, count=n,
                             alarm_name=Expr(f'"{alarm_name(prefix, w.desk, w.name, signal)}-{zone}-${{count.index}}"'),
                             alarm_description=f"{w.name} ({w.desk}/{w.team}): {signal}", namespace="AWS/EC2",
                             metric_name=metric, statistic=stat, period=60, evaluation_periods=3,
                             threshold=threshold, comparison_operator=op, treat_missing_data="breaching",
                             dimensions={"InstanceId": Expr(f"{ids}[count.index]")},
                             alarm_actions=[topic], ok_actions=[topic], tags=tags)
    for vpc in sorted(ctx.estate.aws_vpcs, key=lambda v: v.name):
        for nat in sorted(vpc.nat_gateways, key=lambda n: n.name):
            desk = vpc.desk or "platform"
            topic = desk_topic(ctx, mod, vpc.account, vpc.region, desk)
            mod.resource(F, "aws_cloudwatch_metric_alarm", ident(vpc.name, nat.name, "port_allocation"),
                         provider=mod.aws_provider(vpc.account, vpc.region),
                         alarm_name=alarm_name(prefix, desk, f"{vpc.name}-{nat.name}", "port-allocation-errors"),
                         alarm_description=f"NAT {nat.name} of {vpc.name} is running out of ports",
                         namespace="AWS/NATGateway", metric_name="ErrorPortAllocation", statistic="Sum", period=60,
                         evaluation_periods=1, threshold=0, comparison_operator="GreaterThanThreshold",
                         treat_missing_data="notBreaching",
                         dimensions={"NatGatewayId": mod.upstream(Stage.NETWORKING,
                                                                f'nat_gateway_ids["{vpc.name}/{nat.name}"]')},
                         alarm_actions=[topic], ok_actions=[topic], tags=ctx.aws_tags(nat.name, desk))
    for dx in sorted(ctx.estate.links_of(DirectConnect), key=lambda d: d.name):
        t = transit_gateway_of(ctx, dx.name, "direct_connect")
        region = t.region if t else "us-east-1"
        topic = desk_topic(ctx, mod, dx.account, region, "platform")
        for c in sorted(dx.connections, key=lambda c: c.name):
            _connection_down(mod, (dx.name, c.name), mod.aws_provider(dx.account, region),
                             alarm_name(prefix, "platform", f"{dx.name}-{c.name}", "connection-down"),
                             f"Direct Connect {c.name} ({dx.name}) is down",
                             mod.upstream(Stage.NETWORKING, f'dx_connection_ids["{dx.name}/{c.name}"]'),
                             topic, ctx.aws_tags(c.name, "platform"))
    for leg in cross_cloud_legs(ctx.estate):
        link = next(x for x in ctx.estate.links_of(CrossCloud) if x.name == leg.link)
        t = tgw(ctx, link.aws_transit_gateway)
        topic = desk_topic(ctx, mod, t.account, t.region, "platform")
        name = f"{leg.link}-{leg.leg}"
        _connection_down(mod, (leg.link, leg.leg), mod.aws_provider(t.account, t.region),
                         alarm_name(prefix, "platform", name, "connection-down"),
                         f"Direct Connect {name} (cross-cloud {leg.link}, leg {leg.leg}) is down",
                         mod.upstream(Stage.NETWORKING, f'cross_cloud_connection_ids["{leg.key}"]'),
                         topic, ctx.aws_tags(name, "platform"))


def _connection_down(mod: RootModule, key: tuple[str, str], provider: Expr, name: str, description: str,
                     connection_id: Expr, topic: Expr, tags: dict[str, str]) -> None:
    """A Direct Connect connection's down alarm (``AWS/DX ConnectionState`` below 1 for a minute, missing
    data counted as down), to the desk's topic; a site's connections and each cross-cloud leg's port."""
    mod.resource(F, "aws_cloudwatch_metric_alarm", ident(*key, "down"), provider=provider, alarm_name=name,
                 alarm_description=description, namespace="AWS/DX", metric_name="ConnectionState",
                 statistic="Minimum", period=60, evaluation_periods=1, threshold=1,
                 comparison_operator="LessThanThreshold", treat_missing_data="breaching",
                 dimensions={"ConnectionId": connection_id}, alarm_actions=[topic], ok_actions=[topic], tags=tags)
