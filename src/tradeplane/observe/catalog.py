"""The metrics tradeplane's own services expose, as the standard describes them.

``feeds`` is the feed gateway (``tradeplane.feeds.metrics``; a test scrapes the real gateway and
checks that it exposes exactly these, within the standard). ``hybrid`` is the BGP session state of
the hybrid links (Interconnect, Direct Connect, VPN, Cross-Cloud), which the OpenTelemetry
Collector observe renders brings in from Cloud Monitoring (``router.googleapis.com/bgp/session_up``)
and CloudWatch (``AWS/DX ConnectionBgpStatus``, ``AWS/VPN TunnelState``).
"""

from __future__ import annotations

from tradeplane.estate.model import MetricSpec

__all__ = ["BUILTIN_SERVICES", "FEEDS_LATENCY_BUCKETS", "STREAM_LIVE", "builtin_metrics"]

#: Histogram buckets of ``feeds_exchange_to_receive_seconds`` (seconds); a latency SLO's threshold
#: must be one of them, or the bucket counter it reads does not exist.
FEEDS_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
#: ``feeds_stream_state`` value of a live stream (``tradeplane.feeds.health.State`` order).
STREAM_LIVE = 2

_LEG = ("venue", "leg")
_STREAM = ("venue", "channel", "symbol")

_FEEDS = (
    MetricSpec(name="feeds_messages_total", type="counter", help="WebSocket messages received", labels=_LEG),
    MetricSpec(name="feeds_bytes_total", type="counter", help="WebSocket bytes received", labels=_LEG),
    MetricSpec(name="feeds_reconnects_total", type="counter", help="leg reconnects", labels=_LEG),
    MetricSpec(name="feeds_connection_sequence_gaps_total", type="counter",
               help="holes in a connection's own message numbers (Coinbase Advanced Trade)", labels=_LEG),
    MetricSpec(name="feeds_leg_wins_total", type="counter", help="messages this leg delivered first", labels=_LEG),
    MetricSpec(name="feeds_arbitration_lead_seconds", type="gauge", help="mean lead of first copies", labels=_LEG),
    MetricSpec(name="feeds_leg_state", type="gauge", help="leg state code", labels=_LEG),
    MetricSpec(name="feeds_leg_staleness_seconds", type="gauge", help="time since the leg last delivered data",
               labels=_LEG),
    MetricSpec(name="feeds_gaps_total", type="counter", help="gaps lost on every leg", labels=_STREAM),
    MetricSpec(name="feeds_resyncs_total", type="counter", help="book resyncs", labels=_STREAM),
    MetricSpec(name="feeds_checksum_failures_total", type="counter", help="book checksum mismatches", labels=_STREAM),
    MetricSpec(name="feeds_resync_blocked_total", type="counter",
               help="resyncs the venue's limits held back past the patience", labels=_STREAM),
    MetricSpec(name="feeds_events_total", type="counter", help="normalised events delivered", labels=_STREAM),
    MetricSpec(name="feeds_stream_state", type="gauge", help="stream state code (2 is live)", labels=_STREAM),
    MetricSpec(name="feeds_stale_bound_seconds", type="gauge", help="stale bound from the observed rate",
               labels=("venue",)),
    MetricSpec(name="feeds_exchange_to_receive_seconds", type="histogram",
               help="exchange timestamp to local receive time, at each message's first copy", labels=("venue",),
               buckets=FEEDS_LATENCY_BUCKETS),
)
_HYBRID = (
    MetricSpec(name="hybrid_bgp_session_up", type="gauge", help="1 while the link's BGP session is established",
               labels=("link", "session")),
)
BUILTIN_SERVICES: dict[str, tuple[MetricSpec, ...]] = {"feeds": _FEEDS, "hybrid": _HYBRID}


def builtin_metrics(service: str) -> tuple[MetricSpec, ...]:
    """The metrics of a built-in service; ``()`` for a service the firm declares itself."""
    return BUILTIN_SERVICES.get(service, ())
