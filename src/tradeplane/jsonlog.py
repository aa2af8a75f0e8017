"""One JSON object per log line, for the services (console, incidents): what log shippers parse.

``{"time": "2026-11-30T21:40:25.123Z", "level": "INFO", "logger": "tradeplane.console.audit",
"msg": ...}``: ``msg`` is the message as a JSON string, or as an object when the record's message
is a mapping (the audit entries), never Python's ``repr`` of one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = ["JsonFormatter", "configure"]


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object (keys sorted, no newline inside)."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.msg if isinstance(record.msg, Mapping) and not record.args else record.getMessage()
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname, "logger": record.name, "msg": msg}
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, sort_keys=True, default=str)


def configure(level: int = logging.INFO) -> None:
    """Route the root logger to stderr through ``JsonFormatter`` (a service's start-up)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler])
