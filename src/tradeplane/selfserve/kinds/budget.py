"""A budget change: a desk's monthly budget, in a currency."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tradeplane.estate import Estate, Name
from tradeplane.selfserve.document import EstateDocument, append, node
from tradeplane.selfserve.kinds.base import RequestKind, by_name, register, unknown


@register
class BudgetRequest(RequestKind):
    """Set a desk's monthly budget (``amount`` in ``currency``, ISO 4217)."""

    kind: Literal["budget"] = "budget"
    desk: Name
    amount: float = Field(gt=0, le=1_000_000_000, description="per month, in currency")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    reason: str = ""

    def summary(self) -> str:
        return f"budget of desk {self.desk}: {self.amount:,.0f} {self.currency}/month"

    def desks(self, estate: Estate) -> set[str]:
        return {self.desk}

    def apply(self, doc: EstateDocument, estate: Estate) -> list[str]:
        if self.desk not in by_name(estate.desks):
            raise unknown("desk", self.desk, "desk", list(by_name(estate.desks)))
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        for path, item in doc.items("budgets"):
            if isinstance(item, dict) and item.get("desk") == self.desk:
                doc.touch(path)
                old = f"{item.get('monthly_usd')} {item.get('currency', 'USD')}"
                item["monthly_usd"] = amount
                if self.currency != "USD" or "currency" in item:
                    item["currency"] = self.currency
                return [f"budgets: desk {self.desk} {old} -> {amount} {self.currency} per month"]
        seq = doc.section("budgets")
        flow = bool(seq) and all(getattr(getattr(x, "fa", None), "flow_style", lambda: False)() for x in seq)
        entry: dict[str, object] = {"desk": self.desk, "monthly_usd": amount}
        if self.currency != "USD":
            entry["currency"] = self.currency
        append(seq, node(entry, flow=flow))
        return [f"budgets: desk {self.desk} gets {amount} {self.currency} per month"]


__all__ = ["BudgetRequest"]
