"""The service end to end in process: intake, dedup, grouping, owners, lifecycle, scoping, audit."""

from __future__ import annotations

import base64

import httpx

from tests.incidents.conftest import INTAKE_AUTH, am_alert, am_payload, auth


async def test_alertmanager_firing_then_resolved_auto_resolves(client: httpx.AsyncClient) -> None:
    a = am_alert("FeedStale", venue="binance", stream="binance/depth/BTCUSDT", severity="high")
    r = await client.post("/api/v1/alerts/alertmanager", json=am_payload(a), headers=INTAKE_AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["new"] == 1 and len(body["opened"]) == 1
    iid = body["opened"][0]
    # the same alert again (Alertmanager repeat or retry): a duplicate
    r = await client.post("/api/v1/alerts/alertmanager", json=am_payload(a), headers=INTAKE_AUTH)
    assert r.json()["duplicates"] == 1 and r.json()["new"] == 0
    inc = (await client.get(f"/api/v1/incidents/{iid}", headers=auth("admin"))).json()
    assert inc["desk"] == "crypto" and inc["team"] == "crypto-infra" and inc["venue"] == "binance"
    assert inc["severity"] == "high" and inc["status"] == "triggered"
    assert inc["alerts"][0]["receipts"] == 2
    # a human note, then Alertmanager says resolved
    r = await client.post(f"/api/v1/incidents/{iid}/note", json={"text": "leg b flapping"}, headers=auth("crypto"))
    assert r.status_code == 200, r.text
    resolved = {**a, "status": "resolved", "endsAt": "2026-11-30T15:10:00Z"}
    r = await client.post("/api/v1/alerts/alertmanager", json=am_payload(resolved, status="resolved"),
                          headers=INTAKE_AUTH)
    assert r.json()["resolved"] == 1
    inc = (await client.get(f"/api/v1/incidents/{iid}", headers=auth("admin"))).json()
    assert inc["status"] == "resolved"
    kinds = [e["kind"] for e in inc["timeline"]]
    assert kinds[0] == "trigger" and "note" in kinds and kinds[-1] == "resolve"
    assert any(e["body"].get("text") == "leg b flapping" for e in inc["timeline"])
    v = (await client.get(f"/api/v1/incidents/{iid}/verify", headers=auth("admin"))).json()
    assert v["ok"] and v["entries"] == len(inc["timeline"])


async def test_grouping_by_venue_and_severity_escalates(client: httpx.AsyncClient) -> None:
    a = am_alert("FeedGap", venue="bybit", severity="warning")
    b = am_alert("FeedStale", venue="bybit", severity="critical")
    c = am_alert("BudgetBreach", desk="research", severity="warning")
    r = await client.post("/api/v1/alerts/alertmanager", json=am_payload(a, b, c), headers=INTAKE_AUTH)
    body = r.json()
    assert body["new"] == 3 and len(body["opened"]) == 2
    rows = (await client.get("/api/v1/incidents", headers=auth("admin"))).json()
    by_key = {x["group_key"]: x for x in rows}
    assert by_key["venue:bybit"]["severity"] == "critical"
    assert by_key["desk:research"]["desk"] == "research"


async def test_desk_scoping_and_roles(client: httpx.AsyncClient) -> None:
    a = am_alert("OrderGatewayDown", workload="binance-mm", severity="critical")
    b = am_alert("CmeLatency", workload="cme-order-router", severity="high")
    r = await client.post("/api/v1/alerts/alertmanager", json=am_payload(a, b), headers=INTAKE_AUTH)
    crypto_id, fut_id = sorted(r.json()["opened"])
    crypto = {x["id"] for x in (await client.get("/api/v1/incidents", headers=auth("crypto"))).json()}
    assert crypto == {crypto_id}
    platform = {x["id"] for x in (await client.get("/api/v1/incidents", headers=auth("platform"))).json()}
    assert platform == {crypto_id, fut_id}
    assert (await client.get(f"/api/v1/incidents/{fut_id}", headers=auth("crypto"))).status_code == 404
    # a viewer cannot act; an unknown token is refused; a responder of another desk sees nothing
    assert (await client.post(f"/api/v1/incidents/{fut_id}/ack", headers=auth("futures-viewer"))).status_code == 403
    assert (await client.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await client.post(f"/api/v1/incidents/{fut_id}/ack", headers=auth("crypto"))).status_code == 404
    r = await client.post(f"/api/v1/incidents/{fut_id}/ack", headers=auth("platform"))
    assert r.status_code == 200 and r.json()["actor"] == "token:platform"
    # acknowledging twice is a conflict, not a silent no-op
    assert (await client.post(f"/api/v1/incidents/{fut_id}/ack", headers=auth("platform"))).status_code == 409
    # the audit export is admin only
    assert (await client.get(f"/api/v1/incidents/{fut_id}/audit", headers=auth("platform"))).status_code == 403
    audit = (await client.get(f"/api/v1/incidents/{fut_id}/audit", headers=auth("admin"))).json()
    assert audit["verification"]["ok"]


async def test_intake_authentication_and_size_limit(client: httpx.AsyncClient) -> None:
    payload = am_payload(am_alert("X"))
    assert (await client.post("/api/v1/alerts/alertmanager", json=payload)).status_code == 401
    bad = {"Authorization": "Bearer wrong"}
    assert (await client.post("/api/v1/alerts/alertmanager", json=payload, headers=bad)).status_code == 401
    basic = {"Authorization": "Basic " + base64.b64encode(b"alertmanager:am-pass").decode()}
    assert (await client.post("/api/v1/alerts/alertmanager", json=payload, headers=basic)).status_code == 200
    wrong = {"Authorization": "Basic " + base64.b64encode(b"alertmanager:nope").decode()}
    assert (await client.post("/api/v1/alerts/alertmanager", json=payload, headers=wrong)).status_code == 401
    huge = am_payload(*[am_alert(f"A{i}", note="x" * 200) for i in range(400)])
    r = await client.post("/api/v1/alerts/alertmanager", json=huge, headers=INTAKE_AUTH)
    assert r.status_code == 413


async def test_secrets_are_scrubbed_before_storing(client: httpx.AsyncClient) -> None:
    a = am_alert("Leak", desk="crypto", api_key="abc123", url="https://svc:hunter2@10.0.0.1/x")
    a["annotations"]["description"] = "token AKIAABCDEFGHIJKLMNOP and Bearer eyJhbGciOi.eyJzdWIiOi.sig12345"
    r = await client.post("/api/v1/alerts/alertmanager", json=am_payload(a), headers=INTAKE_AUTH)
    iid = r.json()["opened"][0]
    inc = (await client.get(f"/api/v1/incidents/{iid}", headers=auth("admin"))).json()
    text = str(inc)
    for secret in ("abc123", "hunter2", "AKIAABCDEFGHIJKLMNOP", "eyJhbGciOi"):
        assert secret not in text
    assert inc["alerts"][0]["labels"]["api_key"] == "[scrubbed]"


async def test_tradeplane_events_and_generic_alerts(client: httpx.AsyncClient) -> None:
    events = [{"kind": "link_down", "summary": "cme-interconnect attachment down", "at": "2026-11-30T14:58:00Z",
               "link": "cme-interconnect/att-chi-1", "source": "net"},
              {"kind": "cost_anomaly", "summary": "crypto compute +80%", "at": "2026-11-30T00:00:00Z",
               "desk": "crypto", "source": "finops",
               "evidence": {"service": "ec2", "excess": 1200.0,
                            "drivers": [{"resource_id": "i-1", "excess": 900.0}, {"resource_id": "i-2", "excess": 300.0}]}}]
    r = await client.post("/api/v1/alerts/events", json=events, headers=INTAKE_AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["new"] == 2 and len(r.json()["opened"]) == 2
    rows = {x["group_key"]: x for x in (await client.get("/api/v1/incidents", headers=auth("admin"))).json()}
    assert rows["link:cme-interconnect"]["desk"] == "platform"
    assert rows["link:cme-interconnect"]["severity"] == "critical"
    g = {"title": "disk full on bastion", "severity": "high", "labels": {"network": "aws-use1-shared"},
         "dedup_key": "bastion-disk"}
    r = await client.post("/api/v1/alerts/generic", json=g, headers=INTAKE_AUTH)
    assert r.status_code == 200 and r.json()["new"] == 1
    r = await client.post("/api/v1/alerts/generic", json=g, headers=INTAKE_AUTH)
    assert r.json()["duplicates"] == 1
