"""The console under load: p50/p99 latency of its main pages and API calls with 50 concurrent
clients on the synthetic estate of 2,000 VPCs (``tradeplane.estate.synth``, two subnets each), and
the time to first render of the topology page in headless chromium.

One uvicorn server (the console as ``tradeplane console`` runs it) on 127.0.0.1; the plan is built
once before the clients start (its time is printed). 50 httpx clients each request every endpoint
in turn, ``--rounds`` times. The ratio printed for each endpoint is its p99 against the p99 of a
static file (``/static/console.css``) served by the same server in the same run: what the page
costs over the server's floor. Time to first render: from navigation to the graph drawn
(cytoscape's nodes on the canvas), with Debian's chromium when installed.

    uv run python benchmarks/console.py [--vpcs 2000] [--clients 50] [--rounds 4] [--quick]   # --quick: 200 VPCs
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from tradeplane.console import create_app
from tradeplane.estate.synth import synthetic, write_directory

ENDPOINTS = ["/static/console.css", "/", "/api/overview", "/network", "/api/network", "/topology", "/api/topology",
             "/placement", "/api/placement", "/terraform", "/cost", "/api/reach?src=net-0&dst=net-2&port=443"]


def write_estate(root: Path, vpcs: int) -> None:
    write_directory(synthetic(vpcs * 2, subnets_per_network=2), root, networks_per_file=100)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def load(base: str, clients: int, rounds: int) -> dict[str, list[float]]:
    lat: dict[str, list[float]] = {e: [] for e in ENDPOINTS}
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as c:
        async def one(i: int) -> None:
            for r in range(rounds):
                for k in range(len(ENDPOINTS)):
                    ep = ENDPOINTS[(i + k + r) % len(ENDPOINTS)]
                    start = time.perf_counter()
                    resp = await c.get(ep)
                    lat[ep].append(time.perf_counter() - start)
                    assert resp.status_code == 200, (ep, resp.status_code, resp.text[:200])

        await asyncio.gather(*(one(i) for i in range(clients)))
    return lat


def first_render(base: str) -> float | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(base + "/api/whoami")
        start = time.perf_counter()
        page.goto(base + "/topology")
        if page.locator("#cy").count() == 0:
            browser.close()
            return None
        page.wait_for_function("document.getElementById('cy').dataset.ready > 0", timeout=120_000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        took = time.perf_counter() - start
        browser.close()
        return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vpcs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="200 VPCs, 2 rounds")
    args = parser.parse_args()
    vpcs, rounds = (200, 2) if args.quick else (args.vpcs, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_estate(root, vpcs)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app = create_app(root)
        # keep-alive longer than the slowest answer: a loaded machine would otherwise see the server close a
        # pooled connection just as a client reuses it (a ReadError, not a latency)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               access_log=False, timeout_keep_alive=600))
        thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        start = time.perf_counter()
        overview = httpx.get(base + "/api/overview", timeout=3600).json()
        built = time.perf_counter() - start
        snap = app.state.cache.snapshot()
        assert snap.ok, overview["errors"][:3]
        print(f"estate: {vpcs:,} VPCs, {overview['counts']['subnets']:,} subnets, "
              f"{overview['counts']['workloads']:,} workloads; plan built once in {snap.build_seconds:.1f} s "
              f"(first overview answered after {built:.1f} s)", flush=True)
        for ep in ENDPOINTS:  # warm each page's derived data (memoised per snapshot), as a first visitor would
            httpx.get(base + ep, timeout=3600)
        wall = time.perf_counter()
        lat = asyncio.run(load(base, args.clients, rounds))
        wall = time.perf_counter() - wall
        n = sum(len(v) for v in lat.values())
        floor = pct(lat[ENDPOINTS[0]], 0.99)
        print(f"\n{args.clients} clients x {rounds} rounds x {len(ENDPOINTS)} endpoints = {n:,} requests in "
              f"{wall:.1f} s ({n / wall:,.0f} req/s)\n")
        print(f"{'endpoint':<44}{'p50 ms':>10}{'p99 ms':>10}{'p99 / static':>14}")
        for ep in ENDPOINTS:
            p50, p99 = statistics.median(lat[ep]) * 1000, pct(lat[ep], 0.99) * 1000
            print(f"{ep:<44}{p50:10.1f}{p99:10.1f}{p99 / (floor * 1000):14.1f}")
        took = first_render(base)
        print()
        if took is None:
            print("topology first render: skipped (Debian's chromium or cytoscape.js not installed)")
        else:
            print(f"topology first render in chromium: {took * 1000:,.0f} ms "
                  f"({overview['counts']['networks']:,} VPC nodes, subnets collapsed when more than 300)")
        server.should_exit = True
        thread.join(timeout=30)


if __name__ == "__main__":
    main()
