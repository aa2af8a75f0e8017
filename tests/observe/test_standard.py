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
    assert main(["observe", "slo", "examples/dv-trading", "--json"]) == 0
    rows = {r["slo"]: r for r in json.loads(capsys.readouterr().out)}
    r = rows["md-freshness"]
    assert r["budget_minutes"] == pytest.approx(0.001 * 28 * 1440)
    assert [a["burn_rate"] for a in r["alerts"]] == [13.44, 5.6, 0.9333]
    assert rows["order-gateway-availability"]["calendar"] == ["nasdaq"]


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
