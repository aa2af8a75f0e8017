"""Reconnect pacing: exponential backoff with full jitter, and a venue's connection rate limit.

Both take their clock / random source as arguments so tests drive them deterministically.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay before attempt n: uniform(0, min(cap, base * factor**n)) ("full jitter")."""

    base_s: float = 0.1
    cap_s: float = 30.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * self.factor**self.attempt)
        self.attempt += 1
        return self.rng.uniform(0.0, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class RateLimit:
    """At most ``limit`` events in any ``window_s`` (e.g. Binance: 300 connections per 5 minutes per IP)."""

    limit: int
    window_s: float
    times: deque[float] = field(default_factory=deque)

    def wait_s(self, now: float) -> float:
        """Seconds to wait before the next event is allowed (0 if allowed now)."""
        times = self.times
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[0] + self.window_s - now

    def take(self, now: float) -> None:
        self.times.append(now)
