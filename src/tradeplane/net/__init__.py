"""Network verification: symbolic reachability with traces over an estate's data plane.

Public face: ``reach`` (can SRC reach DST, with traces and why-not), ``matrix``
(desk x desk), ``verify`` (intents and built-in checks -> ``Report``), ``diff``
(flows whose verdict changes), the ``Dataplane`` and the brute-force ``oracle``.
"""

from tradeplane.net.dataplane import Dataplane, Endpoint, check_failed, failure_elements
from tradeplane.net.diff import Change, Diff, diff
from tradeplane.net.egress import Egress, egress_addresses
from tradeplane.net.endpoints import Selection, resolve
from tradeplane.net.matrix import Cell, Matrix, matrix
from tradeplane.net.oracle import PacketOracle
from tradeplane.net.reach import Answer, PairResult, parse_ports, parse_protocol, reach
from tradeplane.net.space import Box, Header, Space
from tradeplane.net.trace import Hop, RuleRef, Trace
from tradeplane.net.verify import (
    BLOCKING_SEVERITIES,
    CHECKS,
    Check,
    Context,
    Finding,
    LatencyVerdicts,
    Report,
    verify,
)

__all__ = [
    "BLOCKING_SEVERITIES",
    "CHECKS",
    "Answer",
    "Box",
    "Cell",
    "Change",
    "Check",
    "Context",
    "Dataplane",
    "Diff",
    "Egress",
    "Endpoint",
    "Finding",
    "Header",
    "Hop",
    "LatencyVerdicts",
    "Matrix",
    "PacketOracle",
    "PairResult",
    "Report",
    "RuleRef",
    "Selection",
    "Space",
    "Trace",
    "check_failed",
    "diff",
    "egress_addresses",
    "failure_elements",
    "matrix",
    "parse_ports",
    "parse_protocol",
    "reach",
    "resolve",
    "verify",
]
