"""The incidents database without the service: what the CLI reads and writes.

Same store, same lifecycle and timeline rules as the API; the actor is the person running the
command (``--actor``, default the login name). Notifications and escalation are the service's
job: an acknowledgement written here stops the service's escalation at its next pass.
"""

from __future__ import annotations

import builtins
import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tradeplane.estate import load
from tradeplane.estate.model import Estate
from tradeplane.incidents.actions import act
from tradeplane.incidents.config import load_config
from tradeplane.incidents.lifecycle import Action
from tradeplane.incidents.postmortem import postmortem, report
from tradeplane.incidents.store import open_database, sessions
from tradeplane.incidents.timeline import verify
from tradeplane.incidents.views import Scope, incident_json, list_incidents, load_incident

__all__ = ["Database", "default_actor"]


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@dataclass
class Database:
    estate: Estate
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, config_path: str, database: str | None = None) -> Database:
        config = load_config(config_path, database=database)
        engine = open_database(config.database_url(), config.where("database"))
        return cls(load(config.estate_path()), sessions(engine))

    def list(self, *, status: str | None = None, desk: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.sessions() as s:
            return list_incidents(s, Scope(), status=status, desk=desk, limit=limit)

    def show(self, incident_id: int) -> dict[str, Any]:
        with self.sessions() as s:
            return incident_json(s, load_incident(s, incident_id, Scope()))

    def act(self, incident_id: int, action: Action, actor: str, *, text: str = "",
            item: int | None = None) -> dict[str, Any]:
        with self.sessions.begin() as s:
            return act(s, incident_id, action, actor, datetime.now(UTC), text=text, item=item)

    def verify(self, incident_id: int) -> dict[str, Any]:
        with self.sessions() as s:
            return verify(s, load_incident(s, incident_id, Scope())).to_json()

    def postmortem(self, incident_id: int) -> str:
        return postmortem(self.estate, self.show(incident_id))

    def report(self) -> builtins.list[dict[str, Any]]:
        with self.sessions() as s:
            return report(s, Scope())
