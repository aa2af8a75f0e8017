"""Generated Prometheus rules, their promtool unit tests, the calendar gate, and Alertmanager."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tradeplane import observe
from tradeplane.observe.alertmanager import links_carrying
from tradeplane.observe.calendar import closed_intervals
from tradeplane.observe.rules import rate_window, slo_rules
from tradeplane.observe.ruletests import slo_test

PROMTOOL = shutil.which("promtool")
AMTOOL = shutil.which("amtool")
START = datetime(2026, 12, 1, tzinfo=UTC)
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian prometheus) not installed")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


@needs_promtool
def test_every_rendered_rule_file_and_the_prometheus_config_pass_promtool(standard, tmp_path):
    observe.write(observe.render_standard(standard, START), tmp_path)
    rules = sorted((tmp_path / "prometheus" / "rules").glob("*.yml"))
    assert len(rules) == len(standard.slos) + 1
    r = run(PROMTOOL, "check", "rules", *map(str, rules), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(PROMTOOL, "check", "config", "prometheus.yml", cwd=tmp_path / "prometheus")
    assert r.returncode == 0, r.stdout + r.stderr


# One SLO of each indicator form: time (gauge == 2 and == 1), ratio (bad/total, good/total with a
# calendar and maintenance), latency (histogram bucket).
SAMPLE = ("feed-freshness-binance", "feed-gaps-binance", "feed-latency-binance", "cme-order-availability",
          "link-availability-cme-interconnect")


@needs_promtool
def test_generated_unit_tests_prove_each_alert_fires_and_resolves_when_predicted(coarse, tmp_path):
    files = observe.render_standard(coarse, START)
    keep = {f"prometheus/rules/{n}.rules.yml" for n in SAMPLE} | {f"prometheus/tests/{n}.test.yml" for n in SAMPLE}
    keep |= {"prometheus/rules/hybrid-links.rules.yml", "prometheus/tests/hybrid-links.test.yml"}
    observe.write({k: v for k, v in files.items() if k in keep}, tmp_path)
    tests = sorted((tmp_path / "prometheus" / "tests").glob("*.yml"))
    for t in tests:  # every burn window's alert is asserted firing at some instant and resolved after
        data = yaml.safe_load(t.read_text())
        if "hybrid" in t.name:
            continue
        seen = {a["exp_labels"]["long_window"] for case in data["tests"][0]["alert_rule_test"]
                for a in case["exp_alerts"]}
        assert seen == {"1h", "6h", "3d"}, t.name
        assert data["tests"][0]["alert_rule_test"][-1]["exp_alerts"] == []
    r = run(PROMTOOL, "test", "rules", *map(str, tests), cwd=tmp_path / "prometheus" / "tests")
    assert r.returncode == 0, r.stdout + r.stderr


def test_cme_calendar_excludes_the_daily_halt_weekends_and_maintenance(standard, reference_estate):
    slo = standard.slo("cme-order-availability")
    closed = closed_intervals(reference_estate, slo, START)
    spans = {(s.isoformat(), e.isoformat()) for s, e in closed}
    # Tue 2026-12-01 16:00-17:00 Chicago (CST, UTC-6) is the daily maintenance halt.
    assert ("2026-12-01T22:00:00+00:00", "2026-12-01T23:00:00+00:00") in spans
    # Friday 16:00 to Sunday 17:00 Chicago: the weekend.
    assert ("2026-12-04T22:00:00+00:00", "2026-12-06T23:00:00+00:00") in spans
    # The declared maintenance window (inside a session) is closed too.
    assert any(s <= datetime(2026, 12, 12, 23, tzinfo=UTC) and e >= datetime(2026, 12, 13, 4, tzinfo=UTC)
               for s, e in closed)
    rule = slo_rules(standard, slo, START)["groups"][0]["rules"]
    assert rule[0]["record"] == "tradeplane:slo_open"
    halt = int(datetime(2026, 12, 1, 22, tzinfo=UTC).timestamp())
    assert f">= {halt} < {halt + 3600}" in rule[0]["expr"]
    assert all("and on() tradeplane:slo_open" in r["expr"] for r in rule[1:3])


@needs_promtool
def test_a_burn_inside_a_maintenance_window_spends_no_budget_and_pages_nobody(coarse, tmp_path):
    """The same burn the generated test proves pages, run while the SLO's calendar is closed."""
    slo = coarse.slo("feed-freshness-binance")

    # The generated test burns from 1h to 1h30 after the epoch; close the calendar over it.
    closed = dataclasses.replace(slo, maintenance=(("1970-01-01T00:55Z", "1970-01-01T02:00Z", "test"),))
    start = datetime(1970, 1, 2, tzinfo=UTC)
    (tmp_path / "s.rules.yml").write_text(yaml.safe_dump(slo_rules(coarse, closed, start), sort_keys=False))
    test = slo_test(coarse, slo, "s.rules.yml")
    for case in test["tests"][0]["alert_rule_test"]:
        case["exp_alerts"] = []
    (tmp_path / "s.test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    r = run(PROMTOOL, "test", "rules", "s.test.yml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    # The control: the same rules with the calendar open page as generated.
    (tmp_path / "s.rules.yml").write_text(yaml.safe_dump(slo_rules(coarse, slo, start), sort_keys=False))
    (tmp_path / "s.test.yml").write_text(yaml.safe_dump(slo_test(coarse, slo, "s.rules.yml"), sort_keys=False))
    r = run(PROMTOOL, "test", "rules", "s.test.yml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_alertmanager_routes_by_desk_team_and_severity_and_inhibits_over_links(standard, reference_estate, tmp_path):
    cfg = observe.render_standard(standard, START)["alertmanager/alertmanager.yml"]
    data = yaml.safe_load(cfg)
    routes = data["route"]["routes"]
    assert routes[0]["matchers"] == ['desk="crypto"', 'team="crypto-infra"']  # team routes first
    desks = {r["matchers"][0] for r in routes}
    assert desks == {f'desk="{d}"' for d in ("crypto", "equities", "futures", "platform")}
    crypto = next(r for r in routes if r["matchers"] == ['desk="crypto"'])
    assert [(s["matchers"], s["receiver"]) for s in crypto["routes"]] == [
        (['severity="page"'], "crypto"), (['severity="ticket"'], "crypto-ticket")]
    assert links_carrying(reference_estate) == {
        "cme-interconnect": ["cme-globex"], "dx-new-york": ["nasdaq"], "vpn-aurora-backup": ["cme-globex"]}
    # cme-globex is carried by the Interconnect and the backup VPN: losing one must not silence its
    # feed alerts, so the inhibition's source is the venue's "every link down" alert, per venue.
    inhibit = data["inhibit_rules"][0]
    assert inhibit["source_matchers"] == ['alertname="VenueLinksDown"']
    assert 'slo_kind="feed_freshness"' in inhibit["target_matchers"] and inhibit["equal"] == ["venue"]
    links = yaml.safe_load(observe.render_standard(standard, START)["prometheus/rules/hybrid-links.rules.yml"])
    venue_rules = {r["labels"]["venue"]: r["expr"] for r in links["groups"][0]["rules"]
                   if r["alert"] == "VenueLinksDown"}
    assert set(venue_rules) == {"cme-globex", "nasdaq"}
    assert 'link=~"cme-interconnect|vpn-aurora-backup"' in venue_rules["cme-globex"]
    assert venue_rules["cme-globex"].endswith("== 2")
    assert all(w["webhook_configs"][0]["send_resolved"] for w in data["receivers"] if "webhook_configs" in w)
    if AMTOOL is not None:
        (tmp_path / "alertmanager.yml").write_text(cfg)
        r = run(AMTOOL, "check-config", "alertmanager.yml", cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr


def _trading_hour_test(coarse, tmp_path: Path, error_ratio: float, fires: bool) -> subprocess.CompletedProcess[str]:
    """order-gateway-availability's rules with Nasdaq's calendar anchored on Thursday 1970-01-01 (the
    promtool clock starts at the epoch): 09:30 New York is 14:30 UTC. 1,000,000 requests a minute all
    day; half of them fail overnight (closed: not counted), none 13:00-14:30, then ``error_ratio``
    from the open. Only the 1h page alert is kept (the 6h and 3d windows hold only this one session,
    so they would fire on any burn above their own thresholds). Asserts it pages once the first
    trading hour is done (and at 15:45, 17:00) when ``fires``, and that it is silent overnight and
    otherwise."""
    slo = coarse.slo("order-gateway-availability")
    tmp_path.mkdir()
    rules = slo_rules(coarse, slo, datetime(1970, 1, 2, tzinfo=UTC))
    group = rules["groups"][0]
    page = next(r for r in group["rules"] if r.get("alert") and r["labels"]["long_window"] == "1h")
    group["rules"] = [r for r in group["rules"] if "record" in r] + [page]
    (tmp_path / "s.rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
    per_minute = 1_000_000
    total, good = [0], [0]
    for minute in range(1, 17 * 60 + 1):
        bad = per_minute // 2 if minute <= 13 * 60 else 0 if minute <= 14 * 60 + 30 else round(error_ratio * per_minute)
        total.append(total[-1] + per_minute)
        good.append(good[-1] + per_minute - bad)
    expected = [{"exp_labels": {"slo": slo.name, **page["labels"]}, "exp_annotations": page["annotations"]}]
    # One trading hour after the open, plus the rate window the first recordings reach back over
    # (they still see the good minutes before the open) and the alert's pending time: 15:36.
    hour_done = 14 * 60 + 30 + 60 + int(rate_window(coarse).total_seconds() + coarse.estate.observability.pending_seconds) // 60
    evals = [("12:00", False), (f"{hour_done // 60}:{hour_done % 60:02d}", fires), ("15:45", fires), ("17:00", fires)]
    test = {"rule_files": ["s.rules.yml"], "evaluation_interval": "60s", "tests": [{
        "interval": "60s",
        "input_series": [{"series": 'orders_requests_total{venue="nasdaq"}', "values": " ".join(map(str, total))},
                         {"series": 'orders_accepted_total{venue="nasdaq"}', "values": " ".join(map(str, good))}],
        "alert_rule_test": [{"eval_time": f"{int(t[:2]) * 60 + int(t[3:])}m", "alertname": "SloErrorBudgetBurn",
                             "exp_alerts": expected if on else []} for t, on in evals]}]}
    (tmp_path / "s.test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    return run(PROMTOOL, "test", "rules", "s.test.yml", cwd=tmp_path)


@needs_promtool
def test_one_bad_trading_hour_at_the_page_threshold_spends_2_percent_of_the_budget(coarse, tmp_path):
    """The page of a Nasdaq-hours SLO fires on an hour of errors that spends 2% of its budget, not 10%."""
    slo = coarse.slo("order-gateway-availability")
    page = slo.windows[0]
    theta = page.threshold(slo.objective)
    # An hour of trading at the threshold, against the budget of the 28 days' trading time (20
    # sessions of 6.5 h, at the same request rate): 2% of it.
    counted = 20 * 6.5
    assert theta * 1 / (slo.budget * counted) == pytest.approx(0.02)
    assert observe.budget_of(coarse, slo, START).counted == timedelta(hours=counted)
    # The calendar factor this replaces would only have paged at 13.44 x 0.05%: 10% of the budget an hour.
    old = observe.burn_windows(slo.window_days)[0].threshold(slo.objective)
    assert old / (slo.budget * counted) == pytest.approx(13.44 / 130)
    over, under = theta * 1.02, theta * 0.98
    assert over < old
    r = _trading_hour_test(coarse, tmp_path / "over", over, fires=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = _trading_hour_test(coarse, tmp_path / "under", under, fires=False)
    assert r.returncode == 0, r.stdout + r.stderr
