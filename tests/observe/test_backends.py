"""One spec, three backends: Prometheus, Cloud Monitoring and CloudWatch express the same
objective, window and SLI, and one threshold changed in the estate changes all three."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import yaml

from tradeplane import observe
from tradeplane.observe.rules import number, slo_rules
from tradeplane.observe.standard import metric_of
from tradeplane.plan import render_terraform

START = datetime(2026, 12, 1, tzinfo=UTC)


def prometheus_view(standard: observe.Standard, name: str) -> dict:
    slo = standard.slo(name)
    rules = slo_rules(standard, slo, START)["groups"][0]["rules"]
    alerts = [r for r in rules if "alert" in r]
    window = max(int(m) for r in rules if "record" in r
                  for m in re.findall(r"ratio_rate(\d+)d", r["record"]))
    budget = next(r for r in rules if r.get("record") == "slo:error_budget_remaining:ratio")
    objective = round(100 * (1 - float(budget["expr"].rsplit("/ ", 1)[1])), 6)
    metrics = sorted({m for r in rules if "record" in r for m in re.findall(r"(?<![a-z0-9_:])([a-z][a-z0-9_]*)(?:\{|\[)", r["expr"])
                      if not m.startswith(("slo", "sum", "rate", "count", "vector", "time")) and "slo:" not in m})
    thresholds = [float(a["expr"].split(" > ")[1].split(" ")[0]) for a in alerts]
    return {"objective": objective, "window": window, "metrics": metrics, "thresholds": thresholds}


def gcp_view(resources: list[observe.CloudResource], name: str) -> dict:
    ident = name.replace("-", "_")
    slo = next(r for r in resources if r.type == "google_monitoring_slo" and r.name == ident)
    text = json.dumps(slo.body)
    metrics = sorted({m.split("/")[0] for m in re.findall(r"prometheus\.googleapis\.com/([a-z_/]+)", text)})
    policies = [r for r in resources if r.type == "google_monitoring_alert_policy" and r.name.startswith(ident + "_")]
    factors = [p.body["conditions"][0]["condition_threshold"]["threshold_value"] for p in policies]
    return {"objective": round(slo.body["goal"] * 100, 6), "window": slo.body["rolling_period_days"],
            "metrics": metrics, "factors": factors}


def aws_view(resources: list[observe.CloudResource], name: str) -> dict:
    ident = name.replace("-", "_")
    slo = next(r for r in resources if r.type == "aws_applicationsignals_service_level_objective" and r.name == ident)
    text = json.dumps(slo.body)
    metrics = sorted(set(re.findall(r'"metric_name": "([a-z_]+)"', text)))
    alarms = [r for r in resources if r.type == "aws_cloudwatch_metric_alarm" and r.name.startswith(ident + "_")
              and r.name.endswith("_long")]
    return {"objective": slo.body["goal"]["attainment_goal"],
            "window": slo.body["goal"]["interval"]["rolling_interval"]["duration"],
            "metrics": metrics, "alarms": alarms}


def normalise(metrics: list[str]) -> set[str]:
    return {re.sub(r"_(count|bucket)$", "", m) for m in metrics}


@pytest.mark.parametrize("name", ["feed-freshness-binance", "feed-gaps-okx", "feed-latency-kraken",
                                  "md-freshness", "order-gateway-availability", "link-availability-dx-chicago"])
def test_the_three_backends_express_the_same_objective_window_and_sli(standard, name):
    slo = standard.slo(name)
    resources = observe.cloud_resources(standard)
    p, g, a = prometheus_view(standard, name), gcp_view(resources, name), aws_view(resources, name)
    assert p["objective"] == g["objective"] == a["objective"] == slo.objective
    assert p["window"] == g["window"] == a["window"] == slo.window_days
    sli_metrics = {metric_of(m) for m in slo.metrics()}
    assert normalise(p["metrics"]) == normalise(g["metrics"]) == normalise(a["metrics"]) == sli_metrics
    # The clouds count all of the window (no calendar): their factors are the calendar ones; the
    # Prometheus rules count trading time for an SLO with a calendar, and theirs follow it.
    assert g["factors"] == [round(w.factor, 6) for w in slo.calendar_windows]
    assert p["thresholds"] == [float(number(w.threshold(slo.objective))) for w in slo.windows]
    if slo.sli.gauge is None:
        assert [x.body["threshold"] for x in a["alarms"]] == [round(w.threshold(slo.objective), 9)
                                                              for w in slo.calendar_windows]
    if slo.counted is None:  # 24x7: one set of factors everywhere
        assert slo.windows == slo.calendar_windows
    else:
        assert [w.factor for w in slo.windows] != [w.factor for w in slo.calendar_windows]
    if slo.sli.threshold_seconds is not None:  # latency: the same bound everywhere
        rules = yaml.safe_dump(slo_rules(standard, slo, START))
        assert f'le="{slo.sli.threshold_seconds}"' in rules
        gcp = next(r for r in resources if r.type == "google_monitoring_slo" and r.name == name.replace("-", "_"))
        assert gcp.body["request_based_sli"]["distribution_cut"]["range"]["max"] == slo.sli.threshold_seconds


def test_one_threshold_changed_in_the_estate_changes_all_three(reference_estate):
    o = reference_estate.observability
    before = observe.compile_standard(reference_estate)
    builtin = o.builtin.model_copy(update={"feed_freshness": o.builtin.feed_freshness.model_copy(
        update={"objective": 99.5})})
    changed = reference_estate.model_copy(update={"observability": o.model_copy(update={"builtin": builtin})})
    after = observe.compile_standard(changed)
    name = "feed-freshness-binance"
    for std, objective in ((before, 99.9), (after, 99.5)):
        resources = observe.cloud_resources(std)
        assert prometheus_view(std, name)["objective"] == gcp_view(resources, name)["objective"] == \
            aws_view(resources, name)["objective"] == objective
    assert prometheus_view(before, name)["thresholds"] != prometheus_view(after, name)["thresholds"]
    # ...and the Terraform the observability stages hold changes with it, on both clouds.
    tf_before, tf_after = render_terraform(reference_estate).files, render_terraform(changed).files
    path = "gcp/40-observability/slos.tf"
    block = _block(tf_before[path], name.replace("-", "_"))
    assert "0.999" in block
    assert _block(tf_after[path], name.replace("-", "_")) != block
    assert "0.995" in _block(tf_after[path], name.replace("-", "_"))
    # AWS: the pinned provider has no Application Signals SLO; the burn-rate alarms' thresholds change.
    assert tf_before["aws/40-observability/slos.tf"] != tf_after["aws/40-observability/slos.tf"]


def _block(text: str, ident: str) -> str:
    start = re.search(rf'resource "(google_monitoring_slo|aws_applicationsignals_service_level_objective)" "{ident}"',
                      text)
    assert start is not None
    end = text.find('\nresource "', start.end())
    return text[start.start(): end if end > 0 else None]
