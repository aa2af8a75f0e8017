"""The batched intake: one transaction per payload (or per group of payloads) means the same
incidents, alerts and timelines as ingesting the alerts one payload at a time."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.incidents.conftest import INTAKE_AUTH, am_alert, am_payload
from tradeplane import estate as est
from tradeplane.incidents.alerts import Alert
from tradeplane.incidents.intake import Intake
from tradeplane.incidents.owners import OwnerIndex, owner_of
from tradeplane.incidents.service import Service
from tradeplane.incidents.store import AlertRow, IncidentRow, TimelineRow, engine_for, iso, migrate, sessions
from tradeplane.incidents.timeline import verify

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
_DB = itertools.count()


def _intake(tmp: Path, dv: est.Estate) -> Intake:
    engine = engine_for(str(tmp / f"b{next(_DB)}.db"))
    migrate(engine)
    return Intake(sessions(engine), dv)


def _dump(intake: Intake) -> dict[str, list[tuple[Any, ...]]]:
    with intake.sessions() as s:
        def rows(model: Any) -> list[tuple[Any, ...]]:
            cols = [c.key for c in model.__table__.columns]
            return [tuple(getattr(r, c) for c in cols) for r in s.scalars(select(model).order_by(model.id))]

        out = {"incidents": rows(IncidentRow), "alerts": rows(AlertRow), "timeline": rows(TimelineRow)}
        for incident in s.scalars(select(IncidentRow)):
            assert verify(s, incident).ok
    return out


def _alert(fp: int, start: int, status: str, venue: str) -> Alert:
    return Alert(status=status, labels={"alertname": f"A{fp}", "venue": venue, "severity": "warning"},  # type: ignore[arg-type]
                 annotations={"summary": f"a{fp}"}, startsAt=T0 + timedelta(minutes=start),
                 endsAt=T0 + timedelta(minutes=start + 5) if status == "resolved" else None,
                 fingerprint=f"{fp:016x}")


ALERTS = st.builds(_alert, st.integers(0, 5), st.integers(0, 2), st.sampled_from(["firing", "firing", "resolved"]),
                   st.sampled_from(["binance", "bybit", "cme-globex", "nyse"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(ALERTS, min_size=1, max_size=8), st.integers(0, 50)), min_size=1, max_size=6))
def test_group_commit_equals_one_batch_at_a_time(tmp_path: Path, dv: est.Estate,
                                                 batches: list[tuple[list[Alert], int]]) -> None:
    """Same rows, ids, timelines and hashes whether the alerts are committed one at a time, one
    payload at a time, or all payloads in one transaction (the service's group commit), with
    repeats, resolutions, reopenings and the grouping window crossing batch boundaries."""
    timed = []
    now = T0
    for alerts, minutes in batches:
        now += timedelta(minutes=minutes)
        timed.append((alerts, "test", now))
    single, one_by_one, grouped = _intake(tmp_path, dv), _intake(tmp_path, dv), _intake(tmp_path, dv)
    for alerts, source, at in timed:
        for a in alerts:
            single.ingest([a], source, at)
    expected = [one_by_one.ingest(a, s, t).to_json() for a, s, t in timed]
    got = [r.to_json() for r in grouped.ingest_many(timed)]
    assert got == expected
    assert _dump(grouped) == _dump(one_by_one) == _dump(single)


def test_an_alert_joins_the_incident_its_payload_reopened(tmp_path: Path, dv: est.Estate) -> None:
    """Found by the property test above: incident 1 (binance, fingerprint 3) is resolved; a later payload
    reopens it through its group (fingerprint 4 on binance) and then carries a new alert of fingerprint 3,
    which joins the reopened incident 1, as it does when the alerts come one at a time. The payload's
    transaction had loaded only incidents open when it began, and opened a second incident instead."""
    first = [_alert(3, 0, "firing", "binance"), _alert(3, 0, "resolved", "binance")]
    second = [_alert(4, 0, "firing", "binance"), _alert(3, 2, "firing", "nyse")]
    single, per_payload = _intake(tmp_path, dv), _intake(tmp_path, dv)
    for at, alerts in ((T0, first), (T0 + timedelta(minutes=4), second)):
        for a in alerts:
            single.ingest([a], "test", at)
        last = per_payload.ingest(alerts, "test", at)
    assert (last.to_json()["incidents"], last.to_json()["opened"]) == ([1], [])
    assert _dump(per_payload) == _dump(single)


def test_repeat_and_resolution_inside_one_payload(tmp_path: Path, dv: est.Estate) -> None:
    intake = _intake(tmp_path, dv)
    a = _alert(1, 0, "firing", "binance")
    b = _alert(2, 0, "firing", "binance")
    r = intake.ingest([a, a, b, _alert(1, 0, "resolved", "binance")], "am", T0)
    assert (r.new, r.duplicates, r.resolved, len(r.opened)) == (2, 1, 1, 1)
    r = intake.ingest([_alert(2, 0, "resolved", "binance")], "am", T0 + timedelta(minutes=1))
    assert r.resolved == 1
    with intake.sessions() as s:
        incident = s.scalars(select(IncidentRow)).one()
        kinds = list(s.scalars(select(TimelineRow.kind).order_by(TimelineRow.seq)))
        receipts = {x.fingerprint: x.receipts for x in s.scalars(select(AlertRow))}
    assert incident.status == "resolved"
    assert kinds == ["trigger", "alert", "alert", "alert", "alert", "resolve"]
    assert receipts == {f"{1:016x}": 3, f"{2:016x}": 2}


def test_owner_index_matches_the_rules(dv: est.Estate) -> None:
    index = OwnerIndex(dv)
    for labels in ({"workload": "cme-order-router"}, {"venue": "cme-globex"}, {"venue": "binance", "desk": "crypto"},
                   {"link": "cme-interconnect/att-chi-1"}, {"network": "aws-apne1-crypto"}, {"venue": "nyse"}, {}):
        assert index.owner(labels) == owner_of(dv, labels)
    assert index.owner({"venue": "binance"}) is index.owner({"venue": "binance", "alertname": "other"})


def test_times_are_fixed_width_for_any_year() -> None:
    assert iso(datetime(220, 10, 8, tzinfo=UTC)) == "0220-10-08T00:00:00.000000+00:00"
    assert len(iso(datetime(9, 1, 1, tzinfo=UTC))) == len(iso(T0))


async def test_a_burst_of_requests_shares_commits(make_service: Callable[..., Service]) -> None:
    """50 single-alert POSTs at once: each answered after its alert is committed, in fewer
    transactions than requests (group commit)."""
    from tradeplane.incidents.api import create_app

    service = make_service()
    await service.start(background=False)
    try:
        app = create_app(service, manage_lifecycle=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as c:
            alerts = [am_alert("Burst", venue="okx", i=str(i)) for i in range(50)]
            rs = await asyncio.gather(*(c.post("/api/v1/alerts/alertmanager", json=am_payload(a),
                                               headers=INTAKE_AUTH) for a in alerts))
            assert [r.status_code for r in rs] == [200] * 50
            assert sum(r.json()["new"] for r in rs) == 50
            assert len({i for r in rs for i in r.json()["incidents"]}) == 1
        assert 1 <= service.commits < 50
    finally:
        await service.stop()


async def test_stop_commits_what_is_queued(make_service: Callable[..., Service]) -> None:
    service = make_service()
    await service.start(background=False)
    pending = [asyncio.create_task(service.ingest([_alert(i, 0, "firing", "okx")], "test")) for i in range(20)]
    await asyncio.sleep(0)  # every request is queued
    await service.stop()
    results = await asyncio.gather(*pending, return_exceptions=True)
    assert all(not isinstance(r, BaseException) and r.new == 1 for r in results), results


@pytest.mark.parametrize("n", [600])
def test_large_payload_in_one_transaction(tmp_path: Path, dv: est.Estate, n: int) -> None:
    """More alerts than one statement's bound values: every alert lands once."""
    intake = _intake(tmp_path, dv)
    alerts = [Alert(labels={"alertname": "Big", "venue": "okx", "i": str(i)}, startsAt=T0) for i in range(n)]
    assert intake.ingest(alerts, "am", T0).new == n
    assert intake.ingest(alerts, "am", T0).duplicates == n


FRAGMENTS = ["AKIAABCDEFGHIJKLMNOP", "Bearer abcdefgh12345", "basic dXNlcjpwYXNz", "eyJhbGciOi.eyJzdWIiOi.sig12345",
             "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "xoxb-1234567890-abc",
             "ghp_" + "a" * 36, "0x" + "ab" * 20, "A" * 44 + "==", "https://svc:hunter2@10.0.0.1/x", "binance",
             "feed stale", " ", "-", "/", ":", "@", "deadbeef"]


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join))
def test_scrub_prefilter_changes_nothing(text: str) -> None:
    """The one-pass pre-check only skips values that no pattern would change."""
    import importlib

    sc = importlib.import_module("tradeplane.incidents.scrub")

    out = sc._URL_PASSWORD.sub(lambda m: m.group(1) + sc.SCRUBBED + m.group(3), text)
    for pattern in sc._SECRET_VALUE:
        out = pattern.sub(sc.SCRUBBED, out)
    assert sc.scrub_text(text) == out
