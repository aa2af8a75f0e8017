"""``observe render``: every file the standard compiles to, and writing them all or nothing.

Layout of the output folder::

    prometheus/prometheus.yml            scrape jobs (desk/team/env target labels), rule files, Alertmanager
    prometheus/rules/<slo>.rules.yml     recording + burn-rate alert rules (promtool check rules)
    prometheus/rules/hybrid-links.rules.yml
    prometheus/tests/<name>.test.yml     generated unit tests (promtool test rules)
    alertmanager/alertmanager.yml        routes and inhibitions (amtool check-config)
    grafana/desk-<desk>.json, grafana/venue-<venue>.json
    otel/collector.yaml                  OpenTelemetry Collector: both clouds
    slos.json                            the compiled SLOs (what `observe slo` prints)
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tradeplane.estate.model import Estate
from tradeplane.observe.alertmanager import alertmanager_config
from tradeplane.observe.budget import budget_of
from tradeplane.observe.dashboards import dashboards
from tradeplane.observe.otel import collector_config, scrape_jobs
from tradeplane.observe.rules import link_rules, slo_rules
from tradeplane.observe.ruletests import link_test, slo_test
from tradeplane.observe.standard import Standard, compile_standard, duration
from tradeplane.writing import write_tree

__all__ = ["render", "render_standard", "slo_table", "write"]


def _yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, width=100_000, default_flow_style=False)


def _minutes(d: timedelta | None) -> float | None:
    return None if d is None else round(d.total_seconds() / 60, 2)


def slo_table(standard: Standard, end: datetime) -> list[dict[str, Any]]:
    """One row per SLO: owner, objective, window, error budget, alert windows.

    The budget is over the rolling window ending at ``end`` (``observe.budget``): ``error_budget``
    is the ratio, ``budget_basis`` ``time`` (a time indicator) or ``events`` (ratio, latency),
    ``counted_minutes`` the minutes of the window the rules count (trading time outside maintenance
    for an SLO with a calendar), ``budget_minutes`` the budget in minutes of counted time for a
    time indicator and ``None`` for an event-counting one, ``budget`` the text ``observe slo`` prints.

    The alerts' ``burn_rate`` is the factor of the Prometheus rules, derived from the time they
    count (``standard.burn_windows``): ``factor_counted_minutes`` is what the SLO window counts by
    the calendar's weekly schedule (no holidays, so it may differ from ``counted_minutes``) and each
    alert's ``long_counted_minutes`` the most its long window counts; ``cloud_burn_rate`` is the
    factor of the cloud alerts, which count all time (``SloSpec.calendar_windows``).
    """
    rows = []
    for s in standard.slos:
        b = budget_of(standard, s, end)
        minutes = b.minutes
        rows.append({
            "slo": s.name, "kind": s.kind, "indicator": s.sli.kind, "desk": s.desk, "team": s.team,
            "objective": s.objective, "window_days": s.window_days, "window_end": end.isoformat(),
            "error_budget": round(s.budget, 10), "budget_basis": b.basis, "budget": b.text(),
            "counted_minutes": round(b.counted.total_seconds() / 60, 2),
            "budget_minutes": None if minutes is None else round(minutes, 2),
            "calendar": list(s.calendar_venues) + [f"maintenance {a}..{b}" for a, b, _ in s.maintenance],
            "calendar_venues": list(s.calendar_venues),
            "maintenance": [{"start": a, "end": b, "reason": why} for a, b, why in s.maintenance],
            "factor_counted_minutes": _minutes(s.windows[0].counted_window),
            "alerts": [{"severity": w.severity, "long": duration(w.long), "short": duration(w.short),
                        "burn_rate": round(w.factor, 4), "error_ratio_over": round(w.threshold(s.objective), 10),
                        "long_counted_minutes": _minutes(w.counted_long),
                        "cloud_burn_rate": round(c.factor, 4)}
                       for w, c in zip(s.windows, s.calendar_windows, strict=True)],
        })
    return rows


def render_standard(standard: Standard, start: datetime) -> dict[str, str]:
    """``{relative path: text}`` of every output file (pure; ``start`` anchors trading calendars)."""
    files: dict[str, str] = {}
    rule_files = []
    for slo in standard.slos:
        rf = f"rules/{slo.name}.rules.yml"
        rule_files.append(rf)
        files[f"prometheus/{rf}"] = _yaml(slo_rules(standard, slo, start))
        files[f"prometheus/tests/{slo.name}.test.yml"] = _yaml(slo_test(standard, slo, f"../{rf}"))
    links = link_rules(standard)
    if links is not None:
        files["prometheus/rules/hybrid-links.rules.yml"] = _yaml(links)
        test = link_test(standard, "../rules/hybrid-links.rules.yml")
        assert test is not None
        files["prometheus/tests/hybrid-links.test.yml"] = _yaml(test)
    o = standard.estate.observability
    files["prometheus/prometheus.yml"] = _yaml({
        "global": {"scrape_interval": f"{o.scrape_interval_seconds}s",
                   "evaluation_interval": f"{o.scrape_interval_seconds}s"},
        "rule_files": ["rules/*.rules.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]},
        "scrape_configs": scrape_jobs(standard),
    })
    files["alertmanager/alertmanager.yml"] = _yaml(alertmanager_config(standard))
    for name, text in dashboards(standard).items():
        files[f"grafana/{name}"] = text
    files["otel/collector.yaml"] = _yaml(collector_config(standard))
    files["slos.json"] = json.dumps(slo_table(standard, start), indent=2, sort_keys=True) + "\n"
    return dict(sorted(files.items()))


def render(estate: Estate, start: datetime) -> dict[str, str]:
    """Compile the standard of ``estate`` and render it; ``EstateError`` (located) when it is broken."""
    return render_standard(compile_standard(estate), start)


def write(files: dict[str, str], out: Path) -> list[Path]:
    """Write ``files`` under ``out`` all or nothing (``tradeplane.writing.write_tree``): built in a
    temporary folder beside it, then put in place. Files of an earlier render that this one no
    longer writes are removed; any other file of ``out`` is left alone. ``OutputError`` (nothing
    written) when ``out`` is a file or cannot be written. Returns the written paths, sorted."""
    return write_tree(out, files, owner="observe")
