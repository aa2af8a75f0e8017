"""A self-contained HTML cost report: inline SVG charts and tables, no scripts, no network assets."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import jinja2

from tradeplane.finops.anomalies import Anomaly
from tradeplane.finops.commitments import CommitmentReport
from tradeplane.finops.report import CostReport

__all__ = ["render_html"]

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac")


def _money(x: float) -> str:
    return f"${x:,.0f}"


def _hbars(items: Sequence[tuple[str, float, float]], width: int = 640, title: str = "") -> str:
    """Horizontal stacked bars: (label, direct, shared)."""
    if not items:
        return ""
    row, left, right = 26, 120, 90
    top = max((d + s for _, d, s in items), default=1.0) or 1.0
    h = row * len(items) + 30
    scale = (width - left - right) / top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img" '
           f'aria-label="{escape(title)}">']
    for i, (label, direct, shared) in enumerate(items):
        y = 10 + i * row
        wd, ws = direct * scale, shared * scale
        out.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{wd:.1f}" height="18" fill="{PALETTE[0]}"/>')
        out.append(f'<rect x="{left + wd:.1f}" y="{y}" width="{ws:.1f}" height="18" fill="{PALETTE[1]}"/>')
        out.append(f'<text x="{left + wd + ws + 6:.1f}" y="{y + 14}" font-size="12">{_money(direct + shared)}</text>')
    y = 10 + len(items) * row + 8
    out.append(f'<rect x="{left}" y="{y}" width="10" height="10" fill="{PALETTE[0]}"/>'
               f'<text x="{left + 14}" y="{y + 9}" font-size="11">direct</text>'
               f'<rect x="{left + 70}" y="{y}" width="10" height="10" fill="{PALETTE[1]}"/>'
               f'<text x="{left + 84}" y="{y + 9}" font-size="11">shared split</text>')
    out.append("</svg>")
    return "".join(out)


def _budget_chart(rep: CostReport, width: int = 640) -> str:
    if not rep.budgets:
        return ""
    row, left, right = 30, 120, 150
    top = max(max(b.budget, b.forecast) for b in rep.budgets) or 1.0
    scale = (width - left - right) / top
    h = row * len(rep.budgets) + 12
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img" '
           'aria-label="month to date against budget">']
    for i, b in enumerate(rep.budgets):
        y = 6 + i * row
        colour = {"over": PALETTE[3], "at-risk": PALETTE[5]}.get(b.status, PALETTE[2])
        out.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(b.desk)}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{b.budget * scale:.1f}" height="20" fill="#eee" '
                   'stroke="#999"/>')
        out.append(f'<rect x="{left}" y="{y + 4}" width="{b.forecast * scale:.1f}" height="12" fill="{colour}" '
                   'opacity="0.35"/>')
        out.append(f'<rect x="{left}" y="{y + 4}" width="{b.month_to_date * scale:.1f}" height="12" '
                   f'fill="{colour}"/>')
        out.append(f'<text x="{left + max(b.budget, b.forecast) * scale + 6:.1f}" y="{y + 15}" font-size="12">'
                   f'{b.used:.0%} used, {b.forecast_used:.0%} forecast</text>')
    out.append("</svg>")
    return "".join(out)


def _daily_chart(rep: CostReport, width: int = 760, height: int = 240) -> str:
    days = sorted({d for d, _, _ in rep.daily})
    desks = sorted({k for _, k, _ in rep.daily})
    if len(days) < 2:
        return ""
    val = {(d, k): c for d, k, c in rep.daily}
    left, bottom, top_pad, legend = 60, 30, 10, 130
    plot_w, plot_h = width - left - legend, height - bottom - top_pad
    stacks = [sum(val.get((d, k), 0.0) for k in desks) for d in days]
    top = max(stacks) or 1.0

    def x(i: int) -> float:
        return left + i * plot_w / (len(days) - 1)

    def y(v: float) -> float:
        return top_pad + plot_h - v / top * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           'aria-label="daily cost by desk">']
    base = [0.0] * len(days)
    for j, k in enumerate(desks):
        upper = [base[i] + val.get((d, k), 0.0) for i, d in enumerate(days)]
        pts = [f"{x(i):.1f},{y(upper[i]):.1f}" for i in range(len(days))]
        pts += [f"{x(i):.1f},{y(base[i]):.1f}" for i in reversed(range(len(days)))]
        out.append(f'<polygon points="{" ".join(pts)}" fill="{PALETTE[j % len(PALETTE)]}" opacity="0.85"/>')
        out.append(f'<rect x="{width - legend + 10}" y="{top_pad + j * 18}" width="10" height="10" '
                   f'fill="{PALETTE[j % len(PALETTE)]}"/><text x="{width - legend + 24}" y="{top_pad + j * 18 + 9}" '
                   f'font-size="11">{escape(k)}</text>')
        base = upper
    out.append(f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" stroke="#333"/>')
    out.append(f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end" font-size="11">{_money(top)}</text>')
    out.append(f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" font-size="11">$0</text>')
    out.append(f'<text x="{left}" y="{height - 8}" font-size="11">{days[0]}</text>')
    out.append(f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end" font-size="11">{days[-1]}</text>')
    out.append("</svg>")
    return "".join(out)


_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Cost report {{ r.period }}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.notice{background:#fff3cd;border:1px solid #e0c060;padding:0.7em}
.over{color:#b00020;font-weight:bold}.at-risk{color:#a06000;font-weight:bold}.ok{color:#2e7d32}
</style></head><body>
<h1>Cost report</h1>
{% if r.notice %}<p class="notice">{{ r.notice }}</p>{% endif %}
<p>Period {{ r.period }} ({{ r.period.days }} days), cost basis <b>{{ r.cost_basis }}</b>, total <b>{{ money(r.total) }}</b>.
Untagged spend {{ money(r.untagged_cost) }}; unallocatable {{ money(r.unallocated_cost) }};
tag compliance ({{ r.required_tags|join(", ") }}) {{ "%.1f%%"|format(100 * r.tag_compliance) }} of usage cost.</p>
<h2>By desk</h2>{{ desk_chart|safe }}
<table><tr><th>desk</th><th class="n">cost</th><th class="n">direct</th><th class="n">shared</th><th class="n">share</th></tr>
{% for x in r.by_desk %}<tr><td>{{ x.key[0] }}</td><td class="n">{{ money(x.cost) }}</td><td class="n">{{ money(x.direct) }}</td>
<td class="n">{{ money(x.shared) }}</td><td class="n">{{ "%.1f%%"|format(100 * x.share) }}</td></tr>{% endfor %}</table>
<h2>Budgets, {{ r.month }} (as of {{ r.as_of }})</h2>{{ budget_chart|safe }}
<table><tr><th>desk</th><th class="n">budget</th><th class="n">month to date</th><th class="n">forecast</th><th>status</th></tr>
{% for b in r.budgets %}<tr><td>{{ b.desk }}</td><td class="n">{{ money(b.budget) }}</td><td class="n">{{ money(b.month_to_date) }}</td>
<td class="n">{{ money(b.forecast) }}</td><td class="{{ b.status }}">{{ b.status }}</td></tr>{% endfor %}</table>
<h2>Daily cost by desk</h2>{{ daily_chart|safe }}
<h2>By service</h2>{{ service_chart|safe }}
<h2>By team</h2><table><tr><th>desk</th><th>team</th><th class="n">cost</th></tr>
{% for x in r.by_team %}<tr><td>{{ x.key[0] }}</td><td>{{ x.key[1] }}</td><td class="n">{{ money(x.cost) }}</td></tr>{% endfor %}</table>
<h2>By cloud and allocation method</h2><table><tr><th>cloud</th><th class="n">cost</th></tr>
{% for x in r.by_cloud %}<tr><td>{{ x.key[0] }}</td><td class="n">{{ money(x.cost) }}</td></tr>{% endfor %}</table>
<table><tr><th>method</th><th class="n">cost</th></tr>
{% for x in r.by_method %}<tr><td>{{ x.key[0] }}</td><td class="n">{{ money(x.cost) }}</td></tr>{% endfor %}</table>
<h2>Untagged spend: top resources</h2><table><tr><th>resource</th><th>service</th><th>account</th><th>allocated to</th><th class="n">cost</th></tr>
{% for u in r.untagged_top %}<tr><td>{{ u.resource_id }}</td><td>{{ u.service }}</td><td>{{ u.sub_account }}</td><td>{{ u.allocated_to }}</td>
<td class="n">{{ money(u.cost) }}</td></tr>{% endfor %}</table>
{% if anomalies is not none %}<h2>Anomalies</h2>
{% if anomalies %}<table><tr><th>desk</th><th>service</th><th>start</th><th class="n">days</th><th class="n">excess</th><th>drivers</th></tr>
{% for a in anomalies %}<tr><td>{{ a.desk }}</td><td>{{ a.service }}</td><td>{{ a.start }}</td><td class="n">{{ a.days }}</td>
<td class="n">{{ money(a.excess) }}</td><td>{% for d in a.drivers %}{{ d.resource_id }} (+{{ money(d.excess) }})<br>{% endfor %}</td></tr>{% endfor %}</table>
{% else %}<p>No anomalies.</p>{% endif %}{% endif %}
{% if commitments is not none %}<h2>Commitments</h2><table><tr><th>commitment</th><th>type</th><th>desk</th><th class="n">used</th><th class="n">unused</th><th class="n">utilisation</th></tr>
{% for c in commitments.commitments %}<tr><td>{{ c.id }}</td><td>{{ c.type }}</td><td>{{ c.desk }}</td><td class="n">{{ money(c.used) }}</td>
<td class="n">{{ money(c.unused) }}</td><td class="n">{{ "%.1f%%"|format(100 * c.utilisation) }}</td></tr>{% endfor %}</table>
<table><tr><th>cloud</th><th>desk</th><th class="n">eligible</th><th class="n">covered</th><th class="n">coverage</th></tr>
{% for c in commitments.coverage %}<tr><td>{{ c.provider }}</td><td>{{ c.desk }}</td><td class="n">{{ money(c.eligible) }}</td>
<td class="n">{{ money(c.covered) }}</td><td class="n">{{ "%.1f%%"|format(100 * c.coverage) }}</td></tr>{% endfor %}</table>{% endif %}
<p style="color:#777;font-size:small">Files: {{ r.files|join(", ") }}</p>
</body></html>
""")


def render_html(rep: CostReport, anomalies: Sequence[Anomaly] | None = None,
                commitments: CommitmentReport | None = None) -> str:
    """The report as one HTML document (deterministic for the same inputs)."""
    desk_chart = _hbars([(r.key[0], r.direct, r.shared) for r in rep.by_desk], title="cost by desk")
    service_chart = _hbars([(f"{r.key[0]} {r.key[1]}"[:18], r.direct, r.shared) for r in rep.by_service[:10]],
                           title="cost by service")
    return _TEMPLATE.render(r=rep, money=_money, desk_chart=desk_chart, budget_chart=_budget_chart(rep),
                            daily_chart=_daily_chart(rep), service_chart=service_chart,
                            anomalies=None if anomalies is None else list(anomalies), commitments=commitments)
