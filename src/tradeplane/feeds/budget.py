"""Resync budget: what one venue lets a client spend on getting fresh book snapshots.

Whatever triggers a resync (a gap, a checksum mismatch, a crossed book, a reset), the
requests it costs (an unsubscribe + subscribe pair on a connection, or a REST depth
snapshot) must stay inside the venue's published limits, per connection and per IP, and
back off when a stream keeps needing them. A stream whose next resync would have to wait
longer than the patience allows is put in state ``cannot_resync`` (and counted in
``feeds_resync_blocked_total``) instead of storming the venue.

Figures come from ``Limits`` on each venue adapter (its docs, cited there). Resyncs may use
only ``share`` (half by default) of each published budget, so reconnects and the
subscriptions they need always have room.

Pure: the caller passes ``now`` (monotonic seconds).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tradeplane.feeds.backoff import Backoff, RateLimit
from tradeplane.feeds.venues.base import Limits


def _share(budget: tuple[int, float] | None, share: float) -> RateLimit | None:
    if budget is None:
        return None
    n, window = budget
    return RateLimit(max(1, int(n * share)), window)


@dataclass
class ResyncBudget:
    """One venue's resync budget: per connection, per IP (local source address), REST weight per IP."""

    limits: Limits
    share: float = 0.5
    conns: dict[str, RateLimit | None] = field(default_factory=dict)
    ips: dict[str, RateLimit | None] = field(default_factory=dict)
    rest: dict[str, RateLimit | None] = field(default_factory=dict)

    def _conn(self, cid: str) -> RateLimit | None:
        if cid not in self.conns:
            self.conns[cid] = _share(self.limits.control_per_connection, self.share)
        return self.conns[cid]

    def _ip(self, ip: str) -> RateLimit | None:
        if ip not in self.ips:
            self.ips[ip] = _share(self.limits.control_per_ip, self.share)
        return self.ips[ip]

    def _rest(self, ip: str) -> RateLimit | None:
        if ip not in self.rest:
            rw = self.limits.rest_weight_per_ip
            self.rest[ip] = None if rw is None else RateLimit(
                max(1, int(rw[0] * self.share) // max(1, self.limits.snapshot_weight)), rw[1])
        return self.rest[ip]

    def resubscribe_wait_s(self, cid: str, ip: str, requests: int, now: float) -> float:
        """Seconds until ``requests`` control messages may be sent on connection ``cid`` from ``ip``."""
        wait = 0.0
        for lim in (self._conn(cid), self._ip(ip)):
            if lim is not None:
                wait = max(wait, _wait_for(lim, requests, now))
        return wait

    def take_resubscribe(self, cid: str, ip: str, requests: int, now: float) -> None:
        for lim in (self._conn(cid), self._ip(ip)):
            if lim is not None:
                for _ in range(requests):
                    lim.take(now)

    def snapshot_wait_s(self, ip: str, now: float) -> float:
        lim = self._rest(ip)
        return 0.0 if lim is None else lim.wait_s(now)

    def take_snapshot(self, ip: str, now: float) -> None:
        lim = self._rest(ip)
        if lim is not None:
            lim.take(now)

    def forget(self, cid: str) -> None:
        """A connection closed: its per-connection budget goes with it."""
        self.conns.pop(cid, None)


def _wait_for(lim: RateLimit, requests: int, now: float) -> float:
    """Seconds until ``requests`` more events fit in ``lim`` (inf if they never can)."""
    if requests > lim.limit:
        return float("inf")
    times = lim.times
    while times and now - times[0] >= lim.window_s:
        times.popleft()
    over = len(times) + requests - lim.limit
    if over <= 0:
        return 0.0
    return times[over - 1] + lim.window_s - now


@dataclass
class StreamResync:
    """Per stream: one resync in flight at a time, with backoff while resyncs keep coming."""

    backoff: Backoff
    calm_s: float = 30.0  # a stream live this long since its last resync starts again from no backoff
    last_s: float = float("-inf")
    inflight: bool = False
    blocked: int = 0  # times this stream could not resync within the patience (feeds_resync_blocked_total)

    @classmethod
    def new(cls, rng: random.Random, base_s: float = 0.25, cap_s: float = 30.0) -> StreamResync:
        return cls(Backoff(base_s, cap_s, rng=rng))

    def delay_s(self, now: float) -> float:
        """Backoff before this resync: none after a calm spell, growing while resyncs repeat."""
        if now - self.last_s >= self.calm_s:
            self.backoff.reset()
            delay = 0.0
        else:
            delay = self.backoff.next_delay()
        self.last_s = now
        return delay


__all__ = ["ResyncBudget", "StreamResync"]
