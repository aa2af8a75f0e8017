"""Prometheus metrics of a running gateway.

Totals are read from the gateway's own counters at scrape time (a custom collector:
nothing on the hot path); the exchange-to-receive latency is a histogram observed once
per WebSocket message.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tradeplane.feeds.events import MarketEvent
from tradeplane.feeds.health import STATE_CODE

if TYPE_CHECKING:
    from tradeplane.feeds.gateway import Gateway

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class GatewayMetrics(Collector):
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.latency = Histogram(
            "feeds_exchange_to_receive_seconds", "exchange timestamp to local receive time",
            ["venue"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self._children: dict[str, Any] = {}
        self.gateway: Gateway | None = None
        self.events: dict[tuple[str, str], int] = {}
        self.registry.register(self)

    def bind(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def on_event(self, ev: MarketEvent) -> None:
        key = (ev.venue, type(ev).__name__)
        self.events[key] = self.events.get(key, 0) + 1

    def on_latency(self, venue: str, ts_exchange: int, ts_recv: int) -> None:
        if ts_exchange > 0:
            child = self._children.get(venue)
            if child is None:
                child = self._children[venue] = self.latency.labels(venue)
            child.observe(max(0.0, (ts_recv - ts_exchange) / 1e9))

    def refresh(self, gateway: Gateway) -> None:
        """Called by the watchdog; the collector reads live state, so nothing to do."""

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        gw = self.gateway
        if gw is None:
            return
        now = time.time_ns()
        leg_labels = ["venue", "leg"]
        msgs = CounterMetricFamily("feeds_messages", "WebSocket messages received", labels=leg_labels)
        byts = CounterMetricFamily("feeds_bytes", "WebSocket bytes received", labels=leg_labels)
        recon = CounterMetricFamily("feeds_reconnects", "leg reconnects", labels=leg_labels)
        seqgaps = CounterMetricFamily("feeds_connection_sequence_gaps",
                                      "holes in a connection's own message numbers (Coinbase Advanced Trade)",
                                      labels=leg_labels)
        wins = CounterMetricFamily("feeds_leg_wins", "messages this leg delivered first", labels=leg_labels)
        lead = GaugeMetricFamily("feeds_arbitration_lead_seconds",
                                 "mean lead of this leg's first copies over the other legs' copies", labels=leg_labels)
        state = GaugeMetricFamily("feeds_leg_state", "leg state (0 connecting .. 5 down)", labels=leg_labels)
        stale = GaugeMetricFamily("feeds_leg_staleness_seconds", "time since the leg last delivered data",
                                  labels=leg_labels)
        for name, h in sorted(gw.board.legs.items()):
            venue, leg = name.split("/", 1)
            lv = [venue, leg]
            msgs.add_metric(lv, h.messages)
            byts.add_metric(lv, h.bytes)
            recon.add_metric(lv, h.reconnects)
            seqgaps.add_metric(lv, h.sequence_gaps)
            state.add_metric(lv, STATE_CODE[h.state])
            stale.add_metric(lv, (now - h.last_data_ns) / 1e9 if h.last_data_ns else 0.0)
            v = gw.venues[venue]
            w = lead_ns = samples = 0
            for st in v.streams.values():
                for cid, t in st.arbiter.tallies.items():
                    if cid.split("#", 1)[0] == name:
                        w += t.wins
                        lead_ns += t.lead_ns_total
                        samples += t.lead_samples
            wins.add_metric(lv, w)
            lead.add_metric(lv, lead_ns / samples / 1e9 if samples else 0.0)
        s_labels = ["venue", "channel", "symbol"]
        gaps = CounterMetricFamily("feeds_gaps", "gaps lost on every leg", labels=s_labels)
        resyncs = CounterMetricFamily("feeds_resyncs", "book resyncs", labels=s_labels)
        cks = CounterMetricFamily("feeds_checksum_failures", "book checksum mismatches", labels=s_labels)
        blocked = CounterMetricFamily("feeds_resync_blocked", "resyncs the venue's limits held back past the patience",
                                      labels=s_labels)
        delivered = CounterMetricFamily("feeds_events", "normalised events delivered", labels=s_labels)
        sstate = GaugeMetricFamily("feeds_stream_state", "stream state (0 connecting .. 5 down, 6 cannot_resync)", labels=s_labels)
        bound = GaugeMetricFamily("feeds_stale_bound_seconds", "stale bound derived from the observed rate",
                                  labels=["venue"])
        for vname, v in sorted(gw.venues.items()):
            bound.add_metric([vname], gw.board.rates[vname].bound_ns() / 1e9)
            for (ch, sym), st in sorted(v.streams.items()):
                lv = [vname, ch, sym]
                gaps.add_metric(lv, st.stats.gaps)
                resyncs.add_metric(lv, st.stats.resyncs)
                cks.add_metric(lv, st.stats.checksum_failures)
                blocked.add_metric(lv, st.stats.resync_blocked)
                delivered.add_metric(lv, st.stats.delivered)
                sstate.add_metric(lv, STATE_CODE[st.state])
        yield from (msgs, byts, recon, seqgaps, wins, lead, state, stale, gaps, resyncs, cks, blocked, delivered, sstate, bound)
