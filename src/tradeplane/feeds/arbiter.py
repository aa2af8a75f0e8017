"""Arbitration of one stream delivered on N legs: first copy wins, duplicates dropped, gaps found.

Three modes, chosen per venue channel by what the venue's messages allow:

- ``contiguous``: each message names the position it follows (``prev``); the arbiter
  delivers exactly the chain, holds messages that arrive ahead of a hole, and reports a
  gap once every live leg has moved past the hole *and* the hole has stayed open for a
  reorder window. TCP keeps one connection in order, but a venue's gateway may not: a leg
  can deliver 104 and then 103. The window is derived from what the legs show (how far
  the winning leg leads the other's copies, and the stream's inter-arrival time), so a
  message still in flight on a healthy leg is taken from it instead of being declared lost.
- ``monotonic``: positions only increase (e.g. an event time or a non-contiguous id);
  newer wins, older or equal is a duplicate; a lost message cannot be detected.
- ``keyed``: no usable sequence; a message's identity is a key (the venue's timestamp
  and content); first copy of a key wins within a bounded window; losses cannot be
  detected from sequence (the venue's checksum, where there is one, catches them).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from tradeplane.feeds.events import NO_SEQ

Mode = Literal["contiguous", "monotonic", "keyed"]
MODES: Final[tuple[Mode, ...]] = ("contiguous", "monotonic", "keyed")
RING: Final = 4096
# The lead of a leg's win over another leg's copy is sampled, not measured on every copy: on a leg's
# 1st, 9th, 17th ... duplicate (``duplicates & LEAD_MASK == 1``). What it feeds is a statistic of the
# legs' relative delay (the decaying peak behind ``reorder_window_ns``, the mean lead in the metrics);
# one copy in eight keeps it, and a trailing copy, what a second leg costs on the hot path, stays cheap.
# The peak decays by 1/8 a sample: about 1/64 a copy, as when every copy was a sample.
LEAD_EVERY: Final = 8
LEAD_MASK: Final = LEAD_EVERY - 1


@dataclass
class LegTally:
    """What one leg did on one stream. ``high_water`` is the highest position the leg brought that
    the chain did not hold yet (a win, or a message held ahead of a hole): ``hole`` asks whether
    every live leg is past the chain's end, and a copy (a position the chain holds) never is, so
    copies leave it alone (one less update on the trailing leg's hot path)."""

    wins: int = 0
    duplicates: int = 0
    high_water: int = NO_SEQ
    lead_ns_total: int = 0  # summed lead of this leg's wins over sampled duplicates (LEAD_EVERY)
    lead_samples: int = 0
    lead_peak_ns: int = 0  # largest recent lead, decaying by 1/8 a sample (the reorder window's lag)
    # when this leg was first seen past the chain's end ``past_of`` (read time, ns): a hole is lost only
    # once every live leg has been past it for the reorder window, measured on each leg's own reads
    past_of: int = NO_SEQ
    past_ns: int = 0

    def add_lead(self, lead_ns: int) -> None:
        """One sampled lead of this leg's win over another leg's copy, in ns: summed, counted, and the
        decaying peak (down 1/8 a sample, up to any larger lead)."""
        self.lead_ns_total += lead_ns
        self.lead_samples += 1
        peak = self.lead_peak_ns - (self.lead_peak_ns >> 3)
        self.lead_peak_ns = lead_ns if lead_ns > peak else peak


@dataclass
class Arbiter:
    """Merges copies of one stream from several legs. Pure: no clock, no I/O."""

    mode: Mode = "contiguous"
    window: int = 65536  # keyed mode: how many recent keys are remembered
    max_pending: int = 100_000
    last: int | None = None
    pending: dict[int, tuple[int, Any]] = field(default_factory=dict)  # prev -> (seq, item)
    tallies: dict[str, LegTally] = field(default_factory=dict)
    held_ns: dict[int, int] = field(default_factory=dict)  # prev -> when the message held ahead of a hole arrived
    _seen: OrderedDict[Hashable, tuple[str, int]] = field(default_factory=OrderedDict)
    # recent wins, for the lead between legs: ring slot seq % RING -> (seq, leg, recv ns). Only ints and
    # a str: the collector untracks such a tuple at its first pass (a leg's tally in it would keep 4096
    # live tuples per stream tracked, and promoted, for the full collections to walk)
    _ring: list[tuple[int, str, int]] = field(default_factory=lambda: [(NO_SEQ, "", 0)] * RING)

    @property
    def ring(self) -> list[tuple[int, str, int]]:
        """Recent wins (slot ``seq % RING``): streams record their fast-path wins here too."""
        return self._ring

    def tally(self, leg: str) -> LegTally:
        t = self.tallies.get(leg)
        if t is None:
            t = self.tallies[leg] = LegTally()
        return t

    def take(self, leg: str, seq: int, recv_ns: int) -> None:
        """``leg`` brought position ``seq`` first and it continues the chain: it is the chain's end now
        (its win is counted and remembered for the lead of the copies that follow)."""
        t = self.tallies.get(leg) or self.tally(leg)
        if seq > t.high_water:
            t.high_water = seq
        self.last = seq
        t.wins += 1
        self._ring[seq & (RING - 1)] = (seq, leg, recv_ns)

    def reset(self, last: int | None = None) -> None:
        """Forget the chain (after a resync); ``last`` is the new position, if known."""
        if last is not None and self.last is not None and last < self.last:
            # the sequence went back (venue reset or restart): no leg is "past" anything of the new chain
            for t in self.tallies.values():
                t.high_water = min(t.high_water, last)
        self.last = last
        if last is None:
            self.pending.clear()
            self.held_ns.clear()
        else:
            self.pending = {p: v for p, v in self.pending.items() if v[0] > last}
            self.held_ns = {p: t for p, t in self.held_ns.items() if p in self.pending}

    def forget_keys(self) -> None:
        """Keyed mode: forget every key (after a resync the next snapshot starts a new history)."""
        self._seen.clear()

    def mark_seen(self, key: Hashable, leg: str, recv_ns: int = 0) -> None:
        """Keyed mode: remember ``key`` as delivered (its later copies are duplicates)."""
        self._seen[key] = (leg, recv_ns)
        if len(self._seen) > self.window:
            self._seen.popitem(last=False)

    def lag_ns(self) -> int:
        """How late a copy on a trailing leg has recently been: the largest decaying peak lead of one
        leg over another's copies (0 before any sample)."""
        return max((t.lead_peak_ns for t in self.tallies.values()), default=0)

    def reorder_window_ns(self, interarrival_ns: int, floor_ns: int = 10_000_000, ceiling_ns: int = 1_000_000_000) -> int:
        """How long a hole may stay open before it can be declared lost, in ns.

        Four times the legs' observed lag (a copy late on the trailing leg) plus four mean
        inter-arrival times (a message one leg holds back behind the next), clamped to
        ``[floor_ns, ceiling_ns]`` (10 ms .. 1 s by default)."""
        return max(floor_ns, min(ceiling_ns, 4 * self.lag_ns() + 4 * max(0, interarrival_ns)))

    # ------------------------------------------------------------------ offering

    def offer(self, leg: str, seq: int, prev: int, item: Any, recv_ns: int = 0) -> list[Any]:
        """Offer one message from ``leg``; returns the items now deliverable, in order."""
        if self.mode == "contiguous":
            return self.offer_contiguous(leg, seq, prev, item, recv_ns)
        if self.mode == "monotonic":
            return self.offer_monotonic(leg, seq, prev, item, recv_ns)
        raise ValueError("keyed mode uses offer_keyed")

    def offer_monotonic(self, leg: str, seq: int, prev: int, item: Any, recv_ns: int = 0) -> list[Any]:
        t = self.tallies.get(leg) or self.tally(leg)
        last = self.last
        if last is not None and seq <= last:  # a copy (or older): the high water is not moved
            t.duplicates += 1
            if t.duplicates & LEAD_MASK == 1:
                self.lead(leg, seq, recv_ns)
            return []
        if seq > t.high_water:
            t.high_water = seq
        self.last = seq
        t.wins += 1
        self._ring[seq & (RING - 1)] = (seq, leg, recv_ns)
        return [item]

    def offer_keyed(self, leg: str, key: Hashable, item: Any, recv_ns: int = 0) -> list[Any]:
        t = self.tally(leg)
        seen = self._seen
        first = seen.get(key)
        if first is not None:
            t.duplicates += 1
            if t.duplicates & LEAD_MASK == 1 and first[0] != leg and recv_ns and first[1]:
                self.tally(first[0]).add_lead(recv_ns - first[1])
            return []
        seen[key] = (leg, recv_ns)
        if len(seen) > self.window:
            seen.popitem(last=False)
        t.wins += 1
        return [item]

    def offer_contiguous(self, leg: str, seq: int, prev: int, item: Any, recv_ns: int = 0) -> list[Any]:
        t = self.tallies.get(leg) or self.tally(leg)
        last = self.last
        if prev == last or last is None or (prev == NO_SEQ and seq > last):
            if seq > t.high_water:
                t.high_water = seq
            self.last = seq
            t.wins += 1
            self._ring[seq & (RING - 1)] = (seq, leg, recv_ns)
            out = [item]
            if self.pending:
                self._drain(out)
            return out
        if seq <= last:  # a copy: the high water is not moved (see LegTally)
            t.duplicates += 1
            if t.duplicates & LEAD_MASK == 1:
                self.lead(leg, seq, recv_ns)
            return []
        # ahead of a hole: hold it until another leg fills the hole or every leg is past it
        if seq > t.high_water:
            t.high_water = seq
        if t.past_of != last:
            t.past_of = last
            t.past_ns = recv_ns
        if prev not in self.pending and len(self.pending) < self.max_pending:
            self.pending[prev] = (seq, item)
            self.held_ns[prev] = recv_ns
            t.wins += 1
        else:
            t.duplicates += 1
        return []

    def _drain(self, out: list[Any]) -> None:
        pending = self.pending
        last = self.last
        assert last is not None
        while True:
            nxt = pending.pop(last, None)
            if nxt is None:
                break
            last = nxt[0]
            out.append(nxt[1])
        self.last = last
        if pending:
            for p in [p for p, v in pending.items() if v[0] <= last]:
                del pending[p]
        held = self.held_ns
        if len(held) > len(pending):
            for p in [p for p in held if p not in pending]:
                del held[p]

    def lead(self, leg: str, seq: int, recv_ns: int) -> None:
        """A sampled copy of position ``seq`` from ``leg``, read at ``recv_ns``: how far the leg that won
        ``seq`` led it (nothing when the ring no longer holds ``seq`` or either time is unknown)."""
        won = self._ring[seq & (RING - 1)]
        if won[0] == seq and won[1] != leg and recv_ns and won[2]:
            self.tally(won[1]).add_lead(recv_ns - won[2])

    # ------------------------------------------------------------------ gaps

    def hole(self, live_legs: Iterable[str], now_ns: int = 0, window_ns: int = 0) -> tuple[int, int] | None:
        """The lost range ``(first, last)`` if no live leg can still deliver it, else None.

        Lost means: every live leg has passed it, each for at least ``window_ns`` by its own
        reads (a leg that reorders may still bring it right behind what it just delivered; a
        leg read late, after the event loop was held up, is judged from when it was read, not
        from when another leg was). With no live legs at all there is nobody left to fill the
        hole, so it is lost too. A leg that passed the hole before the chain reached it (its
        pass time is not known) starts its window at this call.
        """
        if self.mode != "contiguous" or not self.pending or self.last is None:
            return None
        last = self.last
        nxt = min(self.pending)
        if window_ns and now_ns - self.held_ns.get(nxt, now_ns) < window_ns:
            return None
        wait = False
        for leg in live_legs:
            t = self.tallies.get(leg)
            if t is None or t.high_water <= last:
                return None
            if window_ns:
                if t.past_of != last:
                    t.past_of = last
                    t.past_ns = now_ns
                if now_ns - t.past_ns < window_ns:
                    wait = True
        return None if wait else (last + 1, nxt)

    def skip_hole(self) -> list[Any]:
        """Accept the loss: continue the chain from the earliest held message."""
        if not self.pending:
            return []
        nxt = min(self.pending)
        self.last = nxt
        out: list[Any] = []
        self._drain(out)
        return out
