"""Terraform for AWS and GCP, compiled from the estate.

``render(estate, zones=None) -> Rendered`` builds one root module per cloud and
stage (``aws/10-networking`` ...) from the registered resource families;
``write(rendered, dir)`` puts it on disk; ``check_references`` proves every
reference resolves; ``MAPPING`` is the guardrail table of both clouds.
"""

from tradeplane.terraform.guardrails import MAPPING, ControlMapping
from tradeplane.terraform.references import Reference, check_references, parse_module
from tradeplane.terraform.registry import Family, families
from tradeplane.terraform.render import Rendered, render, write
from tradeplane.terraform.stages import Stage

__all__ = [
    "MAPPING",
    "ControlMapping",
    "Family",
    "Reference",
    "Rendered",
    "Stage",
    "check_references",
    "families",
    "parse_module",
    "render",
    "write",
]
