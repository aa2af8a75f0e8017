"""Crypto security: exchange key custody, BGP hijack watch, chain reorganisation watch, DDoS perimeter.

Rooms: ``custody`` and ``perimeter`` (static checks over the estate and its rendered Terraform,
composed by ``security check``), ``bgp`` (the hijack watcher) and ``chain`` (the reorg watcher).
Every alert leaves as an Alertmanager webhook v4 payload (``alerts``) for the incidents intake,
or as JSON lines on stdout when it is not running.
"""

from tradeplane.security.alerts import Alert, JsonLinesSink, ListSink, WebhookSink, webhook_payload

__all__ = ["Alert", "JsonLinesSink", "ListSink", "WebhookSink", "webhook_payload"]
