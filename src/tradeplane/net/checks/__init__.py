"""Built-in verification checks, one module per check; importing registers them in order."""

from tradeplane.net.checks import (  # noqa: F401 - imported for registration
    failures,
    flows,
    intents,
    latency,
    overlaps,
    perimeter,
    segmentation,
    venues,
)
