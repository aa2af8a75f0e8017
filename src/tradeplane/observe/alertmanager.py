"""The Alertmanager configuration: routes by desk, team and severity; inhibitions from topology.

* One receiver per route of the estate (``observability.routes``), a webhook (payload version 4,
  the shape every tradeplane alert travels in) with ``send_resolved``; a route with a
  ``ticket_webhook_url`` gets a second receiver for ``severity="ticket"``.
* Team routes come before desk routes, so ``{desk, team}`` wins over ``{desk}``; pages repeat
  every 1 h, tickets every 24 h. Anything no desk route matches goes to ``unrouted`` (no
  notifier): ``compile_standard`` refuses an SLO whose desk has no route, so only foreign alerts land there.
* Inhibitions: ``VenueLinksDown{venue=V}`` (every hybrid link carrying ``V`` down, see
  ``rules.link_rules``) inhibits the ``feed_freshness`` alerts of ``V``: a venue that one link of
  several has lost still pages when its feed goes stale, since the survivor should carry it. A page
  of an SLO inhibits the ticket of the same SLO and series.
"""

from __future__ import annotations

from typing import Any

from tradeplane.observe.rules import BURN_ALERT, VENUE_LINKS_DOWN_ALERT
from tradeplane.observe.standard import Standard, links_carrying

__all__ = ["alertmanager_config", "links_carrying"]  # links_carrying: re-exported from standard


def _receiver_name(desk: str, team: str | None, ticket: bool = False) -> str:
    return "-".join(x for x in (desk, team, "ticket" if ticket else None) if x)


def _webhook(url: str) -> dict[str, Any]:
    return {"url": url, "send_resolved": True, "max_alerts": 0}


def alertmanager_config(standard: Standard) -> dict[str, Any]:
    """The ``alertmanager.yml`` (as data) of the standard."""
    o = standard.estate.observability
    receivers: list[dict[str, Any]] = [{"name": "unrouted"}]
    routes: list[dict[str, Any]] = []
    ordered = sorted(o.routes, key=lambda r: (r.team is None, r.desk, r.team or ""))
    for r in ordered:
        name = _receiver_name(r.desk, r.team)
        receivers.append({"name": name, "webhook_configs": [_webhook(r.webhook_url)]})
        matchers = [f'desk="{r.desk}"'] + ([f'team="{r.team}"'] if r.team else [])
        route: dict[str, Any] = {"receiver": name, "matchers": matchers}
        sub = [{"receiver": name, "matchers": ['severity="page"'], "repeat_interval": "1h"}]
        ticket = name
        if r.ticket_webhook_url:
            ticket = _receiver_name(r.desk, r.team, ticket=True)
            receivers.append({"name": ticket, "webhook_configs": [_webhook(r.ticket_webhook_url)]})
        sub.append({"receiver": ticket, "matchers": ['severity="ticket"'], "repeat_interval": "24h"})
        route["routes"] = sub
        routes.append(route)
    inhibit: list[dict[str, Any]] = []
    if links_carrying(standard.estate):
        inhibit.append({"source_matchers": [f'alertname="{VENUE_LINKS_DOWN_ALERT}"'],
                        "target_matchers": [f'alertname="{BURN_ALERT}"', 'slo_kind="feed_freshness"'],
                        "equal": ["venue"]})
    inhibit.append({"source_matchers": [f'alertname="{BURN_ALERT}"', 'severity="page"'],
                    "target_matchers": [f'alertname="{BURN_ALERT}"', 'severity="ticket"'],
                    "equal": ["slo", "venue", "channel", "symbol", "link", "session"]})
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {"receiver": "unrouted", "group_by": ["alertname", "desk", "team", "slo"],
                  "group_wait": f"{o.group_wait_seconds}s", "group_interval": "5m", "repeat_interval": "4h",
                  "routes": routes},
        "receivers": receivers,
        "inhibit_rules": inhibit,
    }
