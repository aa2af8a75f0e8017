"""The incidents store against a real PostgreSQL on 127.0.0.1 (started by the test) and SQLite:
migrations, idempotent intake, grouping, lifecycle, hash chain and report give the same answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane.incidents.actions import act
from tradeplane.incidents.alerts import Alert
from tradeplane.incidents.intake import Intake
from tradeplane.incidents.lifecycle import Action
from tradeplane.incidents.pgtemp import postgres, unavailable
from tradeplane.incidents.postmortem import report
from tradeplane.incidents.store import engine_for, migrate, sessions
from tradeplane.incidents.timeline import verify
from tradeplane.incidents.views import Scope, load_incident

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("sq") / "incidents.db")
        return
    why = unavailable()
    if why:
        pytest.skip(why)
    with postgres() as pg:
        yield pg


def test_store_round_trip(url: str) -> None:
    dv = est.load(ROOT / "examples" / "dv-trading")
    engine = engine_for(url)
    migrate(engine)
    migrate(engine)  # idempotent
    maker = sessions(engine)
    intake = Intake(maker, dv)
    alerts = [Alert(labels={"alertname": "FeedStale", "venue": "binance", "n": str(i)}, startsAt=T0)
              for i in range(20)]
    first = intake.ingest(alerts, "am", T0)
    again = intake.ingest(alerts, "am", T0 + timedelta(seconds=5))
    assert (first.new, first.duplicates, len(first.opened)) == (20, 0, 1)
    assert (again.new, again.duplicates) == (0, 20)
    iid = first.opened[0]
    with maker.begin() as s:
        act(s, iid, Action.ACK, "alice", T0 + timedelta(minutes=3))
        act(s, iid, Action.NOTE, "alice", T0 + timedelta(minutes=4), text="failover to leg b")
    resolved = [a.model_copy(update={"status": "resolved", "endsAt": T0 + timedelta(minutes=20)}) for a in alerts]
    intake.ingest(resolved, "am", T0 + timedelta(minutes=20))
    with maker() as s:
        row = load_incident(s, iid, Scope())
        assert row.status == "resolved" and row.desk == "crypto"
        assert verify(s, row).ok
        rows = report(s, Scope())
    assert rows == [{"desk": "crypto", "month": "2026-11", "incidents": 1, "acknowledged": 1, "resolved": 1,
                     "mtta_s": 180.0, "mttr_s": 1200.0}]
    engine.dispose()
