"""Incidents: alerts in, owned incidents out, from detection to resolution.

Public face: the alert shapes (``Alert``, ``AlertmanagerWebhook``, ``Event``, ``GenericAlert``),
``owner_of`` (estate -> owner), ``page_for`` (market- and time-zone-aware escalation),
the ``Service`` runtime and its ASGI app (``create_app``), ``load_config``, the lifecycle
(``Status``, ``Action``, ``next_status``), ``postmortem`` and ``report``.
"""

from tradeplane.incidents.alerts import (
    Alert,
    AlertmanagerWebhook,
    Event,
    GenericAlert,
    fingerprint_of,
    webhook_of,
)
from tradeplane.incidents.config import Config, load_config
from tradeplane.incidents.escalation import Page, Recipient, page_for
from tradeplane.incidents.lifecycle import Action, LifecycleError, Status, next_status
from tradeplane.incidents.owners import Owner, owner_of
from tradeplane.incidents.scrub import scrub

__all__ = [
    "Action",
    "Alert",
    "AlertmanagerWebhook",
    "Config",
    "Event",
    "GenericAlert",
    "LifecycleError",
    "Owner",
    "Page",
    "Recipient",
    "Status",
    "fingerprint_of",
    "load_config",
    "next_status",
    "owner_of",
    "page_for",
    "scrub",
    "webhook_of",
]
