"""Pages over a real webhook receiver and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.incidents.conftest import Clock, am_alert, am_payload
from tradeplane.incidents.lifecycle import Action
from tradeplane.incidents.views import Scope


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


@pytest.fixture
async def webhook() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> JSONResponse:
        received.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
                                           host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}/hook", received
    server.should_exit = True
    await task


async def test_pages_escalate_until_acknowledged(make_service: Any, clock: Clock, smtp: Any, webhook: Any) -> None:
    port, box = smtp
    url, hooks = webhook
    service = make_service(notify={"webhook": url, "smtp": {"host": "127.0.0.1", "port": port,
                                                            "sender": "incidents@dvtrading.example"}})
    await service.start(background=False)
    try:
        alert = am_alert("OrderGatewayDown", workload="eq-order-gateway", severity="critical")
        from tradeplane.incidents.alerts import AlertmanagerWebhook

        payload = AlertmanagerWebhook.model_validate(am_payload(alert))
        iid = (await service.ingest(payload.alerts, "alertmanager")).opened[0]
        assert await service.escalate_due() == 1
        assert len(hooks) == 1 and "OrderGatewayDown" in hooks[0]["text"] and hooks[0]["blocks"]
        assert len(box.messages) == 1
        mail = box.messages[0]
        assert mail["Subject"].startswith("[CRITICAL] incident") and mail["X-Tradeplane-Incident"] == str(iid)
        assert mail["To"].endswith("@dvtrading.example")
        # nothing more is due until the level's timeout (equities venues open: 10 minutes)
        assert await service.escalate_due() == 0
        clock.now += timedelta(minutes=11)
        assert await service.escalate_due() == 1
        assert len(box.messages) >= 3  # team:eq-exec (2 people) + oncall:sre
        await service.act(iid, Action.ACK, "alice", Scope())
        clock.now += timedelta(hours=2)
        assert await service.escalate_due() == 0
        timeline = await service.read(lambda s: __import__("tradeplane.incidents.timeline", fromlist=["x"])
                                      .entries(s, iid))
        kinds = [e["kind"] for e in timeline]
        assert kinds.count("page") == 1 and kinds.count("escalate") == 1 and kinds[-1] == "ack"
        page = next(e for e in timeline if e["kind"] == "page")
        assert all(d["ok"] for d in page["body"]["deliveries"])
        assert page["body"]["market_open"] is True
    finally:
        await service.stop()


async def test_dead_channel_is_recorded_not_raised(make_service: Any, clock: Clock) -> None:
    service = make_service(notify={"webhook": f"http://127.0.0.1:{_free_port()}/nothing",
                                   "smtp": {"host": "127.0.0.1", "port": _free_port(), "sender": "a@b.example"}})
    await service.start(background=False)
    try:
        from tradeplane.incidents.alerts import Alert

        alert = Alert(labels={"alertname": "X", "workload": "eq-strategy"}, startsAt=clock.now)
        iid = (await service.ingest([alert], "test")).opened[0]
        await service.escalate_due()
        from tradeplane.incidents.timeline import entries

        timeline = await service.read(lambda s: entries(s, iid))
        page = next(e for e in timeline if e["kind"] == "page")
        assert page["body"]["deliveries"] and not any(d["ok"] for d in page["body"]["deliveries"])
    finally:
        await service.stop()
