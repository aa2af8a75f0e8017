"""Observability standards: the firm's metric, SLO and alerting standard, compiled from the estate.

Public face: ``compile_standard`` (estate -> ``Standard``: every SLO resolved and checked),
``render`` / ``write`` (Prometheus rules and their promtool tests, Alertmanager, Grafana,
OpenTelemetry Collector), ``cloud_alert_resources`` (the Cloud Monitoring and CloudWatch SLOs and
alerts the Terraform observability stages write), ``lint_text`` / ``fetch`` (``observe lint``)
and ``slo_table`` / ``budget_of`` (error budgets over counted time). Pure except ``write`` and ``fetch``. See docs/observe.md.
"""

from tradeplane.observe.budget import Budget, budget_of
from tradeplane.observe.cloud import CloudResource, cloud_alert_resources, cloud_resources
from tradeplane.observe.lint import Finding, fetch, lint_text
from tradeplane.observe.render import render, render_standard, slo_table, write
from tradeplane.observe.standard import BurnWindow, SloSpec, Standard, burn_windows, compile_standard

__all__ = [
    "Budget",
    "BurnWindow",
    "CloudResource",
    "Finding",
    "SloSpec",
    "Standard",
    "budget_of",
    "burn_windows",
    "cloud_alert_resources",
    "cloud_resources",
    "compile_standard",
    "fetch",
    "lint_text",
    "render",
    "render_standard",
    "slo_table",
    "write",
]
