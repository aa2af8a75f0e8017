"""Prometheus metrics of a running gateway.

Totals are read from the gateway's own counters at scrape time (a custom collector:
nothing on the hot path). The exchange-to-receive latency is a histogram too, batched: the
hot path appends each delivered message's latency (ns, at its first copy: a trailing leg's copies
are not samples) to its venue's list, and the lists are
folded into bucket counts at the watchdog's tick (every 50 ms), at a scrape, or once 8192
samples wait. A ``prometheus_client.Histogram.observe`` per message (a lock, a Python loop over
the buckets) cost more than the rest of the gateway's bookkeeping of that message.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from tradeplane.feeds.health import STATE_CODE

if TYPE_CHECKING:
    from tradeplane.feeds.gateway import Gateway

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_BOUNDS_NS = tuple(round(b * 1e9) for b in LATENCY_BUCKETS)
_LATENCY_HELP = "exchange timestamp to local receive time, at each message's first copy"


class GatewayMetrics(Collector):
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.gateway: Gateway | None = None
        # per venue: latencies (ns) not folded yet; bucket counts (one per bound, then +Inf) and sum (ns)
        self.pending: dict[str, list[int]] = {}
        self._counts: dict[str, list[int]] = {}
        self._sum_ns: dict[str, int] = {}
        self.registry.register(self)

    def bind(self, gateway: Gateway) -> None:
        """Give every venue of ``gateway`` its latency list (``_Venue.latency``)."""
        self.gateway = gateway
        for name, v in gateway.venues.items():
            v.latency = self.pending.setdefault(name, [])

    def on_latency(self, venue: str, ts_exchange: int, ts_recv: int) -> None:
        """One exchange -> receive observation (ns stamps); the gateway appends to its list directly."""
        if ts_exchange > 0:
            self.pending.setdefault(venue, []).append(ts_recv - ts_exchange)

    def fold(self) -> None:
        """Move the waiting latencies into the bucket counts (a negative one counts as 0)."""
        for venue, waiting in self.pending.items():
            if not waiting:
                continue
            counts = self._counts.get(venue)
            if counts is None:
                counts = self._counts[venue] = [0] * (len(_BOUNDS_NS) + 1)
            total = 0
            for ns in waiting:
                if ns < 0:
                    ns = 0
                counts[bisect_left(_BOUNDS_NS, ns)] += 1
                total += ns
            self._sum_ns[venue] = self._sum_ns.get(venue, 0) + total
            waiting.clear()  # the same list object: the gateway's venue keeps appending to it

    def refresh(self, gateway: Gateway) -> None:
        """Called by the watchdog: fold the batched latencies."""
        self.fold()

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        self.fold()
        latency = HistogramMetricFamily("feeds_exchange_to_receive_seconds", _LATENCY_HELP, labels=["venue"])
        for venue, counts in sorted(self._counts.items()):
            cumulative, buckets = 0, []
            for le, n in zip((*map(str, LATENCY_BUCKETS), "+Inf"), counts, strict=True):
                cumulative += n
                buckets.append((le, cumulative))
            latency.add_metric([venue], buckets, self._sum_ns[venue] / 1e9)
        yield latency
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
