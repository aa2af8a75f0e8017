"""Roles by token: read-only by default, the token from a header, query or cookie, actions logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.conftest import BY_ROLE, auth
from tradeplane.console import Role, load_tokens
from tradeplane.errors import TradeplaneError


def test_anonymous_reads_as_viewer_and_unknown_tokens_are_refused(client):
    assert client.get("/api/whoami").json()["role"] == "viewer"
    r = client.get("/api/whoami", headers={"Authorization": "Bearer nope-nope-nope"})
    assert r.status_code == 401
    who = client.get("/api/whoami", headers=auth("approver")).json()
    assert who == {"name": "anna", "role": "approver", "authenticated": True, "may_request": True,
                   "may_approve": True, "sees_crypto": False}


def test_query_token_sets_a_cookie_that_later_pages_use(console_app):
    from fastapi.testclient import TestClient

    with TestClient(console_app) as c:
        r = c.get("/api/whoami", params={"token": BY_ROLE["crypto"]})
        assert r.json()["name"] == "cory" and "tradeplane_token" in r.cookies
        assert c.get("/api/whoami").json()["name"] == "cory"


def test_mutating_calls_need_a_role_and_are_logged_with_the_actor(client, console_app):
    r = client.post("/api/incidents/1/ack", headers=auth("viewer"), json={"text": "x"})
    assert r.status_code == 403
    r = client.post("/api/incidents/1/ack", headers=auth("requester"), json={"text": "x"})
    assert r.status_code == 503 and "not connected" in r.json()["detail"]
    audit = client.get("/api/audit", headers=auth("approver")).json()
    actors = [(a["actor"], a["role"], a["status"]) for a in audit if a["path"] == "/api/incidents/1/ack"]
    assert ("vera", "viewer", 403) in actors and ("rick", "requester", 503) in actors
    assert client.get("/api/audit", headers=auth("requester")).status_code == 403


def test_token_file_by_value_env_and_hash(tmp_path: Path):
    import hashlib

    f = tmp_path / "tokens.yaml"
    f.write_text("tokens:\n  - {name: alice, role: platform, env: ALICE_TOKEN}\n"
                 f"  - {{name: bob, role: viewer, sha256: {hashlib.sha256(b'bob-token').hexdigest()}}}\n"
                 "  - {name: ci, role: requester, token: t-ci-12345}\n")
    roles, names = load_tokens(f, {"ALICE_TOKEN": "alice-secret"})
    assert roles["alice-secret"] is Role.PLATFORM and names["t-ci-12345"] == "ci"
    from tradeplane.console.auth import book_from

    book = book_from(roles, names)
    assert book is not None
    who = book.lookup("bob-token")
    assert who is not None and who.name == "bob" and who.role is Role.VIEWER
    with pytest.raises(TradeplaneError, match="ALICE_TOKEN"):
        load_tokens(f, {})
    bad = tmp_path / "bad.yaml"
    bad.write_text("tokens:\n  - {name: x, role: wizard, token: abcdefgh}\n")
    with pytest.raises(TradeplaneError) as exc:
        load_tokens(bad, {})
    assert f"{bad}:2" in str(exc.value)
