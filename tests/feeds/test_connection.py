"""The WebSocket connection module against a real server on 127.0.0.1: every message reaches the
handler whole and in order, whether it came before the handler was attached, in one frame (the
frame callback's direct path) or in fragments."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import serve

from tradeplane.feeds.connection import connect


async def test_whole_early_and_fragmented_messages_arrive_in_order():
    attached = asyncio.Event()

    async def handler(ws):
        await ws.send("early")  # before the client attaches its handler: kept, handed over first
        await attached.wait()
        await ws.send(["frag", "mented"])  # one text message in two frames (continuation)
        await ws.send(b"\x00binary")
        await ws.send("whole")
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, compression=None) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        conn = await connect(f"ws://127.0.0.1:{port}/")
        await asyncio.sleep(0.2)  # the early message arrives with no handler yet
        got: list[tuple[bytes, int]] = []
        done = asyncio.Event()

        def on(raw: bytes, recv_ns: int) -> None:
            got.append((raw, recv_ns))
            if raw == b"whole":
                done.set()

        conn.attach(on)
        attached.set()
        await asyncio.wait_for(done.wait(), 5.0)
        await conn.close()
    assert [r for r, _ in got] == [b"early", b"fragmented", b"\x00binary", b"whole"]
    assert all(type(r) is bytes and ns > 0 for r, ns in got)
    assert [ns for _, ns in got] == sorted(ns for _, ns in got)
