"""The cost page: the plan's estimate against budgets, and, with billing data, cost over time.

Charts come from ``tradeplane.finops`` (``estimate_chart``, ``chart_fragments``), the same plotly
code as ``tradeplane cost report --html``; the console serves plotly.js once from the installed
plotly package. Billing (FOCUS files, ``--billing``) is read once per estate snapshot on a bounded
DuckDB session: by desk and team over the period, month-to-date burn and forecast against budget,
daily cost by desk, and the anomalies with their drivers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeplane.errors import TradeplaneError

if TYPE_CHECKING:
    from tradeplane.console.auth import Principal
    from tradeplane.console.state import Snapshot

__all__ = ["cost"]


def cost(snap: Snapshot, who: Principal, billing: Sequence[Path]) -> dict[str, Any]:
    """``estimate`` (by desk, cloud, kind; budgets), ``charts`` (HTML fragments), and ``billing``
    (``None`` without billing files; else the period, by desk and team, budgets, anomalies)."""
    return dict(snap.memo(f"cost:{who.role.sees_crypto}", lambda: _cost(snap, who, billing)))


def _cost(snap: Snapshot, who: Principal, billing: Sequence[Path]) -> dict[str, Any]:
    from tradeplane import finops

    p = snap.plan
    if p is None:
        return {"estimate": None, "charts": [], "billing": None, "billing_error": None}
    r = snap.restricted()
    hide = not who.role.sees_crypto
    by_desk = {d: round(v, 2) for d, v in sorted(p.cost.by("desk").items())}
    budgets = {b.desk: b.monthly_usd for b in p.estate.budgets}
    estimate = {"total_monthly": round(p.cost.total_monthly, 2), "by_desk": by_desk,
                "by_cloud": {k: round(v, 2) for k, v in sorted(p.cost.by("cloud").items())},
                "by_kind": {k: round(v, 2) for k, v in sorted(p.cost.by("kind").items())},
                "budgets": budgets, "prices_as_of": str(p.cost.to_json().get("prices", {}).get("as_of", ""))}
    charts = [finops.estimate_chart(by_desk, budgets, inline_js=False)]
    out: dict[str, Any] = {"estimate": estimate, "charts": [c for c in charts if c], "billing": None,
                           "billing_error": None}
    if not billing:
        return out
    try:
        with finops.open_session(p.estate, list(billing)) as s:
            rep = s.report()
            anomalies = finops.find_anomalies(s.con, p.estate, s.rules)
    except TradeplaneError as exc:
        out["billing_error"] = exc.lines()
        return out
    parts = finops.chart_fragments(rep, inline_js=False)
    out["charts"] += [c for k in ("daily", "budget", "desk") for c in parts[k] if c]
    teams = [{"desk": x.key[0], "team": x.key[1], "currency": x.currency, "cost": round(x.cost, 2)}
             for x in rep.by_team if not (hide and x.key[0] in r.desks)]
    out["billing"] = {
        "period": str(rep.period), "synthetic": rep.synthetic, "totals": rep.totals,
        "by_desk": [{"desk": x.key[0], "currency": x.currency, "cost": round(x.cost, 2), "share": round(x.share, 4)}
                    for x in rep.by_desk],
        "by_team": teams,
        "budgets": [{"desk": b.desk, "currency": b.currency, "budget": b.budget, "month_to_date": round(b.month_to_date, 2),
                     "forecast": round(b.forecast, 2), "status": b.status} for b in rep.budgets],
        "anomalies": [a.to_json() for a in anomalies if not (hide and a.desk in r.desks)],
    }
    return out
