"""Faults the simulator injects on one endpoint (one leg's view of the venue)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal[
    "close", "stall", "drop", "duplicate", "reorder", "corrupt", "burst", "delay", "nosnapshot", "restart",
    "zerochecksum",
]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "close", "stall", "drop", "duplicate", "reorder", "corrupt", "burst", "delay", "nosnapshot", "restart",
    "zerochecksum",
)
# delay: this endpoint's data arrives VALUE ms late (legs at different speeds); nosnapshot: subscriptions
# on it get no in-band snapshot; restart: the venue restarts (every endpoint closed, book sequences
# start again from 1: Bybit's u = 1, OKX's reset after maintenance); zerochecksum: the venue sends
# "checksum": 0 on every book push (OKX since 2026-06-23)


@dataclass
class Faults:
    """Live fault state of an endpoint. Probabilities are per data message."""

    refuse: bool = False  # refuse new connections (after a close)
    stalled: bool = False  # socket open, no data (heartbeats still flow if the venue has them)
    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    corrupt: int = 0  # corrupt the checksum of the next n book messages
    delay_s: float = 0.0  # every data message leaves this long late
    no_snapshot: bool = False  # in-band snapshots withheld
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def clear(self) -> None:
        self.refuse = self.stalled = False
        self.drop = self.duplicate = self.reorder = 0.0
        self.corrupt = 0
        self.delay_s = 0.0
        self.no_snapshot = False


@dataclass(frozen=True)
class FaultPlan:
    """A scheduled fault: ``endpoint:kind:at_s[:duration_s[:value]]`` on the command line."""

    endpoint: str
    kind: FaultKind
    at_s: float
    duration_s: float = 0.0
    value: float = 0.0

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        from tradeplane.errors import InputError

        parts = text.split(":")
        if len(parts) < 3 or parts[1] not in FAULT_KINDS:
            raise InputError(
                f"--fault {text!r}: expected ENDPOINT:KIND:AT_S[:DURATION_S[:VALUE]] with KIND one of "
                + ", ".join(FAULT_KINDS)
            )
        try:
            nums = [float(p) for p in parts[2:]]
        except ValueError as exc:
            raise InputError(f"--fault {text!r}: AT_S, DURATION_S and VALUE must be numbers") from exc
        kind = parts[1]
        return cls(parts[0], kind, nums[0], nums[1] if len(nums) > 1 else 0.0, nums[2] if len(nums) > 2 else 0.0)
