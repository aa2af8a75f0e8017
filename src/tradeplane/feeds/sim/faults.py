"""Faults the simulator injects on one endpoint (one leg's view of the venue)."""

from __future__ import annotations

import math
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal, get_args

FaultKind = Literal[
    "close", "stall", "drop", "duplicate", "reorder", "corrupt", "burst", "delay", "nosnapshot", "restart",
    "zerochecksum",
]


@dataclass(frozen=True)
class FaultInfo:
    """What a fault kind does, and what its DURATION_S and VALUE mean (``value``: "" when it takes none).
    ``low``/``high`` bound VALUE (0 means "the default"), ``whole``: VALUE is a count."""

    does: str
    value: str = ""
    default: float = 0.0
    low: float = 0.0
    high: float = float("inf")
    whole: bool = False


# The simulator's one list of faults: ``feeds simulate --help``, the --fault error and docs/feeds.md
# (checked by a test) all come from it; ``ExchangeSimulator.schedule`` applies each kind.
FAULTS: dict[FaultKind, FaultInfo] = {
    "close": FaultInfo("close the endpoint's connections (DURATION_S: refuse reconnects that long)"),
    "stall": FaultInfo("socket open, no data (heartbeats still flow)"),
    "drop": FaultInfo("lose data messages", "probability per message", 0.05, 0.0, 1.0),
    "duplicate": FaultInfo("send data messages twice", "probability per message", 0.05, 0.0, 1.0),
    "reorder": FaultInfo("a message goes after the next one (or alone after 20 ms)", "probability per message",
                         0.05, 0.0, 1.0),
    "corrupt": FaultInfo("wrong checksum on book messages", "how many messages", 1, 0, float("inf"), True),
    "burst": FaultInfo("every venue's market runs faster", "rate multiplier", 10.0),
    "delay": FaultInfo("this endpoint's data arrives late (legs at different speeds)", "milliseconds", 20.0),
    "nosnapshot": FaultInfo("subscriptions get no in-band snapshot"),
    "restart": FaultInfo("the venue restarts: every endpoint closed (DURATION_S: down that long, default 0.2) "
                         "and book sequences start again from 1 (Bybit's u = 1, OKX after maintenance)"),
    "zerochecksum": FaultInfo('the venue sends "checksum": 0 on every book push (OKX since 2026-06-23)'),
}
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
FAULT_SYNTAX = "ENDPOINT:KIND:AT_S[:DURATION_S[:VALUE]]"


def fault_help() -> str:
    """One line per kind (``KIND: what it does [VALUE: meaning, default d]``): the --fault help text."""
    out = []
    for kind, info in FAULTS.items():
        extra = f" (VALUE: {info.value}, default {info.default:g})" if info.value else ""
        out.append(f"{kind}: {info.does}{extra}")
    return "; ".join(out)


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
    def parse(cls, text: str, endpoints: Collection[str] | None = None) -> FaultPlan:
        """``text`` as on the command line. Raises InputError (one line naming ``--fault`` and the value)
        for an unknown kind, an endpoint not in ``endpoints`` (when given), a number that is not a finite
        number, a negative AT_S or DURATION_S, a VALUE out of its kind's range or given to a kind that
        takes none (``FAULTS``)."""
        from tradeplane.errors import InputError

        def bad(why: str) -> InputError:
            return InputError(f"--fault {text!r}: {why}")

        parts = text.split(":")
        if len(parts) < 3 or len(parts) > 5 or parts[1] not in FAULTS:
            raise bad(f"expected {FAULT_SYNTAX} with KIND one of {', '.join(FAULT_KINDS)}")
        kind: FaultKind = parts[1]  # checked against FAULTS just above
        info = FAULTS[kind]
        if endpoints is not None and parts[0] not in endpoints:
            known = ", ".join(sorted(endpoints)) or "none"
            raise bad(f"no endpoint {parts[0]!r} in the config (its leg names: {known})")
        try:
            nums = [float(p) for p in parts[2:]]
        except ValueError:
            raise bad("AT_S, DURATION_S and VALUE must be numbers") from None
        if not all(math.isfinite(n) for n in nums):
            raise bad("AT_S, DURATION_S and VALUE must be finite numbers")
        if any(n < 0 for n in nums[:2]):
            raise bad("AT_S and DURATION_S are seconds from the start: 0 or more")
        value = nums[2] if len(nums) > 2 else 0.0
        if len(nums) > 2 and not info.value:
            raise bad(f"{kind} takes no VALUE")
        if value and not (info.low <= value <= info.high and (not info.whole or value.is_integer())):
            what = "a whole number, 1 or more" if info.whole else (
                f"{info.low:g} to {info.high:g}" if math.isfinite(info.high) else f"above {info.low:g}")
            raise bad(f"VALUE ({info.value}) must be {what}, or 0 for the default {info.default:g}")
        return cls(parts[0], kind, nums[0], nums[1] if len(nums) > 1 else 0.0, value)
