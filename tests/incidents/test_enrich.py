"""Enrichment: the gateway's stream health from its status endpoint, net's view of a link, cost drivers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tradeplane import estate as est
from tradeplane.incidents.config import EnrichConfig
from tradeplane.incidents.enrich import Enricher, feed_snapshot, link_impact

STATUS = {"streams": [{"stream": "binance/depth/BTCUSDT", "state": "stale", "gaps": 3, "resyncs": 9},
                      {"stream": "bybit/depth/BTCUSDT", "state": "live", "gaps": 0, "resyncs": 0}],
          "legs": [{"leg": "binance/a", "state": "down", "reconnects": 4}, {"leg": "bybit/a", "state": "live"}]}


def test_feed_snapshot_picks_the_stream() -> None:
    snap = feed_snapshot(STATUS, "binance", "binance/depth/BTCUSDT")
    assert [s["stream"] for s in snap["streams"]] == ["binance/depth/BTCUSDT"]
    assert [leg["leg"] for leg in snap["legs"]] == ["binance/a"]


async def test_feed_evidence_from_the_gateway_status_endpoint(dv: est.Estate) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/status"
        return httpx.Response(200, json=STATUS)

    enricher = Enricher(dv, EnrichConfig(gateway_status_url="http://gateway:9100", net_analysis=False,
                                         runbook_base="https://runbooks.example/alerts"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        ev = await enricher.evidence({"alertname": "FeedStale", "venue": "binance", "stream": "binance/depth/BTCUSDT"},
                                     {}, client)
    assert ev["feed"]["streams"][0]["state"] == "stale"
    assert ev["runbook"] == "https://runbooks.example/alerts/FeedStale"
    unconfigured = Enricher(dv, EnrichConfig(net_analysis=False))
    async with httpx.AsyncClient() as client:
        ev = await unconfigured.evidence({"alertname": "FeedStale", "stream": "x"}, {}, client)
    assert ev["feed"]["snapshot"] == "unavailable"


def test_link_impact_asks_net(dv: est.Estate) -> None:
    impact = link_impact(dv, "cme-interconnect")
    assert impact["elements"] and all(e.startswith("cme-interconnect/") for e in impact["elements"])
    assert impact["single_failure_breaks"] == []  # the 99.99% topology survives any one failure
    assert any("cme-md-handler-a -> cme-globex" in p for p in impact["single_failure_survives"])
    # with the whole interconnect down CME is still reached over the Aurora cross-connect
    assert isinstance(impact["whole_link_down_loses"], list)
    assert link_impact(dv, "tgw-use1")["analysis"] == "unavailable"


async def test_cost_anomaly_top_resources(dv: est.Estate) -> None:
    enricher = Enricher(dv, EnrichConfig(net_analysis=False))
    drivers = [{"resource_id": f"i-{k}", "excess": float(k)} for k in range(8)]
    async with httpx.AsyncClient() as client:
        ev: dict[str, Any] = await enricher.evidence(
            {"alertname": "CostAnomaly", "tradeplane_event": "cost_anomaly"},
            {"evidence": json.dumps({"drivers": drivers, "excess": 28.0, "service": "ec2"})}, client)
    assert [d["resource_id"] for d in ev["cost"]["top_resources"]] == ["i-7", "i-6", "i-5", "i-4", "i-3"]
