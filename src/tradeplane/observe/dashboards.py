"""Grafana dashboards, built with grafana-foundation-sdk: one per desk and one per venue.

Each SLO gets a row: the error budget remaining (stat, 0..100%), the SLI error ratio over the SLO
window against the budget (stat), and the burn rate over each alert window (time series; the
page/ticket thresholds are the burn-rate factors). Venue dashboards hold the venue's feed SLOs and
the gateway's per-leg health. Panels query the recording rules of ``observe.rules``.
"""

from __future__ import annotations

import json
from datetime import timedelta

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from tradeplane.observe.rules import number
from tradeplane.observe.standard import SloSpec, Standard, duration

__all__ = ["dashboards"]


def _q(expr: str, legend: str) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend)


def _slo_rows(board: dashboard.Dashboard, slos: list[SloSpec]) -> dashboard.Dashboard:
    for slo in slos:
        sel = f'{{slo="{slo.name}"}}'
        window = duration(timedelta(days=slo.window_days))
        legend = "{{" + "}} {{".join(slo.sli.by) + "}}" if slo.sli.by else slo.name
        board = board.with_row(dashboard.Row(f"{slo.name}: {number(slo.objective)}% over {slo.window_days}d "
                                             f"({slo.desk}/{slo.team})"))
        board = board.with_panel(
            stat.Panel().title("error budget remaining").unit("percentunit").span(6).height(6)
            .description(slo.description)
            .with_target(_q(f"slo:error_budget_remaining:ratio{sel}", legend)))
        board = board.with_panel(
            stat.Panel().title(f"SLI over {window}").unit("percentunit").span(6).height(6)
            .with_target(_q(f"1 - slo:sli_error:ratio_rate{window}{sel}", legend)))
        burn = timeseries.Panel().title("burn rate (x budget)").span(12).height(6)
        for w in slo.windows:
            burn = burn.with_target(_q(f"slo:sli_error:ratio_rate{duration(w.long)}{sel} / {number(slo.budget)}",
                                       f"{duration(w.long)} {legend} (alert > {w.factor:.4g}, {w.severity})"))
        board = board.with_panel(burn)
    return board


def _encode(board: dashboard.Dashboard) -> str:
    data = json.loads(JSONEncoder(sort_keys=True).encode(board.build()))
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def dashboards(standard: Standard) -> dict[str, str]:
    """``{file name: dashboard JSON}``: ``desk-<desk>.json`` and ``venue-<venue>.json``, sorted."""
    out: dict[str, str] = {}
    p = standard.prefix
    for desk in sorted({s.desk for s in standard.slos}):
        slos = [s for s in standard.slos if s.desk == desk]
        board = (dashboard.Dashboard(f"{desk} desk: SLOs and error budgets").uid(f"{p}-desk-{desk}")
                 .tags([p, "slo", f"desk:{desk}"]).refresh("1m").time("now-7d", "now").timezone("utc"))
        out[f"desk-{desk}.json"] = _encode(_slo_rows(board, slos))
    venues = sorted({dict(s.labels)["venue"] for s in standard.slos if "venue" in dict(s.labels)})
    for venue in venues:
        slos = [s for s in standard.slos if dict(s.labels).get("venue") == venue]
        board = (dashboard.Dashboard(f"{venue}: market data SLOs and feed health").uid(f"{p}-venue-{venue}")
                 .tags([p, "slo", f"venue:{venue}"]).refresh("30s").time("now-6h", "now").timezone("utc"))
        board = board.with_row(dashboard.Row("legs"))
        board = board.with_panel(timeseries.Panel().title("leg staleness").unit("s").span(12).height(6).with_target(
            _q(f'feeds_leg_staleness_seconds{{venue="{venue}"}}', "{{leg}}")))
        board = board.with_panel(timeseries.Panel().title("messages per second").span(12).height(6).with_target(
            _q(f'sum by (leg) (rate(feeds_messages_total{{venue="{venue}"}}[1m]))', "{{leg}}")))
        out[f"venue-{venue}.json"] = _encode(_slo_rows(board, slos))
    return dict(sorted(out.items()))
