"""Chain RPC clients: Ethereum JSON-RPC and Bitcoin Core JSON-RPC, plus a recorded-headers replay.

Each endpoint answers three questions: the head header, the header at a height on its own
canonical chain, and (Ethereum) the ``finalized`` header. Anything other than a well-formed
answer within the timeout raises :class:`EndpointError` (the watcher marks the endpoint
unhealthy and carries on; it never crashes on one endpoint).

Methods used: Ethereum ``eth_getBlockByNumber`` (``"latest"``, ``"finalized"``, hex height);
Bitcoin Core ``getblockchaininfo``/``getbestblockhash``, ``getblockhash``, ``getblockheader``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from tradeplane.security.chain.header import Header

__all__ = ["BitcoinRpc", "Endpoint", "EndpointError", "EthereumRpc", "HeaderUnavailable", "RecordedEndpoint"]


class EndpointError(Exception):
    """An endpoint timed out, refused, or answered something that is not a header."""


class HeaderUnavailable(EndpointError):
    """The endpoint keeps no header at that height (a pruned node or a recording's first snapshot)."""


class Endpoint(Protocol):
    name: str

    async def head(self) -> Header: ...

    async def at(self, number: int) -> Header: ...

    async def finalized(self) -> Header | None: ...

    async def close(self) -> None: ...


class _JsonRpc:
    def __init__(self, url: str, timeout_s: float = 5.0, auth: tuple[str, str] | None = None) -> None:
        import httpx

        self.name = url.split("@")[-1]
        self.url = url
        self._client = httpx.AsyncClient(timeout=timeout_s, auth=auth)
        self._id = 0

    async def call(self, method: str, params: list[Any]) -> Any:
        import httpx

        self._id += 1
        try:
            response = await self._client.post(self.url, json={"jsonrpc": "2.0", "id": self._id, "method": method,
                                                               "params": params})
            body = response.json()
        except (httpx.HTTPError, json.JSONDecodeError, ValueError) as exc:
            raise EndpointError(f"{self.name}: {method}: {exc.__class__.__name__}: {exc}") from None
        if not isinstance(body, dict):
            raise EndpointError(f"{self.name}: {method}: not a JSON-RPC response")
        if body.get("error"):
            raise EndpointError(f"{self.name}: {method}: {body['error']}")
        return body.get("result")

    async def close(self) -> None:
        await self._client.aclose()


def _hex(value: Any, field: str, name: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise EndpointError(f"{name}: {field} is not a hex quantity: {value!r}")
    return int(value, 16)


class EthereumRpc(_JsonRpc):
    """An Ethereum execution client (geth, reth, anvil, a provider) over HTTP JSON-RPC."""

    def _header(self, block: Any) -> Header:
        if not isinstance(block, dict):
            raise EndpointError(f"{self.name}: block is {block!r}")
        hash_, parent = block.get("hash"), block.get("parentHash")
        if not isinstance(hash_, str) or not isinstance(parent, str):
            raise EndpointError(f"{self.name}: block without hash/parentHash")
        return Header(_hex(block.get("number"), "number", self.name), hash_.lower(), parent.lower(),
                      _hex(block.get("timestamp", "0x0"), "timestamp", self.name))

    async def head(self) -> Header:
        return self._header(await self.call("eth_getBlockByNumber", ["latest", False]))

    async def at(self, number: int) -> Header:
        return self._header(await self.call("eth_getBlockByNumber", [hex(number), False]))

    async def finalized(self) -> Header | None:
        try:
            block = await self.call("eth_getBlockByNumber", ["finalized", False])
        except EndpointError:
            return None
        return self._header(block) if block else None


class BitcoinRpc(_JsonRpc):
    """Bitcoin Core (or a compatible node) over JSON-RPC; ``auth`` is the rpcuser/rpcpassword pair."""

    def _header(self, raw: Any) -> Header:
        if not isinstance(raw, dict) or not isinstance(raw.get("hash"), str) or not isinstance(raw.get("height"), int):
            raise EndpointError(f"{self.name}: not a block header: {raw!r}")
        return Header(raw["height"], raw["hash"], str(raw.get("previousblockhash", "")), int(raw.get("time", 0)))

    async def head(self) -> Header:
        best = await self.call("getbestblockhash", [])
        return self._header(await self.call("getblockheader", [best, True]))

    async def at(self, number: int) -> Header:
        block_hash = await self.call("getblockhash", [number])
        return self._header(await self.call("getblockheader", [block_hash, True]))

    async def finalized(self) -> Header | None:
        return None  # proof of work has no finality; confirmations only


class RecordedEndpoint:
    """Replays recorded headers: a JSON-lines file, one snapshot per line of the endpoint's chain
    tip and recent headers (``{"headers": [{"height", "hash", "previousblockhash", "time"}, ...]}``,
    oldest first). Each :meth:`advance` moves to the next snapshot; used for Bitcoin-style chains."""

    def __init__(self, path: Path, name: str = "") -> None:
        self.name = name or path.name
        self._snapshots = list(self._read(path))
        self._step = 0

    @staticmethod
    def _read(path: Path) -> Iterator[dict[int, Header]]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                chain = {h["height"]: Header(int(h["height"]), str(h["hash"]), str(h.get("previousblockhash", "")),
                                             int(h.get("time", 0))) for h in raw["headers"]}
            except (ValueError, KeyError, TypeError) as exc:
                raise EndpointError(f"{path}:{number}: not a headers snapshot ({exc})") from None
            yield chain

    @property
    def steps(self) -> int:
        return len(self._snapshots)

    def advance(self) -> bool:
        if self._step + 1 >= len(self._snapshots):
            return False
        self._step += 1
        return True

    async def head(self) -> Header:
        chain = self._snapshots[self._step]
        return chain[max(chain)]

    async def at(self, number: int) -> Header:
        chain = self._snapshots[self._step]
        if number not in chain:
            raise HeaderUnavailable(f"{self.name}: no recorded header at height {number}")
        return chain[number]

    async def finalized(self) -> Header | None:
        return None

    async def close(self) -> None:
        return None
