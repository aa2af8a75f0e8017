from pathlib import Path

from tradeplane.estate import load
from tradeplane.feeds.plan import plan, plan_rows

ROOT = Path(__file__).resolve().parents[2]


def test_plan_for_the_reference_estate():
    e = load(ROOT / "examples" / "dv-trading")
    rows = plan(e)
    names = [r.venue for r in rows]
    assert names == sorted(names) and "cme-globex" not in names
    by = {r.venue: r for r in rows}
    assert by["binance"].book_sync == "REST snapshot + diff stream"
    assert by["binance"].endpoint == "wss://stream.binance.com:9443/stream"
    assert "24 h" in by["binance"].limits and by["binance"].legs == 2
    assert by["kraken"].arbitration["book"] == "keyed"
    assert any("one route only" in p for p in by["kraken"].problems)
    assert plan_rows(e) == plan_rows(e)  # deterministic
