"""A venue connection: a workload (or every workload of a desk) trades on or reads a venue."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tradeplane.estate import Estate, Name, PortRange
from tradeplane.selfserve.document import EstateDocument, append, node
from tradeplane.selfserve.kinds.base import Flow, RequestKind, by_name, register, unknown

Connection = Literal["internet", "privatelink", "private_service_connect", "cross_connect", "interconnect"]


@register
class VenueRequest(RequestKind):
    """Connect ``target`` (a workload, or a desk: each of its workloads) to ``venue`` over ``connection``."""

    kind: Literal["venue"] = "venue"
    target: Name = Field(description="a workload, or a desk")
    venue: Name
    connection: Connection = Field(default="internet", description="how the venue is reached")
    via: Name | None = Field(default=None, description="the estate link or site that carries the connection")
    reason: str = ""

    def summary(self) -> str:
        return f"venue connection {self.target} -> {self.venue} over {self.connection}"

    def _workloads(self, estate: Estate) -> list[str]:
        workloads = by_name(estate.workloads)
        if self.target in workloads:
            return [self.target]
        if self.target in by_name(estate.desks):
            return sorted(w.name for w in estate.workloads if w.desk == self.target)
        raise unknown("target", self.target, "workload or desk", [*workloads, *by_name(estate.desks)])

    def desks(self, estate: Estate) -> set[str]:
        workloads = by_name(estate.workloads)
        own = {workloads[w].desk for w in self._workloads(estate)} if self.target in workloads else {self.target}
        venue_users = {w.desk for w in estate.workloads if self.venue in w.venues}
        crypto = {d for d in venue_users if any(v.name == self.venue and v.kind == "crypto" for v in estate.venues)}
        return own | crypto

    def flow(self, estate: Estate) -> Flow | None:
        names = self._workloads(estate)
        return Flow(names[0], self.venue, "tcp", (PortRange(start=443, end=443),)) if len(names) == 1 else None

    def apply(self, doc: EstateDocument, estate: Estate) -> list[str]:
        venues = by_name(estate.venues)
        if self.venue not in venues:
            raise unknown("venue", self.venue, "venue", list(venues))
        names = self._workloads(estate)
        if self.via is not None and self.via not in {x.name for x in (*estate.links, *estate.sites)}:
            raise unknown("via", self.via, "link or site", [x.name for x in (*estate.links, *estate.sites)])
        changes: list[str] = []
        for name in names:
            found = doc.find("workloads", name)
            if found is None:
                continue
            item = found[1]
            if "venues" not in item or item["venues"] is None:
                item["venues"] = node([self.venue])
            elif self.venue not in item["venues"]:
                item["venues"].append(self.venue)
            else:
                continue
            changes.append(f"workloads: {name} venues += {self.venue}")
        v = venues[self.venue]
        if not any(c.kind == self.connection and (self.via is None or c.via == self.via) for c in v.connectivity):
            found = doc.find("venues", self.venue)
            if found is not None:
                conn = {"kind": self.connection, **({"via": self.via} if self.via else {})}
                append(found[1]["connectivity"], node(conn, flow=True))
                changes.append(f"venues: {self.venue} connectivity += {self.connection}"
                               + (f" via {self.via}" if self.via else ""))
        return changes


__all__ = ["VenueRequest"]
