"""The incidents page against the real incidents service (uvicorn on loopback): list, detail with the
timeline, acknowledge and resolve through its HTTP API with the console actor's name on the timeline,
the crypto desk's incidents only for crypto and platform."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from tests.console.conftest import NAMES, REFERENCE, TOKENS, auth
from tests.incidents.conftest import INTAKE_AUTH, am_alert, am_payload, write_config
from tests.incidents.conftest import TOKENS as INCIDENT_TOKENS

from tradeplane import estate as est
from tradeplane.console import create_app
from tradeplane.incidents.api import create_app as incidents_app
from tradeplane.incidents.config import load_config
from tradeplane.incidents.service import Service

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def incidents_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = Path(tmp_path_factory.mktemp("incidents"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    service = Service(load_config(write_config(tmp)), est.load(REFERENCE))
    server = uvicorn.Server(uvicorn.Config(incidents_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    alerts = [am_alert("FeedStale", venue="binance", desk="crypto"), am_alert("Disk", workload="cme-order-router")]
    assert httpx.post(f"{base}/api/v1/alerts/alertmanager", json=am_payload(*alerts),
                      headers=INTAKE_AUTH).status_code == 200
    yield base
    server.should_exit = True
    thread.join(timeout=30)


def test_list_detail_ack_resolve_through_the_service(incidents_url: str) -> None:
    app = create_app(REFERENCE, tokens=TOKENS, token_names=NAMES, incidents_url=incidents_url,
                     incidents_token=INCIDENT_TOKENS["admin"])
    with TestClient(app) as c:
        everything = c.get("/api/incidents", headers=auth("platform")).json()
        assert everything["connected"] and len(everything["incidents"]) == 2 and everything["hidden"] == 0
        viewer = c.get("/api/incidents", headers=auth("viewer")).json()
        assert len(viewer["incidents"]) == 1 and viewer["hidden"] == 1
        crypto = next(i for i in everything["incidents"] if i["desk"] == "crypto")
        other = next(i for i in everything["incidents"] if i["desk"] != "crypto")
        assert c.get(f"/api/incidents/{crypto['id']}", headers=auth("viewer")).status_code == 403
        html = c.get("/incidents", headers=auth("viewer")).text
        assert other["title"] in html and crypto["title"] not in html

        r = c.post(f"/api/incidents/{other['id']}/ack", headers=auth("requester"), json={"text": "looking"})
        assert r.status_code == 200, r.text
        r = c.post(f"/api/incidents/{other['id']}/resolve", headers=auth("approver"), json={})
        assert r.status_code == 200, r.text
        detail = c.get(f"/api/incidents/{other['id']}", headers=auth("viewer")).json()
        assert detail["status"] == "resolved"
        texts = [str(t["body"]) for t in detail["timeline"]]
        assert any("rick via the console" in t for t in texts) and any("anna via the console" in t for t in texts)
        page = c.get(f"/incidents/{other['id']}", headers=auth("requester")).text
        assert 'id="timeline"' in page and "resolved" in page and 'data-act="ack"' in page
        assert c.post(f"/api/incidents/{other['id']}/ack", headers=auth("viewer")).status_code == 403
        r = c.post(f"/api/incidents/{other['id']}/ack", headers=auth("requester"))
        assert r.status_code == 409  # the service's lifecycle refuses acking a resolved incident
        audit = c.get("/api/audit", headers=auth("approver")).json()
        assert [(a["actor"], a["status"]) for a in audit[:3]] == [("rick", 200), ("anna", 200), ("vera", 403)]
