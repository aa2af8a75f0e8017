"""The services' log lines are JSON objects (found in a new-user trial: the console's audit lines
carried Python's repr of the entry, in single quotes, and the incidents service's broke on quotes)."""

from __future__ import annotations

import json
import logging

from tradeplane.jsonlog import JsonFormatter


def _line(msg: object, *args: object) -> dict[str, object]:
    record = logging.LogRecord("tradeplane.console.audit", logging.INFO, __file__, 1, msg, args or None, None)
    out = JsonFormatter().format(record)
    assert "\n" not in out
    parsed: dict[str, object] = json.loads(out)
    return parsed


def test_an_audit_entry_is_an_object_and_text_is_escaped() -> None:
    entry = {"actor": "erin", "role": "requester", "path": "/api/requests", "status": 422}
    line = _line(entry)
    assert line["msg"] == entry and line["level"] == "INFO" and line["logger"] == "tradeplane.console.audit"
    assert str(line["time"]).endswith("Z")
    assert _line('said "no" \\ %s', "twice")["msg"] == 'said "no" \\ twice'
