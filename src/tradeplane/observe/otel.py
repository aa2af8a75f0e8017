"""The OpenTelemetry Collector configuration: metrics, logs and traces to both clouds.

Receivers: OTLP (gRPC 4317, HTTP 4318; the gateway and ``plan`` send spans here when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set) and a Prometheus receiver scraping every service of the
standard with the estate's desk/team/env as target labels. Exporters (collector-contrib):
``googlecloud`` (Cloud Trace, Cloud Logging), ``googlemanagedprometheus`` (Cloud Monitoring, the
``prometheus.googleapis.com/...`` series the Cloud Monitoring SLOs read), ``awsemf`` (CloudWatch
metrics in namespace ``<prefix>/<service>``, the series the CloudWatch SLOs read),
``awsxray`` (X-Ray) and ``awscloudwatchlogs``.
"""

from __future__ import annotations

from typing import Any

from tradeplane.observe.standard import Standard

__all__ = ["collector_config", "scrape_jobs"]


def scrape_jobs(standard: Standard) -> list[dict[str, Any]]:
    """One Prometheus scrape job per service; one static target group per workload, labelled with
    the workload's desk, team and env (the standard's required labels come from the estate)."""
    e = standard.estate
    o = e.observability
    workloads = {w.name: w for w in e.workloads}
    jobs = []
    for svc in sorted(o.services, key=lambda s: s.name):
        groups = []
        for name in sorted(svc.workloads):
            w = workloads.get(name)
            if w is None:
                continue
            groups.append({"targets": [f"{name}:{svc.port}"],
                           "labels": {"desk": w.desk, "team": w.team, "env": w.env, "workload": name}})
        jobs.append({"job_name": svc.name, "scrape_interval": f"{o.scrape_interval_seconds}s",
                     "static_configs": groups})
    return jobs


def collector_config(standard: Standard) -> dict[str, Any]:
    """The collector's ``config.yaml`` (as data)."""
    p = standard.prefix
    return {
        "receivers": {
            "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}},
            "prometheus": {"config": {"scrape_configs": scrape_jobs(standard)}},
        },
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
            "batch": {"send_batch_size": 8192, "timeout": "5s"},
            "resourcedetection": {"detectors": ["env", "gcp", "ec2"], "timeout": "5s", "override": False},
        },
        "exporters": {
            "googlecloud": {"log": {"default_log_name": f"{p}"}},
            "googlemanagedprometheus": {},
            "awsemf": {"namespace": f"{p}/{{service.name}}", "dimension_rollup_option": "NoDimensionRollup",
                       "resource_to_telemetry_conversion": {"enabled": True}},
            "awsxray": {"indexed_attributes": ["desk", "team", "venue"]},
            "awscloudwatchlogs": {"log_group_name": f"/{p}/services", "log_stream_name": "collector"},
        },
        "extensions": {"health_check": {"endpoint": "0.0.0.0:13133"}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "metrics": {"receivers": ["otlp", "prometheus"],
                            "processors": ["memory_limiter", "resourcedetection", "batch"],
                            "exporters": ["googlemanagedprometheus", "awsemf"]},
                "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "resourcedetection", "batch"],
                           "exporters": ["googlecloud", "awsxray"]},
                "logs": {"receivers": ["otlp"], "processors": ["memory_limiter", "resourcedetection", "batch"],
                         "exporters": ["googlecloud", "awscloudwatchlogs"]},
            },
        },
    }
