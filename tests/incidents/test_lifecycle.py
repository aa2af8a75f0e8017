"""Property tests of the lifecycle: no transition loses an event, the timeline stays ordered and chained."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from tradeplane import estate as est
from tradeplane.incidents.actions import act
from tradeplane.incidents.alerts import Alert
from tradeplane.incidents.grouping import Grouping
from tradeplane.incidents.intake import Intake
from tradeplane.incidents.lifecycle import Action, LifecycleError, Status, next_status
from tradeplane.incidents.store import TimelineRow, engine_for, migrate, sessions
from tradeplane.incidents.timeline import entries, verify
from tradeplane.incidents.views import Scope, load_incident

HUMAN = [Action.ACK, Action.NOTE, Action.MITIGATE, Action.RESOLVE, Action.REOPEN, Action.ACTION_ITEM]
_COUNTER = itertools.count()
T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_next_status_is_total_and_consistent(actions: list[Action]) -> None:
    status: Status | None = None
    for a in [Action.TRIGGER, *actions]:
        try:
            new = next_status(status, a)
        except LifecycleError:
            continue
        if a is Action.ACK:
            assert status is Status.TRIGGERED and new is Status.ACKNOWLEDGED
        if a is Action.REOPEN:
            assert status is Status.RESOLVED and new is Status.TRIGGERED
        status = new
    assert status is not None


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, dv: est.Estate):  # type: ignore[no-untyped-def]
    engine = engine_for(str(Path(tmp_path_factory.mktemp("lc")) / "lc.db"))
    migrate(engine)
    return sessions(engine), Intake(sessions(engine), dv, Grouping(by=("n",)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(HUMAN), st.integers(0, 600)), min_size=1, max_size=15))
def test_no_transition_loses_an_event(store, steps: list[tuple[Action, int]]) -> None:  # type: ignore[no-untyped-def]
    maker, intake = store
    alert = Alert(labels={"alertname": "P", "desk": "research", "n": str(next(_COUNTER))}, startsAt=T0)
    iid = intake.ingest([alert], "test", T0).opened[0]
    now = T0
    accepted = 1 + 1  # trigger + alert
    for action, dt in steps:
        now += timedelta(seconds=dt)
        with maker.begin() as s:
            try:
                act(s, iid, action, "prop", now, text="t")
                accepted += 1
            except LifecycleError:
                pass
    with maker() as s:
        timeline = entries(s, iid)
        row = load_incident(s, iid, Scope())
        assert len(timeline) == accepted == row.events
        assert [e["seq"] for e in timeline] == list(range(1, accepted + 1))
        assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
        assert verify(s, row).ok
        if row.status == Status.RESOLVED.value:
            assert timeline[-1]["kind"] in ("resolve", "note", "action")
            assert row.resolved_at is not None and row.resolved_at >= row.opened_at


def test_tampering_is_detected(store) -> None:  # type: ignore[no-untyped-def]
    maker, intake = store
    alert = Alert(labels={"alertname": "T", "desk": "crypto", "n": "tamper"}, startsAt=T0)
    iid = intake.ingest([alert], "test", T0).opened[0]
    with maker.begin() as s:
        act(s, iid, Action.ACK, "alice", T0 + timedelta(minutes=2))
        act(s, iid, Action.NOTE, "alice", T0 + timedelta(minutes=3), text="restarted leg b")
        act(s, iid, Action.RESOLVE, "alice", T0 + timedelta(minutes=9))
    with maker.begin() as s:
        s.execute(update(TimelineRow).where(TimelineRow.incident_id == iid, TimelineRow.seq == 4)
                  .values(body='{"text":"nothing happened"}'))
    with maker() as s:
        v = verify(s, load_incident(s, iid, Scope()))
        assert not v.ok and any("entry 4" in p and "edited" in p for p in v.problems)
    with maker.begin() as s:
        s.query(TimelineRow).filter(TimelineRow.incident_id == iid, TimelineRow.seq == 5).delete()
    with maker() as s:
        v = verify(s, load_incident(s, iid, Scope()))
        assert any("deleted" in p for p in v.problems)
