"""Feed health: the state of every stream and leg, and stale detection from the observed rate.

States (per leg and per stream): connecting -> syncing -> live, and stale, resyncing, down.
Every change is recorded as a ``StateChange`` (the gateway logs each as one JSON line).

Stale bound: a stream's messages are treated as a Poisson process with the rate observed
(an exponentially weighted mean of inter-arrival times). The chance of an honest silence
longer than ``k`` mean intervals is ``exp(-k)``; with ``k = 20`` that is about 2e-9 per
check, so a leg silent for longer is stale, not unlucky. The bound is clamped to
``[floor, ceiling]`` so a very fast stream is not judged on microseconds and a very slow
one is still judged within the ceiling (venue heartbeats do not count as data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import msgspec


class State(StrEnum):
    CONNECTING = "connecting"
    SYNCING = "syncing"
    LIVE = "live"
    STALE = "stale"
    RESYNCING = "resyncing"
    DOWN = "down"
    CANNOT_RESYNC = "cannot_resync"  # a resync is needed but the venue's limits do not allow one yet


STATE_CODE = {s: i for i, s in enumerate(State)}


class StateChange(msgspec.Struct, frozen=True):
    ts_ns: int
    scope: str  # "leg" or "stream"
    name: str  # "binance/book/BTCUSDT" or "binance/a"
    old: str
    new: str
    reason: str


@dataclass
class RateEstimator:
    """EWMA of inter-arrival time in ns, and the stale bound it implies."""

    k: float = 20.0
    floor_ns: int = 200_000_000
    ceiling_ns: int = 30_000_000_000
    alpha: float = 0.05
    mean_ns: float = 0.0
    last_ns: int = 0
    samples: int = 0

    def observe(self, now_ns: int) -> None:
        if self.last_ns:
            gap = now_ns - self.last_ns
            if gap >= 0:
                self.mean_ns = gap if self.samples == 0 else self.mean_ns + self.alpha * (gap - self.mean_ns)
                self.samples += 1
        self.last_ns = now_ns

    def bound_ns(self) -> int:
        if self.samples < 8:
            return self.ceiling_ns
        return int(min(self.ceiling_ns, max(self.floor_ns, self.k * self.mean_ns)))


@dataclass
class LegHealth:
    name: str
    state: State = State.CONNECTING
    last_data_ns: int = 0
    connected_ns: int = 0
    messages: int = 0
    bytes: int = 0
    reconnects: int = 0
    sequence_gaps: int = 0  # venues that number a connection's messages: holes in those numbers


@dataclass
class HealthBoard:
    """All legs and streams of one gateway, and the log of their state changes. Pure: time is passed in."""

    changes: list[StateChange] = field(default_factory=list)
    legs: dict[str, LegHealth] = field(default_factory=dict)
    streams: dict[str, State] = field(default_factory=dict)
    # when each stream entered its state (ns, the caller's clock; 0: at creation, time unknown)
    stream_since: dict[str, int] = field(default_factory=dict)
    rates: dict[str, RateEstimator] = field(default_factory=dict)
    max_changes: int = 10_000
    listeners: list[Callable[[StateChange], None]] = field(default_factory=list)

    def leg(self, name: str) -> LegHealth:
        h = self.legs.get(name)
        if h is None:
            h = self.legs[name] = LegHealth(name)
        return h

    def set_leg(self, name: str, state: State, now_ns: int, reason: str) -> None:
        h = self.leg(name)
        if h.state != state:
            self._record(StateChange(now_ns, "leg", name, h.state.value, state.value, reason))
            h.state = state

    def set_stream(self, name: str, state: State, now_ns: int, reason: str) -> None:
        old = self.streams.get(name)
        if old != state:
            self._record(
                StateChange(now_ns, "stream", name, old.value if old else "", state.value, reason)
            )
            self.streams[name] = state
            self.stream_since[name] = now_ns

    def _record(self, change: StateChange) -> None:
        self.changes.append(change)
        if len(self.changes) > self.max_changes:
            del self.changes[: self.max_changes // 2]
        for fn in self.listeners:
            fn(change)

    def rate(self, venue: str) -> RateEstimator:
        r = self.rates.get(venue)
        if r is None:
            r = self.rates[venue] = RateEstimator()
        return r

    def stale_legs(self, venue: str, legs: list[str], now_ns: int) -> list[str]:
        """Legs of ``venue`` that stay connected but deliver no data within the stale bound.

        A leg is only condemned when another leg of the venue went on delivering for longer
        than the bound after this one fell silent (the market is moving, this leg is not), or
        once it has been silent past the ceiling.
        """
        r = self.rate(venue)
        bound = r.bound_ns()
        hs = [self.leg(n) for n in legs]
        out = []
        for h in hs:
            if h.state not in (State.LIVE, State.SYNCING, State.STALE):
                continue
            last = max(h.last_data_ns, h.connected_ns)
            since = now_ns - last
            if since <= bound:
                continue
            moving = any(o is not h and o.last_data_ns - last > bound for o in hs)
            if moving or since > r.ceiling_ns:
                out.append(h.name)
        return out
