"""The compiled standard: burn windows derived from the SLO window, built-in SLOs, bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tradeplane.cli import main
from tradeplane.observe import burn_windows


def test_burn_factors_come_from_the_slo_window_as_in_the_sre_workbook():
    # The Workbook's table for a 30-day SLO: 14.4 (2% in 1h), 6 (5% in 6h), 1 (10% in 3d).
    assert [round(w.factor, 6) for w in burn_windows(30)] == [14.4, 6.0, 1.0]
    assert [round(w.factor, 6) for w in burn_windows(28)] == [13.44, 5.6, round(0.1 * 28 / 3, 6)]
    assert [round(w.factor, 6) for w in burn_windows(90)] == [43.2, 18.0, 3.0]
    w = burn_windows(30)
    assert [(x.long, x.short, x.severity) for x in w] == [
        (timedelta(hours=1), timedelta(minutes=5), "page"), (timedelta(hours=6), timedelta(minutes=30), "page"),
        (timedelta(days=3), timedelta(hours=6), "ticket")]
    assert w[0].threshold(99.9) == pytest.approx(0.0144)
    assert w[0].threshold(50.0) == 1.0  # unreachable burn: fires only on total failure


def test_builtin_slos_cover_every_stream_venue_and_hybrid_link(standard):
    names = {s.name for s in standard.slos}
    for venue in ("binance", "bybit", "okx", "kraken", "deribit"):
        for kind in ("feed-freshness", "feed-gaps", "feed-resyncs", "feed-latency"):
            assert f"{kind}-{venue}" in names
    for link in ("cme-interconnect", "dx-chicago", "dx-new-york", "vpn-aurora-backup"):
        assert f"link-availability-{link}" in names
    fresh = standard.slo("feed-freshness-binance")
    assert (fresh.desk, fresh.team, fresh.env) == ("crypto", "crypto-infra", "prod")
    assert fresh.sli.by == ("venue", "channel", "symbol")
    link = standard.slo("link-availability-cme-interconnect")
    assert (link.desk, link.team) == ("platform", "network")
    cme = standard.slo("cme-order-availability")
    assert cme.calendar_venues == ("cme-globex",) and len(cme.maintenance) == 1


def test_slo_command_lists_budgets_and_windows(capsys):
    assert main(["observe", "slo", "examples/dv-trading", "--from", "2026-12-01", "--json"]) == 0
    rows = {r["slo"]: r for r in json.loads(capsys.readouterr().out)}
    r = rows["md-freshness"]
    assert [a["burn_rate"] for a in r["alerts"]] == [13.44, 5.6, 0.9333]
    assert rows["order-gateway-availability"]["calendar"] == ["nasdaq"]
    # a time SLO (the share of evaluations a gauge is good) spends its budget in minutes
    link = rows["link-availability-dx-chicago"]
    assert (link["budget_basis"], link["counted_minutes"]) == ("time", 28 * 1440)
    assert link["budget_minutes"] == pytest.approx(0.0001 * 28 * 1440, abs=0.005) and link["budget"] == "4.0 min"
    # ratio and latency SLOs count events: their budget is a share of them, never minutes
    for name, share in (("feed-gaps-binance", "0.01%"), ("md-freshness", "0.1%"), ("feed-latency-okx", "1%"),
                        ("order-gateway-availability", "0.05%"), ("cme-order-availability", "0.1%")):
        assert rows[name]["budget_basis"] == "events" and rows[name]["budget_minutes"] is None, name
        assert rows[name]["budget"] == f"{share} of events", name
    # the time the rules count: Nasdaq's 09:30-16:00 New York session on the 20 weekdays of
    # 2026-11-03..30 (130 h, not 672); CME Globex's 23 h a day, 5 days a week (460 h)
    assert rows["order-gateway-availability"]["counted_minutes"] == 20 * 6.5 * 60
    assert rows["cme-order-availability"]["counted_minutes"] == 4 * 5 * 23 * 60
    assert rows["md-freshness"]["counted_minutes"] == 28 * 1440


def _gauge_slo_on_nasdaq(estate_copy):
    """The reference estate plus a time SLO that follows Nasdaq's hours."""
    path = estate_copy / "estate.yaml"
    text = path.read_text()
    anchor = "    - name: order-gateway-availability\n"
    slo = (
        "    - name: feed-live-nasdaq\n      description: the Nasdaq feed's streams are live while Nasdaq trades\n"
        "      objective: 99.95\n      window_days: 28\n      desk: equities\n      team: eq-exec\n"
        "      indicator: {gauge: feeds_stream_state, good_when: \"== 2\"}\n      calendar: {venues: [nasdaq]}\n")
    assert anchor in text
    path.write_text(text.replace(anchor, slo + anchor, 1))
    return estate_copy


def test_a_time_budget_counts_trading_time_only_as_the_rules_do(estate_copy, capsys):
    from datetime import UTC, datetime, timedelta

    from tradeplane import estate as est
    from tradeplane.observe import budget_of, compile_standard, render_standard

    root = _gauge_slo_on_nasdaq(estate_copy)
    assert main(["observe", "slo", str(root), "--from", "2026-12-01", "--json"]) == 0
    row = {r["slo"]: r for r in json.loads(capsys.readouterr().out)}["feed-live-nasdaq"]
    assert row["budget_basis"] == "time" and row["counted_minutes"] == 7800
    assert row["budget_minutes"] == pytest.approx(3.9) and row["budget"] == "3.9 min"  # not 20.16 min of 28 days
    # the window the budget counts is what the rendered slo_open rule leaves open
    end = datetime(2026, 12, 1, tzinfo=UTC)
    standard = compile_standard(est.load(root))
    rules = __import__("yaml").safe_load(render_standard(standard, end)["prometheus/rules/feed-live-nasdaq.rules.yml"])
    expr = next(r["expr"] for r in rules["groups"][0]["rules"] if r.get("record", "").endswith(":slo_open"))
    import re

    closed = [(int(a), int(b)) for a, b in re.findall(r"time\(\)\) >= (\d+) < (\d+)", expr)]
    lo, hi = int((end - timedelta(days=28)).timestamp()), int(end.timestamp())
    shut = sum(max(0, min(b, hi) - max(a, lo)) for a, b in closed)
    b = budget_of(standard, standard.slo("feed-live-nasdaq"), end)
    assert b.counted == timedelta(seconds=hi - lo - shut)


def test_an_estate_without_slos_says_so(capsys):
    assert main(["observe", "slo", "examples/small", "--from", "2026-12-01"]) == 0
    assert capsys.readouterr().out.startswith("no SLOs in examples/small")
    assert main(["observe", "slo", "examples/small", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_the_slo_table_never_cuts_the_slo_name(capsys, monkeypatch):
    """Pipes and CI logs print 80 columns: the key column is whole, the others wrap."""
    monkeypatch.setenv("COLUMNS", "80")
    from tradeplane.cli.output import console

    monkeypatch.setattr(console, "_width", 80)
    assert main(["observe", "slo", "examples/dv-trading", "--from", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in ("link-availability-vpn-aurora-backup", "feed-freshness-binance", "order-gateway-availability"):
        assert any(line.startswith(name + " ") for line in lines), name
    assert "0.05% of events" in out.replace("\n", " ") or "0.05% of" in out
    assert "alerts of 28d SLOs (burn rate, long/short window): page 13.44x 1h/5m" in out


BAD = [
    ("objective: 99.95", "objective: 100", "objective", "less than 100"),
    ("objective: 99.95", "objective: 0", "objective", "greater than 0"),
    ("window_days: 28\n      desk: equities", "window_days: 400\n      desk: equities", "window_days", "90"),
    ("{histogram: feeds_exchange_to_receive_seconds, threshold_seconds: 0.005}",
     "{histogram: feeds_exchange_to_recieve_seconds, threshold_seconds: 0.005}", "indicator.histogram",
     "no service exposes metric 'feeds_exchange_to_recieve_seconds'"),
    ('    - {desk: equities, webhook_url: "https://incidents.dvt.example/alertmanager"}\n', "", "desk",
     "no alert route"),
    ("- name: cme-order-availability", "- name: order-gateway-availability", "name",
     "duplicate SLO name 'order-gateway-availability'"),
    # a latency threshold between two bucket bounds reads a series nobody exposes: it could never fire
    ("threshold_seconds: 0.005}", "threshold_seconds: 0.0051}", "indicator.threshold_seconds",
     '0.0051 is not a bucket bound of feeds_exchange_to_receive_seconds: le="0.0051" matches no series'),
    ("threshold_seconds: 0.005}", "threshold_seconds: 0.0051}", "indicator.threshold_seconds",
     "use 0.005 or 0.01, the nearest bounds"),
    ("feed_latency: {objective: 99.0, threshold_seconds: 0.25}", "feed_latency: {objective: 99.0, threshold_seconds: 0.3}",
     "builtin.feed_latency.threshold_seconds", "use 0.25 or 0.5, the nearest bounds"),
]


@pytest.mark.parametrize(("old", "new", "field", "message"), BAD, ids=[b[3][:30] for b in BAD])
def test_bad_input_is_one_located_error_and_nothing_is_written(estate_copy, tmp_path, capsys, old, new, field,
                                                               message):
    path = estate_copy / "estate.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous render")
    assert main(["observe", "render", str(estate_copy), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    located = [line for line in err.splitlines() if f"{path}:" in line and message in line]
    assert located, err
    assert field in located[0]
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert not list(tmp_path.glob(".out.*"))


def test_render_removes_only_the_stale_files_of_its_own_render(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.yml").write_text("mine")
    assert main(["observe", "render", "examples/dv-trading", "-o", str(out), "--from", "2026-12-01"]) == 0
    # a dashboard an earlier render wrote (a desk since removed) goes; the user's file stays
    (out / "grafana" / "desk-gone.json").write_text("{}")
    with (out / ".tradeplane-observe.written").open("a") as record:
        record.write("grafana/desk-gone.json\n")
    assert main(["observe", "render", "examples/dv-trading", "-o", str(out), "--from", "2026-12-01"]) == 0
    assert not (out / "grafana" / "desk-gone.json").exists()
    assert (out / "notes.yml").read_text() == "mine"
    assert (out / "alertmanager" / "alertmanager.yml").exists()
    assert (out / "prometheus" / "rules" / "feed-freshness-binance.rules.yml").exists()
    assert main(["observe", "render", "examples/dv-trading", "-o", str(out), "--from", "yesterday"]) == 2
    assert "give a date YYYY-MM-DD" in capsys.readouterr().err


def test_every_latency_slo_is_checked_against_the_buckets_of_its_histogram(estate_copy, capsys):
    """A custom histogram declares its buckets; a latency SLO on one without them cannot be checked."""
    path = estate_copy / "estate.yaml"
    text = path.read_text()
    metric = "{name: orders_accepted_total, type: counter, help: orders accepted by the venue, labels: [venue], max_series: 50}"
    anchor = "    - name: order-gateway-availability\n"
    assert metric in text and anchor in text
    text = text.replace(metric, metric + "\n        - {name: orders_ack_seconds, type: histogram, labels: [venue], "
                        "buckets: [0.001, 0.01, 0.1]}\n        - {name: orders_fill_seconds, type: histogram}", 1)
    slos = "".join(
        f"    - name: {name}\n      description: orders acknowledged in time\n      objective: 99.0\n      window_days: 28\n      desk: equities\n"
        f"      team: eq-exec\n      indicator: {{histogram: {metric_name}, threshold_seconds: {t}}}\n"
        for name, metric_name, t in (("ack-ok", "orders_ack_seconds", 0.01), ("ack-between", "orders_ack_seconds", 0.05),
                                     ("fill", "orders_fill_seconds", 0.5)))
    path.write_text(text.replace(anchor, slos + anchor, 1))
    assert main(["observe", "slo", str(estate_copy)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if f"{path}:" in line]
    assert len(lines) == 2, err
    assert "indicator.threshold_seconds: 0.05 is not a bucket bound of orders_ack_seconds" in lines[0]
    assert "use 0.01 or 0.1, the nearest bounds (all: 0.001, 0.01, 0.1)" in lines[0]
    assert "orders_fill_seconds declares no buckets, so threshold_seconds 0.5 cannot be checked" in lines[1]
    assert "Traceback" not in err


@pytest.mark.parametrize(("buckets", "kind", "message"), [
    ("[0.1, 0.01]", "histogram", "strictly ascending"),
    ("[0.1, .inf]", "histogram", "must be a finite number"),
    ("[0.0, 0.1]", "histogram", "positive finite"),
    ("[0.1]", "gauge", "only a histogram has buckets"),
])
def test_bad_buckets_are_refused_at_load(estate_copy, capsys, buckets, kind, message):
    path = estate_copy / "estate.yaml"
    metric = "{name: orders_accepted_total, type: counter, help: orders accepted by the venue, labels: [venue], max_series: 50}"
    text = path.read_text()
    path.write_text(text.replace(metric, metric + f"\n        - {{name: orders_ack_seconds, type: {kind}, "
                                 f"buckets: {buckets}}}", 1))
    assert main(["observe", "slo", str(estate_copy)]) == 2
    err = capsys.readouterr().err
    assert message in err and f"{path}:" in err and "Traceback" not in err
