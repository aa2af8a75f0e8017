"""The metrics scope of the project that holds the alert policies: every other project of the estate.

Cloud Monitoring evaluates an alert policy over the metrics scope of the project it lives in, and a
project's scope holds only that project until others are added ("Metrics scopes", Cloud Monitoring
docs). The policies tradeplane renders live in one project (``monitoring.alerts_project``) while
the instances they watch run in the desks' service projects and the hybrid links in the network
host project: without this, every such policy watches nothing and never fires.
"""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp.monitoring import alerts_project, alerts_project_name
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "metrics_scope"


# what reads metrics: with none of these rendered, the scope has nothing to serve
_READERS = ("google_monitoring_alert_policy", "google_monitoring_slo", "google_monitoring_uptime_check_config")


@family("metrics_scope", cloud="gcp", stage=Stage.OBSERVABILITY, late=True)
def emit(ctx: Context) -> None:
    """The alerts' project monitors every other project (``google_monitoring_monitored_project``), when
    the stage renders alert policies, SLOs or uptime checks (a late family: it reads what they rendered)."""
    mod = ctx.modules.get(("gcp", Stage.OBSERVABILITY))
    if mod is None or not any(b.type == "resource" and b.labels[0] in _READERS
                              for blocks in mod.files.values() for b in blocks):
        return
    scoping = alerts_project_name(ctx)
    scope = alerts_project(ctx, mod)
    for name in sorted(ctx.projects):
        if name != scoping:
            mod.resource(F, "google_monitoring_monitored_project", ident(name), metrics_scope=scope,
                         name=ctx.project_id(mod, name))
