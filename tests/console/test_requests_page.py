"""The Requests page and tradeplane.selfserve's API mounted in the console, seen by each role."""

from __future__ import annotations

import json

from tests.console.conftest import auth

CRYPTO_IDS = ("binance-mm", "coinbase-mm", "aws-apne1-crypto", "aws_apne1_crypto", "aws-use1-crypto", "aws_use1_crypto")
INTO_CRYPTO = {"kind": "flow", "src": "eq-strategy", "dst": "binance-mm", "protocol": "tcp", "ports": ["443"],
               "reason": "test"}


def test_the_form_offers_every_kind_and_only_the_names_a_role_may_see(client):
    html = client.get("/requests", headers=auth("requester")).text
    assert 'id="request-form"' in html
    for kind in ("workload", "venue", "flow", "budget"):
        assert f'data-kind="{kind}"' in html
    assert "eq-strategy" in html
    assert not [x for x in CRYPTO_IDS if x in html]  # the form's choices leave the crypto desk out
    platform = client.get("/requests", headers=auth("platform")).text
    assert "binance-mm" in platform and "aws-apne1-crypto" in platform


def test_viewers_cannot_file_and_bad_requests_name_the_field(client):
    r = client.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": 1}, headers=auth("viewer"))
    assert r.status_code == 403
    r = client.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": -5},
                    headers=auth("requester"))
    assert 400 <= r.status_code < 500 and "amount" in r.text


def test_a_flow_into_the_crypto_desk_is_refused_and_its_details_shown_to_crypto_and_platform_only(client):
    r = client.post("/api/requests", json=INTO_CRYPTO, headers=auth("platform"))
    assert r.status_code == 201, r.text
    full = r.json()
    assert full["verdict"] == "refused" and full["reasons"] and full["redacted"] is False
    assert "binance-mm" in json.dumps(full)
    # the same request from a requester: the stored outcome at once, without the crypto desk's names
    r = client.post("/api/requests", json=INTO_CRYPTO, headers=auth("requester"))
    assert r.status_code == 201, r.text
    mine = r.json()
    text = json.dumps(mine)
    assert not [x for x in CRYPTO_IDS if x in text], text
    assert mine["verdict"] == "refused" and mine["redacted"] is True and mine["hidden"] > 0
    assert any("desk crypto" in x and "eq-strategy" in x for x in mine["reasons"])  # that, and which of hers
    for role, sees in (("viewer", False), ("approver", False), ("crypto", True), ("platform", True)):
        got = client.get(f"/api/requests/{full['id']}", headers=auth(role))
        assert got.status_code == 200
        assert ("binance-mm" in got.text) is sees, role
        listed = client.get("/api/requests", headers=auth(role))
        assert full["id"] in listed.text and ("binance-mm" in listed.text) is sees, role


def test_nobody_approves_their_own_request_on_the_console(client, console_app):
    """Found in a new-user trial: on the console an approver approved his own request (HTTP 200). Whoever
    filed a request may not approve it, whatever their role: 403 with the reason, logged as a refusal."""
    r = client.post("/api/requests", json=INTO_CRYPTO, headers=auth("platform"))  # filed by pat
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["requested_by"]["name"] == "pat"
    a = client.post(f"/api/requests/{rid}/approve", headers=auth("platform"))
    assert a.status_code == 403, a.text
    body = a.json()
    [problem] = body["detail"]
    assert body["field"] == "actor" and problem["field"] == "actor"
    assert f"request {rid} was filed by pat" in problem["reason"] and "separation of duties" in problem["reason"]
    # the console's own audit of mutating calls and self-serve's audit log both record the refusal
    assert any(x["path"] == f"/api/requests/{rid}/approve" and x["status"] == 403 and x["actor"] == "pat"
               for x in client.get("/api/audit", headers=auth("approver")).json())
    html = client.get("/requests", headers=auth("approver")).text
    assert 'data-approve="1"' in html and "separation of duties" in html
    assert 'data-approve=""' in client.get("/requests", headers=auth("requester")).text
