"""Shared fixtures: a service over the reference estate on a fresh database, with tokens."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tradeplane import estate as est
from tradeplane.incidents.api import create_app
from tradeplane.incidents.config import Config, load_config
from tradeplane.incidents.service import Service

ROOT = Path(__file__).resolve().parents[2]
TOKENS = {"admin": "t-admin", "platform": "t-platform", "crypto": "t-crypto", "futures-viewer": "t-fut-view"}
INTAKE = "t-intake"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write_config(tmp: Path, database: str | None = None, **extra: Any) -> Path:
    data: dict[str, Any] = {
        "estate": str(ROOT / "examples" / "dv-trading"),
        "database": database or str(tmp / "incidents.db"),
        "max_body_bytes": 65536,
        "intake": {"bearer_sha256": _sha(INTAKE),
                   "basic": {"username": "alertmanager", "password_sha256": _sha("am-pass")}},
        "tokens": [
            {"name": "admin", "role": "admin", "sha256": _sha(TOKENS["admin"])},
            {"name": "platform", "role": "responder", "desks": ["platform"], "sha256": _sha(TOKENS["platform"])},
            {"name": "crypto", "role": "responder", "desks": ["crypto"], "sha256": _sha(TOKENS["crypto"])},
            {"name": "futures-viewer", "role": "viewer", "desks": ["futures"],
             "sha256": _sha(TOKENS["futures-viewer"])},
        ],
        "enrich": {"net_analysis": False},
        "escalation_tick_s": 0.2,
    }
    data.update(extra)
    path = tmp / "incidents.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=True))
    return path


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # Monday: CME and Nasdaq open


@pytest.fixture(scope="session")
def dv() -> est.Estate:
    return est.load(ROOT / "examples" / "dv-trading")


@pytest.fixture
def make_service(tmp_path: Path, dv: est.Estate, clock: Clock) -> Callable[..., Service]:
    def make(**extra: Any) -> Service:
        cfg: Config = load_config(write_config(tmp_path, **extra))
        return Service(cfg, dv, clock=clock)

    return make


@pytest.fixture
async def client(make_service: Callable[..., Service]) -> AsyncIterator[httpx.AsyncClient]:
    service = make_service()
    await service.start(background=False)  # tests drive enrichment and paging themselves
    app = create_app(service, manage_lifecycle=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://incidents") as c:
        c.service = service  # type: ignore[attr-defined]
        yield c
    await service.stop()


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


INTAKE_AUTH = {"Authorization": f"Bearer {INTAKE}"}


def am_alert(name: str, starts: str = "2026-11-30T14:59:00Z", status: str = "firing", **labels: str) -> dict[str, Any]:
    lab = {"alertname": name, **labels}
    return {"status": status, "labels": lab, "annotations": {"summary": f"{name} summary"},
            "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-30T15:10:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": hashlib.sha256(
                repr(sorted(lab.items())).encode()).hexdigest()[:16]}


def am_payload(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {"version": "4", "groupKey": "{}:{alertname=\"x\"}", "truncatedAlerts": 0, "status": status,
            "receiver": "incidents", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093", "alerts": list(alerts)}
