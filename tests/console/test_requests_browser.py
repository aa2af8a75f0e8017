"""The Requests page in a real browser (Playwright driving Debian's chromium): an approver's own request is
refused on the page with the reason, and approved by another approver."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.console.conftest import ROOT
from tradeplane.console import Role, create_app

CHROMIUM = shutil.which("chromium")
TOKENS = {"t-abe-approver": Role.APPROVER, "t-ada-approver": Role.APPROVER}
NAMES = {"t-abe-approver": "abe", "t-ada-approver": "ada"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def console(tmp_path: Path) -> Iterator[str]:
    """A console over a copy of examples/small, served by uvicorn on loopback, its state in tmp_path."""
    estate = tmp_path / "small"
    shutil.copytree(ROOT / "examples" / "small", estate)
    app = create_app(estate, tokens=TOKENS, token_names=NAMES, selfserve_state=tmp_path / "state")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_port(), log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.config.port}"
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./dev installs it)")
def test_an_approver_cannot_approve_his_own_request_and_the_page_says_why(console: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    r = httpx.post(f"{console}/api/requests", json={"kind": "budget", "desk": "futures", "amount": 25000},
                   headers={"Authorization": "Bearer t-abe-approver"}, timeout=300)
    assert r.status_code == 201 and r.json()["verdict"] == "acceptable", r.text
    rid = r.json()["id"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            errors: list[str] = []
            for token in ("t-abe-approver", "t-ada-approver"):
                page = browser.new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(f"{console}/requests?token={token}")
                button = page.locator(f'#request-list tr[data-id="{rid}"] button.req-approve')
                expect(button).to_be_visible(timeout=20_000)
                button.click()
                if token == "t-abe-approver":  # abe filed it
                    refused = page.locator("#req-approve-error")
                    expect(refused).to_contain_text("403", timeout=20_000)
                    expect(refused).to_contain_text(f"request {rid} was filed by abe")
                    expect(refused).to_contain_text("separation of duties")
                    expect(page.locator(f'#request-list tr[data-id="{rid}"]')).to_contain_text("pending")
                else:
                    expect(page.locator("#req-approved")).to_contain_text(f"approved {rid}: patch", timeout=20_000)
                    expect(page.locator(f'#request-list tr[data-id="{rid}"]')).to_contain_text("approved")
                page.close()
            assert not errors, errors
        finally:
            browser.close()
