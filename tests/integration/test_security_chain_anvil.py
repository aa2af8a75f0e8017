"""The reorg watcher against a real local Ethereum node: anvil, with reorgs of known depth.

anvil (installed by ./dev from the npm registry) runs on a free loopback port; ``anvil_mine``
builds the chain and ``anvil_reorg`` replaces its last N blocks. The watcher must report the
depth and the orphaned hashes, reverse a credited deposit in an orphaned block exactly once,
and raise the required confirmations.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tradeplane.estate import ChainWatch
from tradeplane.security.alerts import ListSink
from tradeplane.security.chain import ChainWatcher, Deposit, EthereumRpc

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
ANVIL = shutil.which("anvil") or next((str(p) for p in [ROOT / ".tools/node/node_modules/.bin/anvil"] if p.exists()),
                                      None)


# A transfer between two of anvil's default accounts: the re-mined blocks then differ from the old
# ones (without a transaction anvil may re-mine byte-identical blocks with the same hashes).
TX = {"from": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "value": "0x1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rpc(url: str, method: str, params: list[object]) -> object:
    body = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=10).json()
    assert "error" not in body, body
    return body["result"]


@pytest.fixture
def anvil_url():  # type: ignore[no-untyped-def]
    if ANVIL is None:
        pytest.skip("anvil not installed (./dev test installs it from the npm registry)")
    port = free_port()
    proc = subprocess.Popen([ANVIL, "--host", "127.0.0.1", "--port", str(port), "--silent"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                rpc(url, "eth_blockNumber", [])
                break
            except (httpx.HTTPError, ValueError):
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


async def test_depth_three_reorg_on_anvil(anvil_url: str) -> None:
    rpc(anvil_url, "anvil_mine", ["0xa"])  # blocks 1..10
    deposit_block = rpc(anvil_url, "eth_getBlockByNumber", ["0x9", False])
    assert isinstance(deposit_block, dict)
    chain = ChainWatch(name="eth-local", kind="ethereum", endpoints=(anvil_url,), confirmations=2, max_reorg_depth=2)
    sink, events = ListSink(), []
    endpoint = EthereumRpc(anvil_url)
    watcher: ChainWatcher = ChainWatcher(chain, [endpoint], sink, on_deposit=events.append)
    watcher.track(Deposit("0xdeposit:0", 9, str(deposit_block["hash"])))
    await watcher.step()
    assert [e.kind for e in events] == ["credited"]
    old = [rpc(anvil_url, "eth_getBlockByNumber", [hex(n), False]) for n in (8, 9, 10)]
    rpc(anvil_url, "anvil_reorg", [3, [[TX, 0]]])  # replace blocks 8..10
    await watcher.step()
    await watcher.step()
    assert len(watcher.reorgs) == 1
    reorg = watcher.reorgs[0]
    assert (reorg.depth, reorg.ancestor) == (3, 7)
    assert reorg.orphaned == tuple(str(b["hash"]) for b in old)  # type: ignore[index]
    assert [(e.kind, e.deposit.id) for e in events] == [("credited", "0xdeposit:0"), ("reversed", "0xdeposit:0")]
    assert [a.labels["alertname"] for a in sink.alerts] == ["ChainReorgDeep"]
    assert watcher.required_confirmations == 4
    await endpoint.close()


