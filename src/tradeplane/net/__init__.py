"""Network verification: symbolic reachability with traces over an estate's data plane.

Public face: ``reach`` (can SRC reach DST, with traces and why-not), ``matrix``
(desk x desk), ``verify`` (intents and built-in checks -> ``Report``), ``diff``
(flows whose verdict changes), the ``Dataplane`` and the brute-force ``oracle``.
"""

from tradeplane.net.dataplane import Dataplane, Endpoint, failure_elements
from tradeplane.net.endpoints import Selection, resolve
from tradeplane.net.reach import Answer, PairResult, reach
from tradeplane.net.space import Box, Header, Space
from tradeplane.net.trace import Hop, RuleRef, Trace

__all__ = [
    "Answer",
    "Box",
    "Dataplane",
    "Endpoint",
    "Header",
    "Hop",
    "PairResult",
    "RuleRef",
    "Selection",
    "Space",
    "Trace",
    "failure_elements",
    "reach",
    "resolve",
]
