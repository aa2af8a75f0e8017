"""Terraform for AWS and GCP, compiled from the estate.

``render(estate, zones=None) -> Rendered`` builds one root module per cloud and
stage (``aws/10-networking`` ...) from the registered resource families;
``write(rendered, dir)`` puts it on disk; ``check_references`` proves every
reference resolves; ``check_schema`` checks every block against the real provider schemas;
``check_conformance`` checks what must hold between resources (guardrails, alert delivery,
placement, both ends of a link, secret access); ``MAPPING`` is the guardrail table of both clouds.
"""

from tradeplane.terraform.conformance import ConformanceFinding, check_conformance
from tradeplane.terraform.guardrails import MAPPING, ControlMapping
from tradeplane.terraform.references import Reference, check_references, parse_module
from tradeplane.terraform.registry import Family, families
from tradeplane.terraform.render import Rendered, render, write
from tradeplane.terraform.schema import SchemaFinding, check_schema
from tradeplane.terraform.stages import Stage

__all__ = [
    "MAPPING",
    "ConformanceFinding",
    "ControlMapping",
    "Family",
    "Reference",
    "Rendered",
    "SchemaFinding",
    "Stage",
    "check_conformance",
    "check_references",
    "check_schema",
    "families",
    "parse_module",
    "render",
    "write",
]
