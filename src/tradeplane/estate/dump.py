"""Estate back to YAML and JSON Schema: the round trip and the editors' contract."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tradeplane.estate.model import Estate


def to_data(estate: Estate) -> dict[str, Any]:
    """Plain data that ``load`` reads back to an equal estate (defaults left out)."""
    data: dict[str, Any] = estate.model_dump(mode="json", exclude_defaults=True)
    # Discriminators have no default, so they survive exclude_defaults; empty sections go.
    return data


def to_yaml(estate: Estate) -> str:
    return yaml.safe_dump(to_data(estate), sort_keys=False, default_flow_style=False, width=110)


def json_schema() -> str:
    """JSON Schema of an estate file, for editors (yaml-language-server) to complete and check."""
    schema = Estate.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tradeplane estate"
    # A single file may hold any subset of sections; the directory as a whole needs 'name'.
    schema.pop("required", None)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
