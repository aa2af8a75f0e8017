"""The router the console mounts, in a tiny FastAPI app driven by TestClient."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Header
from fastapi.testclient import TestClient

from tests.conftest import EXAMPLES
from tests.selfserve.conftest import FUTURES_NEAR_CME
from tradeplane.estate import load
from tradeplane.selfserve import Actor, Restricted, can_request
from tradeplane.selfserve.api import make_router
from tradeplane.selfserve.store import Store


def _actor(x_actor: str = Header("someone"), x_role: str = Header("viewer")) -> Actor:
    return Actor(x_actor, x_role)


def _client(estate: Path, state: Path) -> TestClient:
    app = FastAPI()
    app.include_router(make_router(estate, _actor, state))
    return TestClient(app, raise_server_exceptions=False)


def _as(role: str, name: str = "someone") -> dict[str, str]:
    return {"X-Actor": name, "X-Role": role}


@pytest.fixture(scope="module")
def client(estate_repo: Path, state_dir: Path, submitted: dict[str, Any]) -> TestClient:
    return _client(estate_repo, state_dir)


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "teleport"}, "kind"),
    ({"desk": "futures"}, "kind"),
    ({"kind": "budget", "desk": "futures", "amount": -5}, "amount"),
    ({"kind": "budget", "desk": "futures", "amount": "lots"}, "amount"),
    ({"kind": "budget", "desk": "Futures!", "amount": 5}, "desk"),
    ({"kind": "budget", "desk": "futures", "amount": 5, "colour": "red"}, "colour"),
    ({"kind": "flow", "src": "eq-strategy", "dst": "coinbase-mm", "reason": "x"}, "request"),
    ({"kind": "flow", "src": "nobody", "dst": "coinbase-mm", "ports": [1], "reason": "x"}, "src"),
    ({"kind": "workload", "name": "w", "desk": "futures", "latency_us": 5}, "latency_us"),
    ({"kind": "venue", "target": "eq-strategy", "venue": "lse"}, "venue"),
    ([1, 2, 3], "body"),
    ("text", "body"),
])
def test_bad_input_is_422_with_field_and_reason(client: TestClient, body: Any, field: str) -> None:
    r = client.post("/api/requests", json=body, headers=_as("requester"))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["field"] == field and detail[0]["reason"]


def test_a_bad_name_hint_never_lists_the_crypto_desk_to_other_roles(client: TestClient) -> None:
    """Found in a new-user trial: "did you mean 'coinbase-mm'?" and "one of: binance-mm, ..." listed the
    crypto desk's workloads to any requester."""
    for dst in ("coinbase-m", "nosuch"):
        body = {"kind": "flow", "src": "eq-strategy", "dst": dst, "ports": [9200], "reason": "x"}
        told = client.post("/api/requests", json=body, headers=_as("requester")).text
        assert "coinbase-mm" not in told and "binance-mm" not in told and "[crypto desk]" in told, told
    body = {"kind": "flow", "src": "eq-strategy", "dst": "coinbase-m", "ports": [9200], "reason": "x"}
    assert "coinbase-mm" in client.post("/api/requests", json=body, headers=_as("platform")).text


def test_an_unknown_role_is_403_not_500(client: TestClient) -> None:
    r = client.get("/api/requests", headers=_as("wizard"))
    assert r.status_code == 403 and r.json()["detail"][0]["field"] == "role"


def test_submitting_needs_a_requesting_role(client: TestClient) -> None:
    r = client.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": 1}, headers=_as("viewer"))
    assert r.status_code == 403
    assert r.json()["detail"][0]["field"] == "role"
    assert all(can_request(Actor("x", role)) for role in ("requester", "crypto", "approver", "platform"))


CRYPTO_IDS = ("coinbase-mm", "aws-use1-crypto", "aws_use1_crypto", "market_maker_sg")


def test_the_crypto_desks_details_reach_the_crypto_and_platform_roles_only(
        client: TestClient, submitted: dict[str, Any], estate_repo: Path) -> None:
    flow, workload = submitted["flow"]["id"], submitted["workload"]["id"]
    crypto = Restricted.of(load(estate_repo))
    # erin (a requester) submitted the flow into the crypto desk: what she was answered names none of it
    mine = submitted["flow"]
    assert not crypto.touches(json.dumps(mine)) and not [x for x in CRYPTO_IDS if x in json.dumps(mine)]
    assert mine["verdict"] == "refused" and mine["redacted"] and mine["hidden"] > 0
    assert any("breaks isolation" in x and "desk crypto" in x and "eq-strategy" in x for x in mine["reasons"])
    for role in ("viewer", "requester", "approver"):
        listed = client.get("/api/requests", headers=_as(role))
        assert {workload, flow} <= {x["id"] for x in listed.json()}
        got = client.get(f"/api/requests/{flow}", headers=_as(role))
        assert got.status_code == 200 and got.json()["redacted"] is True, role
        assert not crypto.touches(listed.text + got.text), role
    for role in ("crypto", "platform"):
        body = client.get(f"/api/requests/{flow}", headers=_as(role)).json()
        assert body["redacted"] is False and body["hidden"] == 0
        assert body["verdict"] == "refused" and body["trace"]["lines"] and body["findings"]["new"]
        assert all(x in json.dumps(body) for x in CRYPTO_IDS), role
        assert "coinbase-mm" in client.get("/api/requests", headers=_as(role)).text
        assert "file_texts" not in body and "crypto" not in body
    got = client.get(f"/api/requests/{workload}", headers=_as("viewer")).json()
    assert {"verdict", "reasons", "findings", "trace", "terraform", "cost", "estate_diff", "placement"} <= set(got)
    assert got["placement"] and got["terraform"]["added"]  # nothing of the futures request is hidden
    assert client.get("/api/requests/req-0000000000", headers=_as("viewer")).status_code == 404
    assert client.get("/api/requests/not-an-id", headers=_as("viewer")).json()["detail"][0]["field"] == "id"


def test_approval_rules(client: TestClient, submitted: dict[str, Any]) -> None:
    flow = submitted["flow"]["id"]
    assert client.post(f"/api/requests/{flow}/approve", headers=_as("requester")).status_code == 403
    assert client.post(f"/api/requests/{flow}/approve", headers=_as("platform")).status_code == 409
    assert client.post("/api/requests/req-0000000000/approve", headers=_as("platform")).status_code == 404
    r = client.post(f"/api/requests/{flow}/approve", json={"branch": 5}, headers=_as("platform"))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "branch"


def test_the_same_request_again_returns_its_outcome_at_once(client: TestClient, submitted: dict[str, Any]) -> None:
    r = client.post("/api/requests", json=FUTURES_NEAR_CME, headers=_as("requester", "gus"))
    assert r.status_code == 201
    assert r.json()["id"] == submitted["workload"]["id"]
    log = submitted["store"].audit_log()
    assert log[-1]["actor"] == "gus" and log[-1]["repeated"] is True


def test_submit_and_approve_over_http(tmp_path: Path) -> None:
    estate = tmp_path / "small"
    shutil.copytree(EXAMPLES / "small", estate)
    c = _client(estate, tmp_path / "state")
    r = c.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": 25000, "currency": "USD"},
               headers=_as("requester", "rita"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["verdict"] == "acceptable"
    assert body["cost"]["budgets"]["USD"] == {"old": 20000.0, "new": 25000.0, "delta": 5000.0}
    assert "-  - {desk: futures, monthly_usd: 20000}\n+  - {desk: futures, monthly_usd: 25000}\n" in body["estate_diff"]
    a = c.post(f"/api/requests/{body['id']}/approve", headers=_as("approver", "ada"))
    assert a.status_code == 200, a.text
    patch = Path(a.json()["patch"])
    assert patch.is_file() and "monthly_usd: 25000" in patch.read_text()
    assert a.json()["branch"] is None
    # the estate moved after evaluation: a second, different request evaluated, then the file edited
    r2 = c.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": 30000},
                headers=_as("requester", "rita"))
    (estate / "estate.yaml").write_text((estate / "estate.yaml").read_text() + "\n# edited\n")
    assert c.post(f"/api/requests/{r2.json()['id']}/approve", headers=_as("platform")).status_code == 409


def test_the_requester_never_approves_and_a_budget_is_written_in_usd(tmp_path: Path) -> None:
    """Found in a new-user trial: an approver approved his own request (HTTP 200), and a budget in XYZ was
    acceptable, written as `monthly_usd: 250000, currency: XYZ`."""
    estate = tmp_path / "small"
    shutil.copytree(EXAMPLES / "small", estate)
    c = _client(estate, tmp_path / "state")
    bad = c.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": 250000, "currency": "XYZ"},
                 headers=_as("approver", "abe"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "currency", bad.text
    assert "cannot be converted into USD" in bad.json()["detail"][0]["reason"]
    rates = {"currency": "USD", "as_of": "2026-10-31", "source": "ECB", "rates": {"EUR": 1.0842}}
    r = c.post("/api/requests", json={"kind": "budget", "desk": "futures", "amount": 25000, "currency": "EUR",
                                      "rates": rates}, headers=_as("approver", "abe"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["verdict"] == "acceptable" and body["summary"].startswith("budget of desk futures: 27,105 USD/month")
    assert "+  - {desk: futures, monthly_usd: 27105}\n" in body["estate_diff"]
    assert body["cost"]["budgets"] == {"USD": {"old": 20000.0, "new": 27105.0, "delta": 7105.0}}
    for role in ("approver", "platform"):  # abe filed it: abe may not approve it, whatever his role
        a = c.post(f"/api/requests/{body['id']}/approve", headers=_as(role, "abe"))
        assert a.status_code == 403, a.text
        [problem] = a.json()["detail"]
        assert problem["field"] == "actor" and "separation of duties" in problem["reason"] and problem["hint"]
    assert not (tmp_path / "state" / "patches").exists()
    for name in ("ABE", " Abe "):  # the same person whatever the case or padding of his name
        a = c.post(f"/api/requests/{body['id']}/approve", headers=_as("approver", name))
        assert a.status_code == 403 and "separation of duties" in a.json()["detail"][0]["reason"], a.text
    assert not (tmp_path / "state" / "patches").exists()
    a = c.post(f"/api/requests/{body['id']}/approve", headers=_as("approver", "ada"))
    assert a.status_code == 200, a.text
    assert "monthly_usd: 27105" in Path(a.json()["patch"]).read_text()
    log = Store(tmp_path / "state").audit_log()
    refused = [(x["actor"], x["role"], x["reason"]) for x in log if x["event"] == "approve-forbidden"]
    assert refused == [("abe", "approver", "self-approval"), ("abe", "platform", "self-approval"),
                       ("ABE", "approver", "self-approval"), ("Abe", "approver", "self-approval")]
