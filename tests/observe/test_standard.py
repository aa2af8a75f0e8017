"""The compiled standard: burn windows derived from the SLO window, built-in SLOs, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from tradeplane import observe
from tradeplane.cli import main
from tradeplane.observe import burn_windows
from tradeplane.observe.rules import slo_rules
from tradeplane.observe.standard import POLICY


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


def _session_hours(reference_estate, venue: str) -> dict[str, float]:
    """Hours a venue trades on each weekday, from the estate's session list (local clock arithmetic,
    independent of estate.hours and observe.standard): a session closing at or before it opens runs
    past midnight, less its daily halts."""
    hours = reference_estate.venue(venue).hours
    out: dict[str, float] = {}
    for s in hours.sessions:
        (oh, om), (ch, cm) = (map(int, s.open.split(":")), map(int, s.close.split(":")))
        length = (ch * 60 + cm - oh * 60 - om) / 60
        length = length if length > 0 else length + 24
        for day in s.days:
            out[str(day.value)] = out.get(str(day.value), 0.0) + length
    assert not hours.halts  # the reference venues express halts as the gap between sessions
    return out


def test_a_market_hours_slo_burns_at_the_share_of_the_time_its_rules_count(standard, reference_estate):
    """Nasdaq 09:30-16:00 New York, Monday to Friday: a 28-day window counts 4 x 5 x 6.5 h = 130 h;
    an hour inside the session 1 h, six hours 6 h (the session is 6.5 h), three days at most three
    sessions (19.5 h). Spending 2% of the budget in one trading hour is 0.02 x 130 / 1 = 2.6x."""
    slo = standard.slo("order-gateway-availability")
    per_day = _session_hours(reference_estate, "nasdaq")
    assert per_day == {d: 6.5 for d in ("mon", "tue", "wed", "thu", "fri")}
    window = sum(per_day.values()) * slo.window_days / 7
    assert window == 130.0
    session = max(per_day.values())
    counted_long = {1: min(1.0, session), 6: min(6.0, session), 72: 3 * session}
    expected = [share * window / counted_long[int(long / timedelta(hours=1))] for share, long, _ in POLICY]
    assert [w.factor for w in slo.windows] == pytest.approx(expected, rel=1e-12)
    assert [round(w.factor, 4) for w in slo.windows] == [2.6, 1.0833, 0.6667]
    assert slo.windows[0].factor == pytest.approx(0.02 * 130 / 1)
    assert [w.counted_long for w in slo.windows] == [timedelta(hours=1), timedelta(hours=6),
                                                     timedelta(hours=19.5)]
    # The rules' threshold follows it: 2.6 x 0.05% = 0.13% errors over the hour (was 13.44 x 0.05%).
    alerts = [r for r in slo_rules(standard, slo, datetime(2026, 12, 1, tzinfo=UTC))["groups"][0]["rules"]
              if "alert" in r]
    assert alerts[0]["expr"].endswith("> 0.0013")
    assert "2.6x too fast" in alerts[0]["annotations"]["summary"]
    assert "130 h of the window" in alerts[0]["annotations"]["description"]


def test_cme_globex_counts_23_hours_a_day_less_its_daily_halt(standard, reference_estate):
    """CME Globex: Sunday-Thursday 17:00 to 16:00 Chicago (23 h, the 16:00-17:00 halt between):
    115 h a week, 460 h in 28 days; any 3 days hold three halts (69 h)."""
    slo = standard.slo("cme-order-availability")
    per_day = _session_hours(reference_estate, "cme-globex")
    window = sum(per_day.values()) * slo.window_days / 7
    assert window == 460.0
    expected = [share * window / h for (share, _, _), h in zip(POLICY, (1, 6, 72 - 3), strict=True)]
    assert [w.factor for w in slo.windows] == pytest.approx(expected, rel=1e-12)
    assert [round(w.factor, 4) for w in slo.windows] == [9.2, 3.8333, 0.6667]


def test_24x7_slos_keep_the_calendar_factors_exactly(standard, reference_estate):
    for slo in standard.slos:
        if slo.calendar_venues:
            continue
        assert slo.counted is None
        assert slo.windows == burn_windows(slo.window_days) == slo.calendar_windows
        # what the code computed before calendars were counted: share * (window / long), to the bit
        window = timedelta(days=slo.window_days)
        assert [w.factor for w in slo.windows] == [share * (window / long) for share, long, _ in POLICY]
    # A calendar of a venue that trades 24x7 counts all of the window: the same factors, to the bit.
    e = reference_estate
    slos = [x.model_copy(update={"calendar": x.calendar.model_copy(update={"venues": ("binance",)})})
            if x.name == "order-gateway-availability" else x for x in e.observability.slos]
    std = observe.compile_standard(e.model_copy(update={"observability": e.observability.model_copy(
        update={"slos": tuple(slos)})}))
    slo = std.slo("order-gateway-availability")
    assert slo.counted is not None and slo.calendar_venues == ("binance",)
    assert [w.factor for w in slo.windows] == [w.factor for w in burn_windows(28)]


def test_factors_do_not_depend_on_the_date_rendered(standard):
    """Holidays and the render date are left out of the factors: the alert rules are the same
    for a window over Christmas and one in June (only the slo_open calendar rule moves)."""
    slo = standard.slo("order-gateway-availability")

    def alerts(day: datetime) -> str:
        return yaml.safe_dump([r for r in slo_rules(standard, slo, day)["groups"][0]["rules"] if "alert" in r])

    assert alerts(datetime(2026, 12, 28, tzinfo=UTC)) == alerts(datetime(2027, 6, 14, tzinfo=UTC))


def test_a_calendar_of_several_venues_counts_while_any_trades(reference_estate):
    """Nasdaq's session lies inside CME Globex's (08:30-15:00 Chicago): the union counts as CME."""
    e = reference_estate
    slos = [x.model_copy(update={"calendar": x.calendar.model_copy(update={"venues": ("nasdaq", "cme-globex")})})
            if x.name == "order-gateway-availability" else x for x in e.observability.slos]
    std = observe.compile_standard(e.model_copy(update={"observability": e.observability.model_copy(
        update={"slos": tuple(slos)})}))
    both = std.slo("order-gateway-availability")
    cme = std.slo("cme-order-availability")
    assert both.counted is not None and cme.counted is not None
    assert (both.counted.per_week, both.counted.most) == (cme.counted.per_week, cme.counted.most)


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
    # the rules' factors follow the time they count; the cloud alerts, which count all time, keep the calendar's
    nasdaq = rows["order-gateway-availability"]
    assert [a["burn_rate"] for a in nasdaq["alerts"]] == [2.6, 1.0833, 0.6667]
    assert [a["cloud_burn_rate"] for a in nasdaq["alerts"]] == [13.44, 5.6, 0.9333]
    assert [a["long_counted_minutes"] for a in nasdaq["alerts"]] == [60, 360, 19.5 * 60]
    assert nasdaq["factor_counted_minutes"] == 130 * 60
    assert [a["cloud_burn_rate"] for a in r["alerts"]] == [a["burn_rate"] for a in r["alerts"]]
    assert r["factor_counted_minutes"] == 28 * 1440
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
    flat = " ".join(out.split())
    assert ("alerts of 28d SLOs on nasdaq hours, 130 h counted (burn rate, long/short window): page 2.6x 1h/5m, "
            "page 1.0833x 6h/30m, ticket 0.6667x 3d/6h") in flat
    assert "alerts of 28d SLOs on cme-globex hours, 460 h counted" in flat


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
