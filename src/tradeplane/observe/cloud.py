"""The same SLOs for the clouds: Cloud Monitoring and CloudWatch resources, as plain data.

``cloud_alert_resources(estate)`` is what the Terraform observability stages call: pure, no
Terraform types. Each resource is ``CloudResource(cloud, type, name, desk, body)``; in ``body`` a
:class:`Nested` value (or a list of them) is a nested block, a ``Ref`` an expression referring to
another resource, anything else an attribute.

GCP (Managed Service for Prometheus stores the same series as ``prometheus.googleapis.com/<name>/<kind>``):
``google_monitoring_custom_service`` per desk, ``google_monitoring_slo`` per SLO (request-based
``good_total_ratio`` or ``distribution_cut``, or windows-based ``metric_mean_in_range`` for a time
indicator; ``goal`` = objective, ``rolling_period_days`` = window) and one
``google_monitoring_alert_policy`` per burn window (``select_slo_burn_rate`` over the long and the
short window, AND-combined, threshold = the calendar burn-rate factor, below).

AWS (the collector's EMF exporter writes the same series into namespace ``<prefix>/<service>``):
``aws_applicationsignals_service_level_objective`` per SLO (``attainment_goal`` = objective,
rolling interval = window, a request-based SLI of the same counters, or a period-based SLI for a
time indicator) and, per burn window, two ``aws_cloudwatch_metric_alarm`` (long, short; metric math
error ratio > factor x budget) joined by an ``aws_cloudwatch_composite_alarm`` (AND).

Neither cloud's Terraform resource can express the trading calendar: the Prometheus rules are the
calendar-aware ones, the cloud SLOs the backstop (docs/observe.md says so). The cloud SLOs and
their alerts count all of the calendar window (``rolling_period_days`` and ``select_slo_burn_rate``
over every hour; the alarms' periods likewise), so their burn-rate factors are the calendar ones,
``SloSpec.calendar_windows`` (``share * window / long``), not the trading-time factors of the
Prometheus rules (``SloSpec.windows``): for a time indicator the cloud's budget is ``1 - goal`` of
every hour of the window, and a factor derived from trading time would page it at a fraction of
2% of that budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tradeplane.estate.model import Estate
from tradeplane.observe.standard import (
    SloSpec,
    Standard,
    compile_standard,
    good_when,
    metric_of,
    selector_matchers,
)

__all__ = [
    "CloudResource",
    "Nested",
    "Ref",
    "cloud_alert_resources",
    "cloud_resources",
    "cloudwatch_metric",
    "gmp_filter",
]


class Nested(dict[str, Any]):
    """A nested block."""


class Ref(str):
    """An expression referring to another resource (written unquoted in HCL)."""


@dataclass(frozen=True)
class CloudResource:
    cloud: str
    type: str
    name: str
    desk: str
    body: dict[str, Any] = field(default_factory=dict)


def _ident(*parts: str) -> str:
    return "_".join(p.replace("-", "_") for p in parts)


def _kind(standard: Standard, metric: str) -> str:
    exposed = standard.exposed.get(metric)
    return exposed.spec.type if exposed else "unknown"


def gmp_filter(standard: Standard, selector: str, suffix: str = "", kind: str | None = None,
               extra: dict[str, str] | None = None) -> str:
    """A Cloud Monitoring filter for a Prometheus series stored by Managed Service for Prometheus."""
    name = metric_of(selector)
    k = kind or _kind(standard, name)
    parts = [f'metric.type="prometheus.googleapis.com/{name}{suffix}/{k}"', 'resource.type="prometheus_target"']
    for label, op, value in selector_matchers(selector):
        if op == "=":
            parts.append(f'metric.label."{label}"="{value}"')
        elif op == "!=":
            parts.append(f'metric.label."{label}"!="{value}"')
        else:
            parts.append(f'metric.label."{label}"=monitoring.regex.full_match("{value}")')
    for label, value in sorted((extra or {}).items()):
        parts.append(f'metric.label."{label}"="{value}"')
    return " AND ".join(parts)


def cloudwatch_metric(standard: Standard, selector: str, suffix: str = "",
                      extra: dict[str, str] | None = None) -> Nested:
    """The CloudWatch ``metric`` block of a series the collector ships with the EMF exporter."""
    name = metric_of(selector)
    exposed = standard.exposed.get(name)
    service = exposed.service if exposed else name.split("_")[0]
    dims = [Nested(name=label, value=value) for label, op, value in selector_matchers(selector) if op == "="]
    dims += [Nested(name=k, value=v) for k, v in sorted((extra or {}).items())]
    return Nested(namespace=f"{standard.prefix}/{service}", metric_name=f"{name}{suffix}", dimensions=dims)


def _gcp_sli(standard: Standard, slo: SloSpec) -> tuple[str, Nested]:
    s = slo.sli
    if s.gauge is not None and s.good_when is not None:
        op, value = good_when(s.good_when)
        v = float(value)
        lo, hi = {"==": (v, v), ">=": (v, None), ">": (v, None), "<=": (None, v), "<": (None, v),
                  "!=": (v, v)}[op]
        rng = Nested({k: x for k, x in (("min", lo), ("max", hi)) if x is not None})
        return "windows_based_sli", Nested(
            window_period=f"{4 * standard.estate.observability.scrape_interval_seconds}s",
            metric_mean_in_range=Nested(time_series=gmp_filter(standard, s.gauge), range=rng))
    if s.histogram is not None and s.threshold_seconds is not None:
        return "request_based_sli", Nested(distribution_cut=Nested(
            distribution_filter=gmp_filter(standard, s.histogram, kind="histogram"),
            range=Nested(max=s.threshold_seconds)))
    assert s.total is not None
    ratio = Nested(total_service_filter=gmp_filter(standard, s.total))
    if s.good is not None:
        ratio["good_service_filter"] = gmp_filter(standard, s.good)
    if s.bad is not None:
        ratio["bad_service_filter"] = gmp_filter(standard, s.bad)
    return "request_based_sli", Nested(good_total_ratio=ratio)


def _gcp(standard: Standard) -> list[CloudResource]:
    out: list[CloudResource] = []
    p = standard.prefix
    for desk in sorted({s.desk for s in standard.slos}):
        out.append(CloudResource("gcp", "google_monitoring_custom_service", _ident(desk), desk,
                                 {"service_id": f"{p}-{desk}", "display_name": f"{p} {desk} desk"}))
    for slo in standard.slos:
        ident = _ident(slo.name)
        sli_kind, sli = _gcp_sli(standard, slo)
        out.append(CloudResource("gcp", "google_monitoring_slo", ident, slo.desk, {
            "service": Ref(f"google_monitoring_custom_service.{_ident(slo.desk)}.service_id"),
            "slo_id": slo.name, "display_name": slo.description[:100],
            "goal": slo.objective / 100.0, "rolling_period_days": slo.window_days,
            "user_labels": {"desk": slo.desk, "team": slo.team, "slo_kind": slo.kind},
            sli_kind: sli,
        }))
        for w in slo.calendar_windows:
            long_s, short_s = int(w.long.total_seconds()), int(w.short.total_seconds())
            conds = [Nested(display_name=f"burn rate over {secs}s above {w.factor:.4g}", condition_threshold=Nested(
                filter=Ref(f'"select_slo_burn_rate(\\"${{google_monitoring_slo.{ident}.name}}\\", \\"{secs}s\\")"'),
                comparison="COMPARISON_GT", threshold_value=round(w.factor, 6),
                duration=f"{standard.estate.observability.pending_seconds}s"))
                for secs in (long_s, short_s)]
            out.append(CloudResource("gcp", "google_monitoring_alert_policy", _ident(slo.name, w.severity, str(long_s)),
                                     slo.desk, {
                "display_name": f"{p}-{slo.desk}-{slo.name}-burn-{long_s}s", "combiner": "AND",
                "user_labels": {"desk": slo.desk, "team": slo.team, "severity": w.severity, "slo": slo.name},
                "conditions": conds,
                "documentation": Nested(content=f"{slo.description}: {w.factor:.4g}x burn over "
                                                 f"{long_s}s and {short_s}s ({w.severity}).",
                                        mime_type="text/markdown"),
            }))
    return out


def _aws_query(qid: str, metric: Nested, period: int, stat: str, ret: bool) -> Nested:
    return Nested(id=qid, return_data=ret, metric_stat=Nested(metric=metric, period=period, stat=stat))


def _aws_error_queries(standard: Standard, slo: SloSpec, period: int) -> list[Nested]:
    """Metric-math queries whose last expression is the error ratio over ``period`` seconds."""
    s = slo.sli
    if s.gauge is not None and s.good_when is not None:
        op, value = good_when(s.good_when)
        cw_op = {"==": "==", "!=": "!=", "<=": "<=", ">=": ">=", "<": "<", ">": ">"}[op]
        return [Nested(id="m", return_data=False, metric=Nested(
                    metric_name=cloudwatch_metric(standard, s.gauge)["metric_name"],
                    namespace=cloudwatch_metric(standard, s.gauge)["namespace"],
                    dimensions={d["name"]: d["value"] for d in cloudwatch_metric(standard, s.gauge)["dimensions"]},
                    period=period, stat="Average")),
                Nested(id="e", return_data=True, expression=f"1 - IF(m {cw_op} {value}, 1, 0)",
                       label="error ratio")]
    if s.histogram is not None and s.threshold_seconds is not None:
        total = cloudwatch_metric(standard, s.histogram, "_count")
        good = cloudwatch_metric(standard, s.histogram, "_bucket", {"le": str(s.threshold_seconds)})
        expr = "(t - g) / t"
    else:
        assert s.total is not None
        total = cloudwatch_metric(standard, s.total)
        good = cloudwatch_metric(standard, s.good or s.bad or "")
        expr = "(t - g) / t" if s.good is not None else "g / t"
    qs = []
    for qid, metric in (("t", total), ("g", good)):
        qs.append(Nested(id=qid, return_data=False, metric=Nested(
            metric_name=metric["metric_name"], namespace=metric["namespace"],
            dimensions={d["name"]: d["value"] for d in metric["dimensions"]}, period=period, stat="Sum")))
    qs.append(Nested(id="e", return_data=True, expression=expr, label="error ratio"))
    return qs


def _aws_sli(standard: Standard, slo: SloSpec) -> tuple[str, Nested]:
    s = slo.sli
    period = 4 * standard.estate.observability.scrape_interval_seconds
    period = max(60, period - period % 60)
    if s.gauge is not None and s.good_when is not None:
        op, value = good_when(s.good_when)
        return "sli", Nested(comparison_operator="GreaterThanOrEqualTo", metric_threshold=1, sli_metric=Nested(
            metric_data_queries=[
                _aws_query("m", cloudwatch_metric(standard, s.gauge), period, "Average", False),
                Nested(id="good", expression=f"IF(m {op} {value}, 1, 0)", return_data=True)]))
    if s.histogram is not None and s.threshold_seconds is not None:
        total = cloudwatch_metric(standard, s.histogram, "_count")
        good: Nested | None = cloudwatch_metric(standard, s.histogram, "_bucket", {"le": str(s.threshold_seconds)})
        bad = None
    else:
        assert s.total is not None
        total = cloudwatch_metric(standard, s.total)
        good = cloudwatch_metric(standard, s.good) if s.good else None
        bad = cloudwatch_metric(standard, s.bad) if s.bad else None
    monitored = (Nested(good_count_metric=[_aws_query("good", good, period, "Sum", True)]) if good is not None
                 else Nested(bad_count_metric=[_aws_query("bad", bad, period, "Sum", True)]))  # type: ignore[arg-type]
    return "request_based_sli", Nested(request_based_sli_metric=Nested(
        total_request_count_metric=[_aws_query("total", total, period, "Sum", True)],
        monitored_request_count_metric=monitored))


def _aws(standard: Standard) -> list[CloudResource]:
    out: list[CloudResource] = []
    p = standard.prefix
    for slo in standard.slos:
        sli_kind, sli = _aws_sli(standard, slo)
        out.append(CloudResource("aws", "aws_applicationsignals_service_level_objective", _ident(slo.name), slo.desk, {
            "name": f"{p}-{slo.name}"[:128], "description": slo.description[:1024],
            "goal": Nested(attainment_goal=slo.objective, warning_threshold=50.0,
                           interval=Nested(rolling_interval=Nested(duration=slo.window_days, duration_unit="DAY"))),
            "burn_rate_configurations": [Nested(look_back_window_minutes=int(x.total_seconds() // 60))
                                         for w in slo.calendar_windows for x in (w.long, w.short)],
            sli_kind: sli,
        }))
        for w in slo.calendar_windows:
            theta = w.threshold(slo.objective)
            names = []
            for which, d in (("long", w.long), ("short", w.short)):
                secs = int(d.total_seconds())
                ident = _ident(slo.name, w.severity, str(int(w.long.total_seconds())), which)
                names.append(ident)
                if slo.sli.gauge is not None:
                    # A time indicator: one datapoint per period (bad when the period's mean is not good);
                    # the alarm fires when more than theta of the window's periods are bad.
                    period = max(60, (secs // 1440) // 60 * 60)
                    periods = max(1, secs // period)
                    shape = {"comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": 1,
                             "evaluation_periods": periods,
                             "datapoints_to_alarm": min(periods, max(1, math.ceil(theta * periods)))}
                    queries = _aws_error_queries(standard, slo, period)
                else:
                    shape = {"comparison_operator": "GreaterThanThreshold", "threshold": round(theta, 9),
                             "evaluation_periods": 1}
                    queries = _aws_error_queries(standard, slo, secs)
                out.append(CloudResource("aws", "aws_cloudwatch_metric_alarm", ident, slo.desk, {
                    "alarm_name": f"{p}-{slo.desk}-{slo.name}-burn-{int(w.long.total_seconds())}s-{which}",
                    "alarm_description": f"{slo.name}: error ratio over {secs}s above {theta:.6g} "
                                         f"({w.factor:.4g}x the budget of {slo.objective}%)",
                    **shape, "treat_missing_data": "notBreaching",
                    "metric_query": queries,
                    "tags": {"desk": slo.desk, "team": slo.team, "slo": slo.name, "severity": w.severity},
                }))
            out.append(CloudResource("aws", "aws_cloudwatch_composite_alarm",
                                     _ident(slo.name, w.severity, str(int(w.long.total_seconds()))), slo.desk, {
                "alarm_name": f"{p}-{slo.desk}-{slo.name}-burn-{int(w.long.total_seconds())}s",
                "alarm_description": f"{slo.description}: {w.factor:.4g}x burn over both windows ({w.severity})",
                "alarm_rule": Ref('"' + " AND ".join(f"ALARM(${{aws_cloudwatch_metric_alarm.{n}.alarm_name}})"
                                                    for n in names) + '"'),
                "tags": {"desk": slo.desk, "team": slo.team, "slo": slo.name, "severity": w.severity},
            }))
    return out


def cloud_resources(standard: Standard) -> list[CloudResource]:
    """Every cloud SLO and alert resource of a compiled standard, GCP then AWS, in a stable order."""
    return [*_gcp(standard), *_aws(standard)]


def cloud_alert_resources(estate: Estate, cloud: str | None = None) -> list[CloudResource]:
    """The Terraform observability stages' SLO and alert resources for ``estate`` (one cloud or both).

    Raises ``EstateError`` (located) when the standard is broken, as ``observe render`` does.
    """
    out = cloud_resources(compile_standard(estate))
    return [r for r in out if cloud is None or r.cloud == cloud]
