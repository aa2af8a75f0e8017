"""The CLI over the database: act, show, postmortem, report, verify (and tampering found)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.incidents.conftest import write_config
from tradeplane import estate as est
from tradeplane.cli import main
from tradeplane.incidents.alerts import Alert
from tradeplane.incidents.intake import Intake
from tradeplane.incidents.store import engine_for, migrate, sessions

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _seed(tmp: Path, dv: est.Estate) -> tuple[Path, int]:
    config = write_config(tmp)
    engine = engine_for(str(tmp / "incidents.db"))
    migrate(engine)
    intake = Intake(sessions(engine), dv)
    alerts = [Alert(labels={"alertname": "FeedStale", "venue": "binance", "stream": "binance/depth/BTCUSDT",
                            "severity": "high"}, annotations={"summary": "binance depth stale"}, startsAt=T0)]
    iid = intake.ingest(alerts, "alertmanager", T0).opened[0]
    engine.dispose()
    return config, iid


def test_cli_lifecycle_postmortem_report_verify(tmp_path: Path, dv: est.Estate, capsys) -> None:  # type: ignore[no-untyped-def]
    config, iid = _seed(tmp_path, dv)
    c, i = str(config), str(iid)
    assert main(["incidents", "ack", c, i, "--actor", "alice"]) == 0
    assert main(["incidents", "note", c, i, "leg b reconnect storm", "--actor", "alice"]) == 0
    assert main(["incidents", "note", c, i, "--action", "alert on reconnect rate", "--actor", "alice"]) == 0
    assert main(["incidents", "mitigate", c, i, "--actor", "alice"]) == 0
    assert main(["incidents", "resolve", c, i, "--actor", "bob"]) == 0
    assert main(["incidents", "ack", c, i]) == 2  # resolved: not allowed, one clear line
    err = capsys.readouterr().err
    assert "cannot ack an incident that is resolved" in err and "Traceback" not in err
    out = tmp_path / "pm.md"
    assert main(["incidents", "postmortem", c, i, "-o", str(tmp_path)]) == 2  # a folder: one line, nothing written
    err = capsys.readouterr().err
    assert err.startswith(f"-o {tmp_path}: cannot write: it is a directory") and len(err.splitlines()) == 1, err
    assert main(["incidents", "postmortem", c, i, "-o", str(out)]) == 0
    md = out.read_text()
    for part in ("# Incident 1: FeedStale: binance depth stale", "## Impact", "- Desks: crypto",
                 "- Venues: binance", "feed-gateway-a", "binance-mm", "## Timeline", "time to acknowledge (TTA)",
                 "- [ ] alert on reconnect rate", "leg b reconnect storm"):
        assert part in md, part
    capsys.readouterr()
    assert main(["incidents", "report", c, "--json"]) == 0
    assert '"desk": "crypto"' in capsys.readouterr().out
    assert main(["incidents", "verify", c, i]) == 0
    db = sqlite3.connect(tmp_path / "incidents.db")
    db.execute("update timeline set actor = 'mallory' where incident_id = ? and seq = 3", (iid,))
    db.commit()
    db.close()
    capsys.readouterr()
    assert main(["incidents", "verify", c, i]) == 1
    assert "entry 3: content does not match its hash (edited)" in capsys.readouterr().out


def test_postmortem_times(tmp_path: Path, dv: est.Estate) -> None:
    from tradeplane.incidents.actions import act
    from tradeplane.incidents.lifecycle import Action
    from tradeplane.incidents.postmortem import postmortem
    from tradeplane.incidents.views import Scope, incident_json, load_incident

    engine = engine_for(str(tmp_path / "pm.db"))
    migrate(engine)
    maker = sessions(engine)
    iid = Intake(maker, dv).ingest([Alert(labels={"alertname": "X", "workload": "cme-order-router"},
                                          startsAt=T0)], "am", T0).opened[0]
    with maker.begin() as s:
        act(s, iid, Action.ACK, "alice", T0 + timedelta(minutes=4, seconds=30))
        act(s, iid, Action.RESOLVE, "alice", T0 + timedelta(hours=1, minutes=2))
    with maker() as s:
        md = postmortem(dv, incident_json(s, load_incident(s, iid, Scope())))
    assert "| time to acknowledge (TTA) | 4m 30s |" in md
    assert "| time to resolve (TTR) | 1h 2m |" in md
    assert "- Workloads: cme-order-router" in md and "- Desks: futures" in md
    engine.dispose()
