"""The root modules, one per cloud and layer, in the order they are applied.

Like Cloud Foundation Fabric's stages: each is applied on its own with its own
state and its own automation identity, and a later stage takes only the outputs it
needs from an earlier one, as typed input variables (``RootModule.upstream``), never
its state.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["STAGE_PURPOSE", "Stage"]


class Stage(StrEnum):
    BOOTSTRAP = "00-bootstrap"  # the stages' automation identities, applied once by an administrator
    ORG = "00-org-guardrails"
    NETWORKING = "10-networking"
    SECURITY = "20-security"
    COMPUTE = "30-compute"
    OBSERVABILITY = "40-observability"

    @property
    def short(self) -> str:
        """``networking`` for ``10-networking`` (its identity's outputs: ``networking_role_arns``, ...)."""
        return self.value.split("-", 1)[1].replace("-", "_")

    @property
    def slug(self) -> str:
        """``org-guardrails`` for ``00-org-guardrails``: the stage's identity is
        ``tradeplane-terraform-org-guardrails`` (AWS role) and ``tradeplane-org-guardrails@`` (GCP)."""
        return self.value.split("-", 1)[1]


STAGE_PURPOSE: dict[Stage, str] = {
    Stage.BOOTSTRAP: "one automation identity per stage and its grants (applied once by an administrator)",
    Stage.ORG: "organisation structure and guardrails (SCPs / Organization Policy)",
    Stage.NETWORKING: "networks, routing, hybrid and cross-cloud connectivity",
    Stage.SECURITY: "perimeter, firewall policies, least-privilege identities",
    Stage.COMPUTE: "placement groups and policies, instances, node groups, clusters",
    Stage.OBSERVABILITY: "alarms, alert policies, uptime checks, log sinks",
}
