"""The console in a real browser (Playwright driving Debian's chromium, headless, no browser download).

Opens every page, runs a reach query and sees the trace, then starts the venue simulator and the feed
gateway and sees the feed table change live (over SSE) when the simulator stalls a leg. Screenshots
are kept under tests/artifacts/console/ (gitignored).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tradeplane.console import PAGES, Role, create_app

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "console"
CHROMIUM = shutil.which("chromium")
TOKEN = "t-browser-platform"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _feeds_config(tmp: Path, metrics: int) -> Path:
    a, b = _port(), _port()
    path = tmp / "feeds.yaml"
    path.write_text(f"""
metrics: {{host: 127.0.0.1, port: {metrics}}}
stale: {{k: 20, floor_ms: 300, ceiling_ms: 3000}}
venues:
  - venue: binance
    symbols: [{{symbol: BTCUSDT, tick: "0.01", lot: "0.00001"}}]
    channels: [book, trades]
    legs:
      - {{name: a, url: "ws://127.0.0.1:{a}/stream", rest: "http://127.0.0.1:{a}"}}
      - {{name: b, url: "ws://127.0.0.1:{b}/stream", rest: "http://127.0.0.1:{b}"}}
""")
    return path


class Background:
    """An asyncio loop in a thread running coroutines until stopped (the simulator and the gateway)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.futures: list[Any] = []

    def run(self, coro: Any) -> None:
        self.futures.append(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def stop(self) -> None:
        async def drain() -> None:  # cancel every task of the loop (servers, legs) and wait for them
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(BaseException):
            asyncio.run_coroutine_threadsafe(drain(), self.loop).result(timeout=20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[str, str]]:
    metrics = _port()
    port = _port()
    app = create_app(ROOT / "examples" / "small", tokens={TOKEN: Role.PLATFORM}, token_names={TOKEN: "browser"},
                     gateway_url=f"http://127.0.0.1:{metrics}")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    httpx.get(f"{base}/api/overview", timeout=180)  # the plan, built once before the browser arrives
    cfg = _feeds_config(tmp_path, metrics)
    try:
        yield base, str(cfg)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./dev installs it)")
def test_every_page_reach_trace_and_live_feeds(console: tuple[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tradeplane.feeds.runner import run_gateway, run_simulator

    base, cfg = console
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/?token={TOKEN}")  # sets the cookie every later page uses
            expect(page.locator("#verdict")).to_be_visible()
            for key, path, title in PAGES:
                page.goto(base + path)
                expect(page.locator("h1")).to_contain_text(title.split()[0])
                expect(page.locator("header .who")).to_contain_text("browser · platform")
                page.screenshot(path=str(ARTIFACTS / f"{key}.png"), full_page=True)
            page.goto(base + "/topology")
            if page.locator("#cy").count():
                page.wait_for_function("document.getElementById('cy').dataset.ready > 0", timeout=20_000)
                page.screenshot(path=str(ARTIFACTS / "topology.png"))
            else:
                expect(page.locator("#no-graph")).to_contain_text("cytoscape.js is not installed")

            page.goto(base + "/network")
            page.fill("#reach-src", "strategy")
            page.fill("#reach-dst", "internet")
            page.fill("#reach-port", "443")
            page.click("#reach-form button[type=submit]")
            expect(page.locator("#reach-verdict")).to_contain_text("strategy → internet tcp/443")
            expect(page.locator("#reach-result .trace ol li").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "reach.png"), full_page=True)

            bg = Background()
            try:
                bg.run(run_simulator(cfg, rate_hz=100, duration=60, faults=["a:stall:7:60"]))
                time.sleep(0.3)
                bg.run(run_gateway(cfg, duration=60))
                page.goto(base + "/feeds")
                leg = page.locator('#legs tbody tr[data-key="binance/a"]')
                expect(leg).to_have_attribute("data-state", "live", timeout=20_000)
                expect(page.locator('#streams tbody tr[data-key="binance/book/BTCUSDT"]')).to_be_visible()
                page.screenshot(path=str(ARTIFACTS / "feeds-live.png"), full_page=True)
                expect(leg).not_to_have_attribute("data-state", "live", timeout=30_000)
                expect(page.locator('#legs tbody tr[data-key="binance/b"]')).to_have_attribute("data-state", "live")
                page.screenshot(path=str(ARTIFACTS / "feeds-stalled.png"), full_page=True)
            finally:
                bg.stop()
            assert not errors, errors
        finally:
            browser.close()
