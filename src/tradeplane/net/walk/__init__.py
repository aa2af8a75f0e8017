"""The symbolic forwarding walk: a header space through the data plane.

Starting from an endpoint with a set of headers, each step splits the set by
the route that wins for each destination and by the rules that allow or deny
each part, so a whole class of traffic moves at once. Every branch ends
delivered at an endpoint or dropped with a reason, carrying the hops it took.

The walk is one class assembled from its hop domains: ``base`` (outcomes, filters,
dataflow batching, sources and replies), ``aws``, ``gcp`` and ``links``.
"""

from __future__ import annotations

from tradeplane.net.walk.aws import AwsHops
from tradeplane.net.walk.base import MAX_HOPS, EgressFilter, Hops, egress_filters
from tradeplane.net.walk.gcp import GcpHops
from tradeplane.net.walk.links import LinkHops

__all__ = ["MAX_HOPS", "EgressFilter", "Hops", "Walk", "egress_filters"]


class Walk(AwsHops, GcpHops, LinkHops):
    """One traversal (see ``WalkBase`` for its fields): ``Walk(dp, wanted, reply=..., merge=...)``,
    then ``start(endpoint, space)`` or ``reenter(trace, space)``, ``drain()`` in merge mode, and read
    ``traces``."""
