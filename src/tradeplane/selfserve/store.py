"""Requests by id and the audit log, under a state directory.

Layout::

    STATE/requests/<id>.json   one record per request: the outcome, who asked, its status
    STATE/audit.jsonl          one line per event: {"time", "event", "actor", "role", "id", "verdict", ...}
    STATE/patches/<id>.patch   the patch of an approved request (unless written elsewhere)

Records are written to a temporary file and renamed into place (never half-written); audit lines
are appended and flushed to disk one by one. The state directory defaults to
``$TRADEPLANE_STATE_DIR`` or ``./.tradeplane/selfserve``.
"""

from __future__ import annotations

import json
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradeplane.errors import InputError
from tradeplane.selfserve.roles import Actor, NotFound
from tradeplane.writing import write_file

__all__ = ["ID_PATTERN", "Store", "default_state_dir"]

ID_PATTERN = r"^req-[0-9a-f]{10}$"
_AUDIT_LOCK = threading.Lock()  # one line at a time from the API's worker threads


def default_state_dir() -> Path:
    return Path(os.environ.get("TRADEPLANE_STATE_DIR") or Path.cwd() / ".tradeplane" / "selfserve")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Store:
    """Requests and audit trail under ``state_dir`` (created on first write)."""

    def __init__(self, state_dir: Path | None = None) -> None:
        self.root = Path(state_dir) if state_dir is not None else default_state_dir()
        self.requests = self.root / "requests"
        self.patches = self.root / "patches"
        self.audit_path = self.root / "audit.jsonl"

    def _file(self, rid: str) -> Path:
        if not re.fullmatch(ID_PATTERN, rid):
            raise InputError.single(f"{rid!r} is not a request id", field="id", hint="ids look like req-0123456789")
        return self.requests / f"{rid}.json"

    def put(self, record: dict[str, Any]) -> None:
        write_file(self._file(record["id"]), json.dumps(record, indent=2, sort_keys=True) + "\n", "--state")

    def get(self, rid: str) -> dict[str, Any]:
        path = self._file(rid)
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFound.single(f"no request {rid}", field="id", hint="`tradeplane request list` shows them") from None
        return data

    def all(self) -> list[dict[str, Any]]:
        if not self.requests.is_dir():
            return []
        out = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.requests.glob("req-*.json"))]
        return sorted(out, key=lambda r: (r.get("created", ""), r["id"]))

    def audit(self, event: str, actor: Actor, rid: str | None, verdict: str | None, **extra: Any) -> dict[str, Any]:
        """Append one event to the audit log (actor, role, time, request id, verdict, and ``extra``)."""
        line = {"time": _now().isoformat(), "event": event, "actor": actor.name, "role": actor.role, "id": rid,
                "verdict": verdict, **extra}
        self.root.mkdir(parents=True, exist_ok=True)
        with _AUDIT_LOCK, self.audit_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return line

    def audit_log(self) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        return [json.loads(x) for x in self.audit_path.read_text(encoding="utf-8").splitlines() if x.strip()]
