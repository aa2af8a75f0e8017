"""Live feeds: rates and staleness from two /status pictures, and the SSE framing."""

from __future__ import annotations

import json

import httpx

from tradeplane.console.live import FeedPoller, derive, sse

STATUS = {"legs": [{"leg": "binance/a", "state": "live", "messages": 100, "bytes": 1, "reconnects": 0, "wins": 5,
                    "silent_ms": 50.0, "stale_bound_ms": 250.0}],
          "streams": [{"stream": "binance/book/BTCUSDT", "state": "live", "mode": "sequence", "delivered": 40,
                       "gaps": 0, "resyncs": 0, "checksum_failures": 0, "note": "", "best_bid": 1, "best_ask": 2}]}


def test_derive_rates_and_staleness():
    later = json.loads(json.dumps(STATUS))
    later["legs"][0].update(messages=160, silent_ms=500.0, state="stale")
    later["streams"][0]["delivered"] = 70
    first = derive(STATUS, None, 0.0)
    assert first["legs"][0]["msgs_per_s"] is None and first["legs"][0]["staleness"] == 0.2
    out = derive(later, STATUS, 2.0)
    leg = out["legs"][0]
    assert leg["msgs_per_s"] == 30.0 and leg["staleness"] == 2.0 and leg["venue"] == "binance"
    assert out["streams"][0]["events_per_s"] == 15.0


async def test_poller_fans_out_and_says_when_the_gateway_is_gone():
    answers = [httpx.Response(200, json=STATUS), httpx.Response(500, text="boom")]
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _req: answers.pop(0)))
    poller = FeedPoller("http://gateway.invalid")
    stream = sse(poller.subscribe())
    first = await anext(stream)  # the latest picture is sent at once
    assert b"event: status" in first and b'"connected": false' in first
    p = await poller.poll_once(client)
    assert p["connected"] and p["legs"][0]["leg"] == "binance/a"
    frame = await anext(stream)
    assert json.loads(frame.decode().split("data: ", 1)[1])["seq"] == 1
    p = await poller.poll_once(client)
    assert not p["connected"] and "500" in p["error"]
    await stream.aclose()
    await client.aclose()
