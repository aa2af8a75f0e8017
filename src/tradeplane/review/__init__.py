"""Review of a change for the team's workflow: what it touches, the change-freeze gate, and the
plan as a pull-request comment, SARIF and JUnit."""

from tradeplane.review.changes import changed_desks
from tradeplane.review.formats import Item, Rule, junit, markdown, repository_root, sarif
from tradeplane.review.freeze import RULE as FREEZE_RULE
from tradeplane.review.freeze import FreezeVerdict, freeze

__all__ = ["FREEZE_RULE", "FreezeVerdict", "Item", "Rule", "changed_desks", "freeze", "junit", "markdown", "repository_root", "sarif"]
