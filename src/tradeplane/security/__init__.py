"""Crypto security: exchange key custody, BGP hijack watch, chain reorganisation watch, DDoS perimeter.

Rooms: ``custody`` and ``perimeter`` (static checks over the estate and its rendered Terraform,
composed by ``security check``), ``bgp`` (the hijack watcher) and ``chain`` (the reorg watcher).
Every alert leaves as an Alertmanager webhook v4 payload (``alerts``) for the incidents intake,
or as JSON lines on stdout when it is not running.
"""

from tradeplane.security.alerts import Alert, JsonLinesSink, ListSink, WebhookSink, webhook_payload
from tradeplane.security.check import check
from tradeplane.security.custody import RULES as _CUSTODY_RULES
from tradeplane.security.custody import key_users
from tradeplane.security.finding import Finding, SecurityReport
from tradeplane.security.iam import Resource, parse_resources, resources_of_blocks
from tradeplane.security.inventory import KeyInventory, load_inventory
from tradeplane.security.perimeter import RULES as _PERIMETER_RULES
from tradeplane.security.perimeter import Exposure, crypto_networks

RULES: dict[str, tuple[str, str, str]] = {**_CUSTODY_RULES, **_PERIMETER_RULES}
"""Every rule ``check`` applies: id -> (the rule in one sentence, in full, its source or "")."""

__all__ = [
    "RULES",
    "Alert",
    "Exposure",
    "Finding",
    "JsonLinesSink",
    "KeyInventory",
    "ListSink",
    "Resource",
    "SecurityReport",
    "WebhookSink",
    "check",
    "crypto_networks",
    "key_users",
    "load_inventory",
    "parse_resources",
    "resources_of_blocks",
    "webhook_payload",
]
