"""Grouping related alerts into one incident, and an alert's severity from its labels.

Alerts about the same thing within ``window`` share an incident. "The same thing" is the
first of: the venue, the link (its name, not the failed element), the desk, in that order,
with the alert name as the key of last resort (so two unrelated alerts with no owner do not
merge). A repeat of a fingerprint whose incident is still open always joins it, whatever
the window (dedup by fingerprint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tradeplane.incidents.alerts import canonical_severity
from tradeplane.incidents.owners import Owner

__all__ = ["SEVERITY_RANK", "Grouping", "group_key", "severity_of", "worst"]

SEVERITY_RANK = {"critical": 0, "high": 1, "warning": 2, "info": 3}
@dataclass(frozen=True)
class Grouping:
    """How alerts join incidents: the window and which labels make a group."""

    window: timedelta = timedelta(minutes=30)
    by: tuple[str, ...] = ("venue", "link", "desk")


def severity_of(labels: dict[str, str]) -> str:
    """``critical``, ``high``, ``warning`` or ``info`` from the ``severity`` (or ``priority``)
    label, with the common aliases (page, error, warn, P1-P5, SEV1-4); ``warning`` when absent
    or unknown."""
    return canonical_severity(labels.get("severity") or labels.get("priority") or "") or "warning"


def worst(a: str, b: str) -> str:
    return a if SEVERITY_RANK.get(a, 9) <= SEVERITY_RANK.get(b, 9) else b


def group_key(owner: Owner, labels: dict[str, str], grouping: Grouping) -> str:
    """The key alerts of one incident share, e.g. ``venue:binance`` or ``desk:crypto``."""
    for by in grouping.by:
        value = getattr(owner, by, None) if by in ("venue", "link", "desk", "workload", "network") else None
        value = value or labels.get(by)
        if value:
            return f"{by}:{value}"
    return f"alertname:{labels.get('alertname', 'unknown')}"
