"""Why a placement cannot be made: a message a human can act on, and where to act."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tradeplane.placement.group_rules import RULE_SOURCES

__all__ = ["KINDS", "Explanation", "ExplanationKind"]

ExplanationKind = Literal[
    "subnet", "zones", "guardrail", "family", "capacity", "price", "budget", "group", "anti_affinity", "conflict",
]

KINDS: dict[str, tuple[str, str]] = {
    "subnet": ("Every replica runs in a zone its subnet offers.",
               "An AWS subnet fixes the Availability Zone and a GCP subnet the region; a workload whose "
               "subnet leaves no candidate zone cannot be placed (--free-subnets lets the solver pick another "
               "subnet of the same network and tier)."),
    "zones": ("A workload pinned to zones (placement.zones) runs only there.",
              "The zones the estate pins a workload to must be among those its subnet offers."),
    "guardrail": ("A workload runs only in the regions its account or project allows.",
                  "The estate's region guardrails (allowed regions per account or project) narrow every "
                  "workload's candidate zones; the rendered Terraform's organisation policies enforce the same."),
    "family": ("The zone offers the workload's machine family with enough vCPUs.",
               "A zone is a candidate only if the capacity table (placement/capacity.yaml, the firm's "
               "planning allowance per zone and machine family) offers the family and at least the vCPUs "
               "one replica needs."),
    "capacity": ("The replicas placed in a zone fit its vCPUs per machine family.",
                 "The vCPUs of every replica placed in a zone, sole-tenant nodes included, stay within the "
                 "capacity table's allowance for that zone and machine family (placement/capacity.yaml)."),
    "price": ("The machine type has a price in the candidate regions.",
              "The solver minimises cost, so every candidate region needs a price for the machine type in the "
              "shared price table (tradeplane.estate.prices: the providers' published list prices)."),
    "budget": ("Every latency budget holds where the workload is placed.",
               "A latency budget (latency_budgets: to a venue, a site or another workload) is a hard "
               "constraint: only zones whose estimated round trip, along the paths the estate declares, is "
               "within the budget are candidates; no network beats the fibre bound the explanation gives."),
    "group": ("The members of a placement group follow the cloud's group rules.",
              "AWS cluster, spread and partition placement groups, GCP compact placement policies and "
              "sole-tenant node groups: each has zone, size and machine-series rules, each from the "
              "provider's documentation: " + "; ".join(RULE_SOURCES[k] for k in sorted(RULE_SOURCES)) + "."),
    "anti_affinity": ("Workloads that declare anti-affinity run in different zones.",
                      "Two workloads naming each other in anti_affinity never share a zone."),
    "conflict": ("The constraints conflict as a whole.",
                 "No single constraint is impossible, but together they are: the solver's smallest "
                 "conflicting set names the constraints to relax."),
}
"""Each explanation kind: (the rule in one sentence, the rule in full), the help of ``placement/<kind>``."""


@dataclass(frozen=True, order=True)
class Explanation:
    """One reason the input is infeasible. ``where`` is the estate file:line when known."""

    workload: str
    kind: ExplanationKind
    message: str
    hint: str = ""
    where: str = ""

    def render(self) -> str:
        at = f"{self.where}: " if self.where else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{at}{self.message}{hint}"

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.workload, "kind": self.kind, "message": self.message, "hint": self.hint,
                "where": self.where}
