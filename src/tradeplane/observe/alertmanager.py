"""The Alertmanager configuration: routes by desk, team and severity; inhibitions from topology.

* One receiver per route of the estate (``observability.routes``), a webhook (payload version 4,
  the shape every tradeplane alert travels in) with ``send_resolved``; a route with a
  ``ticket_webhook_url`` gets a second receiver for ``severity="ticket"``.
* Team routes come before desk routes, so ``{desk, team}`` wins over ``{desk}``; pages repeat
  every 1 h, tickets every 24 h. Anything no desk route matches goes to ``unrouted`` (no
  notifier): ``compile_standard`` refuses an SLO whose desk has no route, so only foreign alerts land there.
* Inhibitions: ``HybridLinkDown{link=L}`` inhibits the ``feed_freshness`` alerts of every venue whose
  connectivity goes over ``L`` (named directly, or through the site the link lands at); a page of
  an SLO inhibits the ticket of the same SLO and series.
"""

from __future__ import annotations

from typing import Any

from tradeplane.estate.model import DirectConnect, Estate, Interconnect, Vpn
from tradeplane.observe.rules import BURN_ALERT, LINK_DOWN_ALERT
from tradeplane.observe.standard import HYBRID_LINKS, Standard

__all__ = ["alertmanager_config", "links_carrying"]


def links_carrying(estate: Estate) -> dict[str, list[str]]:
    """Hybrid link name -> the venues whose market data travels over it (sorted)."""
    hybrid = [x for x in estate.links if isinstance(x, HYBRID_LINKS)]
    sites: dict[str, set[str]] = {}
    for link in hybrid:
        if isinstance(link, Interconnect):
            sites.setdefault(link.name, set()).add(link.site)
        elif isinstance(link, DirectConnect):
            sites.setdefault(link.name, set()).update(c.location for c in link.connections)
        elif isinstance(link, Vpn):
            sites.setdefault(link.name, set()).add(link.remote)
    out: dict[str, list[str]] = {}
    for link in hybrid:
        venues = sorted({v.name for v in estate.venues for c in v.connectivity
                         if c.via is not None and (c.via == link.name or c.via in sites.get(link.name, set()))})
        if venues:
            out[link.name] = venues
    return dict(sorted(out.items()))


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
    for link, venues in links_carrying(standard.estate).items():
        inhibit.append({
            "source_matchers": [f'alertname="{LINK_DOWN_ALERT}"', f'link="{link}"'],
            "target_matchers": [f'alertname="{BURN_ALERT}"', 'slo_kind="feed_freshness"',
                                f'venue=~"{"|".join(venues)}"'],
        })
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
