"""The Requests page: posts to tradeplane.selfserve's API when it is installed; says so when it is not."""

from __future__ import annotations

import pytest

from tests.console.conftest import auth
from tradeplane.console import selfserve_available


def test_without_selfserve_the_page_says_not_installed(monkeypatch, tmp_path):
    from fastapi.testclient import TestClient

    from tests.console.conftest import REFERENCE
    from tradeplane.console import app as console_app

    monkeypatch.setattr(console_app, "selfserve_available", lambda: False)
    with TestClient(console_app.create_app(REFERENCE, selfserve_state=tmp_path)) as c:
        assert "self-serve not installed" in c.get("/requests").text
        assert c.post("/api/requests", json={"kind": "budget"}).status_code in (404, 405)


needs_selfserve = pytest.mark.skipif(not selfserve_available(), reason="tradeplane.selfserve is not installed")


@needs_selfserve
def test_the_form_offers_every_kind(client):
    html = client.get("/requests", headers=auth("requester")).text
    assert 'id="request-form"' in html
    for kind in ("workload", "venue", "flow", "budget"):
        assert f'data-kind="{kind}"' in html


@needs_selfserve
def test_viewers_cannot_file_and_bad_requests_name_the_field(client):
    r = client.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": 1}, headers=auth("viewer"))
    assert r.status_code == 403
    r = client.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": -5},
                    headers=auth("requester"))
    assert 400 <= r.status_code < 500 and "amount" in r.text


@needs_selfserve
def test_a_flow_into_the_crypto_desk_is_refused_with_a_reason(client):
    r = client.post("/api/requests", json={"kind": "flow", "src": "eq-strategy", "dst": "binance-mm",
                                           "protocol": "tcp", "ports": ["443"], "reason": "test"},
                    headers=auth("platform"))
    assert r.status_code < 500, r.text
    body = r.json()
    assert body.get("verdict") not in (None, "accepted"), body
    assert body.get("reasons")
