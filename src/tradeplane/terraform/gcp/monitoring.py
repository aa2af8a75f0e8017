"""Cloud Monitoring: alert policies named by the observability standards, and uptime checks for venues."""

from __future__ import annotations

from tradeplane.estate.model import GcpVpc
from tradeplane.terraform.context import Context
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import alarm_name, ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "monitoring"


@family("monitoring", cloud="gcp", stage=Stage.OBSERVABILITY)
def emit(ctx: Context) -> None:
    """Per GCP workload: uptime-loss and CPU alert policies; per venue endpoint a TLS uptime check."""
    if ctx.estate.organisation.gcp is None:
        return
    mod = ctx.module("gcp", Stage.OBSERVABILITY)
    prefix = ctx.estate.observability.metric_prefix
    project = alerts_project(ctx, mod)
    for w in sorted(ctx.estate.workloads, key=lambda w: w.name):
        if not isinstance(ctx.networks[w.network], GcpVpc):
            continue
        signals: tuple[tuple[str, str, float, str], ...]
        if w.kind == "gke_node_pool":
            signals = (("cpu-high", "kubernetes.io/node/cpu/allocatable_utilization", 0.9, "COMPARISON_GT"),)
        else:
            signals = (("uptime-lost", "compute.googleapis.com/instance/uptime", 1.0, "COMPARISON_LT"),
                       ("cpu-high", "compute.googleapis.com/instance/cpu/utilization", 0.9, "COMPARISON_GT"))
        for signal, metric, threshold, comparison in signals:
            pol = mod.resource(F, "google_monitoring_alert_policy", ident(w.name, signal.replace("-", "_")),
                               project=project, display_name=alarm_name(prefix, w.desk, w.name, signal), combiner="OR",
                               notification_channels=[desk_channel(ctx, mod, project, w.desk)],
                               user_labels={"desk": w.desk, "team": w.team, "env": w.env})
            cond = pol.block("conditions", display_name=f"{w.name} {signal}")
            cond.block("condition_threshold", comparison=comparison, threshold_value=threshold, duration="180s",
                       filter=f'resource.type="gce_instance" AND metric.type="{metric}" AND '
                              f'metadata.user_labels.desk="{w.desk}" AND '
                              f'metadata.system_labels.name=starts_with("{w.name}-")'
                       if w.kind != "gke_node_pool" else f'resource.type="k8s_node" AND metric.type="{metric}" AND '
                            f'resource.labels.cluster_name="{w.gke_cluster}"'
                       ).block("aggregations", alignment_period="60s", per_series_aligner="ALIGN_MEAN")
            pol.block("documentation", content=f"{w.name} ({w.desk}/{w.team}) {signal}; see the runbook for {w.desk}.",
                      mime_type="text/markdown")
    for v in sorted(ctx.estate.venues, key=lambda v: v.name):
        if not v.rest:
            continue
        hostname = v.rest.split("://", 1)[1].split("/", 1)[0]
        check = mod.resource(F, "google_monitoring_uptime_check_config", ident(v.name, "rest"), project=project,
                             display_name=f"{prefix}-venue-{v.name}-rest", timeout="10s", period="60s")
        check.block("http_check", path="/", port=443, use_ssl=True, validate_ssl=True, request_method="GET")
        check.block("monitored_resource", type="uptime_url", labels={"project_id": project, "host": hostname})


def alerts_project_name(ctx: Context) -> str:
    """The project that holds alert policies and uptime checks (the scoping project of their metrics
    scope, ``metrics_scope``): the first project named for observability, else the first by name."""
    return next((p.name for p in sorted(ctx.projects.values(), key=lambda p: p.name)
                 if "observability" in p.name), sorted(ctx.projects)[0])


def alerts_project(ctx: Context, mod: RootModule) -> Expr:
    """The id of ``alerts_project_name``'s project, for a resource's ``project``."""
    return ctx.project_id(mod, alerts_project_name(ctx))


def desk_channel(ctx: Context, mod: RootModule, project: Expr, desk: str) -> Expr:
    """The desk's e-mail notification channel (to the desk owner), created once per desk."""
    name = ident(desk, "email")
    if not mod.has(f"google_monitoring_notification_channel.{name}"):
        owner = ctx.desks[desk].owner if desk in ctx.desks else None
        address: str | Expr = owner or mod.var(
            "platform_alert_email", "string", "who receives the platform's alerts (desks' alerts go to their owners)")
        mod.resource(F, "google_monitoring_notification_channel", name, project=project,
                     display_name=f"{desk} owner", type="email", labels={"email_address": address},
                     user_labels={"desk": desk}, enabled=True)
    return Expr(f"google_monitoring_notification_channel.{name}.id")
