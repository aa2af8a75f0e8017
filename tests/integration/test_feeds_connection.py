"""feeds.connection against a real WebSocket server on loopback: source binding, fragmented
messages, refusal, close reasons, send after close."""

import asyncio
import socket

import pytest
from websockets.asyncio.server import serve

from tradeplane.feeds.connection import ConnectFailed, ConnectionLost, connect

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def test_source_bound_fragments_joined_and_close_reason():
    seen_peer = []

    async def handler(ws):
        seen_peer.append(ws.remote_address[0])
        msg = await ws.recv()
        await ws.send(msg.upper())
        await ws.send(iter(["{\"a\":", "1}"]))  # one message in two frames
        await ws.close(4001, "bye")

    async with serve(handler, "127.0.0.1", 0) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        conn = await connect(f"ws://127.0.0.1:{port}/x", source="127.0.0.1")
        got = []
        conn.attach(lambda raw, ns: got.append((raw, ns > 0)))
        await conn.send("hello")
        await asyncio.wait_for(conn.wait_closed(), 5)
    assert got == [(b"HELLO", True), (b'{"a":1}', True)]
    assert seen_peer == ["127.0.0.1"] and conn.reason == "closed by venue: 4001 bye"
    with pytest.raises(ConnectionLost):
        conn.send_now("late")


async def test_refused_and_rejected_connections_raise_connect_failed():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(ConnectFailed):
        await connect(f"ws://127.0.0.1:{free}/", open_timeout=2)

    def reject(conn, req):
        return conn.respond(503, "down\n")

    async with serve(lambda ws: ws.wait_closed(), "127.0.0.1", 0, process_request=reject) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        with pytest.raises(ConnectFailed, match="503"):
            await connect(f"ws://127.0.0.1:{port}/", open_timeout=2)
