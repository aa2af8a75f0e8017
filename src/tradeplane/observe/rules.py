"""Prometheus recording and alerting rules, one file per SLO (plus one for hybrid links).

For an SLO ``s`` with scrape interval ``i`` (rate window ``r = 4 i``, Prometheus's advice for
``rate``), the rules are:

* ``<prefix>:slo_open{slo}``: 1 while the budget is spent (only for SLOs with a calendar);
* ``slo:sli_bad:rate<r>`` and ``slo:sli_total:rate<r>``: bad and total events per second over ``r``
  (for a time indicator: 1 per series that is bad, 1 per series), joined with ``slo_open``;
* ``slo:sli_error:ratio_rate<w>`` for every alert window and the SLO window:
  ``sum_over_time(bad[w]) / sum_over_time(total[w])``: event-weighted, and over trading time only;
* ``slo:error_budget_remaining:ratio``: ``1 - error_ratio(window) / (1 - objective)``;
* ``SloErrorBudgetBurn`` alerts, one per burn window of ``standard.POLICY``, at the factor of
  ``SloSpec.windows``: derived from the time these rules count (trading time for an SLO with a
  calendar: ``standard.CountedTime``).

Alert labels: ``severity`` (page|ticket), ``desk``, ``team``, ``env``, ``slo``, ``slo_kind``,
``long_window``, ``short_window`` and the indicator's ``by`` labels (venue, channel, symbol; link,
session), which Alertmanager routes and inhibits on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prometheus_client.utils import floatToGoString

from tradeplane.observe.calendar import closed_intervals, open_expression
from tradeplane.observe.standard import (
    HYBRID_LINKS,
    BurnWindow,
    SloSpec,
    Standard,
    duration,
    good_when,
    metric_of,
    venue_links,
)

__all__ = ["BURN_ALERT", "LINK_DOWN_ALERT", "LINK_DOWN_FOR", "VENUE_LINKS_DOWN_ALERT", "alert_labels", "le_value", "link_rules", "number",
           "rate_window", "slo_rules", "with_matcher"]

BURN_ALERT = "SloErrorBudgetBurn"
LINK_DOWN_ALERT = "HybridLinkDown"
LINK_DOWN_FOR = timedelta(minutes=1)
VENUE_LINKS_DOWN_ALERT = "VenueLinksDown"


def number(x: float) -> str:
    """A float as rules and tests print it (10 significant digits, stable)."""
    return f"{x:.10g}"


def le_value(bound: float) -> str:
    """A histogram bucket bound as client libraries write its ``le`` label (``0.25``, ``1.0``)."""
    return str(floatToGoString(bound))  # type: ignore[no-untyped-call]


def rate_window(standard: Standard) -> timedelta:
    return timedelta(seconds=4 * standard.estate.observability.scrape_interval_seconds)


def with_matcher(selector: str, suffix: str = "", extra: str = "") -> str:
    """``selector`` with ``suffix`` appended to its metric name and ``extra`` matchers added."""
    name = metric_of(selector)
    body = selector[len(name):].strip("{}")
    parts = [p for p in (body, extra) if p]
    return f"{name}{suffix}{{{','.join(parts)}}}" if parts else f"{name}{suffix}"


def _by(slo: SloSpec) -> str:
    return f"sum by ({', '.join(slo.sli.by)}) " if slo.sli.by else "sum "


def _bad_total(slo: SloSpec, r: str) -> tuple[str, str]:
    s = slo.sli
    agg = _by(slo)
    if s.gauge is not None and s.good_when is not None:
        op, value = good_when(s.good_when)
        good = f"({s.gauge} {op} bool {value})"
        count = f"count by ({', '.join(s.by)}) " if s.by else "count "
        return f"{agg}(1 - {good})", f"{count}({s.gauge})"
    if s.histogram is not None and s.threshold_seconds is not None:
        total = f"{agg}(rate({with_matcher(s.histogram, '_count')}[{r}]))"
        le = f'le="{le_value(s.threshold_seconds)}"'
        good = f"{agg}(rate({with_matcher(s.histogram, '_bucket', le)}[{r}]))"
        return f"{total} - {good}", total
    assert s.total is not None
    total = f"{agg}(rate({s.total}[{r}]))"
    if s.bad is not None:
        return f"{agg}(rate({s.bad}[{r}]))", total
    assert s.good is not None
    return f"{total} - {agg}(rate({s.good}[{r}]))", total


def alert_labels(standard: Standard, slo: SloSpec, w: Any) -> dict[str, str]:
    return {"severity": w.severity, "desk": slo.desk, "team": slo.team, "env": slo.env,
            "slo_kind": slo.kind, "long_window": duration(w.long), "short_window": duration(w.short)}


def _hours(d: timedelta) -> str:
    return f"{d.total_seconds() / 3600:,.4g} h"


def _description(slo: SloSpec, w: BurnWindow) -> str:
    """A burn alert's description: what the factor means in budget spent (and, for an SLO with a
    trading calendar, in which counted time: ``standard.CountedTime``)."""
    share = f"{round(w.budget_share * 100)}%"
    if slo.counted is None or w.counted_long is None or w.counted_window is None:
        return (f"{slo.description}. Objective {number(slo.objective)}% over {slo.window_days}d; at this rate "
                f"{share} of the budget goes in {duration(w.long)}.")
    return (f"{slo.description}. Objective {number(slo.objective)}% over {slo.window_days}d, counted while "
            f"{', '.join(slo.counted.venues)} trades ({_hours(w.counted_window)} of the window); at this rate "
            f"{share} of the budget goes in {duration(w.long)} ({_hours(w.counted_long)} of trading).")


def slo_rules(standard: Standard, slo: SloSpec, start: datetime) -> dict[str, Any]:
    """The rule file (as data) of one SLO; ``start`` anchors its trading calendar."""
    o = standard.estate.observability
    r = duration(rate_window(standard))
    sel = f'{{slo="{slo.name}"}}'
    rules: list[dict[str, Any]] = []
    bad, total = _bad_total(slo, r)
    gate = ""
    if slo.calendar_venues or slo.maintenance:
        rules.append({"record": f"{standard.prefix}:slo_open",
                      "expr": open_expression(closed_intervals(standard.estate, slo, start)),
                      "labels": {"slo": slo.name}})
        gate = f" and on() {standard.prefix}:slo_open{sel}"
    for what, expr in (("bad", bad), ("total", total)):
        rules.append({"record": f"slo:sli_{what}:rate{r}", "expr": f"({expr}){gate}" if gate else expr,
                      "labels": {"slo": slo.name}})
    windows = sorted({*(w.long for w in slo.windows), *(w.short for w in slo.windows),
                      timedelta(days=slo.window_days)})
    for span in windows:
        d = duration(span)
        rules.append({"record": f"slo:sli_error:ratio_rate{d}",
                      "expr": f"sum_over_time(slo:sli_bad:rate{r}{sel}[{d}]) / "
                              f"sum_over_time(slo:sli_total:rate{r}{sel}[{d}])"})
    rules.append({"record": "slo:error_budget_remaining:ratio",
                  "expr": f"1 - slo:sli_error:ratio_rate{duration(timedelta(days=slo.window_days))}{sel} / "
                          f"{number(slo.budget)}"})
    for w in slo.windows:
        t = number(w.threshold(slo.objective))
        rules.append({
            "alert": BURN_ALERT,
            "expr": f"slo:sli_error:ratio_rate{duration(w.long)}{sel} > {t} and "
                    f"slo:sli_error:ratio_rate{duration(w.short)}{sel} > {t}",
            "for": f"{o.pending_seconds}s",
            "labels": alert_labels(standard, slo, w),
            "annotations": {
                "summary": f"{slo.name}: error budget burning {number(w.factor)}x too fast "
                           f"({duration(w.long)} and {duration(w.short)} windows)",
                "description": _description(slo, w),
            },
        })
    return {"groups": [{"name": f"slo-{slo.name}", "interval": f"{o.scrape_interval_seconds}s", "rules": rules}]}


def link_rules(standard: Standard) -> dict[str, Any] | None:
    """``HybridLinkDown`` per hybrid link (every BGP session of it down), the source of the
    Alertmanager inhibitions of feed-freshness alerts over that link; ``None`` without links."""
    slos = [s for s in standard.slos if s.kind == "link_availability"]
    if not slos:
        return None
    rules = []
    for slo in slos:
        link = dict(slo.labels)["link"]
        rules.append({
            "alert": LINK_DOWN_ALERT,
            "expr": f'max by (link) (hybrid_bgp_session_up{{link="{link}"}}) == 0',
            "for": duration(LINK_DOWN_FOR),
            "labels": {"severity": "page", "desk": slo.desk, "team": slo.team, "env": slo.env, "link": link},
            "annotations": {"summary": f"hybrid link {link}: every BGP session is down",
                            "description": "traffic over this link has failed over or stopped; feed-freshness "
                                           "alerts of venues it alone carries are inhibited"},
        })
    for venue, links in venue_links(standard.estate).items():
        rules.append(venue_links_down_rule(venue, links))
    interval = standard.estate.observability.scrape_interval_seconds
    return {"groups": [{"name": "hybrid-links", "interval": f"{interval}s", "rules": rules}]}


def venue_links_down_rule(venue: str, links: list[str]) -> dict[str, Any]:
    """``VenueLinksDown{venue}``: every hybrid link carrying ``venue`` has every BGP session down.

    The source of the Alertmanager inhibition of the venue's feed-freshness alerts. It needs a
    series from each of the links (``count by (link)`` equal to their number): a link whose state
    is unknown may still carry the venue, so the alert stays silent and the feed alert pages. It
    has no desk label, so it notifies nobody (the ``HybridLinkDown`` pages do that).
    """
    sel = f'hybrid_bgp_session_up{{link=~"{"|".join(links)}"}}'
    return {
        "alert": VENUE_LINKS_DOWN_ALERT,
        "expr": f"max({sel}) == 0 and on() count(count by (link) ({sel})) == {len(links)}",
        "for": duration(LINK_DOWN_FOR),
        "labels": {"severity": "info", "venue": venue},
        "annotations": {"summary": f"venue {venue}: every hybrid link carrying it is down ({', '.join(links)})",
                        "description": "its feed-freshness alerts are inhibited while this fires"},
    }


def hybrid_link_names(standard: Standard) -> list[str]:
    return sorted(x.name for x in standard.estate.links if isinstance(x, HYBRID_LINKS))
