"""The root modules, one per cloud and layer, in the order they are applied.

Like Cloud Foundation Fabric's stages: each is applied on its own with its own
state, and a later stage reads an earlier one only through
``terraform_remote_state``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["STAGE_PURPOSE", "Stage"]


class Stage(StrEnum):
    ORG = "00-org-guardrails"
    NETWORKING = "10-networking"
    SECURITY = "20-security"
    COMPUTE = "30-compute"
    OBSERVABILITY = "40-observability"

    @property
    def short(self) -> str:
        """``networking`` for ``10-networking``: the name of its remote-state data source."""
        return self.value.split("-", 1)[1].replace("-", "_")


STAGE_PURPOSE: dict[Stage, str] = {
    Stage.ORG: "organisation structure and guardrails (SCPs / Organization Policy)",
    Stage.NETWORKING: "networks, routing, hybrid and cross-cloud connectivity",
    Stage.SECURITY: "perimeter, firewall policies, least-privilege identities",
    Stage.COMPUTE: "placement groups and policies, instances, node groups, clusters",
    Stage.OBSERVABILITY: "alarms, alert policies, uptime checks, log sinks",
}
