"""A new user's trial of the incidents service (session 9): an unreachable database, a busy port,
intake credentials unset, a documented severity refused and a pydantic list as the error. Each is
one line (exit 2 on the command line), never a traceback; every 4xx is ``{"detail": "<one line>"}``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.incidents.conftest import INTAKE_AUTH, write_config
from tradeplane.cli import main
from tradeplane.errors import ConfigError
from tradeplane.incidents.config import load_config
from tradeplane.incidents.offline import Database


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens here once the socket closes


def test_unreachable_postgresql_is_one_line_exit_2(tmp_path: Path, closed_port: int,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    url = f"postgresql://alice:s3cret@127.0.0.1:{closed_port}/incidents"
    assert main(["incidents", "list", str(config), "--db", url]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"--db: cannot open the incidents database postgresql://alice:***@127.0.0.1:{closed_port}")
    assert "s3cret" not in line and "Connection refused" in line


def test_sqlite_in_a_missing_folder_is_located_in_the_config(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, database=str(tmp_path / "no" / "such" / "incidents.db"))
    assert main(["incidents", "list", str(config)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"{config}:") and ": database: cannot open the incidents database" in line
    assert f"the folder {tmp_path / 'no' / 'such'} does not exist" in line
    with pytest.raises(ConfigError):
        Database.open(str(config))


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_serve_on_a_busy_port_is_one_line_exit_2(tmp_path: Path, busy_port: int,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main(["incidents", "serve", str(config), "--port", str(busy_port)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"--port: cannot listen on 127.0.0.1:{busy_port}: Address already in use")


def test_serve_refuses_without_intake_credentials_naming_the_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TP_TEST_INTAKE_TOKEN", raising=False)
    config = write_config(tmp_path, intake={"bearer_env": "TP_TEST_INTAKE_TOKEN"})
    assert main(["incidents", "serve", str(config), "--port", "0"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{config}:" in line and "intake.bearer_env: no intake credential is set" in line
    assert "answer 401 to every alert" in line and "export TP_TEST_INTAKE_TOKEN" in line


def test_unset_variables_beside_a_working_intake_are_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TP_TEST_INTAKE_TOKEN", "t")
    monkeypatch.delenv("TP_TEST_INTAKE_PASSWORD", raising=False)
    monkeypatch.delenv("TP_TEST_VIEWER", raising=False)
    config = load_config(write_config(tmp_path, intake={
        "bearer_env": "TP_TEST_INTAKE_TOKEN", "basic": {"username": "am", "password_env": "TP_TEST_INTAKE_PASSWORD"}},
        tokens=[{"name": "viewer", "role": "viewer", "env": "TP_TEST_VIEWER"}]))
    fatal, warnings = config.credential_problems()
    assert fatal == []
    assert [w.split(": ", 2)[1:] for w in warnings] == [
        ["intake.basic.password_env", "TP_TEST_INTAKE_PASSWORD is not set: this intake method answers 401 until it is"],
        ["tokens.0.env", "TP_TEST_VIEWER is not set: API token 'viewer' cannot authenticate until it is"]]


@pytest.mark.parametrize(("given", "stored"), [("P2", "high"), ("p1", "critical"), ("SEV3", "warning"),
                                                ("P4", "info"), ("page", "critical"), ("High", "high")])
async def test_generic_alert_takes_the_documented_severities(client: httpx.AsyncClient, given: str,
                                                             stored: str) -> None:
    r = await client.post("/api/v1/alerts/generic", json={"title": f"disk full {given}", "severity": given},
                          headers=INTAKE_AUTH)
    assert r.status_code == 200, r.text
    incident = r.json()["incidents"][0]
    from tests.incidents.conftest import auth

    view = await client.get(f"/api/v1/incidents/{incident}", headers=auth("admin"))
    assert view.json()["severity"] == stored


async def test_event_takes_the_documented_severities(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/alerts/events", headers=INTAKE_AUTH, json=[
        {"kind": "security", "summary": "BGP hijack", "at": "2026-11-30T14:59:00Z", "severity": "P1"}])
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("body", "expected"), [
    ({"title": "x", "severity": "P9"}, "body.severity: unknown severity 'P9': give critical, high, warning or info"),
    ({"severity": "high"}, "body.title: Field required"),
    ([1, 2], "body: Input should be a valid dictionary or object"),
])
async def test_every_422_is_one_detail_line(client: httpx.AsyncClient, body: object, expected: str) -> None:
    r = await client.post("/api/v1/alerts/generic", json=body, headers=INTAKE_AUTH)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail.startswith(expected), detail


async def test_other_4xx_are_detail_lines_too(client: httpx.AsyncClient) -> None:
    bad_json = await client.post("/api/v1/alerts/generic", content=b"{not json", headers={
        **INTAKE_AUTH, "content-type": "application/json"})
    assert bad_json.status_code == 422 and isinstance(bad_json.json()["detail"], str)
    bad_id = await client.get("/api/v1/incidents/0", headers={"Authorization": "Bearer t-admin"})
    assert bad_id.status_code == 422 and bad_id.json()["detail"].startswith("path.incident_id:")
    for r in (await client.post("/api/v1/alerts/generic", json={"title": "x"}),
              await client.get("/api/v1/nowhere"), await client.get("/api/v1/incidents/999999",
                                                                    headers={"Authorization": "Bearer t-admin"})):
        assert r.status_code in (401, 404) and isinstance(r.json()["detail"], str)


async def test_openapi_documents_422_as_a_detail_line(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    generic = spec["paths"]["/api/v1/alerts/generic"]["post"]["responses"]["422"]
    assert generic["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
