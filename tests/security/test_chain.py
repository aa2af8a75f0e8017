"""Chain reorg watch without a node: scripted endpoints, recorded Bitcoin headers, bad endpoints."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tradeplane.estate import ChainWatch
from tradeplane.security.alerts import ListSink
from tradeplane.security.chain import (
    ChainTracker,
    ChainWatcher,
    Deposit,
    DepositEvent,
    EndpointError,
    EthereumRpc,
    Header,
    RecordedEndpoint,
)


class Scripted:
    """An endpoint whose canonical chain the test rewrites (a fork = new hashes from a height)."""

    def __init__(self, name: str, length: int, fork: str = "a") -> None:
        self.name = name
        self.chain: dict[int, Header] = {}
        self.extend(length, fork)

    def extend(self, to: int, fork: str, start: int | None = None) -> None:
        first = 0 if start is None else start
        for n in range(first, to + 1):
            parent = self.chain[n - 1].hash if n > 0 else "genesis"
            self.chain[n] = Header(n, f"{fork}{n}", parent, 1_700_000_000 + 12 * n)
        for n in [n for n in self.chain if n > to]:
            del self.chain[n]

    async def head(self) -> Header:
        return self.chain[max(self.chain)]

    async def at(self, number: int) -> Header:
        return self.chain[number]

    async def finalized(self) -> Header | None:
        return self.chain[max(0, max(self.chain) - 64)]

    async def close(self) -> None:
        return None


def chain(**overrides: object) -> ChainWatch:
    data: dict[str, object] = {"name": "eth", "kind": "ethereum", "endpoints": ["http://127.0.0.1:1"],
                               "confirmations": 3, "max_reorg_depth": 2}
    data.update(overrides)
    return ChainWatch.model_validate(data)


async def test_tracker_detects_depth_and_orphans() -> None:
    endpoint = Scripted("a", 10)
    tracker = ChainTracker()
    assert await tracker.sync(endpoint) is None
    endpoint.extend(12, "a", start=11)
    assert await tracker.sync(endpoint) is None  # a gap of two blocks is filled, not a reorg
    assert sorted(tracker.chain)[-3:] == [10, 11, 12]
    endpoint.extend(13, "b", start=10)  # replace 10..12, one longer
    reorg = await tracker.sync(endpoint)
    assert reorg is not None
    assert (reorg.depth, reorg.ancestor, reorg.old_tip, reorg.new_tip) == (3, 9, 12, 13)
    assert reorg.orphaned == ("a10", "a11", "a12")


async def test_deep_reorg_reverses_credited_deposit_once_and_raises_confirmations() -> None:
    endpoint = Scripted("node-1", 20)
    sink, events = ListSink(), []
    watcher = ChainWatcher(chain(), [endpoint], sink, on_deposit=events.append, settle_blocks=10)
    watcher.track(Deposit("tx1:0", 18, "a18", "1.5", "ETH"))
    await watcher.step()
    assert [(e.kind, e.deposit.id) for e in events] == [("credited", "tx1:0")]  # 20 - 18 + 1 = 3 confirmations
    endpoint.extend(21, "b", start=17)  # depth 4 reorg from block 17
    await watcher.step()
    await watcher.step()  # idempotent: nothing emitted twice
    assert [(e.kind, e.deposit.id) for e in events] == [("credited", "tx1:0"), ("reversed", "tx1:0")]
    assert "a18" in events[1].reason
    firing = [a.labels["alertname"] for a in sink.alerts if a.status == "firing"]
    assert firing == ["ChainReorgDeep"]
    assert sink.alerts[0].labels["depth"] == "4"
    assert watcher.required_confirmations == 6  # 3 x raise_factor 2 while unsettled
    endpoint.extend(32, "b", start=22)
    await watcher.step()
    assert watcher.required_confirmations == 3
    assert [a.status for a in sink.alerts if a.labels["alertname"] == "ChainReorgDeep"] == ["firing", "resolved"]


async def test_endpoint_disagreement_and_lag() -> None:
    a, b = Scripted("a", 10), Scripted("b", 10)
    b.extend(10, "x", start=8)
    sink = ListSink()
    watcher = ChainWatcher(chain(), [a, b], sink)
    await watcher.step()
    assert [x.labels["alertname"] for x in sink.alerts] == ["ChainEndpointDisagreement"]
    assert "disagree at block 10" in sink.alerts[0].annotations["description"]
    b.extend(10, "a", start=8)
    await watcher.step()
    assert sink.alerts[-1].status == "resolved"
    a.extend(20, "a", start=11)
    await watcher.step()
    assert "b lags 10 blocks behind" in sink.alerts[-1].annotations["description"]


async def test_pending_deposit_in_a_replaced_block_is_not_credited() -> None:
    endpoint = Scripted("n", 10)
    events: list[DepositEvent] = []
    watcher = ChainWatcher(chain(confirmations=5), [endpoint], ListSink(), on_deposit=events.append)
    watcher.track(Deposit("tx2:0", 9, "a9"))
    await watcher.step()
    endpoint.extend(20, "b", start=9)
    await watcher.step()
    assert events == []


async def test_use_finalized_and_finality_stall() -> None:
    endpoint = Scripted("n", 200)
    events: list[DepositEvent] = []
    sink = ListSink()
    watcher = ChainWatcher(chain(use_finalized=True, finality_stall_s=600), [endpoint], sink, on_deposit=events.append)
    watcher.track(Deposit("old", 100, "a100"))
    watcher.track(Deposit("new", 190, "a190"))
    await watcher.step()
    assert [e.deposit.id for e in events] == ["old"]  # 190 is above finalized (136)
    assert [a.labels["alertname"] for a in sink.alerts] == ["ChainFinalityStall"]  # 64 blocks x 12 s > 600 s


def test_bitcoin_recorded_headers_replay(tmp_path: Path) -> None:
    import asyncio

    snapshots = []
    main = [{"height": h, "hash": f"m{h}", "previousblockhash": f"m{h - 1}", "time": h * 600} for h in range(100, 106)]
    snapshots.append({"headers": main})
    fork = main[:3] + [{"height": h, "hash": f"f{h}", "previousblockhash": f"f{h - 1}" if h > 103 else "m102",
                        "time": h * 600} for h in range(103, 107)]
    snapshots.append({"headers": fork})
    path = tmp_path / "btc.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in snapshots) + "\n")
    endpoint = RecordedEndpoint(path)
    sink = ListSink()
    watcher = ChainWatcher(chain(name="btc", kind="bitcoin", confirmations=6), [endpoint], sink)

    async def replay() -> None:
        await watcher.step()
        while endpoint.advance():
            await watcher.step()

    asyncio.run(replay())
    assert [(r.depth, r.orphaned) for r in watcher.reorgs] == [(3, ("m103", "m104", "m105"))]
    assert sink.alerts[0].labels["alertname"] == "ChainReorgDeep"


class Garbage(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<html>not json-rpc</html>")

    def log_message(self, *args: object) -> None:
        return None


async def test_unreachable_and_garbage_endpoints_are_unhealthy_not_fatal() -> None:
    server = HTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    try:
        garbage = EthereumRpc(f"http://127.0.0.1:{server.server_address[1]}", timeout_s=2)
        refused = EthereumRpc(f"http://127.0.0.1:{closed_port}", timeout_s=2)
        good = Scripted("good", 5)
        sink = ListSink()
        watcher = ChainWatcher(chain(), [garbage, refused, good], sink)
        await watcher.step()
        unhealthy = sorted(a.labels["endpoint"] for a in sink.alerts if a.labels["alertname"] == "ChainEndpointUnhealthy")
        assert len(unhealthy) == 2
        assert watcher._reference() is not None and watcher._reference().endpoint is good
        with pytest.raises(EndpointError):
            await garbage.head()
        await garbage.close()
        await refused.close()
    finally:
        server.shutdown()
