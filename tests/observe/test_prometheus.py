"""Generated Prometheus rules, their promtool unit tests, the calendar gate, and Alertmanager."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tradeplane import observe
from tradeplane.observe.alertmanager import links_carrying
from tradeplane.observe.calendar import closed_intervals
from tradeplane.observe.rules import slo_rules
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
