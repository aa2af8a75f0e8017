"""One WebSocket connection of a leg: open, hand every message to a callback, send, close.

Connection management lives here, apart from the venue adapters (what is said on a
connection) and the gateway (which connections exist and what their messages mean).
The client is picows: it hands each complete message to ``on_message(raw, recv_ns)``
straight from its frame callback (no task, queue or ``str`` decode per message).
``benchmarks/feeds_wsclient.py`` measured it against the websockets client on the same
messages and the same gateway path, in one run: about 4x less client CPU per message
and a lower p50/p99 from wire to delivery (figures in docs/feeds.md), so it carries the
hot path; the venue simulator keeps the websockets server.

Shapes: ``raw`` is the message's bytes (text frames are not decoded: msgspec reads bytes);
``recv_ns`` the wall clock in ns when the frame was handed over. Errors: opening raises
``ConnectFailed`` (an ``OSError``: refused, handshake rejected, timed out); ``send`` on a
closed connection raises ``ConnectionLost``. Keep-alive: a ping after ``ping_s`` of silence,
and the connection is dropped if no pong follows within ``ping_s`` (RFC 6455 control
frames; pings from the venue are answered by picows).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from typing import Any

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

OnMessage = Callable[[bytes, int], None]
_time_ns = time.time_ns

_TEXT, _BINARY, _CONT, _CLOSE = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION, WSMsgType.CLOSE


class ConnectFailed(OSError):
    """The connection could not be opened (refused, handshake rejected, timed out)."""


class ConnectionLost(ConnectionError):
    """A send on a connection that is closed."""


class Connection:
    """An open WebSocket. Messages go to the handler given to ``attach`` (those that arrived before
    it are kept and handed over first); ``wait_closed`` returns once the connection is gone, and
    ``reason`` says why."""

    def __init__(self) -> None:
        self.transport: WSTransport | None = None
        self.reason = "closed by venue"
        self._handler: OnMessage | None = None
        self._early: list[tuple[bytes, int]] = []
        self._closed = asyncio.Event()
        self._parts: list[bytes] = []  # a fragmented message's frames so far

    # ------------------------------------------------------------------ receiving (picows callbacks)

    def attach(self, handler: OnMessage) -> None:
        self._handler = handler
        early, self._early = self._early, []
        for raw, ns in early:
            handler(raw, ns)

    def _message(self, raw: bytes) -> None:
        h = self._handler
        if h is None:
            self._early.append((raw, time.time_ns()))
        else:
            h(raw, time.time_ns())

    # ------------------------------------------------------------------ sending, closing

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def send_now(self, text: str) -> None:
        t = self.transport
        if t is None or self._closed.is_set() or t.is_close_frame_sent:
            raise ConnectionLost(self.reason)
        t.send(_TEXT, text.encode())

    async def send(self, text: str) -> None:
        self.send_now(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        t = self.transport
        if t is not None and not self._closed.is_set():
            if code != 1000 or reason:
                self.reason = f"closed by us: {code} {reason}".rstrip()
            if not t.is_close_frame_sent:
                t.send_close(WSCloseCode(code), reason.encode())
            t.disconnect()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), 1.0)

    async def wait_closed(self) -> None:
        await self._closed.wait()


class _Listener(WSListener):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.conn.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        conn = self.conn
        if (kind is _TEXT or kind is _BINARY) and frame.fin:
            # the hot path: a whole message, handed over from here (no further Python call per frame)
            h = conn._handler
            if h is not None:
                h(frame.get_payload_as_bytes(), _time_ns())
            else:
                conn._message(frame.get_payload_as_bytes())
            return
        if kind is _TEXT or kind is _BINARY:  # the first frame of a fragmented message
            conn._parts = [frame.get_payload_as_bytes()]
        elif kind is _CONT:
            conn._parts.append(frame.get_payload_as_bytes())
            if frame.fin:
                raw, conn._parts = b"".join(conn._parts), []
                conn._message(raw)
        elif kind is _CLOSE:
            code = frame.get_close_code()
            conn.reason = f"closed by venue: {code.value} {(frame.get_close_message() or b'').decode(errors='replace')}".rstrip()
            if not transport.is_close_frame_sent:
                transport.send_close(code)
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.conn._closed.set()


async def connect(url: str, *, source: str | None = None, open_timeout: float = 10.0, ping_s: float = 20.0) -> Connection:
    """Open ``url`` (ws:// or wss://), leaving from local address ``source`` when given."""
    conn = Connection()
    kwargs: dict[str, Any] = {}
    if source:
        async def bound_socket(parsed: Any) -> socket.socket:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(parsed.host, parsed.port, type=socket.SOCK_STREAM)
            family, kind, proto, _, addr = infos[0]
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                sock.bind((source, 0))
                await loop.sock_connect(sock, addr)
            except BaseException:
                sock.close()
                raise
            return sock

        kwargs["socket_factory"] = bound_socket
    try:
        await asyncio.wait_for(ws_connect(
            lambda: _Listener(conn), url, websocket_handshake_timeout=open_timeout, enable_auto_ping=True,
            auto_ping_idle_timeout=ping_s, auto_ping_reply_timeout=ping_s, enable_auto_pong=True,
            max_frame_size=1 << 30, **kwargs,
        ), open_timeout)
    except (OSError, TimeoutError) as exc:
        raise ConnectFailed(f"{url}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # picows's handshake errors (WSError): the venue refused the upgrade
        raise ConnectFailed(f"{url}: {type(exc).__name__}: {exc}") from exc
    return conn
