"""``observe lint`` on scrape files; dashboards and the collector config."""

from __future__ import annotations

import json
import socket

from tradeplane import observe
from tradeplane.cli import main
from tradeplane.feeds.metrics import LATENCY_BUCKETS
from tradeplane.observe.catalog import FEEDS_LATENCY_BUCKETS

BAD = """\
# HELP feeds_messages_total messages
# TYPE feeds_messages_total counter
feeds_messages_total{venue="binance"} 3
# HELP feeds_latency_milliseconds latency
# TYPE feeds_latency_milliseconds gauge
feeds_latency_milliseconds{venue="binance",leg="a"} 3
# HELP queue_depth depth
# TYPE queue_depth gauge
queue_depth 1
# HELP feeds_leg_state_total state
# TYPE feeds_leg_state_total gauge
feeds_leg_state_total{venue="binance",leg="a"} 1
# TYPE orders_requests_total counter
orders_requests_total{venue="v1"} 1
orders_requests_total{venue="v2"} 1
orders_requests_total{venue="v3"} 1
"""


def test_lint_reports_every_metric_breaking_the_standard(tmp_path, capsys, reference_estate):
    f = tmp_path / "scrape.txt"
    lines = [BAD] + [f'orders_requests_total{{venue="x{i}"}} 1\n' for i in range(60)]
    f.write_text("".join(lines))
    findings = {(x.metric, x.rule) for x in observe.lint_text(f.read_text(), reference_estate)}
    assert ("feeds_messages_total", "label") in findings  # no leg label
    assert ("feeds_latency_milliseconds", "unit") in findings
    assert ("feeds_latency_milliseconds", "declared") in findings
    assert ("queue_depth", "prefix") in findings
    assert ("feeds_leg_state_total", "type") in findings
    assert ("orders_requests_total", "cardinality") in findings  # max_series 50 in the estate
    assert main(["observe", "lint", str(f), "--estate", "examples/dv-trading"]) == 1
    err = capsys.readouterr().err
    assert "queue_depth: prefix: no service prefix" in err


def test_lint_of_a_clean_file_passes_and_bad_sources_are_one_line(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text('# HELP feeds_leg_state state\n# TYPE feeds_leg_state gauge\nfeeds_leg_state{venue="b",leg="a"} 2\n')
    assert main(["observe", "lint", str(good)]) == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("feeds_leg_state{venue=b} two\n")
    assert main(["observe", "lint", str(bad)]) == 2
    assert "not a Prometheus exposition" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["observe", "lint", f"http://127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert "cannot scrape" in err and len(err.strip().splitlines()) == 1
    assert main(["observe", "lint", str(tmp_path / "missing.txt")]) == 2


def test_the_catalog_matches_the_gateway():
    """The gateway exposes exactly the catalog's metrics (a new gateway metric must be declared)."""
    from prometheus_client import generate_latest

    from tradeplane.feeds.gateway import Gateway, LegSpec, VenueSpec
    from tradeplane.feeds.instrument import Instrument
    from tradeplane.feeds.metrics import GatewayMetrics
    from tradeplane.observe.catalog import builtin_metrics
    from tradeplane.observe.lint import lint_text

    assert FEEDS_LATENCY_BUCKETS == LATENCY_BUCKETS
    metrics = GatewayMetrics()
    legs = tuple(LegSpec(x, "ws://127.0.0.1:9/ws", "http://127.0.0.1:9/") for x in ("a", "b"))
    inst = Instrument("binance", "BTCUSDT", "0.01", "0.001")
    metrics.bind(Gateway([VenueSpec("binance", (inst,), ("book", "trades"), legs)], [], metrics=metrics))
    metrics.on_latency("binance", 1, 2)
    text = generate_latest(metrics.registry).decode()
    exposed = {(m.name, m.type) for m in metrics.registry.collect()}  # counters' family names drop _total
    declared = {(m.name.removesuffix("_total") if m.type == "counter" else m.name, m.type)
                for m in builtin_metrics("feeds")}
    assert exposed == declared
    assert lint_text(text) == []


def test_one_dashboard_per_desk_and_venue_with_slo_and_budget_panels(standard):
    files = observe.render_standard(standard, __import__("datetime").datetime(2026, 12, 1,
                                                                            tzinfo=__import__("datetime").UTC))
    boards = {k: json.loads(v) for k, v in files.items() if k.startswith("grafana/")}
    assert set(boards) == {f"grafana/desk-{d}.json" for d in ("crypto", "equities", "futures", "platform")} | {
        f"grafana/venue-{v}.json" for v in ("binance", "bybit", "deribit", "kraken", "okx")}
    crypto = boards["grafana/desk-crypto.json"]
    titles = [p["title"] for p in crypto["panels"]]
    assert titles.count("error budget remaining") == len([s for s in standard.slos if s.desk == "crypto"])
    exprs = [t["expr"] for p in crypto["panels"] for t in p.get("targets", [])]
    assert 'slo:error_budget_remaining:ratio{slo="feed-freshness-binance"}' in exprs
    otel = files["otel/collector.yaml"]
    for exporter in ("googlecloud", "googlemanagedprometheus", "awsemf", "awsxray", "awscloudwatchlogs"):
        assert exporter in otel


OPENMETRICS = """\
# TYPE feeds_messages counter
# HELP feeds_messages WebSocket messages received
feeds_messages_total{venue="binance",leg="a"} 3
feeds_messages_created{venue="binance",leg="a"} 1.7e9
# TYPE feeds_leg_state gauge
feeds_leg_state{venue="binance",leg="a"} 2
# EOF
"""


def test_openmetrics_counters_are_named_without_total_and_pass():
    """OpenMetrics: the counter family omits _total, its samples carry it (and _created)."""
    assert observe.lint_text(OPENMETRICS) == []
    # the same family without the closing '# EOF' (a pasted excerpt) is still read as OpenMetrics
    assert observe.lint_text(OPENMETRICS.replace("# EOF\n", "")) == []
    # and an undeclared OpenMetrics counter is judged by its sample name, as a counter
    other = "# TYPE feeds_msgs counter\nfeeds_msgs_total{venue=\"x\",leg=\"a\"} 1\n# EOF\n"
    assert [(f.metric, f.rule) for f in observe.lint_text(other)] == [("feeds_msgs_total", "declared")]


def test_the_gateways_openmetrics_exposition_passes():
    from prometheus_client.openmetrics.exposition import generate_latest

    from tradeplane.feeds.gateway import Gateway, LegSpec, VenueSpec
    from tradeplane.feeds.instrument import Instrument
    from tradeplane.feeds.metrics import GatewayMetrics

    metrics = GatewayMetrics()
    legs = tuple(LegSpec(x, "ws://127.0.0.1:9/ws", "http://127.0.0.1:9/") for x in ("a", "b"))
    inst = Instrument("binance", "BTCUSDT", "0.01", "0.001")
    metrics.bind(Gateway([VenueSpec("binance", (inst,), ("book", "trades"), legs)], [], metrics=metrics))
    metrics.on_latency("binance", 1, 2)
    text = generate_latest(metrics.registry).decode()
    assert text.rstrip().endswith("# EOF")
    assert observe.lint_text(text) == []


def test_an_untyped_total_is_one_finding_no_type():
    findings = observe.lint_text('feeds_things_total{venue="x"} 3\n')
    assert [(f.rule, f.message) for f in findings if f.rule == "type"] == [
        ("type", "no TYPE: declare counter, gauge, histogram or summary (a name ending in _total is a counter's)")]


def test_an_empty_scrape_is_not_a_pass(tmp_path, capsys):
    for text in ("", "\n", "# HELP feeds_leg_state state\n# TYPE feeds_leg_state gauge\n", "# EOF\n"):
        f = tmp_path / "scrape.txt"
        f.write_text(text)
        assert main(["observe", "lint", str(f)]) == 2, repr(text)
        out = capsys.readouterr()
        assert "follows the standard" not in out.out
        assert out.err.strip() == f"{f}: nothing was scraped: the exposition holds no samples (is it the right " \
                                  "endpoint or file, and has the service registered its metrics?)"
