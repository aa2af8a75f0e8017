"""The gateway's HTTP endpoint on loopback (or a configured address): /metrics and /status."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

if TYPE_CHECKING:
    from tradeplane.feeds.gateway import Gateway
    from tradeplane.feeds.metrics import GatewayMetrics


class StatusEndpoint:
    def __init__(self, gateway: Gateway, metrics: GatewayMetrics, host: str = "127.0.0.1", port: int = 9464) -> None:
        self.gateway = gateway
        self.metrics = metrics
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) > 1 else "/"
            if path == "/metrics":
                body, ctype, status = generate_latest(self.metrics.registry), CONTENT_TYPE_LATEST, "200 OK"
            elif path == "/status":
                body = json.dumps(self.gateway.status(), sort_keys=True).encode()
                ctype, status = "application/json", "200 OK"
            else:
                body, ctype, status = b"not found: try /metrics or /status\n", "text/plain", "404 Not Found"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n\r\n".encode() + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
