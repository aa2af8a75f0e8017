"""SLOs and their burn-rate alerts in the observability stages, compiled by ``tradeplane.observe``.

``observe.cloud_alert_resources`` gives the resources as plain data (one definition per SLO for
Prometheus, Cloud Monitoring and CloudWatch alike); this module only writes them as HCL blocks
into the ``40-observability`` stage of each cloud, with the project, provider, notification
channels and SNS topics that stage owns. The families are registered by ``gcp/slos.py`` and
``aws/slos.py``.
"""

from __future__ import annotations

from typing import Any

from tradeplane.observe.cloud import CloudResource, Nested, Ref, cloud_alert_resources
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Block, Expr, Value
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import ident
from tradeplane.terraform.stages import Stage

__all__ = ["emit_aws", "emit_gcp"]

F = "slos"


def _value(v: Any) -> Value:
    if isinstance(v, Ref):
        return Expr(str(v))
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_value(x) for x in v]
    return v  # type: ignore[no-any-return]


def _fill(block: Block, body: dict[str, Any]) -> None:
    for key, v in body.items():
        if isinstance(v, Nested):
            _fill(block.block(key), v)
        elif isinstance(v, list) and v and all(isinstance(x, Nested) for x in v):
            for x in v:
                _fill(block.block(key), x)
        else:
            block.set(**{key: _value(v)})


def _emit(mod: RootModule, r: CloudResource, **extra: Value) -> Block:
    block = mod.resource(F, r.type, r.name, **extra)
    _fill(block, r.body)
    return block


def emit_gcp(ctx: Context) -> None:
    """Cloud Monitoring services, SLOs and burn-rate alert policies of every SLO of the standard."""
    if ctx.estate.organisation.gcp is None or not ctx.projects:
        return
    resources = cloud_alert_resources(ctx.estate, "gcp")
    if not resources:
        return
    mod = ctx.module("gcp", Stage.OBSERVABILITY)
    host = next((p.name for p in sorted(ctx.projects.values(), key=lambda p: p.name)
                 if "observability" in p.name), sorted(ctx.projects)[0])
    project = ctx.project_id(mod, host)
    channels = mod.var("notification_channels", "map(list(string))", "Cloud Monitoring notification channels per desk",
                       {})
    for r in resources:
        extra: dict[str, Value] = {"project": project}
        if r.type == "google_monitoring_alert_policy":
            extra["notification_channels"] = Expr(f'lookup({channels}, "{r.desk}", [])')
        _emit(mod, r, **extra)


def _desk_home(ctx: Context, desk: str) -> tuple[str, str] | None:
    vpcs = sorted(ctx.estate.aws_vpcs, key=lambda v: (v.desk != desk, v.name))
    return (vpcs[0].account, vpcs[0].region) if vpcs else None


def emit_aws(ctx: Context) -> None:
    """Application Signals SLOs and multi-window CloudWatch burn-rate alarms of every SLO of the standard."""
    if not ctx.estate.aws_vpcs:
        return
    resources = cloud_alert_resources(ctx.estate, "aws")
    if not resources:
        return
    mod = ctx.module("aws", Stage.OBSERVABILITY)
    prefix = ctx.estate.observability.metric_prefix
    for r in resources:
        home = _desk_home(ctx, r.desk)
        assert home is not None
        account, region = home
        provider = mod.aws_provider(account, region)
        extra: dict[str, Value] = {"provider": provider}
        if r.type == "aws_cloudwatch_composite_alarm":
            topic = ident(r.desk, account, region)
            if not mod.has(f"aws_sns_topic.{topic}"):
                mod.resource(F, "aws_sns_topic", topic, provider=provider, name=f"{prefix}-{r.desk}-alerts",
                             kms_master_key_id="alias/aws/sns", tags=ctx.aws_tags(f"{prefix}-{r.desk}-alerts", r.desk))
            extra["alarm_actions"] = [Expr(f"aws_sns_topic.{topic}.arn")]
            extra["ok_actions"] = [Expr(f"aws_sns_topic.{topic}.arn")]
        _emit(mod, r, **extra)
