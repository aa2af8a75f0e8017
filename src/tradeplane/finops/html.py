"""A self-contained HTML cost report: plotly charts and tables, no network assets.

Charts are drawn with plotly (plotly.js is inlined once, so the file opens offline);
every chart div has a fixed id, so the same report gives the same bytes. Amounts of
different billing currencies get their own charts: they are never stacked together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jinja2

from tradeplane.finops.anomalies import Anomaly
from tradeplane.finops.commitments import CommitmentReport
from tradeplane.finops.currency import money
from tradeplane.finops.report import CostReport

__all__ = ["chart_fragments", "estimate_chart", "render_html"]

_LAYOUT: dict[str, Any] = {"template": "plotly_white", "margin": {"l": 140, "r": 30, "t": 40, "b": 40},
                           "font": {"family": "system-ui, sans-serif", "size": 12}}


class _Charts:
    """Plotly figures as HTML fragments: plotly.js inlined in the first, fixed div ids."""

    def __init__(self, inline_js: bool = True, prefix: str = "chart") -> None:
        self.n = 0
        self.inline_js = inline_js  # False: the page loads plotly.js itself (the console serves it)
        self.prefix = prefix  # div ids are PREFIX-N: distinct prefixes for charts sharing a page

    def html(self, fig: Any) -> str:
        import plotly.io as pio

        self.n += 1
        return str(pio.to_html(fig, full_html=False, include_plotlyjs=self.inline_js and self.n == 1,
                               div_id=f"{self.prefix}-{self.n}", config={"displaylogo": False, "responsive": True}))


def _bars(charts: _Charts, title: str, labels: list[str], direct: list[float], shared: list[float],
          currency: str) -> str:
    import plotly.graph_objects as go

    if not labels:
        return ""
    fig = go.Figure()
    fig.add_bar(name="direct", y=labels, x=direct, orientation="h")
    fig.add_bar(name="shared split", y=labels, x=shared, orientation="h")
    fig.update_layout(barmode="stack", title=title, height=120 + 28 * len(labels), **_LAYOUT)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=currency)
    return charts.html(fig)


def _budget_chart(charts: _Charts, rep: CostReport) -> str:
    import plotly.graph_objects as go

    if not rep.budgets:
        return ""
    labels = [f"{b.desk} ({b.currency})" for b in rep.budgets]
    fig = go.Figure()
    fig.add_bar(name="budget", y=labels, x=[b.budget for b in rep.budgets], orientation="h",
                marker_color="#dddddd")
    fig.add_bar(name="forecast", y=labels, x=[b.forecast for b in rep.budgets], orientation="h",
                marker_color="#f2b447")
    fig.add_bar(name="month to date", y=labels, x=[b.month_to_date for b in rep.budgets], orientation="h",
                marker_color="#4e79a7",
                text=[f"{b.used:.0%} used, {b.forecast_used:.0%} forecast" for b in rep.budgets])
    fig.update_layout(barmode="overlay", title="month to date and forecast against budget",
                      height=120 + 32 * len(labels), **_LAYOUT)
    fig.update_yaxes(autorange="reversed")
    return charts.html(fig)


def _daily_chart(charts: _Charts, rep: CostReport, currency: str) -> str:
    import plotly.graph_objects as go

    rows = [(d, k, v) for d, k, c, v in rep.daily if c == currency]
    days = sorted({d for d, _, _ in rows})
    if len(days) < 2:
        return ""
    val = {(d, k): v for d, k, v in rows}
    fig = go.Figure()
    for desk in sorted({k for _, k, _ in rows}):
        fig.add_scatter(name=desk, x=days, y=[val.get((d, desk), 0.0) for d in days], stackgroup="desks",
                        mode="lines")
    fig.update_layout(title=f"daily cost by desk ({currency})", height=320, **_LAYOUT)
    fig.update_yaxes(title=currency)
    return charts.html(fig)


_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Cost report {{ r.period }}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.notice{background:#fff3cd;border:1px solid #e0c060;padding:0.7em}
.over{color:#b00020;font-weight:bold}.at-risk{color:#a06000;font-weight:bold}.ok{color:#2e7d32}
</style></head><body>
<h1>Cost report</h1>
{% if r.notice %}<p class="notice">{{ r.notice }}</p>{% endif %}
<p>Period {{ r.period }} ({{ r.period.days }} days), cost basis <b>{{ r.cost_basis }}</b>;
{{ r.currency.note }}.</p>
<p>Total: {% for c, v in r.totals|dictsort %}<b>{{ money(v, c) }}</b>{% if not loop.last %}, {% endif %}{% endfor %}.
Untagged spend {% for c, v in r.untagged_costs|dictsort %}{{ money(v, c) }} {% endfor %};
unallocatable {% for c, v in r.unallocated_costs|dictsort %}{{ money(v, c) }} {% endfor %};
tag compliance ({{ r.required_tags|join(", ") }}) {{ "%.1f%%"|format(100 * r.tag_compliance) }} of usage cost.</p>
{% if r.tag_keys %}<p>Tag keys read: {% for m in r.tag_keys %}{{ m.key }} from <code>{{ m.matched }}</code> ({{ m.rows }} rows){% if not loop.last %}, {% endif %}{% endfor %}.</p>{% endif %}
{% if r.corrections %}<p>Corrections (ChargeClass Correction): {% for c in r.corrections %}{{ money(c.cost, c.currency) }} booked in billing period {{ c.billing_period }}, counted in {{ c.charge_month }}, the period it corrects{% if not loop.last %}; {% endif %}{% endfor %}.</p>{% endif %}
<h2>By desk</h2>{% for chart in desk_charts %}{{ chart|safe }}{% endfor %}
<table><tr><th>desk</th><th>currency</th><th class="n">cost</th><th class="n">direct</th><th class="n">shared</th><th class="n">share</th></tr>
{% for x in r.by_desk %}<tr><td>{{ x.key[0] }}</td><td>{{ x.currency }}</td><td class="n">{{ money(x.cost, x.currency) }}</td><td class="n">{{ money(x.direct, x.currency) }}</td>
<td class="n">{{ money(x.shared, x.currency) }}</td><td class="n">{{ "%.1f%%"|format(100 * x.share) }}</td></tr>{% endfor %}</table>
<h2>Budgets, {{ r.month }} (as of {{ r.as_of }})</h2>{{ budget_chart|safe }}
<table><tr><th>desk</th><th class="n">budget</th><th class="n">month to date</th><th class="n">forecast</th><th>status</th><th>not compared (other currencies)</th></tr>
{% for b in r.budgets %}<tr><td>{{ b.desk }}</td><td class="n">{{ money(b.budget, b.currency) }}</td><td class="n">{{ money(b.month_to_date, b.currency) }}</td>
<td class="n">{{ money(b.forecast, b.currency) }}</td><td class="{{ b.status }}">{{ b.status }}</td>
<td>{% for c, v in b.not_compared %}{{ money(v, c) }} {% endfor %}</td></tr>{% endfor %}</table>
<h2>Daily cost by desk</h2>{% for chart in daily_charts %}{{ chart|safe }}{% endfor %}
<h2>By service</h2>{% for chart in service_charts %}{{ chart|safe }}{% endfor %}
<h2>By team</h2><table><tr><th>desk</th><th>team</th><th class="n">cost</th></tr>
{% for x in r.by_team %}<tr><td>{{ x.key[0] }}</td><td>{{ x.key[1] }}</td><td class="n">{{ money(x.cost, x.currency) }}</td></tr>{% endfor %}</table>
<h2>By cloud and allocation method</h2><table><tr><th>cloud</th><th class="n">cost</th></tr>
{% for x in r.by_cloud %}<tr><td>{{ x.key[0] }}</td><td class="n">{{ money(x.cost, x.currency) }}</td></tr>{% endfor %}</table>
<table><tr><th>method</th><th class="n">cost</th></tr>
{% for x in r.by_method %}<tr><td>{{ x.key[0] }}</td><td class="n">{{ money(x.cost, x.currency) }}</td></tr>{% endfor %}</table>
<h2>Untagged spend: top resources</h2><table><tr><th>resource</th><th>service</th><th>account</th><th>allocated to</th><th class="n">cost</th></tr>
{% for u in r.untagged_top %}<tr><td>{{ u.resource_id }}</td><td>{{ u.service }}</td><td>{{ u.sub_account }}</td><td>{{ u.allocated_to }}</td>
<td class="n">{{ money(u.cost, u.currency) }}</td></tr>{% endfor %}</table>
{% if anomalies is not none %}<h2>Anomalies</h2>
{% if anomalies %}<table><tr><th>desk</th><th>service</th><th>charges</th><th>start</th><th class="n">days</th><th class="n">excess</th><th>drivers</th></tr>
{% for a in anomalies %}<tr><td>{{ a.desk }}</td><td>{{ a.service }}</td><td>{{ a.frequency }}</td><td>{{ a.start }}</td><td class="n">{{ a.days }}</td>
<td class="n">{{ money(a.excess, a.currency) }}</td><td>{% for d in a.drivers %}{{ d.resource_id }} (+{{ money(d.excess, a.currency) }})<br>{% endfor %}</td></tr>{% endfor %}</table>
{% else %}<p>No anomalies.</p>{% endif %}{% endif %}
{% if commitments is not none %}<h2>Commitments</h2><table><tr><th>commitment</th><th>type</th><th>desk</th><th class="n">used</th><th class="n">unused</th><th class="n">utilisation</th></tr>
{% for c in commitments.commitments %}<tr><td>{{ c.id }}</td><td>{{ c.type }}</td><td>{{ c.desk }}</td><td class="n">{{ money(c.used, c.currency) }}</td>
<td class="n">{{ money(c.unused, c.currency) }}</td><td class="n">{{ pct(c.utilisation) }}</td></tr>{% endfor %}</table>
<table><tr><th>cloud</th><th>desk</th><th class="n">eligible</th><th class="n">covered</th><th class="n">coverage</th></tr>
{% for c in commitments.coverage %}<tr><td>{{ c.provider }}</td><td>{{ c.desk }}</td><td class="n">{{ money(c.eligible, c.currency) }}</td>
<td class="n">{{ money(c.covered, c.currency) }}</td><td class="n">{{ pct(c.coverage) }}</td></tr>{% endfor %}</table>{% endif %}
<p style="color:#777;font-size:small">Files: {{ r.files|join(", ") }}</p>
</body></html>
""")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def render_html(rep: CostReport, anomalies: Sequence[Anomaly] | None = None,
                commitments: CommitmentReport | None = None) -> str:
    """The report as one HTML document with plotly charts (deterministic for the same inputs)."""
    parts = chart_fragments(rep)
    return _TEMPLATE.render(r=rep, money=money, pct=_pct, desk_charts=parts["desk"], budget_chart=parts["budget"][0],
                            daily_charts=parts["daily"], service_charts=parts["service"],
                            anomalies=None if anomalies is None else list(anomalies), commitments=commitments)


def chart_fragments(rep: CostReport, *, inline_js: bool = True, prefix: str = "chart") -> dict[str, list[str]]:
    """The report's plotly charts as HTML fragments: ``desk`` (by desk, per currency), ``budget``
    (month to date and forecast against budget; one fragment, "" without budgets), ``daily`` (daily
    cost by desk, per currency) and ``service`` (top 10 services). ``inline_js=False`` leaves plotly.js
    out, for a page that loads it once (the console); ``prefix`` names the divs (PREFIX-1, ...)."""
    charts = _Charts(inline_js, prefix)
    desk_charts, service_charts, daily_charts = [], [], []
    for cur in rep.currencies:
        desks = [r for r in rep.by_desk if r.currency == cur]
        title = f"cost by desk ({cur})"
        desk_charts.append(_bars(charts, title, [r.key[0] for r in desks], [r.direct for r in desks],
                                 [r.shared for r in desks], cur))
    budget_chart = _budget_chart(charts, rep)
    for cur in rep.currencies:
        daily_charts.append(_daily_chart(charts, rep, cur))
        services = [r for r in rep.by_service if r.currency == cur][:10]
        service_charts.append(_bars(charts, f"cost by service, top 10 ({cur})",
                                    [f"{r.key[0]} {r.key[1]}" for r in services], [r.direct for r in services],
                                    [r.shared for r in services], cur))
    return {"desk": desk_charts, "budget": [budget_chart], "daily": daily_charts, "service": service_charts}


def estimate_chart(by_desk: dict[str, float], budgets: dict[str, float], *, inline_js: bool = True) -> str:
    """The estate's estimated monthly cost by desk (``finops.estimate``) against each desk's monthly
    budget (USD), as one plotly fragment; "" when there is nothing to draw."""
    import plotly.graph_objects as go

    desks = sorted(set(by_desk) | set(budgets))
    if not desks:
        return ""
    fig = go.Figure()
    fig.add_bar(name="budget", y=desks, x=[budgets.get(d, 0.0) for d in desks], orientation="h",
                marker_color="#dddddd")
    fig.add_bar(name="estimate", y=desks, x=[by_desk.get(d, 0.0) for d in desks], orientation="h",
                marker_color="#4e79a7",
                text=[f"{by_desk.get(d, 0.0) / budgets[d]:.0%} of budget" if budgets.get(d) else ""
                      for d in desks])
    fig.update_layout(barmode="overlay", title="estimated monthly cost against budget (USD)",
                      height=120 + 32 * len(desks), **_LAYOUT)
    fig.update_yaxes(autorange="reversed")
    return _Charts(inline_js, "estimate").html(fig)
