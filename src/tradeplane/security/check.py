"""``tradeplane security check``: key custody and the DDoS perimeter in one report.

Pure: the composer (``tradeplane.plan.security_review``) renders the Terraform, asks the network
engine for egress addresses and internet exposure, and passes them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from tradeplane.estate import Estate
from tradeplane.security.custody import EgressLike, check_custody
from tradeplane.security.finding import SecurityReport
from tradeplane.security.iam import Resource
from tradeplane.security.inventory import KeyInventory
from tradeplane.security.perimeter import Exposure, check_perimeter

__all__ = ["check"]


def check(estate: Estate, resources: Sequence[Resource], egress: Iterable[EgressLike],
          exposure: Mapping[str, Exposure], inventory: KeyInventory | None = None,
          as_of: date | None = None) -> SecurityReport:
    """Every custody and perimeter rule over the estate and its rendered Terraform."""
    report = SecurityReport()
    found, passed = check_custody(estate, resources, egress, inventory, as_of)
    report.findings.extend(found)
    report.passed.extend(passed)
    found, passed = check_perimeter(estate, resources, exposure)
    report.findings.extend(found)
    report.passed.extend(passed)
    return report
