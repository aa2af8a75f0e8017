"""SLOs and their burn-rate alerts in the observability stages, compiled by ``tradeplane.observe``.

``observe.cloud_alert_resources`` gives the resources as plain data (one definition per SLO for
Prometheus, Cloud Monitoring and CloudWatch alike); the composer (``plan.render_terraform``)
hands them to ``render`` (``Context.cloud_alerts``, shape ``context.CloudAlert``): an analysis
takes another's result, never calls it. This module only writes them as HCL blocks into the
``40-observability`` stage of each cloud, with the project, provider, notification channels
and SNS topics that stage owns. The families are registered by ``gcp/slos.py`` and
``aws/slos.py``.
"""

from __future__ import annotations

from typing import Any

from tradeplane.terraform.aws.alarms import desk_topic
from tradeplane.terraform.context import CloudAlert, Context
from tradeplane.terraform.gcp.monitoring import desk_channel
from tradeplane.terraform.hcl import Block, Expr, Value
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.stages import Stage

__all__ = ["emit_aws", "emit_gcp"]

F = "slos"


def _is_block(v: Any) -> bool:
    return isinstance(v, dict) and type(v) is not dict  # observe's Nested


def _value(v: Any) -> Value:
    if isinstance(v, str) and type(v) is not str:  # observe's Ref
        return Expr(str(v))
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_value(x) for x in v]
    return v  # type: ignore[no-any-return]


def _fill(block: Block, body: dict[str, Any]) -> None:
    for key, v in body.items():
        if _is_block(v):
            _fill(block.block(key), v)
        elif isinstance(v, list) and v and all(_is_block(x) for x in v):
            for x in v:
                _fill(block.block(key), x)
        else:
            block.set(**{key: _value(v)})


def _emit(mod: RootModule, r: CloudAlert, **extra: Value) -> Block:
    block = mod.resource(F, r.type, r.name, **extra)
    _fill(block, r.body)
    return block


def emit_gcp(ctx: Context) -> None:
    """Cloud Monitoring services, SLOs and burn-rate alert policies of every SLO of the standard."""
    if ctx.estate.organisation.gcp is None or not ctx.projects:
        return
    resources = [r for r in ctx.cloud_alerts if r.cloud == "gcp"]
    if not resources:
        return
    mod = ctx.module("gcp", Stage.OBSERVABILITY)
    host = next((p.name for p in sorted(ctx.projects.values(), key=lambda p: p.name)
                 if "observability" in p.name), sorted(ctx.projects)[0])
    project = ctx.project_id(mod, host)
    for r in resources:
        extra: dict[str, Value] = {"project": project}
        if r.type == "google_monitoring_alert_policy":  # the desk's channel, the one its other alerts use
            extra["notification_channels"] = [desk_channel(ctx, mod, project, r.desk)]
        _emit(mod, r, **extra)


# Application Signals SLOs are not in the pinned hashicorp/aws 5.99.1 (the provider-schema check
# refuses them); CloudWatch carries the SLO through the burn-rate alarms until the pin moves.
UNSUPPORTED_BY_PIN = frozenset({"aws_applicationsignals_service_level_objective"})


def _desk_home(ctx: Context, desk: str) -> tuple[str, str] | None:
    vpcs = sorted(ctx.estate.aws_vpcs, key=lambda v: (v.desk != desk, v.name))
    return (vpcs[0].account, vpcs[0].region) if vpcs else None


def emit_aws(ctx: Context) -> None:
    """Application Signals SLOs and multi-window CloudWatch burn-rate alarms of every SLO of the standard."""
    if not ctx.estate.aws_vpcs:
        return
    resources = [r for r in ctx.cloud_alerts if r.cloud == "aws"]
    if not resources:
        return
    mod = ctx.module("aws", Stage.OBSERVABILITY)
    for r in resources:
        if r.type in UNSUPPORTED_BY_PIN:
            continue
        home = _desk_home(ctx, r.desk)
        assert home is not None
        account, region = home
        provider = mod.aws_provider(account, region)
        extra: dict[str, Value] = {"provider": provider}
        if r.type == "aws_cloudwatch_composite_alarm":  # the desk's topic: a CMK CloudWatch may use, subscribed
            topic = desk_topic(ctx, mod, account, region, r.desk)
            extra["alarm_actions"] = [topic]
            extra["ok_actions"] = [topic]
        _emit(mod, r, **extra)
