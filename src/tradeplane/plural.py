"""Counts in words people read: "1 finding", "2 findings", never "1 findings" or "thing(s)"."""

from __future__ import annotations

__all__ = ["count"]


def count(n: int, noun: str, plural: str = "") -> str:
    """``n`` and the noun in the right number: ``count(1, "finding")`` is "1 finding", ``count(2, "property",
    "properties")`` is "2 properties" (``plural`` defaults to the noun + "s"). Thousands are separated
    with commas (``count(20000, "subnet")`` is "20,000 subnets")."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
