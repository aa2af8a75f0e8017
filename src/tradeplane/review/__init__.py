"""Review of a change for the team's workflow: what it touches, the change-freeze gate, and the
plan as a pull-request comment, SARIF and JUnit."""

from tradeplane.review.changes import FieldChange, changed_desks, changed_fields
from tradeplane.review.formats import Item, Rule, junit, markdown, repository_root, sarif
from tradeplane.review.freeze import RULE as FREEZE_RULE
from tradeplane.review.freeze import FreezeVerdict, freeze

__all__ = ["FREEZE_RULE", "FieldChange", "FreezeVerdict", "Item", "Rule", "changed_desks", "changed_fields", "freeze", "junit", "markdown", "repository_root", "sarif"]
