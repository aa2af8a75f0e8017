"""The console in a real browser (Playwright driving Debian's chromium, headless, no browser download).

Opens every page, runs a reach query and sees the trace, submits self-serve requests (one refused for
breaking isolation, one accepted with its Terraform and cost diff), then starts the venue simulator and the feed
gateway and sees the feed table change live (over SSE) when the simulator stalls a leg. Screenshots
are kept under tests/artifacts/console/ (gitignored).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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


@contextlib.contextmanager
def _serve(estate: Path, gateway_url: str = "") -> Iterator[str]:
    """A console for ``estate`` served by uvicorn in a thread, its plan built before yielding the base URL."""
    port = _port()
    app = create_app(estate, tokens={TOKEN: Role.PLATFORM}, token_names={TOKEN: "browser"},
                     gateway_url=gateway_url)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    httpx.get(f"{base}/api/overview", headers={"authorization": f"Bearer {TOKEN}"}, timeout=180)  # the plan, once
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[str, str]]:
    metrics = _port()
    with _serve(ROOT / "examples" / "small", gateway_url=f"http://127.0.0.1:{metrics}") as base:
        yield base, str(_feeds_config(tmp_path, metrics))


def _small_with_isolated_desk(tmp: Path) -> Path:
    """examples/small plus an isolated ``crypto`` desk (its own account, VPC, subnet and workload ``mm``),
    written to ``tmp/estate/estate.yaml``; examples/small itself is untouched."""
    import yaml

    doc = yaml.safe_load((ROOT / "examples" / "small" / "estate.yaml").read_text())
    doc["organisation"]["aws"]["ous"][0]["accounts"].append(
        {"name": "crypto-prod", "account_id": "100000000002", "desk": "crypto"})
    doc["desks"].append({"name": "crypto", "owner": "crypto-head@small.example", "cost_centre": "CC-2",
                         "teams": ["mm"], "isolated": True})
    doc["budgets"].append({"desk": "crypto", "monthly_usd": 10000})
    doc["networks"].append({
        "cloud": "aws", "name": "aws-crypto", "account": "crypto-prod", "region": "us-east-2", "desk": "crypto",
        "cidrs": ["10.3.0.0/16"], "route_tables": [{"name": "rt-main"}],
        "subnets": [{"name": "mm-a", "zone": "use2-az1", "cidr": "10.3.0.0/24", "route_table": "rt-main",
                     "tier": "trading"}],
        "security_groups": [{"name": "mm-sg", "description": "the market maker", "ingress": [
            {"protocol": "tcp", "ports": [9000], "peers": [{"cidr": "10.3.0.0/16"}], "description": "intra-VPC"}]}]})
    doc["workloads"].append({"name": "mm", "desk": "crypto", "team": "mm", "network": "aws-crypto",
                             "subnet": "mm-a", "machine_type": "c6i.2xlarge", "security_groups": ["mm-sg"]})
    out = tmp / "estate"
    out.mkdir()
    (out / "estate.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


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


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./dev installs it)")
def test_self_serve_request_refused_for_isolation_then_accepted(tmp_path: Path) -> None:
    """On the Requests page: a flow from futures' ``strategy`` into the isolated crypto desk's ``mm`` is
    refused for breaking isolation with its trace shown; a new futures workload is accepted with its
    Terraform resources and cost delta shown."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with _serve(_small_with_isolated_desk(tmp_path)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/requests?token={TOKEN}")
            expect(page.locator("#request-list")).not_to_contain_text("loading", timeout=20_000)
            assert "crypto" in page.locator("#request-form fieldset[data-kind=workload] select[name=desk]").inner_text()

            def field(kind: str, name: str) -> str:
                return f"#request-form fieldset[data-kind={kind}] [name={name}]"

            page.select_option("#req-kind", "flow")
            page.fill(field("flow", "src"), "strategy")
            page.fill(field("flow", "dst"), "mm")
            page.select_option(field("flow", "protocol"), "tcp")
            page.fill(field("flow", "ports"), "9000")
            page.fill(field("flow", "reason"), "futures wants crypto's quotes")
            page.click("#req-submit")
            verdict = page.locator("#req-verdict")
            expect(verdict).to_contain_text("refused", timeout=60_000)
            expect(verdict).to_have_class("verdict bad")
            expect(page.locator("#request-result .notice.bad").first).to_contain_text(
                "breaks isolation: desk crypto is isolated")
            expect(page.locator("#req-trace")).to_contain_text("strategy -> mm tcp 9000")
            expect(page.locator("#req-trace")).to_contain_text('"hops"')
            page.screenshot(path=str(ARTIFACTS / "request-refused-isolation.png"), full_page=True)

            page.select_option("#req-kind", "workload")
            page.fill(field("workload", "name"), "strategy2")
            page.select_option(field("workload", "desk"), "futures")
            page.select_option(field("workload", "network"), "aws-trading")
            page.fill(field("workload", "subnet"), "trading-a")
            page.fill(field("workload", "machine_type"), "c6i.4xlarge")
            page.fill(field("workload", "reason"), "a second strategy host")
            page.click("#req-submit")
            expect(verdict).to_contain_text("acceptable", timeout=60_000)
            expect(verdict).to_have_class("verdict ok")
            expect(page.locator("#request-result .notice.bad")).to_have_count(0)
            terraform = page.locator("#req-terraform")
            expect(terraform).to_contain_text("added:")
            expect(terraform).to_contain_text("aws/30-compute aws_instance.strategy2__use2_az1")
            expect(page.locator("#req-cost")).to_contain_text('"by_desk"')
            cost = json.loads(page.locator("#req-cost").inner_text())
            delta = cost["currency"]["USD"]["delta"]  # one more c6i.4xlarge a month, at list price
            assert delta > 0 and cost["by_desk"] == {"futures": delta}, cost
            assert [(c["id"], c["change"], c["new"]) for c in cost["changes"]] == \
                [("workload.strategy2", "added", "1 x c6i.4xlarge")], cost
            expect(page.locator("#request-list tr")).to_have_count(3)  # header + the two requests
            page.screenshot(path=str(ARTIFACTS / "request-accepted.png"), full_page=True)
            assert not errors, errors
        finally:
            browser.close()
