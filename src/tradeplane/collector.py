"""Python's cyclic garbage collector, paused around one large job whose data holds no cycles.

Reference counting frees almost everything tradeplane allocates: the estate, the placement
model, the rendered Terraform and the network's packet spaces are trees of immutable values.
The cyclic collector still runs every 700 container allocations, and each of its full
collections walks every object alive at the time, so a job that builds a large heap pays
for that heap again and again. On ``tradeplane plan`` of the 20,000-subnet synthetic estate
(``benchmarks/plan.py``) the collector took 9.5 of the load's 18.5 s of CPU and 10 of the
Terraform render's 36 s (docs/plan.md, "Where the time goes").

Pausing is a choice for the owner of the process: the CLI's ``plan`` command and the plan
benchmark make it for the one job they run; a long-lived service (the console) does not. The
one analysis that pauses it is ``net.matrix``, for the span of one matrix (its walks allocate
millions of acyclic boxes), and it restores the state after, so a caller's choice stands. What cyclic garbage the job does make (about 700 objects per
plan: closures of the stage hooks) is collected when the collector resumes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic collector for the ``with`` block and restore its state after (nested
    uses are fine: only the outermost one that disabled it turns it back on)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
