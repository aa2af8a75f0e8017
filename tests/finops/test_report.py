from __future__ import annotations

import calendar
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tradeplane import finops
from tradeplane.errors import InputError


def _report(s: finops.CostSession, **kw) -> finops.CostReport:
    return finops.build_report(s.con, s.estate, s.billing, s.rules, allocated=True, **kw)


def test_report_defaults_to_month_to_date(session: finops.CostSession) -> None:
    rep = _report(session)
    assert rep.period.start == date(2026, 11, 1) and rep.period.end == date(2026, 11, 24)
    assert rep.synthetic and "GENERATED DATA" in rep.notice
    assert sum(r.cost for r in rep.by_desk) == pytest.approx(rep.total)
    assert sum(r.cost for r in rep.by_service) == pytest.approx(rep.total)
    assert sum(r.cost for r in rep.by_cloud) == pytest.approx(rep.total)
    assert [r.cost for r in rep.by_desk] == sorted((r.cost for r in rep.by_desk), reverse=True)
    for r in rep.by_desk:
        assert r.direct + r.shared == pytest.approx(r.cost)


def test_budget_forecast_is_run_rate(session: finops.CostSession) -> None:
    rep = _report(session)
    b = next(x for x in rep.budgets if x.desk == "crypto")
    rows = session.con.execute("""SELECT day, sum(cost) FILTER (WHERE frequency = 'Usage-Based'),
                                  sum(cost) FROM allocated WHERE desk = 'crypto' AND day >= DATE '2026-11-01'
                                  GROUP BY day ORDER BY day""").fetchall()
    mtd = sum(r[2] for r in rows)
    last7 = sum(r[1] or 0 for r in rows[-7:]) / 7
    days_left = calendar.monthrange(2026, 11)[1] - 24
    assert b.month_to_date == pytest.approx(mtd)
    assert b.forecast == pytest.approx(mtd + last7 * days_left)
    assert b.status in ("ok", "at-risk", "over")
    assert {x.desk for x in rep.budgets} == {"equities", "futures", "crypto", "research", "platform"}


def test_untagged_spend_is_called_out(session: finops.CostSession) -> None:
    rep = _report(session)
    ids = [u.resource_id for u in rep.untagged_top]
    assert "arn:aws:s3:::dv-trading-aws-log-archive-data" in ids
    log = next(u for u in rep.untagged_top if u.resource_id.endswith("log-archive-data"))
    assert log.allocated_to == "unallocated"
    research = next(u for u in rep.untagged_top if u.resource_id.endswith("aws-research-data"))
    assert research.allocated_to == "research"
    # Shared costs are split by rule, not reported as untagged.
    assert not any("transit-gateway-attachment" in i for i in ids)
    assert rep.unallocated_cost > 0 and rep.untagged_cost >= rep.unallocated_cost


def test_period_options_and_errors(session: finops.CostSession) -> None:
    rep = _report(session, since=date(2026, 9, 1), until=date(2026, 9, 30))
    assert rep.period.days == 30 and rep.month == "2026-09"
    with pytest.raises(InputError, match="empty"):
        _report(session, since=date(2026, 11, 20), until=date(2026, 11, 10))


def test_json_is_deterministic(estate, generated) -> None:
    outs = []
    for _ in range(2):
        with finops.open_session(estate, generated.files) as s:
            outs.append(json.dumps(_report(s).to_json(), sort_keys=True))
    assert outs[0] == outs[1]


def test_export_csv_and_parquet(session: finops.CostSession, tmp_path: Path) -> None:
    rep = _report(session)
    csv = finops.export_allocation(session.con, rep.period, tmp_path / "a.csv")
    pq = finops.export_allocation(session.con, rep.period, tmp_path / "a.parquet")
    for f in (csv, pq):
        (total,), = duckdb.execute(f"SELECT sum(cost) FROM '{f}'").fetchall()
        assert total == pytest.approx(rep.total, abs=0.01)
    with pytest.raises(InputError, match="format"):
        finops.export_allocation(session.con, rep.period, tmp_path / "a.xlsx")


def test_html_is_self_contained(session: finops.CostSession) -> None:
    rep = _report(session)
    anomalies = finops.find_anomalies(session.con, session.estate, session.rules)
    commits = finops.commitment_report(session.con, session.estate, since=rep.period.start, until=rep.period.end)
    page = finops.render_html(rep, anomalies, commits)
    assert page.startswith("<!DOCTYPE html>")
    # Charts are plotly figures (desk, budget, daily, service), plotly.js inlined once: opens offline.
    assert page.count("Plotly.newPlot(") >= 4 and "<polygon points" not in page
    assert page.count("plotly.js v") == 1
    assert "GENERATED DATA" in page
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)  # plotly.js itself names its home page
    assert not re.search(r"<script[^>]+src=", page) and not re.search(r"(src|href)=\"https?:", markup)
    assert page == finops.render_html(rep, anomalies, commits)


def test_tag_compliance_follows_the_estate_schema(session: finops.CostSession) -> None:
    rep = _report(session)
    assert rep.required_tags == ("cost-centre", "desk", "env", "team")
    assert 0.5 < rep.tag_compliance < 1.0
    missing = rep.missing_by_tag
    # Untagged resources lack everything; research's data stores lack only a cost centre;
    # the Coinbase hosts carry env=production, which the schema does not allow.
    assert missing["cost-centre"] > missing["desk"] == pytest.approx(missing["team"])
    assert missing["env"] > missing["desk"]
    (env,), = session.con.execute("SELECT DISTINCT env FROM allocated WHERE workload = 'coinbase-mm'").fetchall()
    assert env == "prod"  # the account's env stands in for the invalid tag
    assert rep.to_json()["tag_compliance"]["share"] == round(rep.tag_compliance, 4)
