"""GCP organisation log sinks: audit logs copied to a locked bucket in the observability project."""

from __future__ import annotations

from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import primary_region
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.module import interp
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage


@family("log_sinks", cloud="gcp", stage=Stage.OBSERVABILITY)
def emit(ctx: Context) -> None:
    """A locked log bucket, an aggregated org sink of audit and firewall logs, and the sink's writer grant."""
    if ctx.estate.organisation.gcp is None:
        return
    mod = ctx.module("gcp", Stage.OBSERVABILITY)
    host = next((p.name for p in sorted(ctx.projects.values(), key=lambda p: p.name)
                 if "observability" in p.name), sorted(ctx.projects)[0])
    project = ctx.project_id(mod, host)
    org_id = ctx.org_id(mod)
    # gcp.resourceLocations governs new log buckets (Cloud Logging, "Configure log buckets": organization
    # policies restrict the locations of new log buckets), and "global" is in no region's value group:
    # the bucket goes to the estate's primary GCP region, which the policy allows.
    mod.resource("log_sinks", "google_logging_project_bucket_config", "audit", project=project,
                 location=primary_region(ctx),
                 bucket_id="org-audit", retention_days=400, locked=True,
                 description="organisation audit and firewall logs (locked)")
    mod.resource("log_sinks", "google_logging_organization_sink", "audit", name="org-audit", org_id=org_id,
                 include_children=True,
                 destination=interp("logging.googleapis.com/${google_logging_project_bucket_config.audit.id}"),
                 filter='logName:"cloudaudit.googleapis.com" OR logName:"compute.googleapis.com%2Ffirewall"')
    mod.resource("log_sinks", "google_project_iam_member", "audit_sink_writer", project=project,
                 role="roles/logging.bucketWriter",
                 member=Expr("google_logging_organization_sink.audit.writer_identity"))
