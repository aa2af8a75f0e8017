"""The WebSocket client under the feed gateway: websockets (today) against picows, in one run.

    uv run python benchmarks/feeds_wsclient.py [--quick]

A server in its own process sends the same Binance diff-depth messages (text frames, each
stamped with its send time in ns) to one client at a time; each client hands every message to
the gateway's real per-message path (``Gateway.on_message``: decode, arbitration, book, sink).
For each client, in the same run and alternating (best of several, the machine is shared):

- flood: the server sends as fast as it can; client CPU per message (process time, so the
  server's work is not counted) and messages per second;
- paced (2,000 messages/s): latency from the server's send to the end of ``on_message``
  (wire + kernel + the client's framing + our path), p50 and p99 per message;
- the client-only cost: CPU per message with an empty handler (framing and the Python call),
  flooded (many frames per socket read) and paced (one frame per wake-up of the event loop);
- the gateway path alone (no socket), to compare the WebSocket layer with.

``feeds.conn`` is the gateway's own client module (``tradeplane.feeds.connection``, picows).

Prints the ratios picows/websockets. The gateway keeps websockets unless picows measures
faster here (docs/feeds.md, "WebSocket client").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feeds_throughput import ROOT, gateway_path, generate, seed_snapshot

SERVER = r'''
import asyncio, sys
sys.path.insert(0, sys.argv[3])
from feeds_throughput import generate
from websockets.asyncio.server import serve

n, rate = int(sys.argv[1]), float(sys.argv[2])
msgs = [m.decode() for m in generate(n)[0]]

async def handler(ws):
    await ws.recv()  # the client says go
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    clock = __import__("time").time_ns
    for i, m in enumerate(msgs):
        await ws.send('{"ts":%d,%s' % (clock(), m[1:]))
        if rate:
            t0 += 1.0 / rate
            d = t0 - loop.time()
            if d > 0:
                await asyncio.sleep(d)
        elif i % 256 == 0:
            await asyncio.sleep(0)
    await ws.close()

async def main():
    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as srv:
        print(next(iter(srv.sockets)).getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
'''


def _ts(raw: str | bytes) -> int:
    return int(raw[6:25])  # '{"ts":' + 19 digits


class Sink:
    """The handler both clients feed: the gateway's per-message path, or nothing (client cost alone)."""

    def __init__(self, n: int, gateway: bool) -> None:
        self.lat: list[int] = []
        self.count = 0
        clock = time.time_ns
        if gateway:
            msgs, snap, _ = generate(n)
            gw, v, conns, _count = gateway_path(1)
            seed_snapshot(v, snap, msgs[0], conns[0], gw)
            on, c = gw.on_message, conns[0]
            self.stream = v.streams[("book", "BTCUSDT")]  # type: ignore[attr-defined]

            def handle(raw: str | bytes) -> None:
                on(v, c, raw, clock())  # type: ignore[arg-type]
        else:
            self.stream = None

            def handle(raw: str | bytes) -> None:
                pass
        lat = self.lat

        def receive(raw: str | bytes) -> None:
            handle(raw)
            lat.append(clock() - _ts(raw))
        self.receive: Callable[[str | bytes], None] = receive


async def with_websockets(url: str, sink: Sink) -> None:
    from websockets.asyncio.client import connect

    receive = sink.receive
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send("go")
        async for raw in ws:
            receive(raw)


async def with_picows(url: str, sink: Sink) -> None:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    receive = sink.receive
    text, close = WSMsgType.TEXT, WSMsgType.CLOSE

    class Listener(WSListener):  # type: ignore[misc]
        def on_ws_connected(self, transport: WSTransport) -> None:
            transport.send(WSMsgType.TEXT, b"go")

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            kind = frame.msg_type
            if kind is text:
                receive(frame.get_payload_as_bytes())
            elif kind is close:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

    transport, _ = await ws_connect(Listener, url)
    await transport.wait_disconnected()


async def with_gateway_connection(url: str, sink: Sink) -> None:
    """The gateway's own client module (``tradeplane.feeds.connection``: picows, the frame callback
    handing each message straight to the handler), with the handler shape the gateway attaches."""
    from tradeplane.feeds.connection import connect

    receive = sink.receive

    def handler(raw: bytes, recv_ns: int) -> None:
        receive(raw)

    conn = await connect(url)
    conn.attach(handler)
    await conn.send("go")
    await conn.wait_closed()


CLIENTS: dict[str, Callable[[str, Sink], Any]] = {
    "websockets": with_websockets, "picows": with_picows, "feeds.conn": with_gateway_connection,
}


async def one(client: str, n: int, rate: float, gateway: bool) -> dict[str, float]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SERVER, str(n), str(rate),
                                                str(ROOT / "benchmarks"), stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    port = int(await proc.stdout.readline())
    sink = Sink(n, gateway)
    try:
        ru0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        await CLIENTS[client](f"ws://127.0.0.1:{port}/stream", sink)
        ru1, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t0
        user, system = ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime
        cpu = user + system
    finally:
        proc.kill()
        await proc.wait()
    got = len(sink.lat)
    assert got == n, (client, got, n)
    if sink.stream is not None:
        assert sink.stream.stats.gaps == 0 and sink.stream.stats.delivered >= n - 1, client
    lat = sorted(sink.lat)
    return {"cpu_us": cpu / got * 1e6, "per_s": got / wall, "p50_us": lat[got // 2] / 1e3,
            "p99_us": lat[int(got * 0.99)] / 1e3, "sys_us": system / got * 1e6}


def path_alone(n: int, reps: int) -> float:
    """CPU µs per message of the gateway path alone (decode, arbitration, book, sink; no socket), on the
    same messages: what the WebSocket layer is compared with."""
    msgs, snap, _ = generate(n)
    out = []
    for _ in range(reps):
        gw, v, conns, _count = gateway_path(1)
        seed_snapshot(v, snap, msgs[0], conns[0], gw)
        on, c = gw.on_message, conns[0]
        t0 = time.process_time()
        for raw in msgs[1:]:
            on(v, c, raw, 1)  # type: ignore[arg-type]
        out.append((time.process_time() - t0) / (len(msgs) - 1) * 1e6)
    return min(out)


def best(runs: list[dict[str, float]], key: str, low: bool = True) -> float:
    vals = [r[key] for r in runs]
    return min(vals) if low else max(vals)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes: seconds")
    args = ap.parse_args()
    n_flood = 10_000 if args.quick else 60_000
    n_paced = 2_000 if args.quick else 10_000
    reps = 2 if args.quick else 3
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    alone = []
    for _ in range(reps):  # alternate the clients so both see the same load
        alone.append(path_alone(n_flood, 1))
        for client in CLIENTS:
            runs.setdefault((client, "flood"), []).append(asyncio.run(one(client, n_flood, 0.0, True)))
            runs.setdefault((client, "bare"), []).append(asyncio.run(one(client, n_flood, 0.0, False)))
            runs.setdefault((client, "paced"), []).append(asyncio.run(one(client, n_paced, 2000.0, True)))
            runs.setdefault((client, "paced bare"), []).append(asyncio.run(one(client, n_paced, 2000.0, False)))
    path = min(alone)
    print(f"{n_flood:,} Binance diff-depth messages flooded, {n_paced:,} paced at 2,000/s; best of {reps} each")
    print(f"{'client':<11} {'CPU µs/msg':>11} {'msgs/s':>10} {'client only µs':>15} {'paced µs':>9} "
          f"{'paced only':>11} {'p50 µs':>8} {'p99 µs':>8}")
    out: dict[str, dict[str, float]] = {}
    for client in CLIENTS:
        r = {"cpu_us": best(runs[(client, "flood")], "cpu_us"), "per_s": best(runs[(client, "flood")], "per_s", False),
             "bare_us": best(runs[(client, "bare")], "cpu_us"), "p50_us": best(runs[(client, "paced")], "p50_us"),
             "p99_us": statistics.median(r["p99_us"] for r in runs[(client, "paced")]),
             "paced_us": best(runs[(client, "paced")], "cpu_us"), "paced_bare_us": best(runs[(client, "paced bare")], "cpu_us"),
             "paced_sys_us": min(runs[(client, "paced bare")], key=lambda r: r["cpu_us"])["sys_us"]}
        out[client] = r
        print(f"{client:<11} {r['cpu_us']:>11.2f} {r['per_s']:>10,.0f} {r['bare_us']:>15.2f} {r['paced_us']:>9.2f} "
              f"{r['paced_bare_us']:>11.2f} {r['p50_us']:>8.0f} {r['p99_us']:>8.0f}")
    print(f"gateway path alone (decode, arbitration, book, sink; no socket): {path:.2f} µs CPU per message")
    g = out["feeds.conn"]
    print(f"WebSocket layer of the gateway's client (client only) / gateway path: flooded "
          f"{g['bare_us'] / path:.2f}x, paced at 2,000/s {g['paced_bare_us'] / path:.2f}x "
          "(aim: no more than 1x)")
    paced_path = g["paced_us"] - g["paced_bare_us"]
    print(f"  paced, the gateway path costs {paced_path:.2f} µs a message (paced with it minus paced without: a wake-up "
          f"runs on caches other processes cooled); client only / that: {g['paced_bare_us'] / max(paced_path, 0.01):.2f}x")
    print(f"  of its paced client-only {g['paced_bare_us']:.2f} µs, {g['paced_sys_us']:.2f} µs is the kernel's (socket read, "
          "epoll wait and wake-up: one per frame at this rate), the rest the event loop's pass and the frame callback")
    w, p = out["websockets"], out["picows"]
    print(f"ratio picows/websockets: msgs/s {p['per_s'] / w['per_s']:.2f}x, CPU per message "
          f"{w['cpu_us'] / p['cpu_us']:.2f}x less, client-only cost {w['bare_us'] / p['bare_us']:.2f}x less, "
          f"p50 {w['p50_us'] / p['p50_us']:.2f}x lower, p99 {w['p99_us'] / p['p99_us']:.2f}x lower")
    print(json.dumps({"ratio_msgs_per_s": round(p["per_s"] / w["per_s"], 2),
                      "ratio_cpu_per_msg": round(w["cpu_us"] / p["cpu_us"], 2)}))


if __name__ == "__main__":
    main()
