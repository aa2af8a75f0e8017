"""CloudWatch alarms named by the estate's observability standards, to a KMS-encrypted topic per desk."""

from __future__ import annotations

from collections import Counter

from tradeplane.estate.model import AwsVpc, DirectConnect
from tradeplane.terraform.aws.direct_connect import transit_gateway_of
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import ident
from tradeplane.terraform.placement import replica_zones
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "alarms"


def alarm_name(prefix: str, desk: str, subject: str, signal: str) -> str:
    """``<metric_prefix>-<desk>-<subject>-<signal>``: the standards' naming, so alerts route by desk."""
    return f"{prefix}-{desk}-{subject}-{signal}"


def _topic(ctx: Context, mod: RootModule, account: str, region: str, desk: str) -> Expr:
    name = ident(desk, account, region)
    if not mod.has(f"aws_sns_topic.{name}"):
        prefix = ctx.estate.observability.metric_prefix
        mod.resource(F, "aws_sns_topic", name, provider=mod.aws_provider(account, region),
                     name=f"{prefix}-{desk}-alerts", kms_master_key_id="alias/aws/sns",
                     tags=ctx.aws_tags(f"{prefix}-{desk}-alerts", desk))
    return Expr(f"aws_sns_topic.{name}.arn")


@family("alarms", cloud="aws", stage=Stage.OBSERVABILITY)
def emit(ctx: Context) -> None:
    """Status-check and CPU alarms per instance, NAT port-allocation alarms, Direct Connect link state."""
    mod = ctx.module("aws", Stage.OBSERVABILITY)
    prefix = ctx.estate.observability.metric_prefix
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        vpc = ctx.networks[w.network]
        if not isinstance(vpc, AwsVpc):
            continue
        p = mod.aws_provider(vpc.account, vpc.region)
        topic = _topic(ctx, mod, vpc.account, vpc.region, w.desk)
        tags = ctx.aws_tags(w.name, w.desk, w.team, w.env)
        for zone, n in sorted(Counter(replica_zones(ctx.estate, w, ctx.zones)).items()):
            ids = mod.remote(Stage.COMPUTE, f'instance_ids["{w.name}/{zone}"]')
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
            topic = _topic(ctx, mod, vpc.account, vpc.region, desk)
            mod.resource(F, "aws_cloudwatch_metric_alarm", ident(vpc.name, nat.name, "port_allocation"),
                         provider=mod.aws_provider(vpc.account, vpc.region),
                         alarm_name=alarm_name(prefix, desk, f"{vpc.name}-{nat.name}", "port-allocation-errors"),
                         alarm_description=f"NAT {nat.name} of {vpc.name} is running out of ports",
                         namespace="AWS/NATGateway", metric_name="ErrorPortAllocation", statistic="Sum", period=60,
                         evaluation_periods=1, threshold=0, comparison_operator="GreaterThanThreshold",
                         treat_missing_data="notBreaching",
                         dimensions={"NatGatewayId": mod.remote(Stage.NETWORKING,
                                                                f'nat_gateway_ids["{vpc.name}/{nat.name}"]')},
                         alarm_actions=[topic], ok_actions=[topic], tags=ctx.aws_tags(nat.name, desk))
    for dx in sorted(ctx.estate.links_of(DirectConnect), key=lambda d: d.name):
        t = transit_gateway_of(ctx, dx.name, "direct_connect")
        region = t.region if t else "us-east-1"
        topic = _topic(ctx, mod, dx.account, region, "platform")
        for c in sorted(dx.connections, key=lambda c: c.name):
            mod.resource(F, "aws_cloudwatch_metric_alarm", ident(dx.name, c.name, "down"),
                         provider=mod.aws_provider(dx.account, region),
                         alarm_name=alarm_name(prefix, "platform", f"{dx.name}-{c.name}", "connection-down"),
                         alarm_description=f"Direct Connect {c.name} ({dx.name}) is down",
                         namespace="AWS/DX", metric_name="ConnectionState", statistic="Minimum", period=60,
                         evaluation_periods=1, threshold=1, comparison_operator="LessThanThreshold",
                         treat_missing_data="breaching",
                         dimensions={"ConnectionId": mod.remote(Stage.NETWORKING,
                                                                f'dx_connection_ids["{dx.name}/{c.name}"]')},
                         alarm_actions=[topic], ok_actions=[topic], tags=ctx.aws_tags(c.name, "platform"))
