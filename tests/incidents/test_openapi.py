"""schemathesis against the OpenAPI the running service serves (uvicorn on loopback): no 500s,
every response matches its schema and content type.

Authenticated as an admin (reads and acts) and as the intake; the database is seeded with a few
incidents so generated ids hit real rows too."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.incidents.conftest import INTAKE_AUTH, TOKENS, am_alert, am_payload, write_config
from tradeplane import estate as est
from tradeplane.incidents.api import create_app
from tradeplane.incidents.config import load_config
from tradeplane.incidents.service import Service


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, dv: est.Estate) -> Iterator[Any]:
    tmp = Path(tmp_path_factory.mktemp("openapi"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    service = Service(load_config(write_config(tmp)), dv)
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    alerts = [am_alert("FeedStale", venue="binance"), am_alert("Disk", workload="cme-order-router"),
              am_alert("Link", link="cme-interconnect/att-chi-1", severity="critical")]
    assert httpx.post(f"{base}/api/v1/alerts/alertmanager", json=am_payload(*alerts),
                      headers=INTAKE_AUTH).status_code == 200
    yield schemathesis.openapi.from_url(f"{base}/openapi.json")
    server.should_exit = True
    thread.join(timeout=30)


def test_api_conforms(api_schema: Any) -> None:
    # Driven by hand rather than by schemathesis' pytest plugin, whose fixture mode does not run on
    # this pytest; the same strategies and checks.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for op in operations:
        auth = INTAKE_AUTH["Authorization"] if "/alerts/" in op.path else f"Bearer {TOKENS['admin']}"

        _check(op, auth)


def _check(op: Any, auth: str) -> None:
    @given(op.as_strategy())
    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": auth},
                               checks=[not_a_server_error, response_schema_conformance, content_type_conformance])

    run()
